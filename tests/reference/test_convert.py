"""CTest check of tools/convert_hf_checkpoint.py: small random FNet state dicts with Hugging Face names
are torch.save'd, converted in a subprocess (as a user would run it), and every tensor is compared with
the original: bit-exact for f32, equal to torch's own rounding (and within its error bound) for f16/bf16.

  test_convert.py --work-dir DIR      (exits non-zero on the first failed assert)
"""
import argparse
import contextlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fnet_reference as ref  # noqa: E402
import safetensors_io  # noqa: E402

CONVERTER = os.path.join(HERE, "..", "..", "tools", "convert_hf_checkpoint.py")
BUFFERS = ("embeddings.position_ids", "embeddings.token_type_ids")


def small_config():
    return ref.Config(vocab_size=40, hidden_size=16, num_hidden_layers=2, intermediate_size=24,
                      max_position_embeddings=12, type_vocab_size=4)


def hf_state_dict(model, config, prefix):
    """The model's state dict plus the integer buffers Hugging Face saves beside the weights."""
    state = model.state_dict()
    state[prefix + "embeddings.position_ids"] = torch.arange(config.max_position_embeddings).expand((1, -1))
    state[prefix + "embeddings.token_type_ids"] = torch.zeros((1, config.max_position_embeddings), dtype=torch.long)
    return state


def write_checkpoint(directory, state, config, extras=True):
    os.makedirs(directory, exist_ok=True)
    torch.save(state, os.path.join(directory, "pytorch_model.bin"))
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config.to_dict(), f)
    if extras:
        with open(os.path.join(directory, "spiece.model"), "wb") as f:
            f.write(bytes(range(256)))  # stands in for a sentencepiece model; only copied
        with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
            json.dump({"do_lower_case": False}, f)


def load_converter():
    spec = importlib.util.spec_from_file_location("convert_hf_checkpoint", CONVERTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_converter = load_converter()


def run_converter(*args, expect_ok=True, subprocess_run=False):
    """Runs the converter's main() in this process (importing torch once per process is the slow part),
    or as a separate command line when subprocess_run."""
    if subprocess_run:
        proc = subprocess.run([sys.executable, CONVERTER, *args], capture_output=True, text=True)
    else:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = _converter.main(list(args))
        proc = subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())
    if expect_ok:
        assert proc.returncode == 0, f"converter failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def check_tensors(out_dir, state, expected_names, dtype):
    path = os.path.join(out_dir, "model.safetensors")
    header = safetensors_io.read_header(path)
    loaded = safetensors_io.load(path)
    assert header.get("__metadata__", {}).get("format") == "pt", header.get("__metadata__")
    assert sorted(loaded) == sorted(expected_names), (sorted(loaded), sorted(expected_names))
    stored = {"f32": "F32", "f16": "F16", "bf16": "BF16"}[dtype]
    for name in expected_names:
        original = state[name].detach()
        got = loaded[name]
        assert header[name]["dtype"] == stored, (name, header[name]["dtype"])
        assert list(got.shape) == list(original.shape), (name, got.shape, tuple(original.shape))
        exact = original.numpy()
        if dtype == "f32":
            assert got.dtype == np.float32 and np.array_equal(got, exact), name
            continue
        # Equal to torch's round-to-nearest-even conversion, and within half an ulp of the original.
        if dtype == "f16":
            assert np.array_equal(got, original.to(torch.float16).numpy()), name
            rel, tiny = 2.0 ** -11, 2.0 ** -25  # half unit roundoff; half of the smallest subnormal
        else:
            bits = (np.frombuffer(got.tobytes(), dtype=np.uint32) >> 16).astype(np.uint16)
            assert np.array_equal(bits, safetensors_io.bf16_bits(exact).reshape(-1)), name  # numpy's rounding
            torch_bits = original.to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16).reshape(-1)
            assert np.array_equal(bits, torch_bits), name
            rel, tiny = 2.0 ** -8, 0.0
        err = np.abs(got.astype(np.float64) - exact.astype(np.float64))
        assert np.all(err <= rel * np.abs(exact.astype(np.float64)) + tiny), (name, float(err.max()))


def check_copies(src_dir, out_dir, names):
    for name in names:
        with open(os.path.join(src_dir, name), "rb") as a, open(os.path.join(out_dir, name), "rb") as b:
            assert a.read() == b.read(), name


