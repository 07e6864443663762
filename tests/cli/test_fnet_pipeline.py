"""fnet-pipeline end to end (standard library only).

  test_fnet_pipeline.py CHECK --binary build/examples/fnet-pipeline --fixtures build/tests/pipelines [--readme README.md]

CHECK is one of:
  cases     every case of the pipeline fixture (tests/reference/make_pipeline_fixtures.py) through the
            command line, as JSON lines with the options as flags: output equal to the Python reference
            (numbers within 1e-4), in input order; plain output and TEXT arguments give one line per input.
  errors    bad input, nothing lost: malformed JSON, missing or mistyped fields, a line over
            --max-input-bytes, invalid UTF-8, a fill-mask text without [MASK] each give
            {"error": ..., "line": N} in place, the good lines around them their results, exit status 1;
            a missing model stops at once with one line on stderr and status 1; usage errors status 2.
  parallel  GNU parallel --pipe -k over 4 processes gives the same output as one process (skipped, exit
            77, when `parallel` is not installed).
  memory    peak resident memory is the same over 20,000 and 200,000 input lines (streaming, constant memory).
  readme    every `fnet-pipeline` command in the README's pipeline examples block runs and prints a line
            per input.
"""
import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile

TOL = 1e-4


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def close(got, want, path="$"):
    """First difference between two JSON values (numbers within TOL), or None."""
    if isinstance(want, float) or (isinstance(want, (int, float)) and isinstance(got, float)):
        if not isinstance(got, (int, float)) or abs(got - want) > TOL:
            return f"{path}: {got!r} vs {want!r}"
        return None
    if type(got) is not type(want):
        return f"{path}: {str(got)[:200]} vs {str(want)[:200]}"
    if isinstance(want, list):
        if len(got) != len(want):
            return f"{path}: {len(got)} items vs {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            d = close(g, w, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(want, dict):
        if set(got) != set(want):
            return f"{path}: keys {sorted(got)} vs {sorted(want)}"
        for k in want:
            d = close(got[k], want[k], f"{path}.{k}")
            if d:
                return d
        return None
    return None if got == want else f"{path}: {got!r} vs {want!r}"


def flags(task, options):
    """The command-line flags for a fixture case's options."""
    out = []
    for key, value in options.items():
        if value is None:
            if key == "top_k":
                out += ["--top-k", "all"]
            continue
        if key in ("handle_impossible_answer", "multi_label"):
            out += ["--" + key.replace("_", "-")] if value else []
        elif key == "align_to_words":
            out += [] if value else ["--no-align-to-words"]
        elif isinstance(value, list):
            out += ["--" + key.replace("_", "-"), ",".join(value)]
        else:
            out += ["--" + key.replace("_", "-"), str(value)]
    return out


def run(cmd, stdin=None, check_rc=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True)
    if check_rc is not None and p.returncode != check_rc:
        fail(f"{' '.join(cmd)}: exit status {p.returncode}, expected {check_rc}; stderr: {p.stderr.decode(errors='replace')}")
    return p


def check_cases(args):
    cases = json.load(open(os.path.join(args.fixtures, "cases.json")))
    groups = {}
    for c in cases:
        key = (c["task"], c["model"], json.dumps(c.get("options", {}), sort_keys=True))
        groups.setdefault(key, []).append(c)
    for (task, model, options), group in groups.items():
        cmd = [args.binary, task, "--model", os.path.join(args.fixtures, "models", model), "--jsonl", "--json",
               "--batch-size", "3"] + flags(task, json.loads(options))
        stdin = "".join(json.dumps(c["input"]) + "\n" for c in group).encode()
        out = run(cmd, stdin, 0).stdout.decode().splitlines()
        if len(out) != len(group):
            fail(f"{task} {model}: {len(out)} output lines for {len(group)} inputs")
        for c, line in zip(group, out):
            d = close(json.loads(line), c["expected"])
            if d:
                fail(f"case {c['name']} via {' '.join(cmd[1:])}: {d}")
        # Plain output: one line per input too.
        plain = run([a for a in cmd if a != "--json"], stdin, 0).stdout.decode().splitlines()
        if len(plain) != len(group):
            fail(f"{task} {model}: {len(plain)} plain lines for {len(group)} inputs")
    # TEXT arguments.
    text_model = os.path.join(args.fixtures, "models", "text_classification")
    out = run([args.binary, "text-classification", "--model", text_model, "a good film", "a bad one"], None, 0).stdout.decode()
    if len(out.splitlines()) != 2:
        fail("two TEXT arguments did not give two lines: " + out)
    print(f"cases: {len(cases)} fixture cases in {len(groups)} command lines match the Python reference")


