"""Writes the small seed corpora of the libFuzzer harnesses (tests/fuzz/corpus/<harness>/).

Stdlib only; run from anywhere: python3 tests/fuzz/make_seed_corpus.py. The outputs are committed, so
this only needs re-running when the seeds should change.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def safetensors(tensors, metadata=None, pad=True):
    """tensors: list of (name, dtype, shape, raw bytes)."""
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def f32(*values):
    return struct.pack(f"<{len(values)}f", *values)


def f64(*values):
    return struct.pack(f"<{len(values)}d", *values)


def u16(*values):
    return struct.pack(f"<{len(values)}H", *values)


def write(harness, name, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main():
    # safetensors: valid files in every dtype, edge cases, and a few malformed ones.
    write("safetensors", "f32_two_tensors", safetensors(
        [("embeddings.word_embeddings.weight", "F32", [2, 3], f32(0.5, -1, 2, 0, 1e-3, 7)),
         ("pooler.dense.bias", "F32", [3], f32(1, 2, 3))], {"format": "pt"}))
    write("safetensors", "all_dtypes", safetensors(
        [("a", "F16", [2, 2], u16(0x3C00, 0x7C00, 0x0001, 0xFE00)),
         ("b", "BF16", [3], u16(0x3F80, 0xFF80, 0x7FC0)),
         ("c", "F64", [1, 1, 2], f64(3.25, -0.0)),
         ("d", "F32", [], f32(42)),
         ("e", "F32", [0, 4], b"")]))
    write("safetensors", "unpadded_with_gap", safetensors([("x", "F32", [1], f32(1)), ("y", "F16", [2], u16(1, 2))],
                                                           pad=False) + b"\0\0")
    overlap = b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'
    write("safetensors", "bad_overlap", struct.pack("<Q", len(overlap)) + overlap + b"\0" * 8)
    write("safetensors", "bad_length", struct.pack("<Q", 1 << 40) + b"{}")
    write("safetensors", "bad_dtype", safetensors([("a", "I8", [4], b"\1\2\3\4")]))

    # config.json: small and FNet-base-like configs, HF-style extras, and variants.
    tiny = {"model_type": "fnet", "vocab_size": 120, "hidden_size": 24, "num_hidden_layers": 2,
            "intermediate_size": 40, "hidden_act": "gelu_new", "max_position_embeddings": 48,
            "type_vocab_size": 3, "layer_norm_eps": 1e-12, "pad_token_id": 0, "bos_token_id": 1,
            "eos_token_id": 2, "id2label": {"0": "negative", "1": "positive"},
            "label2id": {"negative": 0, "positive": 1}}
    write("config", "tiny.json", json.dumps(tiny, indent=2))
    base = {"architectures": ["FNetForSequenceClassification"], "model_type": "fnet", "vocab_size": 32000,
            "hidden_size": 768, "num_hidden_layers": 12, "intermediate_size": 3072, "hidden_act": "gelu_new",
            "hidden_dropout_prob": 0.1, "max_position_embeddings": 512, "type_vocab_size": 4,
            "initializer_range": 0.02, "layer_norm_eps": 1e-12, "use_tpu_fourier_optimizations": False,
            "tpu_short_seq_length": 512, "pad_token_id": 3, "bos_token_id": 1, "eos_token_id": 2,
            "torch_dtype": "float32", "transformers_version": "4.30.0"}
    write("config", "base_like.json", json.dumps(base))
    write("config", "num_labels.json", json.dumps({"num_labels": 5, "hidden_act": "relu", "layer_norm_eps": 1e-5}))
    write("config", "empty_object.json", "{}")
    write("config", "nulls.json", '{"vocab_size": null, "id2label": null, "hidden_act": "gelu"}')

    # tokenizer_model: [max_length selector][flags: bit 0 = pair split at a tab][text].
    write("tokenizer_model", "plain", b"\x10\x00The film was not very good, but the music was great!")
    write("tokenizer_model", "pair", b"\x2f\x01the plot is dull\tthe ending is 1,000 times better, 2,5")
    write("tokenizer_model", "specials", "\x05\x00  [CLS] café [MASK] über\u3000東京 ``quoted'' [SEP]<pad>".encode())
    write("tokenizer_model", "invalid_utf8", b"\x20\x00valid then \xff\xfe\xc3 broken")
    write("tokenizer_model", "whitespace", b"\x08\x00 \t\n\x0b\x0c\r \xc2\xa0 \xe2\x80\x83 x \xc2\x85")


if __name__ == "__main__":
    main()
