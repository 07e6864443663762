"""Writes the fixtures of tests/test_heads.cpp: for each Hugging Face FNet head class, small random
checkpoints (odd sizes; F32 and F16 storage; with and without the "fnet." prefix) in HF's layout with
config.json's `architectures`, and the PyTorch reference's outputs (fnet_reference.HEADS) in float64 on
the stored weights, plus the outputs of a head reading the wrong encoder output (head_mutation), which
the C++ test must be far from.

  <out>/<case>/config.json, <case>/model.safetensors, <case>/expected.safetensors
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnet_reference as ref  # noqa: E402
import safetensors_io  # noqa: E402

ODD = dict(vocab_size=211, hidden_size=40, num_hidden_layers=2, intermediate_size=72, max_position_embeddings=32,
           type_vocab_size=3, hidden_act="gelu_new", layer_norm_eps=1e-12)

# case: (architecture, storage dtype, keep the "fnet." prefix, extra config fields, saved-tensor filter)
CASES = {
    "token_classification": ("FNetForTokenClassification", np.float32, True, {"id2label": {i: f"T{i}" for i in range(5)}}),
    "token_classification_f16": ("FNetForTokenClassification", np.float16, False, {"id2label": {i: f"T{i}" for i in range(5)}}),
    "question_answering": ("FNetForQuestionAnswering", np.float32, True, {}),
    "question_answering_f16": ("FNetForQuestionAnswering", np.float16, True, {}),
    "multiple_choice": ("FNetForMultipleChoice", np.float32, True, {}),
    "next_sentence": ("FNetForNextSentencePrediction", np.float32, False, {}),
    "pretraining": ("FNetForPreTraining", np.float32, True, {}),
    "pretraining_untied_f16": ("FNetForPreTraining", np.float16, True, {}),
    "sequence_single_label": ("FNetForSequenceClassification", np.float32, True, {"id2label": {0: "a", 1: "b", 2: "c"}}),
    "sequence_multi_label": ("FNetForSequenceClassification", np.float32, True,
                             {"id2label": {i: f"L{i}" for i in range(4)}, "problem_type": "multi_label_classification"}),
    "sequence_regression": ("FNetForSequenceClassification", np.float16, True, {"id2label": {0: "score"}}),
}


def stored(state, dtype, prefix, skip):
    out = {}
    for name, value in state.items():
        if name in skip:
            continue
        key = name if prefix or not name.startswith("fnet.") else name[len("fnet."):]
        out[key] = value.detach().numpy().astype(dtype)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=77)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for index, (case, (architecture, dtype, prefix, extra)) in enumerate(sorted(CASES.items())):
        gen = torch.Generator().manual_seed(args.seed + index)
        config = ref.Config(**ODD, architectures=[architecture], **extra)
        model = ref.HEADS[architecture](config)
        if case == "pretraining_untied_f16":  # its own decoder weight instead of the tied embeddings
            model.cls.predictions.decoder.weight = torch.nn.Parameter(torch.empty(config.vocab_size, config.hidden_size))
        ref.randomize_(model, gen).eval()
        skip = {"cls.predictions.decoder.bias"}  # HF keeps one of the two bias aliases (the loader takes either)
        if architecture == "FNetForPreTraining" and case != "pretraining_untied_f16":
            skip.add("cls.predictions.decoder.weight")  # tied: not stored, as safetensors drops shared tensors
        weights = stored(model.state_dict(), dtype, prefix, skip)
        directory = os.path.join(args.out, case)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "config.json"), "w") as f:
            json.dump(config.to_dict(), f, indent=2)
        safetensors_io.save(os.path.join(directory, "model.safetensors"), weights)

        # The reference runs in float64 on exactly the stored values (F16-rounded where stored as F16).
        rounded = {k: torch.from_numpy(v.detach().numpy().astype(dtype).astype(np.float64))
                   for k, v in model.state_dict().items()}
        reference = ref.HEADS[architecture](config).double().eval()
        mutant = ref.HEADS[architecture](config, head_mutation="wrong_source").double().eval()
        for m in (reference, mutant):
            if case == "pretraining_untied_f16":
                m.cls.predictions.decoder.weight = torch.nn.Parameter(torch.empty(config.vocab_size, config.hidden_size,
                                                                                  dtype=torch.float64))
            m.load_state_dict(rounded)
        shape = (2, 3, 11) if architecture == "FNetForMultipleChoice" else (2, 13)
        ids = torch.randint(0, config.vocab_size, shape, generator=gen)
        types = torch.randint(0, config.type_vocab_size, shape, generator=gen)
        tensors = {"input_ids": ids.double().numpy(), "token_type_ids": types.double().numpy()}
        with torch.inference_mode():
            for name, value in reference(ids, types).items():
                tensors[name] = value.numpy()
            for name, value in mutant(ids, types).items():
                tensors["mutation." + name] = value.numpy()
        safetensors_io.save(os.path.join(directory, "expected.safetensors"), tensors)
    print(f"wrote {len(CASES)} head fixtures to {args.out}")


if __name__ == "__main__":
    main()
