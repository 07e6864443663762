"""Fixture of tests/test_fill_mask.cpp: a small random masked-LM FNet whose vocabulary is a given
SentencePiece model's, and the PyTorch reference's top-5 predictions for masked sentences.

  <out>/model/{config.json, model.safetensors, spiece.model, tokenizer_config.json}
  <out>/expected.json   [{"text", "max_length", "masks": [[{"id", "probability"}, ...], ...]}, ...]
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnet_reference as ref  # noqa: E402
import safetensors_io  # noqa: E402
from fnet_tokenizer import FNetTokenizer  # noqa: E402

TEXTS = ["the movie was [MASK] .", "a [MASK] , witty and [MASK] film", "[MASK]"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokenizer-dir", required=True, help="folder with spiece.model (+ tokenizer_config.json)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    model_dir = os.path.join(args.out, "model")
    os.makedirs(model_dir, exist_ok=True)
    for name in ("spiece.model", "tokenizer_config.json"):
        if os.path.exists(os.path.join(args.tokenizer_dir, name)):
            shutil.copy(os.path.join(args.tokenizer_dir, name), model_dir)
    tokenizer = FNetTokenizer(model_dir)
    vocab = tokenizer.sp.GetPieceSize()
    config = ref.Config(vocab_size=vocab, hidden_size=32, num_hidden_layers=2, intermediate_size=64,
                        max_position_embeddings=64, pad_token_id=tokenizer.pad_id)
    model = ref.randomize_(ref.FNetForMaskedLM(config), torch.Generator().manual_seed(7)).double().eval()
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config.to_dict(), f, indent=2)
    skip = {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"}  # tied, as HF saves it
    safetensors_io.save(os.path.join(model_dir, "model.safetensors"),
                        {k: v.numpy().astype(np.float64) for k, v in model.state_dict().items() if k not in skip})
    expected = []
    with torch.inference_mode():
        for text in TEXTS:
            ids, types = tokenizer.encode(text, max_length=32)
            logits = model(torch.tensor([ids]), torch.tensor([types]))[2][0]
            masks = []
            for position, token in enumerate(ids):
                if token == tokenizer.mask_id:
                    p = torch.softmax(logits[position], dim=-1)
                    top = torch.topk(p, 5)
                    masks.append([{"id": int(i), "probability": float(v)} for v, i in zip(top.values, top.indices)])
            expected.append({"text": text, "max_length": 32, "masks": masks})
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
