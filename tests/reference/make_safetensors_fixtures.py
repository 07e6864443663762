"""Writes the safetensors files test_safetensors.cpp checks the C++ reader against (a CTest fixture).

  dtypes.safetensors    the same values stored as F64, F32, F16 and BF16, each next to an F64
                        "<name>.expected" holding what numpy says the stored values decode to
  f16_table.safetensors all 65536 half bit patterns ("half", F16) and numpy's float32 conversion
                        of each ("float", F32), for the exhaustive F16 check

Usage: make_safetensors_fixtures.py --out DIR
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


def values(rng, shape):
    """Random normals with the awkward cases mixed in: signed zeros, infinities, a half subnormal,
    a value that needs rounding in every narrow format, and one that overflows half."""
    v = rng.standard_normal(shape)
    flat = v.reshape(-1)
    specials = [0.0, -0.0, np.inf, -np.inf, 3e-6, 1.0 / 3.0, -65520.0, 1e5]
    flat[:len(specials)] = specials
    return v


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(20240611)
    np.seterr(over="ignore")  # 1e5 -> half inf is intended

    tensors = {}
    # Odd element counts put later tensors at offsets that are not multiples of their element size.
    base = values(rng, (3, 5))
    tensors["a_f16"] = base.astype(np.float16)
    tensors["a_f16.expected"] = tensors["a_f16"].astype(np.float64)
    bits = safetensors_io.bf16_bits(base.astype(np.float32))
    tensors["b_bf16"] = ("BF16", bits)
    tensors["b_bf16.expected"] = (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    tensors["c_f32"] = base.astype(np.float32)
    tensors["c_f32.expected"] = tensors["c_f32"].astype(np.float64)
    tensors["d_f64"] = base
    tensors["d_f64.expected"] = base.copy()
    tensors["e_scalar"] = np.array(2.5, dtype=np.float32)  # shape []
    tensors["f_empty"] = np.zeros((0, 4), dtype=np.float32)
    tensors["g_f64_3d"] = rng.standard_normal((2, 3, 4))
    safetensors_io.save(os.path.join(args.out, "dtypes.safetensors"), tensors,
                        metadata={"format": "pt", "source": "make_safetensors_fixtures.py"})

    half = np.arange(65536, dtype=np.uint16).view(np.float16)
    safetensors_io.save(os.path.join(args.out, "f16_table.safetensors"),
                        {"half": half, "float": half.astype(np.float32)})


if __name__ == "__main__":
    main()
