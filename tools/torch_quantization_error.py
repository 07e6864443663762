#!/usr/bin/python3
"""How far PyTorch's own dynamic int8 quantization moves FNet-base's outputs: the reference model
(tests/reference/fnet_reference.py) with random weights, seq 128 and 512, quantize_dynamic on every
nn.Linear with each quantized engine Debian's torch has; relative error (Frobenius norm) of the hidden
states and logits against fp32. The comparison point for fnet's int8 figures (tests/test_int8.cpp prints
its own: ./build/tests/test_int8 -s).

    /usr/bin/python3 tools/torch_quantization_error.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "reference"))
from fnet_reference import Config, FNetForSequenceClassification, randomize_  # noqa: E402


def relative(a, b):
    return float((a - b).norm() / b.norm())


def main():
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(11)
    model = randomize_(FNetForSequenceClassification(Config()), gen).eval()
    for engine in ("onednn", "qnnpack", "fbgemm"):
        if engine not in torch.backends.quantized.supported_engines:
            print(f"{engine}: not in this torch build")
            continue
        torch.backends.quantized.engine = engine
        quantized = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        for seq in (128, 512):
            ids = torch.randint(0, 32000, (1, seq), generator=gen)
            with torch.inference_mode():
                hidden, _, logits = model(ids)
                q_hidden, _, q_logits = quantized(ids)
            print(f"{engine} seq {seq}: relative error hidden {relative(q_hidden, hidden):.3f}, "
                  f"logits {relative(q_logits, logits):.3f}")


if __name__ == "__main__":
    main()