def check_errors(args):
    model = os.path.join(args.fixtures, "models", "question_answering")
    good = json.dumps({"question": "who lives there ?", "context": "anna lives in paris ."})
    lines = [
        good.encode(),
        b'{"question": "q", "context": ',                       # malformed JSON
        json.dumps({"question": "q"}).encode(),                # missing field
        json.dumps({"question": 3, "context": "c"}).encode(),  # wrong type
        json.dumps({"question": "q", "context": "x" * 500}).encode(),  # over --max-input-bytes
        b'{"question": "q", "context": "\xff\xfe"}',           # not UTF-8
        b"[1, 2]",                                             # not an object
        good.encode(),
    ]
    p = run([args.binary, "question-answering", "--model", model, "--jsonl", "--json", "--max-input-bytes", "300",
             "--batch-size", "3"], b"\n".join(lines) + b"\n", 1)
    out = p.stdout.decode().splitlines()
    if len(out) != len(lines):
        fail(f"{len(out)} output lines for {len(lines)} input lines")
    for n, line in enumerate(out, 1):
        value = json.loads(line)
        is_error = isinstance(value, dict) and "error" in value
        if (n in (1, 8)) == is_error:
            fail(f"line {n}: {'unexpected error' if is_error else 'expected an error object'}: {line}")
        if is_error and value.get("line") != n:
            fail(f"line {n}: error object names line {value.get('line')}: {line}")
    for n, expected in [(2, "malformed JSON"), (3, "missing field 'context'"), (4, "'question' must be a string"),
                        (5, "exceeds --max-input-bytes 300"), (6, "UTF-8"), (7, "expected a JSON object")]:
        if expected not in json.loads(out[n - 1])["error"]:
            fail(f"line {n}: error {out[n - 1]!r} does not mention {expected!r}")
    if out[0] != out[7]:
        fail("the same input gave different results before and after the errors")
    # fill-mask without [MASK], plain lines, status 1 at the end.
    mlm = os.path.join(args.fixtures, "models", "masked_lm")
    p = run([args.binary, "fill-mask", "--model", mlm], b"a [MASK] film\nno mask here\nanother [MASK]\n", 1)
    out = p.stdout.decode().splitlines()
    if len(out) != 3 or "no [MASK]" not in json.loads(out[1])["error"] or out[0].startswith("{"):
        fail("fill-mask without [MASK]: " + p.stdout.decode())
    # Plain output keeps one input on one line, whatever the text holds.
    ner = os.path.join(args.fixtures, "models", "token_classification")
    p = run([args.binary, "token-classification", "--model", ner, "--jsonl", "--aggregation-strategy", "simple",
             "--ignore-labels", ""], json.dumps({"text": "anna\nsmith\tlives\r\nin paris"}).encode() + b"\n", 0)
    if len(p.stdout.decode().splitlines()) != 1:
        fail(f"a text with newlines and tabs gave {len(p.stdout.decode().splitlines())} plain lines: {p.stdout!r}")
    # All good: status 0.
    run([args.binary, "fill-mask", "--model", mlm], b"a [MASK] film\n", 0)
    # Model errors stop at once: one line on stderr, status 1, nothing on stdout.
    p = run([args.binary, "text-classification", "--model", "/nonexistent/model"], b"a line\n", 1)
    if p.stdout or len(p.stderr.decode().strip().splitlines()) != 1 or "/nonexistent/model" not in p.stderr.decode():
        fail(f"missing model: stdout {p.stdout!r}, stderr {p.stderr!r}")
    # A model of the wrong kind for the task (no qa_outputs) is a model error too.
    p = run([args.binary, "question-answering", "--model", os.path.join(args.fixtures, "models", "encoder")], b"q\tc\n", 1)
    if "qa_outputs" not in p.stderr.decode():
        fail(f"wrong model kind: {p.stderr!r}")
    # Usage errors: status 2.
    run([args.binary, "no-such-task", "--model", mlm], b"", 2)
    run([args.binary, "fill-mask"], b"", 2)
    run([args.binary, "fill-mask", "--model", mlm, "--top-k", "0"], b"", 2)
    print("errors: per-line error objects in place, stream continued, exit statuses 1 / 1 / 2 as documented")


