"""Writes the fixtures of tests/test_model_parity.cpp: a random FNet model in FNet-base shape and the
PyTorch reference's outputs on random inputs.

  <out>/model/config.json, <out>/model/model.safetensors   float32 weights, Hugging Face names
  <out>/seq<N>.safetensors                                   inputs and float64 reference outputs

The reference runs in float64 on the same (float32-valued) weights, so it is the exact answer for
both the float and the double C++ paths. For one length it also stores the outputs of deliberately
broken references (fnet_reference.MUTATIONS); the C++ test asserts that it is far from each of them,
i.e. that the comparison would notice that bug.
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

FNET_BASE = dict(vocab_size=32000, hidden_size=768, num_hidden_layers=12, intermediate_size=3072,
                 max_position_embeddings=512, type_vocab_size=4, hidden_act="gelu_new", layer_norm_eps=1e-12,
                 id2label={0: "a", 1: "b", 2: "c"})
SMALL = dict(vocab_size=300, hidden_size=48, num_hidden_layers=3, intermediate_size=96,
             max_position_embeddings=64, type_vocab_size=3, hidden_act="gelu_new", layer_norm_eps=1e-12,
             id2label={0: "a", 1: "b", 2: "c"})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--shape", choices=["base", "small"], default="base")
    parser.add_argument("--lengths", default="8,128,512")
    parser.add_argument("--mutation-length", type=int, default=128)
    parser.add_argument("--batch", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    torch.set_num_threads(2)
    config = ref.Config(**(FNET_BASE if args.shape == "base" else SMALL))
    gen = torch.Generator().manual_seed(args.seed)
    model = ref.randomize_(ref.FNetForSequenceClassification(config), gen).eval()

    model_dir = os.path.join(args.out, "model")
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config.to_dict(), f, indent=2)
    weights = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    safetensors_io.save(os.path.join(model_dir, "model.safetensors"), weights)

    state64 = {k: v.double() for k, v in model.state_dict().items()}
    reference = model.double()
    mutants = {}
    for name in ref.MUTATIONS:
        m = ref.FNetForSequenceClassification(config, mutation=name).double().eval()
        m.load_state_dict(state64)
        mutants[name] = m

    with torch.inference_mode():
        for seq in [int(s) for s in args.lengths.split(",")]:
            ids = torch.randint(0, config.vocab_size, (args.batch, seq), generator=gen)
            types = torch.randint(0, config.type_vocab_size, (args.batch, seq), generator=gen)
            hidden, pooled, logits = reference(ids, types)
            tensors = {
                # ids as float64: exact for any vocabulary index, and readable by the library's own reader
                "input_ids": ids.double().numpy(),
                "token_type_ids": types.double().numpy(),
                "hidden_states": hidden.numpy(),
                "pooled": pooled.numpy(),
                "logits": logits.numpy(),
            }
            zero_types = torch.zeros_like(types)
            tensors["zero_types.hidden_states"] = reference(ids, zero_types)[0].numpy()
            if seq == args.mutation_length:
                for name, m in mutants.items():
                    mutant_hidden, _, mutant_logits = m(ids, types)
                    tensors[f"mutation.{name}.hidden_states"] = mutant_hidden.numpy()
                    tensors[f"mutation.{name}.logits"] = mutant_logits.numpy()
            safetensors_io.save(os.path.join(args.out, f"seq{seq}.safetensors"), tensors)
    write_masked_lm_fixtures(args.out, args.seed)
    print(f"wrote fixtures for lengths {args.lengths} to {args.out}")


def write_masked_lm_fixtures(out, seed):
    """Small masked-LM models, decoder tied to the word embeddings (as HF saves them) and untied."""
    config = ref.Config(**SMALL)
    for variant in ("tied", "untied"):
        gen = torch.Generator().manual_seed(seed + 1)
        model = ref.FNetForMaskedLM(config)
        if variant == "untied":
            model.cls.predictions.decoder.weight = torch.nn.Parameter(torch.empty(config.vocab_size, config.hidden_size))
        ref.randomize_(model, gen).eval()
        directory = os.path.join(out, f"mlm_{variant}")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "config.json"), "w") as f:
            json.dump(config.to_dict(), f, indent=2)
        skip = {"cls.predictions.decoder.bias"} | ({"cls.predictions.decoder.weight"} if variant == "tied" else set())
        weights = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items() if k not in skip}
        safetensors_io.save(os.path.join(directory, "model.safetensors"), weights)
        ids = torch.randint(0, config.vocab_size, (2, 16), generator=gen)
        with torch.inference_mode():
            hidden, _, logits = model.double()(ids)
        safetensors_io.save(os.path.join(directory, "expected.safetensors"), {
            "input_ids": ids.double().numpy(), "hidden_states": hidden.numpy(), "prediction_logits": logits.numpy()})


if __name__ == "__main__":
    main()
