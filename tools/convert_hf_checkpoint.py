#!/usr/bin/env python3
"""Convert a Hugging Face FNet checkpoint (pytorch_model.bin, a torch.save'd state dict) into the
model.safetensors that fnet::load_model reads.

  convert_hf_checkpoint.py INPUT OUTPUT_DIR [--dtype f32|f16|bf16]

INPUT is pytorch_model.bin or the directory holding it. Tensor names are kept as Hugging Face wrote
them (with or without the "fnet." prefix). Integer buffers (*.position_ids, *.token_type_ids) are
dropped, and so is cls.predictions.decoder.weight when it is tied to the word embeddings (the C++
loader ties it back). config.json, spiece.model and tokenizer_config.json found beside the input are
copied into OUTPUT_DIR.

Needs only torch and numpy (Debian: /usr/bin/python3 with python3-torch).
"""
import argparse
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import safetensors_io  # noqa: E402

COPIED_FILES = ("config.json", "spiece.model", "tokenizer_config.json")
BUFFER_SUFFIXES = (".position_ids", ".token_type_ids")
DECODER = "cls.predictions.decoder.weight"
WORD_EMBEDDINGS = ("fnet.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight")
TORCH_DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


class ConversionError(Exception):
    pass


def load_state_dict(path):
    try:
        # weights_only refuses arbitrary pickled code; torch < 1.13 lacks the argument.
        state = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:
        state = torch.load(path, map_location="cpu")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ConversionError(f"{path}: expected a state dict (name -> tensor), found {type(state).__name__}")
    return state


def same_storage(a, b):
    return (a.data_ptr() == b.data_ptr() and a.shape == b.shape and a.stride() == b.stride()
            and a.dtype == b.dtype)


def select_tensors(state):
    """(kept: dict name -> tensor, dropped: list of (name, reason))."""
    kept, dropped = {}, []
    embeddings = next((state[n] for n in WORD_EMBEDDINGS if n in state), None)
    for name, tensor in state.items():
        if name.endswith(BUFFER_SUFFIXES):
            dropped.append((name, "buffer"))
        elif not tensor.is_floating_point():
            dropped.append((name, f"non-float {tensor.dtype} tensor"))
        elif name == DECODER and embeddings is not None and (
                same_storage(tensor, embeddings) or
                (tensor.shape == embeddings.shape and torch.equal(tensor, embeddings))):
            # Identical values are as good as tied; the loader re-ties, so storing it twice only costs space.
            dropped.append((name, "tied to the word embeddings"))
        else:
            kept[name] = tensor
    return kept, dropped


def to_numpy(name, tensor, dtype):
    target = TORCH_DTYPES[dtype]
    converted = tensor.detach().to(target).contiguous()
    if dtype != "f32" and bool(torch.isinf(converted).any()) and not bool(torch.isinf(tensor).any()):
        raise ConversionError(f"tensor '{name}': values up to {tensor.abs().max().item():g} overflow {dtype}")
    if dtype == "bf16":  # numpy has no bfloat16: hand the writer the bit patterns
        return ("BF16", converted.view(torch.int16).numpy().view(np.uint16))
    return converted.numpy()


def convert(input_path, output_dir, dtype="f32"):
    if os.path.isdir(input_path):
        input_path = os.path.join(input_path, "pytorch_model.bin")
    if not os.path.isfile(input_path):
        raise ConversionError(f"{input_path}: no such file")
    state = load_state_dict(input_path)
    kept, dropped = select_tensors(state)
    if not kept:
        raise ConversionError(f"{input_path}: no floating-point tensors to convert")
    arrays = {name: to_numpy(name, t, dtype) for name, t in kept.items()}

    os.makedirs(output_dir, exist_ok=True)
    target = os.path.join(output_dir, "model.safetensors")
    partial = target + ".partial"  # never leave a half-written model.safetensors behind
    safetensors_io.save(partial, arrays, metadata={"format": "pt", "source": os.path.basename(input_path)})
    os.replace(partial, target)

    source_dir = os.path.dirname(os.path.abspath(input_path))
    copied = []
    for name in COPIED_FILES:
        src, dst = os.path.join(source_dir, name), os.path.join(output_dir, name)
        if os.path.isfile(src):
            if not (os.path.exists(dst) and os.path.samefile(src, dst)):
                shutil.copyfile(src, dst)
            copied.append(name)
    return {"written": sorted(kept), "dropped": dropped, "copied": copied, "path": target}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="pytorch_model.bin, or the directory holding it")
    parser.add_argument("output_dir")
    parser.add_argument("--dtype", choices=sorted(TORCH_DTYPES), default="f32",
                        help="storage dtype of the weights (default f32)")
    args = parser.parse_args(argv)
    try:
        result = convert(args.input, args.output_dir, args.dtype)
    except (ConversionError, OSError, RuntimeError) as e:
        print(f"convert_hf_checkpoint: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {len(result['written'])} tensors ({args.dtype}) to {result['path']}")
    for name, why in result["dropped"]:
        print(f"  dropped {name}: {why}")
    if "config.json" not in result["copied"]:
        print("  warning: no config.json beside the input; fnet::load_model needs one in the output directory",
              file=sys.stderr)
    for name in result["copied"]:
        print(f"  copied {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
