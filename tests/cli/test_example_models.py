"""The shipped example models through the C++ command-line tools, against the PyTorch reference
(tools/eval_example_models.py) and the targets of their READMEs.

  test_example_models.py CHECK --classify build/examples/fnet-classify --pipeline build/examples/fnet-pipeline

CHECK:
  int8      the classifier's SST-2 dev accuracy with --precision int8 within 0.5 points of fp32's.
  imdb      the held-out IMDB reviews (tools/imdb_data.py) through fnet-pipeline --long-text windows: accuracy
            of all >= --imdb-target; on every 5th (--imdb-parity-every) labels identical to the reference's and
            window-averaged logits within 1e-4.
  natural   tests/data/natural_sentences.tsv: 50 hand-written sentences (contractions, capitals, attached
            punctuation) and their SST-style forms; C++ labels identical to the reference's, and the two
            forms agree in >= 95% of the pairs.
  fill-mask "this movie is [MASK] ." on the masked LM holds a sentiment adjective in its top 5; on it and
            on 300 SST-2 dev sentences with the middle word masked, the C++ top 5 equals the reference's
            (ids rank by rank, scores within 1e-4).
  readme    README command 1's fnet-classify run (default model) prints the labels and scores the README shows.
Skips (exit 77) when ../shared/data is missing.
"""
import argparse
import json
import os
import subprocess
import sys

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))
import eval_example_models as ref  # noqa: E402
import eval_sst2  # noqa: E402
import imdb_data  # noqa: E402