def sentences(n, seed=5):
    words = "a the film movie good bad great dull plot actors story funny sad long short and but very not".split()
    rng = random.Random(seed)
    return "".join(" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) + "\n" for _ in range(n)).encode()


def check_parallel(args):
    parallel = shutil.which("parallel")
    if not parallel:
        print("parallel: GNU parallel is not installed (Debian package 'parallel'); skipped")
        sys.exit(77)
    model = os.path.join(args.fixtures, "models", "text_classification")
    data = sentences(2000)
    single = run([args.binary, "text-classification", "--model", model, "--json", "--threads", "1"], data, 0).stdout
    multi = run([parallel, "--will-cite", "--pipe", "-k", "-N", "250", "-j", "4", args.binary, "text-classification",
                 "--model", model, "--json", "--threads", "1"], data, 0).stdout
    if single != multi or len(single.splitlines()) != 2000:
        fail(f"parallel --pipe output differs from the single process ({len(multi.splitlines())} vs {len(single.splitlines())} lines)")
    print("parallel: 2,000 lines through 4 processes, output identical to one process, order kept")


def peak_rss_kib(cmd, data):
    """Peak RSS of one child process (ru_maxrss of the children reaped so far grows monotonically, so each
    measurement runs in a fresh intermediate process)."""
    probe = ("import resource, subprocess, sys\n"
             "p = subprocess.run(sys.argv[1:], stdin=sys.stdin, stdout=subprocess.DEVNULL)\n"
             "sys.exit(p.returncode) if p.returncode else print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.seek(0)
        p = subprocess.run([sys.executable, "-c", probe] + cmd, stdin=f, capture_output=True)
    if p.returncode:
        fail(f"{' '.join(cmd)}: exit status {p.returncode}: {p.stderr.decode(errors='replace')}")
    return int(p.stdout)


def check_memory(args):
    model = os.path.join(args.fixtures, "models", "token_classification")
    cmd = [args.binary, "token-classification", "--model", model, "--json", "--aggregation-strategy", "simple", "--threads", "1"]
    small = peak_rss_kib(cmd, sentences(20000))
    large = peak_rss_kib(cmd, sentences(200000, seed=6))
    print(f"memory: peak RSS {small / 1024:.1f} MiB over 20,000 lines, {large / 1024:.1f} MiB over 200,000 lines")
    if large > small + 4096:
        fail("resident memory grows with the length of the stream")


def check_readme(args):
    text = open(args.readme, encoding="utf-8").read()
    block = re.search(r"<!-- pipeline examples -->\s*```sh\n(.*?)```", text, re.S)
    if not block:
        fail("README has no '<!-- pipeline examples -->' sh block")
    commands = [line for line in block.group(1).splitlines() if "./build/examples/fnet-pipeline " in line]
    tasks = {c.split("./build/examples/fnet-pipeline ")[1].split()[0] for c in commands}
    expected = {"text-classification", "token-classification", "question-answering", "fill-mask", "feature-extraction",
                "zero-shot-classification", "multiple-choice"}
    if tasks != expected:
        fail(f"README examples cover {sorted(tasks)}, expected every task")
    root = os.path.dirname(os.path.abspath(args.readme))
    build = os.path.dirname(os.path.dirname(os.path.abspath(args.binary)))
    for command in commands:
        shell = command.replace("./build/", build + "/")
        p = subprocess.run(["bash", "-c", shell], cwd=root, capture_output=True)
        if p.returncode != 0 or not p.stdout.strip():
            fail(f"README example failed (status {p.returncode}): {command}\n{p.stderr.decode(errors='replace')}")
    print(f"readme: {len(commands)} pipeline examples ran")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("check", choices=["cases", "errors", "parallel", "memory", "readme"])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--readme")
    args = parser.parse_args()
    globals()["check_" + args.check](args)


if __name__ == "__main__":
    main()
