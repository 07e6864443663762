#!/usr/bin/env python3
"""The PyTorch reference's view of the shipped example models (by default the pair fnet-classify uses,
examples/models/sst2-fnet-imdb-256 and imdb-fnet-mlm-256; any classifier and masked LM with --classifier
and --mlm): what their READMEs report and what tests/cli/test_example_models.py holds the C++ to.

  /usr/bin/python3 tools/eval_example_models.py [--classifier DIR] [--mlm DIR] [--data ../shared/data]

Prints: SST-2 dev accuracy; IMDB accuracy on the held-out reviews (tools/imdb_data.py: no training stage
saw them), each review classified as fnet-pipeline --long-text windows does it (windows of the padded
length sharing a quarter of it, logits averaged); label agreement between the natural and SST-style forms
of tests/data/natural_sentences.tsv; the masked LM's top 5 for "this movie is [MASK] .".
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
sys.path.insert(0, TOOLS)
import eval_sst2  # noqa: E402
import imdb_data  # noqa: E402
import safetensors_io  # noqa: E402
from fnet_reference import FNetForMaskedLM  # noqa: E402
from fnet_tokenizer import FNetTokenizer, encode_windows  # noqa: E402

CLASSIFIER = os.path.join(REPO, "examples", "models", "sst2-fnet-imdb-256")
MLM = os.path.join(REPO, "examples", "models", "imdb-fnet-mlm-256")
DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data"))
NATURAL = os.path.join(REPO, "tests", "data", "natural_sentences.tsv")
FILL_MASK_TEXT = "this movie is [MASK] ."
HELDOUT, SPLIT_SEED = 2500, 2026  # tools/train_imdb_fnet.py's --heldout and --seed defaults


def read_natural(path=NATURAL):
    rows = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        assert header == ["label", "natural", "sst"], header
        for line in f:
            label, natural, sst = line.rstrip("\n").split("\t")
            rows.append((label, natural, sst))
    return rows


@torch.no_grad()
def classify(model, tok, texts, windows=False):
    """Logits per text (float64), padded to the tokenizer's length; with windows, the mean over the text's
    overlapping windows (stride = length // 4, as fnet-pipeline --long-text windows)."""
    length = tok.model_max_length
    rows, owner = [], []
    for i, text in enumerate(texts):
        if windows:
            for ids, _ in encode_windows(tok, text, max_length=length, stride=length // 4):
                rows.append(ids)
                owner.append(i)
        else:
            rows.append(tok.encode(text, max_length=length)[0])
            owner.append(i)
    ids = torch.tensor(rows)
    logits = eval_sst2.predict_logits(model, ids, torch.zeros_like(ids)).double()
    out = torch.zeros((len(texts), logits.shape[1]), dtype=torch.float64)
    counts = torch.zeros(len(texts), dtype=torch.float64)
    owner = torch.tensor(owner)
    out.index_add_(0, owner, logits)
    counts.index_add_(0, owner, torch.ones(len(owner), dtype=torch.float64))
    return out / counts[:, None]


def load_classifier(model_dir):
    model = eval_sst2.load_model(model_dir).double()
    return model, FNetTokenizer(model_dir)


def load_mlm(model_dir):
    config = eval_sst2.config_from_json(os.path.join(model_dir, "config.json"))
    model = FNetForMaskedLM(config)
    tensors = safetensors_io.load(os.path.join(model_dir, "model.safetensors"))
    state = {name: torch.from_numpy(np.array(value, dtype=np.float32)) for name, value in tensors.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    # The decoder is tied to the word embeddings and its bias is cls.predictions.bias: neither is stored.
    assert set(missing) <= {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"}, missing
    assert not unexpected, unexpected
    model.eval()
    return model.double(), FNetTokenizer(model_dir)


@torch.no_grad()
def fill_mask_top(model, tok, text=FILL_MASK_TEXT, k=5):
    """[(id, piece, probability)] of the k most likely tokens at the text's only [MASK]."""
    ids, types = tok.encode(text, max_length=tok.model_max_length)
    position = ids.index(tok.mask_id)
    hidden, _ = model.fnet(torch.tensor([ids]), torch.tensor([types]))
    probs = torch.softmax(model.cls(hidden[0, position]), dim=-1)
    top = torch.topk(probs, k)
    return [(int(i), tok.sp.IdToPiece(int(i)), float(p)) for p, i in zip(top.values, top.indices)]


def evaluate(classifier_dir, mlm_dir, data):
    model, tok = load_classifier(classifier_dir)
    labels, texts = eval_sst2.read_tsv(os.path.join(data, "sst2", "dev.tsv"))
    sst2 = eval_sst2.accuracy(classify(model, tok, texts), labels)
    _, held = imdb_data.split(data, HELDOUT, SPLIT_SEED)
    imdb_logits = classify(model, tok, [t for _, t in held], windows=True)
    imdb = eval_sst2.accuracy(imdb_logits, [1 if label == "positive" else 0 for label, _ in held])
    natural = read_natural()
    a = classify(model, tok, [n for _, n, _ in natural]).argmax(1)
    b = classify(model, tok, [s for _, _, s in natural]).argmax(1)
    gold = torch.tensor([1 if label == "positive" else 0 for label, _, _ in natural])
    return {"sst2_dev": sst2, "imdb_heldout": imdb, "imdb_reviews": len(held),
            "natural_agreement": float((a == b).double().mean()), "natural_accuracy": float((a == gold).double().mean()),
            "sst_form_accuracy": float((b == gold).double().mean()), **evaluate_mlm(mlm_dir)}


def evaluate_mlm(mlm_dir):
    """The masked LM's figures alone (a pretraining-only export has no classifier)."""
    mlm, mtok = load_mlm(mlm_dir)
    return {"fill_mask": fill_mask_top(mlm, mtok)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--classifier", default=CLASSIFIER)
    p.add_argument("--mlm", default=MLM)
    p.add_argument("--data", default=DATA)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(json.dumps(evaluate(args.classifier, args.mlm, args.data), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