TOL = 1e-4
SENTIMENT_ADJECTIVES = {"good", "great", "bad", "terrible", "awful", "excellent", "wonderful", "horrible", "boring",
                        "amazing", "funny", "brilliant", "fantastic", "worst", "best", "poor", "perfect", "beautiful",
                        "stupid", "superb", "dull", "decent", "fine", "okay", "ok", "interesting", "entertaining",
                        "hilarious", "pathetic", "overrated", "underrated", "worse", "better", "weak", "solid"}


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def lines(cmd, inputs):
    p = subprocess.run(cmd, input="".join(t + "\n" for t in inputs), capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{' '.join(cmd)}: exit status {p.returncode}: {p.stderr}")
    out = [json.loads(line) for line in p.stdout.splitlines()]
    if len(out) != len(inputs):
        fail(f"{' '.join(cmd)}: {len(out)} results for {len(inputs)} inputs")
    return out


def accuracy_line(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{' '.join(cmd)}: {p.stderr}")
    return float(p.stdout.split()[1])


def check_int8(args):
    dev = os.path.join(args.data, "sst2", "dev.tsv")
    fp32 = accuracy_line([args.classify, "--model", args.classifier, "--eval", dev])
    int8 = accuracy_line([args.classify, "--model", args.classifier, "--eval", dev, "--precision", "int8"])
    print(f"int8: SST-2 dev accuracy fp32 {fp32:.4f}, int8 {int8:.4f}")
    if int8 < fp32 - 0.005:
        fail("int8 accuracy is more than 0.5 points below fp32")


def check_imdb(args):
    """C++ accuracy on every held-out review; parity with the float64 reference on every --imdb-parity-every'th
    (the reference's windows are most of this check's time)."""
    _, held = imdb_data.split(args.data, ref.HELDOUT, ref.SPLIT_SEED)
    texts = [t for _, t in held]
    gold = [1 if label == "positive" else 0 for label, _ in held]
    cpp = lines([args.pipeline, "text-classification", "--model", args.classifier, "--long-text", "windows", "--json",
                 "--raw", "--top-k", "all", "--threads", "2"], texts)
    cpp_logits = torch.tensor([[sum(w["logits"][j] for w in r["raw"]) / len(r["raw"]) for j in range(2)] for r in cpp],
                              dtype=torch.float64)
    acc = eval_sst2.accuracy(cpp_logits, gold)
    sample = list(range(0, len(texts), args.imdb_parity_every))
    model, tok = ref.load_classifier(args.classifier)
    ref_logits = ref.classify(model, tok, [texts[i] for i in sample], windows=True)
    worst = (cpp_logits[sample] - ref_logits).abs().max().item()
    same = (cpp_logits[sample].argmax(1) == ref_logits.argmax(1)).all().item()
    print(f"imdb: {len(texts)} held-out reviews, C++ accuracy {acc:.4f}; against the reference on {len(sample)} of "
          f"them: max |logit difference| {worst:.2e}, labels identical: {same}")
    if worst > TOL or not same:
        fail("C++ and reference disagree on the held-out reviews")
    if acc < args.imdb_target:
        fail(f"held-out IMDB accuracy {acc:.4f} below {args.imdb_target}")


def check_natural(args):
    rows = ref.read_natural()
    natural = lines([args.classify, "--model", args.classifier, "--json"], [n for _, n, _ in rows])
    sst = lines([args.classify, "--model", args.classifier, "--json"], [s for _, _, s in rows])
    model, tok = ref.load_classifier(args.classifier)
    for form, out, texts in (("natural", natural, [n for _, n, _ in rows]), ("sst", sst, [s for _, _, s in rows])):
        expected = ref.classify(model, tok, texts).argmax(1).tolist()
        got = [ID[r["label"]] for r in out]
        if got != expected:
            fail(f"{form} form: C++ labels differ from the reference's")
    agree = sum(a["label"] == b["label"] for a, b in zip(natural, sst)) / len(rows)
    correct = sum(a["label"] == label for a, (label, _, _) in zip(natural, rows)) / len(rows)
    print(f"natural: the two forms agree on {agree:.0%} of {len(rows)} pairs; natural form {correct:.0%} correct")
    for a, b, (label, n, s) in zip(natural, sst, rows):
        if a["label"] != b["label"]:
            print(f"  differ: {n!r} -> {a['label']}, {s!r} -> {b['label']}")
    if agree < 0.95:
        fail("fewer than 95% of the pairs agree")


ID = {"negative": 0, "positive": 1}


def masked_dev_sentences(data, count):
    """The first `count` SST-2 dev sentences of 3+ words, each with its middle word replaced by [MASK]."""
    _, texts = eval_sst2.read_tsv(os.path.join(data, "sst2", "dev.tsv"))
    out = []
    for text in texts:
        words = text.split()
        if len(words) >= 3:
            words[len(words) // 2] = "[MASK]"
            out.append(" ".join(words))
        if len(out) == count:
            break
    return out


def check_fill_mask(args):
    """The demo sentence (top 5 holds a sentiment adjective), then parity on masked SST-2 dev sentences."""
    texts = [ref.FILL_MASK_TEXT] + masked_dev_sentences(args.data, args.mlm_sentences)
    out = lines([args.pipeline, "fill-mask", "--model", args.mlm, "--top-k", "5", "--json"], texts)
    model, tok = ref.load_mlm(args.mlm)
    worst = 0.0
    for text, candidates in zip(texts, out):
        expected = ref.fill_mask_top(model, tok, text)
        got = [(c["token"], c["score"]) for c in candidates]
        worst = max([worst] + [abs(a[1] - b[2]) for a, b in zip(got, expected)])
        # Ids must match rank by rank, except between reference scores closer than the tolerance (a tie).
        for rank, ((gid, _), (eid, _, escore)) in enumerate(zip(got, expected)):
            near_tie = any(abs(escore - other[2]) <= TOL for j, other in enumerate(expected) if j != rank)
            if gid != eid and not near_tie:
                fail(f"{text!r}: C++ top 5 {got} differs from the reference's {expected}")
        if len(got) != len(expected) or worst > TOL:
            fail(f"{text!r}: C++ top 5 {got} differs from the reference's {expected} (max |score difference| {worst:.2e})")
    print("fill-mask:", ", ".join(f"{c['token_str']} {c['score']:.3f}" for c in out[0]))
    print(f"fill-mask: {len(texts)} sentences, C++ top 5 = reference's, max |score difference| {worst:.2e}")
    if not {c["token_str"] for c in out[0]} & SENTIMENT_ADJECTIVES:
        fail("no sentiment adjective in the top 5")


def check_readme(args):
    """README command 1's classifier run (the default model, compiled in) prints what the README shows."""
    import re
    readme = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    first = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    line = next(l for l in first.splitlines() if "./build/examples/fnet-classify" in l and not l.startswith("#"))
    command = line[line.index("./build/examples/fnet-classify"):]
    build = os.path.dirname(os.path.dirname(os.path.abspath(args.classify)))
    p = subprocess.run(["bash", "-c", command.replace("./build/", build + "/")], cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"README command 1 failed (status {p.returncode}): {command}\n{p.stderr}")
    shown = re.search(r"<!-- command 1 output -->\s*```text\n(.*?)```", readme, re.S)
    if not shown:
        fail("README has no '<!-- command 1 output -->' text block")
    got = [l.split("\t") for l in p.stdout.splitlines()]
    want = [l.split("\t") for l in shown.group(1).splitlines()]
    print("readme: command 1 printed", got)
    if len(got) != len(want) or any(g[0] != w[0] or abs(float(g[1]) - float(w[1])) > 5e-4 for g, w in zip(got, want)):
        fail(f"README command 1 printed {got}, the README shows {want}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("check", choices=["int8", "imdb", "natural", "fill-mask", "readme"])
    p.add_argument("--classify", required=True)
    p.add_argument("--pipeline", required=True)
    p.add_argument("--classifier", default=ref.CLASSIFIER)
    p.add_argument("--mlm", default=ref.MLM)
    p.add_argument("--data", default=ref.DATA)
    p.add_argument("--imdb-target", type=float, default=0.85)
    p.add_argument("--imdb-parity-every", type=int, default=5,
                   help="compare with the reference on every n-th held-out review (1 = all)")
    p.add_argument("--mlm-sentences", type=int, default=300, help="masked SST-2 dev sentences for fill-mask parity")
    args = p.parse_args()
    if not os.path.isdir(os.path.join(args.data, "imdb")) or not os.path.isdir(os.path.join(args.data, "sst2")):
        print(f"SKIP: {args.data} has no imdb/ and sst2/")
        sys.exit(77)
    torch.set_num_threads(2)
    {"int8": check_int8, "imdb": check_imdb, "natural": check_natural, "fill-mask": check_fill_mask, "readme": check_readme}[args.check](args)


if __name__ == "__main__":
    main()