def test_masked_lm(work, generator):
    config = small_config()
    model = ref.randomize_(ref.FNetForMaskedLM(config), generator)
    state = hf_state_dict(model, config, "fnet.")
    assert state["cls.predictions.decoder.weight"].data_ptr() == state["fnet.embeddings.word_embeddings.weight"].data_ptr()
    src = os.path.join(work, "mlm_in")
    write_checkpoint(src, state, config)
    expected = [n for n in state if not n.endswith(BUFFERS) and n != "cls.predictions.decoder.weight"]
    assert "cls.predictions.bias" in expected and "fnet.encoder.layer.1.output.dense.weight" in expected
    for dtype in ("f32", "f16", "bf16"):
        out = os.path.join(work, f"mlm_{dtype}")
        args = [os.path.join(src, "pytorch_model.bin"), out] + ([] if dtype == "f32" else ["--dtype", dtype])
        proc = run_converter(*args, subprocess_run=(dtype == "f32"))  # once through the real command line
        assert "dropped cls.predictions.decoder.weight: tied" in proc.stdout, proc.stdout
        check_tensors(out, state, expected, dtype)
        check_copies(src, out, ["config.json", "spiece.model", "tokenizer_config.json"])


def test_untied_decoder_is_kept(work, generator):
    config = small_config()
    model = ref.randomize_(ref.FNetForMaskedLM(config), generator)
    state = hf_state_dict(model, config, "fnet.")
    state["cls.predictions.decoder.weight"] = state["cls.predictions.decoder.weight"] + 1.0  # no longer tied
    src = os.path.join(work, "untied_in")
    write_checkpoint(src, state, config)
    out = os.path.join(work, "untied_out")
    run_converter(src, out)  # a directory as input
    check_tensors(out, state, [n for n in state if not n.endswith(BUFFERS)], "f32")


def test_sequence_classification(work, generator):
    config = small_config()
    model = ref.randomize_(ref.FNetForSequenceClassification(config), generator)
    state = hf_state_dict(model, config, "fnet.")
    src = os.path.join(work, "cls_in")
    write_checkpoint(src, state, config, extras=False)
    out = os.path.join(work, "cls_out")
    proc = run_converter(os.path.join(src, "pytorch_model.bin"), out, "--dtype", "bf16")
    expected = [n for n in state if not n.endswith(BUFFERS)]
    assert "classifier.weight" in expected and "fnet.pooler.dense.bias" in expected
    check_tensors(out, state, expected, "bf16")
    check_copies(src, out, ["config.json"])
    assert not os.path.exists(os.path.join(out, "spiece.model"))
    assert "copied config.json" in proc.stdout


def test_base_model_without_prefix(work, generator):
    config = small_config()
    model = ref.randomize_(ref.FNetModel(config), generator)
    state = hf_state_dict(model, config, "")
    assert all(not n.startswith("fnet.") for n in state)
    src = os.path.join(work, "base_in")
    write_checkpoint(src, state, config)
    out = os.path.join(work, "base_out")
    run_converter(src, out, "--dtype", "f16")
    check_tensors(out, state, [n for n in state if not n.endswith(BUFFERS)], "f16")


def test_errors(work):
    proc = run_converter(os.path.join(work, "nowhere", "pytorch_model.bin"), os.path.join(work, "x"), expect_ok=False,
                         subprocess_run=True)
    assert proc.returncode != 0 and "no such file" in proc.stderr, proc.stderr
    # A value beyond the float16 range must be refused, not silently stored as inf.
    src = os.path.join(work, "overflow_in")
    os.makedirs(src, exist_ok=True)
    torch.save({"embeddings.word_embeddings.weight": torch.full((2, 2), 1e6)}, os.path.join(src, "pytorch_model.bin"))
    proc = run_converter(src, os.path.join(work, "overflow_out"), "--dtype", "f16", expect_ok=False)
    assert proc.returncode != 0 and "overflow f16" in proc.stderr, proc.stderr
    assert not os.path.exists(os.path.join(work, "overflow_out", "model.safetensors"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)
    generator = torch.Generator().manual_seed(1234)
    test_masked_lm(args.work_dir, generator)
    test_untied_decoder_is_kept(args.work_dir, generator)
    test_sequence_classification(args.work_dir, generator)
    test_base_model_without_prefix(args.work_dir, generator)
    test_errors(args.work_dir)
    print("test_convert: all checks passed")


if __name__ == "__main__":
    main()
