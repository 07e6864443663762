#!/usr/bin/env python3
"""Evaluate an FNet sequence classifier folder on a labelled TSV with the PyTorch reference model.

  /usr/bin/python3 tools/eval_sst2.py [MODEL_DIR] [--tsv FILE] [--dump-logits FILE] [--threads N]

MODEL_DIR (default examples/models/sst2-fnet-small) holds config.json, model.safetensors, spiece.model
and tokenizer_config.json. Sentences are tokenized with tests/reference/fnet_tokenizer.py and padded to
the tokenizer's model_max_length (or --max-length), the same fixed length the model was trained with.
The TSV has a header row; the column named "label" holds 0/1 and the other column the text (the SST-2
train split calls it "sentence", the dev split "content"). Default: ../shared/data/sst2/dev.tsv.

Prints the accuracy. --dump-logits writes one line per sentence, in file order: the logits as
space-separated Python float reprs of the float32 values (exact, round-trippable). This is the PyTorch
side of the C++-vs-PyTorch logits parity check.

Needs only torch, numpy and sentencepiece (Debian's /usr/bin/python3).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
import safetensors_io  # noqa: E402
from fnet_reference import HF_DEFAULTS, Config, FNetForSequenceClassification  # noqa: E402

DEFAULT_MODEL = os.path.join(REPO, "examples", "models", "sst2-fnet-small")
DEFAULT_DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "sst2"))


def read_tsv(path):
    """Return (labels, texts) of a headed, tab-separated file with a 'label' column and one text column."""
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if len(header) != 2 or "label" not in header:
            raise ValueError(f"{path}: expected a two-column header with a 'label' column, got {header}")
        label_col = header.index("label")
        labels, texts = [], []
        for lineno, line in enumerate(f, start=2):
            line = line.rstrip("\n")
            if not line:
                continue
            cols = line.split("\t")
            if len(cols) != 2:
                raise ValueError(f"{path}:{lineno}: expected 2 tab-separated columns, got {len(cols)}")
            labels.append(int(cols[label_col]))
            texts.append(cols[1 - label_col])
    return labels, texts


def config_from_json(path):
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    fields = {k: raw[k] for k in HF_DEFAULTS if k in raw}
    if "id2label" in raw:
        fields["id2label"] = {int(k): v for k, v in raw["id2label"].items()}
    return Config(**fields)


def load_model(model_dir):
    """The reference FNetForSequenceClassification with the folder's weights, in eval mode."""
    config = config_from_json(os.path.join(model_dir, "config.json"))
    model = FNetForSequenceClassification(config)
    tensors = safetensors_io.load(os.path.join(model_dir, "model.safetensors"))
    state = {name: torch.from_numpy(np.array(value, dtype=np.float32)) for name, value in tensors.items()}
    model.load_state_dict(state, strict=True)
    model.eval()
    return model


def load_tokenizer(model_dir):
    from fnet_tokenizer import FNetTokenizer

    return FNetTokenizer(model_dir)


def encode_all(tokenizer, texts, max_length):
    ids, types = [], []
    for text in texts:
        i, t = tokenizer.encode(text, max_length=max_length, pad=True)
        ids.append(i)
        types.append(t)
    return torch.tensor(ids, dtype=torch.long), torch.tensor(types, dtype=torch.long)


@torch.no_grad()
def predict_logits(model, input_ids, token_type_ids, batch_size=256):
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, input_ids.shape[0], batch_size):
        out.append(model(input_ids[start:start + batch_size], token_type_ids[start:start + batch_size])[2])
    model.train(was_training)
    return torch.cat(out) if out else torch.zeros((0, model.classifier.out_features))


def accuracy(logits, labels):
    if len(labels) == 0:
        return float("nan")
    predictions = logits.argmax(dim=1)
    return (predictions == torch.as_tensor(labels)).double().mean().item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", nargs="?", default=DEFAULT_MODEL)
    parser.add_argument("--tsv", default=os.path.join(DEFAULT_DATA, "dev.tsv"), help="labelled TSV to score")
    parser.add_argument("--max-length", type=int, default=None,
                        help="padding length (default: model_max_length from tokenizer_config.json)")
    parser.add_argument("--dump-logits", metavar="FILE", help="write one line of logits per sentence")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    model = load_model(args.model_dir)
    tokenizer = load_tokenizer(args.model_dir)
    max_length = args.max_length or tokenizer.model_max_length
    if max_length is None:
        parser.error("tokenizer_config.json has no model_max_length; pass --max-length")
    if max_length > model.fnet.config.max_position_embeddings:
        parser.error(f"--max-length {max_length} exceeds max_position_embeddings")

    labels, texts = read_tsv(args.tsv)
    input_ids, token_type_ids = encode_all(tokenizer, texts, max_length)
    logits = predict_logits(model, input_ids, token_type_ids, args.batch_size)

    if args.dump_logits:
        with open(args.dump_logits, "w", encoding="utf-8") as f:
            for row in logits.numpy():
                f.write(" ".join(repr(float(v)) for v in row) + "\n")

    acc = accuracy(logits, labels)
    correct = int(round(acc * len(labels))) if labels else 0
    print(f"accuracy {acc:.4f} ({correct}/{len(labels)}) on {args.tsv} with max_length {max_length}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
