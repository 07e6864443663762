#!/usr/bin/env python3
"""The one command that makes the shipped IMDB pair (tools/train_imdb_fnet.py), run end to end at toy
size: every default stage plus the optional refine stage, on the first texts of ../shared/data, into a
scratch folder. Checks that the exported models are what the C++ loads and that the C++ agrees with the
reference's figures the README reports:

- both folders hold config.json, model.safetensors (float16), spiece.model and tokenizer_config.json;
- fnet-classify --eval on SST-2 dev gives the accuracy the classifier README states (within 2 of the 872
  sentences: the toy model's logits sit near zero, so float rounding may flip a near-tie);
- fnet-pipeline fill-mask's top token is the reference's top token in the MLM README;
- the refine stage's history (start, evaluations, average) is in record.json and the README, and the
  exported classifier is the best of them (its float16 tensors are that state's);
- a second run with --pretrained-from the first run's MLM folder skips pretraining, leaves that folder
  as it was, says so in the classifier README (whose command names its --classifier-out), exports a
  classifier the C++ scores as the README says, and its SST-2 stage gives exactly the full run's (which
  fine-tuned its pretraining rounded to float16, as exported);
- a pretraining-only export (the nsp stage rerun, so the work folder's classifier is stale) writes the
  masked LM alone, with a README giving the pretraining-only command, and the C++ fill-mask agrees with it.

Exit 77 (skip) when ../shared/data is missing.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "reference"))
import safetensors_io  # noqa: E402
REPO = os.path.dirname(os.path.dirname(HERE))
TOY = ["--limit", "1500", "--vocab-size", "600", "--hidden", "32", "--layers", "1", "--length", "32",
       "--mlm-steps", "30", "--mlm-batch", "16", "--nsp-steps", "10", "--sst2-epochs", "6", "--sst2-lr", "3e-3", "--batch", "16",
       "--sst2-imdb-rows", "4", "--sst2-evals-per-epoch", "2", "--stages", "vocab,mlm,nsp,sst2,refine,export",
       "--refine-epochs", "1", "--refine-lr", "2e-3", "--threads", "1"]


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def run_tool(args, tmp, work, mlm, cls, options):
    cmd = [sys.executable, os.path.join(REPO, "tools", "train_imdb_fnet.py"), "--data", args.data,
           "--work", os.path.join(tmp, work), "--mlm-out", mlm, "--classifier-out", cls] + options
    run = subprocess.run(cmd, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"), capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"train_imdb_fnet.py exited {run.returncode}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    with open(os.path.join(tmp, work, "record.json"), encoding="utf-8") as f:
        return json.load(f)


def check_cpp_accuracy(args, cls, results):
    """fnet-classify --eval on SST-2 dev: the exported classifier scores what the reference (README) says."""
    out = subprocess.run([args.classify, "--model", cls, "--eval", os.path.join(args.data, "sst2", "dev.tsv")],
                         capture_output=True, text=True)
    m = re.search(r"accuracy (\d\.\d+) \((\d+)/(\d+)\)", out.stdout)
    if out.returncode != 0 or not m:
        fail(f"fnet-classify --eval on {cls}: exit {out.returncode}\n{out.stdout}{out.stderr}")
    correct, total = int(m.group(2)), int(m.group(3))
    expected = round(results["sst2_dev"] * total)
    if abs(correct - expected) > 2:
        fail(f"{cls}: C++ SST-2 dev accuracy {correct}/{total}; the reference's (README) {expected}/{total}")
    return correct, total


def check_cpp_fill_mask(args, mlm, results, mlm_readme):
    """fnet-pipeline fill-mask's top token is the reference's, which the MLM README names."""
    out = subprocess.run([args.pipeline, "fill-mask", "--model", mlm, "--json", "this movie is [MASK] ."],
                         capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"fnet-pipeline fill-mask on the exported MLM {mlm}: exit {out.returncode}\n{out.stderr}")
    top = json.loads(out.stdout.splitlines()[0])[0]["token_str"]
    ref_top = results["fill_mask"][0][1].replace("\u2581", "")
    if top != ref_top or f"`{ref_top}`" not in mlm_readme:
        fail(f"fill-mask top token of {mlm}: C++ {top!r}, reference {ref_top!r} (MLM README must name it)")
    return top


def folder_bytes(folder):
    contents = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            contents[name] = f.read()
    return contents


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--classify", required=True)
    p.add_argument("--pipeline", required=True)
    p.add_argument("--data", required=True)
    args = p.parse_args()
    if not os.path.isdir(os.path.join(args.data, "imdb")) or not os.path.isdir(os.path.join(args.data, "sst2")):
        print(f"SKIP: {args.data} has no imdb/ and sst2/")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        mlm, cls = os.path.join(tmp, "mlm"), os.path.join(tmp, "cls")
        record = run_tool(args, tmp, "work", mlm, cls, TOY)
        for folder in (mlm, cls):
            for name in ("config.json", "model.safetensors", "spiece.model", "tokenizer_config.json", "README.md"):
                if not os.path.isfile(os.path.join(folder, name)):
                    fail(f"{folder} lacks {name}")
        results = record["results"]
        with open(os.path.join(cls, "README.md"), encoding="utf-8") as f:
            cls_readme = f.read()
        with open(os.path.join(mlm, "README.md"), encoding="utf-8") as f:
            mlm_readme = f.read()

        # The refine stage: the starting classifier, 2 evaluations, their average; the best is exported.
        history = record["refine_history"]
        if [h["epoch"] for h in history] != [0, 1, 1, "average"]:
            fail(f"refine history has evaluations {[h['epoch'] for h in history]}; expected [0, 1, 1, 'average']")
        best = max(h["dev_acc"] for h in history)
        if abs(record["refine_dev_acc"] - best) > 1e-12:
            fail(f"refine kept dev {record['refine_dev_acc']}, not the best of its history {best}")
        refined = torch.load(os.path.join(tmp, "work", "refine.pt"))["state"]
        exported = safetensors_io.load(os.path.join(cls, "model.safetensors"))
        if set(exported) != set(refined):
            fail(f"exported classifier tensors {sorted(set(exported) ^ set(refined))} differ from the refine stage's")
        for name, value in refined.items():
            if not np.array_equal(exported[name], value.numpy().astype(np.float16)):
                fail(f"exported tensor '{name}' is not the refine stage's best state in float16")
        if "Refinement: 1 more epoch(s)" not in cls_readme or f"{best:.4f}" not in cls_readme:
            fail("the classifier README does not describe the refine stage and its best dev accuracy")
        if f"**{results['sst2_dev']:.4f}**" not in cls_readme:
            fail(f"the classifier README does not state the SST-2 dev accuracy {results['sst2_dev']:.4f}")

        correct, total = check_cpp_accuracy(args, cls, results)

        top = check_cpp_fill_mask(args, mlm, results, mlm_readme)
        # Fine-tuning only, from the MLM folder just exported (the stages it must skip are asked for too).
        before, cls2 = folder_bytes(mlm), os.path.join(tmp, "cls2")
        skip = [o for i, o in enumerate(TOY) if o != "--stages" and (i == 0 or TOY[i - 1] != "--stages")]
        record2 = run_tool(args, tmp, "work2", os.path.join(tmp, "unused-mlm"), cls2,
                           skip + ["--stages", "vocab,mlm,nsp,sst2,export", "--pretrained-from", mlm])
        if folder_bytes(mlm) != before or os.path.exists(os.path.join(tmp, "unused-mlm")):
            fail("a --pretrained-from run changed the MLM folder it started from, or wrote another")
        if any(os.path.exists(os.path.join(tmp, "work2", f"{stage}.pt")) for stage in ("mlm", "pretrain")):
            fail("a --pretrained-from run ran a pretraining stage")
        with open(os.path.join(cls2, "README.md"), encoding="utf-8") as f:
            cls2_readme = f.read()
        if f"--pretrained-from={mlm}" not in cls2_readme or "It skips pretraining" not in cls2_readme:
            fail("the --pretrained-from classifier README does not give its command and starting folder")
        # Its command names the folder it writes (not the default one, a shipped model) and no MLM folder,
        # and only the default folder's README calls itself fnet-classify's default.
        if f"--classifier-out={cls2}" not in cls2_readme or "--mlm-out" in cls2_readme:
            fail("the --pretrained-from classifier README's command does not name its --classifier-out alone")
        if "The default model of `fnet-classify`" in cls2_readme:
            fail("a classifier README outside the default folder says it is fnet-classify's default model")
        correct2, _ = check_cpp_accuracy(args, cls2, record2["results"])
        # The full run fine-tuned its pretraining rounded to float16, which is what the --pretrained-from run
        # loaded from the exported masked LM: the two SST-2 stages must give the very same classifier.
        full = torch.load(os.path.join(tmp, "work", "sst2.pt"))["state"]
        from_folder = torch.load(os.path.join(tmp, "work2", "sst2.pt"))["state"]
        differ = [k for k in full if k not in from_folder or not torch.equal(full[k], from_folder[k])]
        if differ or set(full) != set(from_folder):
            fail(f"the --pretrained-from SST-2 stage differs from the full run's: {differ[:5]}")

        # Pretraining only: the nsp stage rerun in a copy of the first work folder makes its sst2.pt stale,
        # so export writes the masked LM alone (a classifier from an older encoder must not ship with it).
        shutil.copytree(os.path.join(tmp, "work"), os.path.join(tmp, "work3"))
        mlm3, cls3 = os.path.join(tmp, "mlm3"), os.path.join(tmp, "cls3")
        record3 = run_tool(args, tmp, "work3", mlm3, cls3, skip + ["--stages", "nsp,export"])
        if os.path.exists(cls3) or record3["with_classifier"] or set(record3["results"]) != {"fill_mask"}:
            fail("a pretraining-only export wrote a classifier or classifier figures")
        with open(os.path.join(mlm3, "README.md"), encoding="utf-8") as f:
            mlm3_readme = f.read()
        if "--stages=vocab,mlm,nsp,export" not in mlm3_readme or "No classifier starts from it yet" not in mlm3_readme:
            fail("the pretraining-only MLM README does not give its command or says it has a classifier")
        top3 = check_cpp_fill_mask(args, mlm3, record3["results"], mlm3_readme)
        print(f"ok: toy run exported both models; SST-2 dev C++ {correct}/{total} vs reference "
              f"{results['sst2_dev']:.4f}; refine history {[round(h['dev_acc'], 4) for h in history]}; "
              f"fill-mask top {top!r}; --pretrained-from run: SST-2 dev C++ {correct2}/{total}; pretraining-only "
              f"export: fill-mask top {top3!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
