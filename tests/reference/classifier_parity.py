"""End-to-end parity of the shipped classifier: fnet-classify (C++) vs the PyTorch reference on every
sentence of a labelled TSV (SST-2 dev). Both tokenize with their own tokenizer (C++ fnet::Tokenizer,
Python tests/reference/fnet_tokenizer.py) and pad to the model's fixed length.

Checks: max |logit difference| <= 1e-4 (the C++ model runs in float32; the reference in float64 on the
same weights), identical predicted labels, identical accuracy. Exit status 0 only if all hold.
"""
import argparse
import json
import os
import subprocess
import sys

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))
import eval_sst2  # noqa: E402

TOLERANCE = 1e-4


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--classify", required=True, help="path of the fnet-classify binary")
    parser.add_argument("--model", required=True)
    parser.add_argument("--tsv", required=True)
    args = parser.parse_args()
    if not os.path.exists(args.tsv):
        print(f"SKIP: {args.tsv} not found")
        return 77

    labels, texts = eval_sst2.read_tsv(args.tsv)
    assert all("\n" not in t for t in texts)
    run = subprocess.run([args.classify, "--model", args.model, "--json", "--threads", "2"],
                         input="\n".join(texts) + "\n", capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(rows) == len(texts), f"fnet-classify printed {len(rows)} results for {len(texts)} inputs"
    cpp_logits = torch.tensor([r["logits"] for r in rows], dtype=torch.float64)

    torch.set_num_threads(2)
    model = eval_sst2.load_model(args.model).double()
    tokenizer = eval_sst2.load_tokenizer(args.model)
    ids, types = eval_sst2.encode_all(tokenizer, texts, tokenizer.model_max_length)
    with torch.inference_mode():
        ref_logits = model(ids, types)[2]

    diff = (cpp_logits - ref_logits).abs().max().item()
    cpp_pred, ref_pred = cpp_logits.argmax(1), ref_logits.argmax(1)
    gold = torch.tensor(labels)
    cpp_acc = (cpp_pred == gold).double().mean().item()
    ref_acc = (ref_pred == gold).double().mean().item()
    disagreements = int((cpp_pred != ref_pred).sum())
    print(f"{len(texts)} sentences: max |logit diff| {diff:.3g} (tolerance {TOLERANCE:g}), "
          f"{disagreements} label disagreements, accuracy C++ {cpp_acc:.4f} vs PyTorch {ref_acc:.4f}")
    ok = diff <= TOLERANCE and disagreements == 0 and cpp_acc == ref_acc
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
