#!/usr/bin/python3
"""Side-by-side benchmark of fnet (C++) and the same computations in PyTorch; writes docs/benchmarks.md.

    /usr/bin/python3 tools/bench_compare.py [--build-dir build] [--rounds 3] [--quick]

Needs the benchmark binaries (cmake --build build --target fnet_bench fnet_peak_rss) and Debian's
python3-torch and python3-matplotlib for /usr/bin/python3.

Each round runs the C++ suite (build/bench/fnet_bench --benchmark_format=json) and, in separate
processes pinned to the same thread counts (torch.set_num_threads plus OMP/OpenBLAS environment
variables), the PyTorch counterparts: torch.fft.fftn(x, dim=(1, 2)).real for every mixing shape, the
reference FNet-base forward (tests/reference/fnet_reference.py, random weights, torch.inference_mode)
for every end-to-end shape, F.linear at the GEMM roofline shape and the shipped classifier over the
SST-2 dev sentences. The order of the two sides alternates from round to round. Reported times are
medians over rounds; a ratio is computed within each round (both sides measured minutes apart on the
same machine state) and its median over rounds is reported. Peak RSS comes from /usr/bin/time -v
around one classification forward pass (build/bench/fnet_peak_rss and the PyTorch equivalent).

Inside a round both sides time the same way: one warm-up call, then repeated calls until at least
min_time seconds have passed (Google Benchmark's rule), the time per call being total / calls.
"""
import argparse
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEQS = [64, 128, 256, 384, 500, 512, 768, 1024, 2048, 4096]
HIDDENS = [256, 512, 768]
FORWARD_SHAPES = [(1, 128), (1, 512), (8, 128), (8, 512)]  # (batch, seq)
CLASSIFIER_BATCHES = [1, 32]
GEMM = (512, 768, 3072)  # m, k, n: x (m×k) times Wᵀ with W (n×k)
DEFAULT_CLASSIFIER = os.path.join(REPO, "examples", "models", "sst2-fnet-small")
DEFAULT_TSV = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "sst2", "dev.tsv"))
PORTABLE_FILTER = "BM_ForwardFNetBase/batch:1/"
KEPT_MARKER = "<!-- Below: measured by other commands; tools/bench_compare.py keeps this part as it is. -->"
QUICK_FILTER = ("BM_FmaPeak|BM_Sgemm|BM_FftwR2C/seq:512/hidden:768/|BM_MixingFNet(Measure)?/seq:512/hidden:768/|"
                "BM_MixingAttention/seq:512/hidden:768/|BM_ForwardFNetBase/batch:1/")


# ---------------------------------------------------------------------------------------------------
# FLOP models (the same as bench/fnet_bench.cpp's)

def fft_flops(seq, hidden):
    n = seq * hidden
    return 2.5 * n * math.log2(n)


def fnet_forward_flops(batch, seq, hidden=768, intermediate=3072, layers=12, labels=2):
    tokens = batch * seq
    per_layer = 4.0 * tokens * hidden * intermediate + batch * fft_flops(seq, hidden)
    return layers * per_layer + 2.0 * tokens * hidden * hidden + 2.0 * batch * hidden * hidden + 2.0 * batch * hidden * labels


# ---------------------------------------------------------------------------------------------------
# PyTorch side (runs in a child process so that the thread settings apply from the start)

def time_call(fn, min_time):
    fn()  # warm-up
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / calls, calls


def torch_worker(args):
    import torch
    import torch.nn.functional as F

    sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
    sys.path.insert(0, os.path.join(REPO, "tools"))
    from fnet_reference import Config, FNetForSequenceClassification, randomize_

    torch.set_num_threads(args.threads)
    t = args.threads
    results = {}

    def record(key, seconds, calls, **extra):
        results[key] = dict(seconds=seconds, calls=calls, **extra)

    with torch.inference_mode():
        if args.gemm:
            m, k, n = GEMM
            x, w = torch.randn(m, k), torch.randn(n, k)
            s, c = time_call(lambda: F.linear(x, w), 0.3)
            record(f"torch_linear/threads:{t}", s, c, flops=2.0 * m * n * k)
        for hidden in args.hiddens:
            for seq in args.seqs:
                x = torch.randn(1, seq, hidden)
                s, c = time_call(lambda: torch.fft.fftn(x, dim=(1, 2)).real, 0.1)
                record(f"torch_fft/seq:{seq}/hidden:{hidden}/threads:{t}", s, c, flops=fft_flops(seq, hidden))
        if args.forward:
            gen = torch.Generator().manual_seed(11)
            model = randomize_(FNetForSequenceClassification(Config()), gen).eval()
            for batch, seq in ([(1, 512)] if args.quick_worker else FORWARD_SHAPES):
                ids = torch.randint(0, 32000, (batch, seq), generator=gen)
                s, c = time_call(lambda: model(ids), 0.5)
                record(f"torch_forward/batch:{batch}/seq:{seq}/threads:{t}", s, c,
                       flops=fnet_forward_flops(batch, seq))
            # PyTorch's dynamic int8 quantization of every nn.Linear, with each quantized engine Debian's
            # torch has (fbgemm is not among them).
            for engine in ("onednn", "qnnpack"):
                if engine not in torch.backends.quantized.supported_engines:
                    continue
                torch.backends.quantized.engine = engine
                qmodel = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
                for batch, seq in ([(1, 512)] if args.quick_worker else FORWARD_SHAPES):
                    ids = torch.randint(0, 32000, (batch, seq), generator=gen)
                    s, c = time_call(lambda: qmodel(ids), 0.5)
                    record(f"torch_qdynamic_{engine}/batch:{batch}/seq:{seq}/threads:{t}", s, c,
                           flops=fnet_forward_flops(batch, seq))
                del qmodel
            del model
        if args.classifier and os.path.isdir(args.classifier) and os.path.exists(args.tsv):
            import eval_sst2
            model = eval_sst2.load_model(args.classifier)
            tokenizer = eval_sst2.load_tokenizer(args.classifier)
            _, texts = eval_sst2.read_tsv(args.tsv)
            max_length = getattr(tokenizer, "model_max_length", None) or model.config.max_position_embeddings
            ids, types = eval_sst2.encode_all(tokenizer, texts, max_length)
            for batch in CLASSIFIER_BATCHES:
                def run():
                    for start in range(0, ids.shape[0], batch):
                        model(ids[start:start + batch], types[start:start + batch])
                s, c = time_call(run, 0.5)
                record(f"torch_classifier/batch:{batch}/threads:{t}", s, c, sentences=len(texts))
    json.dump(results, sys.stdout)


def torch_rss_worker(args):
    """One FNet-base-shaped classification forward pass, for /usr/bin/time -v."""
    import torch

    sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
    from fnet_reference import Config, FNetForSequenceClassification, randomize_

    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(11)
    model = randomize_(FNetForSequenceClassification(Config()), gen).eval()
    ids = torch.randint(0, 32000, (1, 512), generator=gen)
    with torch.inference_mode():
        logits = model(ids)[2]
    print("logits", logits[0].tolist())


def thread_env(threads, omp_wait_policy=None):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env.pop("OMP_WAIT_POLICY", None)
    if omp_wait_policy:
        env["OMP_WAIT_POLICY"] = omp_wait_policy
    return env


# ---------------------------------------------------------------------------------------------------
# Driver

def run_cpp(binary, bench_filter, classifier, tsv):
    cmd = [binary, "--benchmark_format=json", f"--benchmark_filter={bench_filter}"]
    env = dict(os.environ, FNET_CLASSIFIER_DIR=classifier, FNET_SST2_TSV=tsv)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env=env, text=True).stdout
    raw = json.loads(out)
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    results = {}
    for b in raw["benchmarks"]:
        if b.get("error_occurred"):
            print(f"  skipped {b['name']}: {b.get('error_message')}", file=sys.stderr)
            continue
        # fp32 keeps its historical key (no "/int8:0"); int8 runs end in "/int8:1".
        key = re.sub(r"/(min_time:[^/]*|real_time|iterations:\d+|int8:0)", "", b["name"])
        entry = dict(seconds=b["real_time"] * scale[b["time_unit"]], calls=b["iterations"])
        for counter in ("FLOPs", "tokens", "sentences"):
            if counter in b:
                entry[counter] = b[counter]
        if b.get("label"):
            entry["label"] = b["label"]
        results[key] = entry
    return results, raw["context"]


def run_torch(args, threads, quick, classifier, tsv):
    """PyTorch's results at `threads`. With more than one thread, Debian's build (libgomp for its own
    kernels, OpenBLAS's pthreads for GEMM) is run under libgomp's default wait policy and under
    OMP_WAIT_POLICY=PASSIVE: spinning libgomp threads compete with OpenBLAS's for the cores, which makes
    some workloads much slower and others (small FFTs) faster. Each case keeps its faster setting; the
    default-policy figure stays alongside as 'default_seconds'."""
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker", "--threads", str(threads),
           "--classifier", classifier, "--tsv", tsv]
    if quick:
        cmd += ["--seqs", "512", "--hiddens", "768", "--no-classifier", "--quick-worker"]
    default = json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env=thread_env(threads), text=True).stdout)
    if threads == 1:
        return default
    passive = json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env=thread_env(threads, "PASSIVE"),
                                        text=True).stdout)
    merged = {}
    for key, entry in default.items():
        best = dict(entry, policy="default", default_seconds=entry["seconds"])
        other = passive.get(key)
        if other and other["seconds"] < entry["seconds"]:
            best.update(seconds=other["seconds"], calls=other["calls"], policy="PASSIVE")
        merged[key] = best
    return merged


def peak_rss_kib(cmd, env=None):
    """(peak RSS in KiB, the command's stdout) of one run under /usr/bin/time -v."""
    res = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env, check=True)
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
    return (int(match.group(1)) if match else None), res.stdout


def cpu_ticks():
    """(busy, total) jiffies of all CPUs from /proc/stat (busy excludes idle and iowait)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    total = sum(fields[:8])
    return total - fields[3] - fields[4], total


def children_cpu_seconds():
    import resource
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


class Interference:
    """CPU time other processes used while we measured, as a fraction of the machine's capacity."""

    def __init__(self):
        self.busy0, self.total0 = cpu_ticks()
        self.ours0 = children_cpu_seconds()

    def fraction(self):
        busy, total = cpu_ticks()
        hz = os.sysconf("SC_CLK_TCK")
        others = (busy - self.busy0) / hz - (children_cpu_seconds() - self.ours0)
        return max(0.0, others / max(1e-9, (total - self.total0) / hz))


def wait_until_idle(max_wait, threshold=0.10, window=5.0):
    """Waits (up to max_wait seconds) until other processes use less than `threshold` of the CPUs."""
    start = time.time()
    while True:
        b0, t0 = cpu_ticks()
        time.sleep(window)
        b1, t1 = cpu_ticks()
        busy = (b1 - b0) / max(1, t1 - t0)
        if busy < threshold:
            return busy
        if time.time() - start >= max_wait:
            print(f"  machine still {100 * busy:.0f}% busy after {max_wait:.0f} s; measuring anyway", file=sys.stderr)
            return busy
        print(f"  waiting for an idle machine ({100 * busy:.0f}% busy)", file=sys.stderr)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def cmd_output(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO).stdout.strip()
    except OSError:
        return ""


def cpu_isa_summary():
    """The CPU model and its widest vector ISA, from /proc/cpuinfo."""
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    isa = "AVX-512" if "avx512f" in flags else "AVX2 + FMA (no AVX-512)" if "avx2" in flags else "no AVX2"
    return f"{machine_model()} ({isa})"


def machine_model():
    for line in cmd_output(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


class Results:
    """Per-round measurements: rounds[r][key] = {'seconds': ..., counters...}."""

    def __init__(self, rounds):
        self.rounds = rounds

    def values(self, key, field="seconds"):
        return [r[key][field] for r in self.rounds if key in r and field in r[key]]

    def time(self, key):
        return median(self.values(key))

    def field(self, key, field):
        return median(self.values(key, field))

    def label(self, key):
        labels = [r[key]["label"] for r in self.rounds if key in r and "label" in r[key]]
        return labels[0] if labels else None

    def ratio(self, num, den, field="seconds"):
        """Median over rounds of num/den, both taken from the same round."""
        vals = [r[num][field] / r[den][field] for r in self.rounds
                if num in r and den in r and field in r[num] and field in r[den] and r[den][field]]
        return median(vals)

    def spread(self, key):
        vals = self.values(key)
        if len(vals) < 2:
            return ""
        return f" (±{100.0 * (max(vals) - min(vals)) / 2 / statistics.median(vals):.0f}%)"


def fmt_time(seconds):
    if seconds is None:
        return "—"
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


def fmt(v, spec=".2f", suffix=""):
    return "—" if v is None else f"{v:{spec}}{suffix}"


def verdict(ok):
    return "—" if ok is None else ("**met**" if ok else "**missed**")


def write_plots(res, threads_list, out_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    # 1. Token mixing vs sequence length at hidden 768.
    fig, axes = plt.subplots(1, len(threads_list), figsize=(6.2 * len(threads_list), 4.8), sharey=True, squeeze=False)
    series = [
        ("BM_MixingFNet/seq:{s}/hidden:768/threads:{t}", "fnet FourierMixing", "C0", "o", "-"),
        ("BM_MixingFNetMeasure/seq:{s}/hidden:768/threads:1", "fnet FourierMixing, FFTW_MEASURE plans", "C0", None, "--"),
        ("BM_MixingAttention/seq:{s}/hidden:768/threads:{t}", "naive self-attention (12 heads, with projections)", "C3", "s", "-"),
        ("BM_AttentionCore/seq:{s}/hidden:768/threads:{t}", "attention core softmax(QKᵀ/√d)·V only", "C3", "^", "--"),
        ("torch_fft/seq:{s}/hidden:768/threads:{t}", "PyTorch torch.fft.fftn(x, dim=(1,2)).real", "C2", "D", "-"),
        ("BM_FftwR2C/seq:{s}/hidden:768/measure:0", "bare FFTW r2c execute (1 thread)", "0.4", None, ":"),
    ]
    for ax, t in zip(axes[0], threads_list):
        for pattern, label, color, marker, style in series:
            if "{t}" not in pattern and t != 1:
                continue
            xs, ys = [], []
            for s in SEQS:
                v = res.time(pattern.format(s=s, t=t))
                if v is not None:
                    xs.append(s)
                    ys.append(v * 1e3)
            if xs:
                ax.plot(xs, ys, linestyle=style, marker=marker, color=color, label=label, markersize=4)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(SEQS[:1] + [128, 256, 512, 1024, 2048, 4096])
        ax.set_xticklabels(["64", "128", "256", "512", "1024", "2048", "4096"])
        ax.set_xlabel("sequence length (tokens), batch 1, hidden 768")
        ax.set_title(f"{t} thread{'s' if t > 1 else ''}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("time per call (ms, log scale)")
    handles, names = [], []
    for ax in axes[0]:
        for h, n in zip(*ax.get_legend_handles_labels()):
            if n not in names:
                handles.append(h)
                names.append(n)
    fig.legend(handles, names, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle("Token mixing, one sequence: FNet's Fourier transform vs self-attention (median of rounds)")
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    path = os.path.join(out_dir, "mixing_vs_attention.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    paths.append(path)

    # 2. End-to-end FNet-base forward, fnet vs PyTorch, as throughput (comparable across shapes on a linear axis).
    labels, fnet_rate, torch_rate, ratios = [], [], [], []
    for t in threads_list:
        for batch, seq in FORWARD_SHAPES:
            f = res.time(f"BM_ForwardFNetBase/batch:{batch}/seq:{seq}/threads:{t}")
            p = res.time(f"torch_forward/batch:{batch}/seq:{seq}/threads:{t}")
            if f is None and p is None:
                continue
            labels.append(f"batch {batch}\nseq {seq}\n{t} thread{'s' if t > 1 else ''}")
            fnet_rate.append(batch * seq / f if f else 0)
            torch_rate.append(batch * seq / p if p else 0)
            ratios.append(res.ratio(f"torch_forward/batch:{batch}/seq:{seq}/threads:{t}",
                                    f"BM_ForwardFNetBase/batch:{batch}/seq:{seq}/threads:{t}"))
    if labels:
        fig, ax = plt.subplots(figsize=(max(6.5, 1.25 * len(labels) + 2), 4.8))
        xs = list(range(len(labels)))
        ax.bar([x - 0.2 for x in xs], fnet_rate, width=0.4, label="fnet (C++: Eigen GEMM + FFTW)", color="C0")
        ax.bar([x + 0.2 for x in xs], torch_rate, width=0.4, label="PyTorch 1.13 reference (OpenBLAS GEMM)", color="C2")
        top = max(fnet_rate + torch_rate)
        for x, f, p, r in zip(xs, fnet_rate, torch_rate, ratios):
            if r:
                ax.text(x, max(f, p) + 0.03 * top, f"fnet {r:.2f}×", ha="center", fontsize=8)
        ax.set_xticks(xs)
        ax.set_xticklabels(labels, fontsize=8)
        ax.set_ylabel("tokens per second (higher is better)")
        ax.set_ylim(0, top * 1.25)
        ax.set_title("FNet-base forward (12 layers × 768 × 3072, random weights), fp32\n"
                     "label: fnet speed-up = PyTorch time / fnet time (median of per-round ratios)", fontsize=10)
        ax.legend(fontsize=8, loc="upper left")
        ax.grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        path = os.path.join(out_dir, "end_to_end.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def revision():
    """(commit, note, date) of the working tree being measured."""
    commit = cmd_output(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    dirty = " (with uncommitted changes)" if cmd_output(["git", "status", "--porcelain", "--untracked-files=no"]) else ""
    return commit, dirty, time.strftime("%Y-%m-%d %H:%M")


def write_report(res, ctx, args, command, rss, threads_list, plot_paths, rev):
    lines = []
    add = lines.append
    commit, dirty, date = rev
    T = max(threads_list)

    add("# Benchmarks")
    add("")
    add("## Running them")
    add("")
    add("```sh")
    add("cmake -S . -B build -DCMAKE_BUILD_TYPE=Release        # FNET_BUILD_BENCHMARKS is ON at top level; needs libbenchmark-dev")
    add("cmake --build build --target fnet_bench fnet_peak_rss -j")
    add("./build/bench/fnet_bench                                # the whole suite, console table (about 3.5 minutes on 2 cores)")
    add("./build/bench/fnet_bench --benchmark_filter='BM_Mixing.*hidden:768/threads:1'   # a subset")
    add("/usr/bin/time -v ./build/bench/fnet_peak_rss --seq 512  # peak RSS of one FNet-base classification")
    add("/usr/bin/python3 tools/bench_compare.py                 # side by side with PyTorch (about 15 minutes); rewrites this file and docs/*.png")
    add("```")
    add("")
    add("`tools/bench_compare.py` needs Debian's `python3-torch` and `python3-matplotlib` (`/usr/bin/python3`, not a")
    add("pyenv or venv Python without them). `--rounds N` sets the repetitions (default 3), `--quick` runs only the")
    add("headline shapes. Timings taken beside other work are meaningless, so before each step it waits for the CPUs")
    add("to go quiet (`--wait-idle`, default 900 s) and repeats a step during which other processes used more than 10%")
    add("of the CPUs (`--max-interference`, `--retries`); `--raw FILE` keeps every round, `--from-raw FILE` re-renders.")
    add("The suite's benchmark arguments are `seq`, `hidden`, `batch` and `threads` (the Workspace's threads;")
    add("`Eigen::setNbThreads` for the plain Eigen GEMM), so `--benchmark_filter` selects shapes by name.")
    add("")
    add("## This run")
    add("")
    add(f"- Machine: {cpu_isa_summary()}, {ctx.get('num_cpus')} CPUs, {ctx.get('mhz_per_cpu')} MHz, "
        f"L2 {human_cache(ctx, 2)}, L3 {human_cache(ctx, 3)}; {platform.system()} {platform.release()}")
    add(f"- Commit: `{commit}`{dirty}; measured {date}")
    add(f"- Command: `{command}` ({args.rounds} rounds, C++ and PyTorch interleaved, order alternating)")
    add(f"- fnet: g++ `{build_flags(args.build_dir)}`, Eigen {eigen_version()}, FFTW {fftw_version()} (plans: FFTW_ESTIMATE, the library's default);")
    add(f"  PyTorch {torch_version()} (Debian build: OpenBLAS GEMM, pocketfft), `torch.inference_mode()`, fp32 everywhere.")
    add("- PyTorch threads: `torch.set_num_threads(n)` with OMP/OpenBLAS/MKL_NUM_THREADS=n. At 2 threads every PyTorch case")
    add("  runs under libgomp's default wait policy and under `OMP_WAIT_POLICY=PASSIVE` and keeps the faster (spinning")
    add("  libgomp threads fight OpenBLAS's own threads for the 2 cores); the end-to-end table shows both.")
    add("- Google Benchmark's \"library was built as DEBUG\" notice refers to Debian's libbenchmark itself, not to the code timed.")
    add("- Times: median over rounds of the per-call wall time; ratios: median over rounds of the ratio within the round.")
    shares = [f"{100 * v:.0f}%" for r in res.rounds for v in r.get("_interference", {}).values()]
    if shares:
        add(f"- CPU share used by other processes while each step ran (C++ / PyTorch steps in order): {', '.join(shares)}.")
    add("")

    # ---- headline targets
    add("## Targets")
    add("")
    add(f"FNet-base fp32 forward, batch 1, random weights, on {cpu_isa_summary()}; fnet's kernels: "
        f"{res.label(f'BM_FmaPeak/threads:{threads_list[0]}') or '?'} (chosen at run time). The FLOP rate counts the model's")
    add("FLOPs (below) over the wall time; the FMA peak is `BM_FmaPeak` in the same run (independent FMA chains, no memory).")
    add("")
    add("| target | measured | goal | verdict |")
    add("|---|---|---|---|")
    for t in threads_list:
        peak_key = f"BM_FmaPeak/threads:{t}"
        goal = 0.85 if t == 1 else 0.80
        cells = []
        ok = []
        for seq in (128, 512):
            fwd = f"BM_ForwardFNetBase/batch:1/seq:{seq}/threads:{t}"
            frac = res.ratio(fwd, peak_key, "FLOPs")
            if frac is not None:
                ok.append(frac >= goal)
            cells.append(f"seq {seq}: {fmt(None if frac is None else 100 * frac, '.0f', '%')} "
                         f"({fmt(gf(res.field(fwd, 'FLOPs')), '.1f')} of {fmt(gf(res.field(peak_key, 'FLOPs')), '.0f')} GFLOP/s)")
        add(f"| forward FLOP rate / FMA peak, {t} thread{'s' if t > 1 else ''} | {'; '.join(cells)} | ≥ {100 * goal:.0f}% | "
            f"{verdict(all(ok) if ok else None)} |")
    for t in threads_list:
        goal = 1.35 if t == 1 else 1.6
        cells, ok = [], []
        for seq in (128, 512):
            fwd = f"BM_ForwardFNetBase/batch:1/seq:{seq}/threads:{t}"
            tkey = f"torch_forward/batch:1/seq:{seq}/threads:{t}"
            r = res.ratio(tkey, fwd)
            if r is not None:
                ok.append(r >= goal)
            cells.append(f"seq {seq}: {fmt(r, '.2f', '×')} (fnet {fmt_time(res.time(fwd))}, PyTorch {fmt_time(res.time(tkey))})")
        add(f"| PyTorch time / fnet time, {t} thread{'s' if t > 1 else ''} (every pool pinned to {t}) | {'; '.join(cells)} | "
            f"≥ {goal}× | {verdict(all(ok) if ok else None)} |")
    if any(k.startswith("portable:") for r in res.rounds for k in r):
        cells, ok = [], []
        for t in threads_list:
            for seq in (128, 512):
                fwd = f"BM_ForwardFNetBase/batch:1/seq:{seq}/threads:{t}"
                r = res.ratio("portable:" + fwd, fwd)
                if r is not None:
                    ok.append(r <= 1.10)
                cells.append(f"{t}T seq {seq}: {fmt(r, '.2f', '×')}")
        add(f"| `-march=x86-64-v2` build time / native build time, same forward, same rounds | {'; '.join(cells)} | ≤ 1.10× | "
            f"{verdict(all(ok) if ok else None)} |")
    add("")
    add("int8 (precision.hpp: dynamic quantization of the feed-forward Linears; same rounds, same machine):")
    add("")
    add("| target | measured | goal | verdict |")
    add("|---|---|---|---|")
    for t in threads_list:
        cells, ok = [], []
        for seq in (128, 512):
            fwd = f"BM_ForwardFNetBase/batch:1/seq:{seq}/threads:{t}"
            r = res.ratio(fwd, fwd + "/int8:1")
            if r is not None:
                ok.append(r >= 3.0)
            cells.append(f"seq {seq}: {fmt(r, '.2f', '×')} ({fmt_time(res.time(fwd + '/int8:1'))} vs {fmt_time(res.time(fwd))})")
        add(f"| int8 / fp32 forward speed-up, {t} thread{'s' if t > 1 else ''} ({res.label(f'BM_FmaPeak/threads:{t}') or '?'} CPU; "
            f"goal 1.8× on AVX2) | {'; '.join(cells)} | ≥ 3× (AVX-512 VNNI) | {verdict(all(ok) if ok else None)} |")
    cells, ok = [], []
    for seq in (128, 512):
        fwd = f"BM_ForwardFNetBase/batch:1/seq:{seq}/threads:1"
        r = res.ratio(f"torch_forward/batch:1/seq:{seq}/threads:1", fwd + "/int8:1")
        if r is not None:
            ok.append(r >= 2.5)
        cells.append(f"seq {seq}: {fmt(r, '.2f', '×')}")
    add(f"| fnet int8 vs PyTorch fp32, 1 thread | {'; '.join(cells)} | ≥ 2.5× | {verdict(all(ok) if ok else None)} |")
    cells, ok = [], []
    for engine in ("onednn", "qnnpack"):
        for t in threads_list:
            for batch, seq in FORWARD_SHAPES:
                fwd = f"BM_ForwardFNetBase/batch:{batch}/seq:{seq}/threads:{t}/int8:1"
                r = res.ratio(f"torch_qdynamic_{engine}/batch:{batch}/seq:{seq}/threads:{t}", fwd)
                if r is not None:
                    ok.append(r > 1.0)
                    cells.append(f"{engine} b{batch} s{seq} {t}T {r:.1f}×")
    if cells:
        add(f"| fnet int8 vs PyTorch `quantize_dynamic` (time ratio) | {'; '.join(cells)} | faster at every shape | "
            f"{verdict(all(ok))} |")
    for t, (fnet_kib, _torch_kib, _weights, int8_kib) in sorted(rss.items()):
        r = None if not fnet_kib or not int8_kib else int8_kib / fnet_kib
        add(f"| peak RSS, FNet-base classification at seq 512, int8 / fp32, {t} thread{'s' if t > 1 else ''} | "
            f"{fmt(None if r is None else 100 * r, '.0f', '%')} ({fmt_mib(int8_kib)} vs {fmt_mib(fnet_kib)}) | ≤ 35% | "
            f"{verdict(None if r is None else r <= 0.35)} |")
    add("")
    add("Earlier targets (token mixing, memory):")
    add("")
    add("| target | measured | goal | verdict |")
    add("|---|---|---|---|")
    for t in threads_list:
        mix = f"BM_MixingFNet/seq:512/hidden:768/threads:{t}"
        r = res.ratio(f"torch_fft/seq:512/hidden:768/threads:{t}", mix)
        extra = ""
        if res.time(f"BM_MixingFNetMeasure/seq:512/hidden:768/threads:{t}") is not None:
            rm = res.ratio(f"torch_fft/seq:512/hidden:768/threads:{t}", f"BM_MixingFNetMeasure/seq:512/hidden:768/threads:{t}")
            extra = f"; with FFTW_MEASURE plans {fmt(rm, '.2f', '×')}"
        add(f"| FourierMixing 512×768 vs `torch.fft.fftn(x, dim=(1,2)).real`, {t} thread{'s' if t > 1 else ''}: speed-up | "
            f"{fmt(r, '.2f', '×')} ({fmt_time(res.time(mix))} vs {fmt_time(res.time(f'torch_fft/seq:512/hidden:768/threads:{t}'))}"
            f"{extra}) | ≥ 5× | {verdict(None if r is None else r >= 5)} |")
    mix1 = "BM_MixingFNet/seq:512/hidden:768/threads:1"
    r = res.ratio(mix1, "BM_FftwR2C/seq:512/hidden:768/measure:0")
    rm = res.ratio(mix1, "BM_FftwR2C/seq:512/hidden:768/measure:1")
    add(f"| FourierMixing 512×768 (1 thread) / bare FFTW r2c execute (same ESTIMATE plan) | {fmt(r, '.2f', '×')} "
        f"(vs an FFTW_MEASURE plan: {fmt(rm, '.2f', '×')}) | ≤ 1.3× | {verdict(None if r is None else r <= 1.3)} |")
    for t in threads_list:
        ratios = {s: res.ratio(f"BM_MixingAttention/seq:{s}/hidden:768/threads:{t}",
                               f"BM_MixingFNet/seq:{s}/hidden:768/threads:{t}") for s in SEQS}
        have = {s: v for s, v in ratios.items() if v is not None}
        if have:
            worst = min(have, key=have.get)
            add(f"| FNet mixing faster than naive attention at every length ≥ 64, hidden 768, {t} thread{'s' if t > 1 else ''} | "
                f"slowest margin {have[worst]:.1f}× at {worst}; at 4096: {fmt(have.get(4096), '.0f', '×')} | > 1× everywhere | "
                f"{verdict(all(v > 1 for v in have.values()))} |")
    for t, (fnet_kib, torch_kib, weights_mib, *_) in sorted(rss.items()):
        add(f"| peak RSS (`/usr/bin/time -v`), one FNet-base-shaped classification, batch 1, seq 512, "
            f"{t} thread{'s' if t > 1 else ''} | fnet {fmt_mib(fnet_kib)}, PyTorch {fmt_mib(torch_kib)} "
            f"(the weights alone: {fmt(weights_mib, '.0f', ' MiB')} as fp32) | report | — |")
    add("")

    # ---- token mixing
    add("## Token mixing (batch 1)")
    add("")
    add("![time vs sequence length](mixing_vs_attention.png)")
    add("")
    add("FLOP models: FFT of N = seq·hidden reals 2.5·N·log2 N (benchFFT's convention for real transforms); attention")
    add("core 4·seq²·hidden (Q·Kᵀ and P·V; softmax not counted); attention with projections core + 8·seq·hidden².")
    add("Naive attention is `bench/attention_mixing.hpp`: Q, K, V and output projections through fnet's Linear,")
    add("per head P = softmax(Q_h K_hᵀ/√64) and P·V_h through the Workspace GEMM, no mask. At batch 1 `FourierMixing`")
    add("splits the sequence over the threads (rows, then half-spectrum columns) from 64×512 up; bare FFTW is always 1 thread.")
    add("")
    for hidden in HIDDENS:
        if not any(res.time(f"BM_MixingFNet/seq:{s}/hidden:{hidden}/threads:{t}") for s in SEQS for t in threads_list):
            continue
        add(f"### hidden {hidden} ({hidden // 64} heads)")
        add("")
        add("| seq | threads | fnet mixing | GFLOP/s | fnet, MEASURE plans | bare FFTW | fnet / FFTW | torch fft | torch / fnet | "
            "attention | attention / fnet | attention GFLOP/s (% of sgemm) | attention core |")
        add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for s in SEQS:
            for t in threads_list:
                mix = f"BM_MixingFNet/seq:{s}/hidden:{hidden}/threads:{t}"
                fftw = f"BM_FftwR2C/seq:{s}/hidden:{hidden}/measure:0"
                tf = f"torch_fft/seq:{s}/hidden:{hidden}/threads:{t}"
                att = f"BM_MixingAttention/seq:{s}/hidden:{hidden}/threads:{t}"
                core = f"BM_AttentionCore/seq:{s}/hidden:{hidden}/threads:{t}"
                if res.time(mix) is None and res.time(att) is None:
                    continue
                att_frac = res.ratio(att, f"BM_SgemmEigen/threads:{t}", "FLOPs")
                measured = res.time(f"BM_MixingFNetMeasure/seq:{s}/hidden:{hidden}/threads:{t}")
                add(f"| {s} | {t} | {fmt_time(res.time(mix))} | {fmt(gf(res.field(mix, 'FLOPs')), '.1f')} | "
                    f"{fmt_time(measured) if measured else ''} | {fmt_time(res.time(fftw))} | {fmt(res.ratio(mix, fftw), '.2f', '×')} | {fmt_time(res.time(tf))} | "
                    f"{fmt(res.ratio(tf, mix), '.1f', '×')} | {fmt_time(res.time(att))} | {fmt(res.ratio(att, mix), '.0f', '×')} | "
                    f"{fmt(gf(res.field(att, 'FLOPs')), '.1f')} ({fmt(None if att_frac is None else 100 * att_frac, '.0f', '%')}) | "
                    f"{fmt_time(res.time(core))} |")
        add("")

    # ---- blocks
    if any(res.time(f"BM_BlockFNet/seq:{s}/hidden:{h}/threads:{t}") for s in SEQS for h in HIDDENS for t in threads_list):
        add("## Whole encoder block (batch 1, intermediate = 4·hidden)")
        add("")
        add("`EncoderBlock<float, FourierMixing>` (an FNet layer) vs `EncoderBlock<float, AttentionMixing>` (a BERT")
        add("layer: the same feed-forward, LayerNorms and residuals, attention instead of the Fourier transform).")
        add("FLOPs: mixing model above + feed-forward 4·seq·hidden·intermediate.")
        add("")
        add("| hidden | seq | threads | FNet block | GFLOP/s | BERT block | GFLOP/s | BERT / FNet |")
        add("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for h in HIDDENS:
            for s in SEQS:
                for t in threads_list:
                    f = f"BM_BlockFNet/seq:{s}/hidden:{h}/threads:{t}"
                    b = f"BM_BlockBERT/seq:{s}/hidden:{h}/threads:{t}"
                    if res.time(f) is None and res.time(b) is None:
                        continue
                    add(f"| {h} | {s} | {t} | {fmt_time(res.time(f))} | {fmt(gf(res.field(f, 'FLOPs')), '.1f')} | "
                        f"{fmt_time(res.time(b))} | {fmt(gf(res.field(b, 'FLOPs')), '.1f')} | {fmt(res.ratio(b, f), '.2f', '×')} |")
        add("")

    # ---- end to end
    add("## End to end: FNet-base forward (random weights)")
    add("")
    if "end_to_end.png" in " ".join(plot_paths):
        add("![fnet vs PyTorch](end_to_end.png)")
        add("")
    add("FLOPs: 12·(4·tokens·768·3072 + batch·FFT(seq×768)) + 2·tokens·768² (embedding projection) + pooler and")
    add("classifier. The fractions are of the same round's FMA peak and packed sgemm 512×768×3072 (`BM_SgemmPacked`) at")
    add("the same thread count.")
    add("")
    add("| batch | seq | threads | fnet | tokens/s | GFLOP/s | % of FMA peak | % of sgemm | PyTorch | PyTorch GFLOP/s | "
        "PyTorch / fnet | PyTorch, default OMP wait policy | fnet int8 | fp32 / int8 | PyTorch int8 (onednn / qnnpack) |")
    add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for t in threads_list:
        for batch, seq in FORWARD_SHAPES:
            f = f"BM_ForwardFNetBase/batch:{batch}/seq:{seq}/threads:{t}"
            p = f"torch_forward/batch:{batch}/seq:{seq}/threads:{t}"
            if res.time(f) is None and res.time(p) is None:
                continue
            fr = res.ratio(f, f"BM_SgemmPacked/threads:{t}", "FLOPs")
            fp = res.ratio(f, f"BM_FmaPeak/threads:{t}", "FLOPs")
            pt = res.time(p)
            add(f"| {batch} | {seq} | {t} | {fmt_time(res.time(f))}{res.spread(f)} | {fmt(res.field(f, 'tokens'), ',.0f')} | "
                f"{fmt(gf(res.field(f, 'FLOPs')), '.1f')} | {fmt(None if fp is None else 100 * fp, '.0f', '%')} | "
                f"{fmt(None if fr is None else 100 * fr, '.0f', '%')} | "
                f"{fmt_time(pt)}{res.spread(p)} | {fmt(None if pt is None else fnet_forward_flops(batch, seq) / pt / 1e9, '.1f')} | "
                f"{fmt(res.ratio(p, f), '.2f', '×')} | {default_policy(res, p, f)} | {fmt_time(res.time(f + '/int8:1'))} | "
                f"{fmt(res.ratio(f, f + '/int8:1'), '.2f', '×')} | "
                f"{fmt_time(res.time(f'torch_qdynamic_onednn/batch:{batch}/seq:{seq}/threads:{t}'))} / "
                f"{fmt_time(res.time(f'torch_qdynamic_qnnpack/batch:{batch}/seq:{seq}/threads:{t}'))} |")
    add("")

    # ---- classifier
    rows = []
    for t in threads_list:
        for batch in CLASSIFIER_BATCHES:
            tok = f"BM_Classifier/batch:{batch}/tokenize:1/threads:{t}"
            fw = f"BM_Classifier/batch:{batch}/tokenize:0/threads:{t}"
            p = f"torch_classifier/batch:{batch}/threads:{t}"
            if res.time(tok) is None and res.time(fw) is None:
                continue
            torch_rate = None
            if res.time(p) is not None:
                torch_rate = median([r[p]["sentences"] / r[p]["seconds"] for r in res.rounds if p in r])
            rows.append(f"| {batch} | {t} | {fmt(res.field(tok, 'sentences'), ',.0f')} | {fmt(res.field(fw, 'sentences'), ',.0f')} | "
                        f"{fmt(res.field(tok + '/int8:1', 'sentences'), ',.0f')} | {fmt(res.field(fw + '/int8:1', 'sentences'), ',.0f')} | "
                        f"{fmt(torch_rate, ',.0f')} | {fmt(res.ratio(p, fw), '.1f', '×')} |")
    if rows:
        add("## The shipped classifier (examples/models/sst2-fnet-small) on the SST-2 dev sentences")
        add("")
        add("Sentences per second over all dev sentences, padded to the tokenizer's max_length. \"with tokenization\":")
        add("fnet::Tokenizer::encode_batch + forward; \"forward only\": pre-tokenized ids, the same work PyTorch's column does.")
        add("")
        add("| batch | threads | fnet with tokenization | fnet forward only | int8, with tokenization | int8, forward only | "
            "PyTorch forward only | PyTorch time / fnet time |")
        add("|---:|---:|---:|---:|---:|---:|---:|---:|")
        lines.extend(rows)
        add("")

    # ---- structural notes
    gemm_share = 12 * 4.0 * 512 * 768 * 3072 / fnet_forward_flops(1, 512)
    add("## Reading the numbers")
    add("")
    add(f"- The FNet-base forward is GEMM work: the feed-forward products are {100 * gemm_share:.1f}% of its FLOPs at batch 1,")
    add("  seq 512 (the 12 FFTs 0.4%), so its speed is bounded by the GEMM rate. fnet's GEMM runs its own AVX2 or")
    add("  AVX-512 micro-kernel on weights packed at load, with bias, gelu_new and the residual in the write-back;")
    add("  PyTorch's is OpenBLAS, which re-packs the weights on every call (compare the roofline table).")
    add("- `torch.fft.fftn` promotes a real input to complex and runs a full complex 2D transform, whereas")
    add("  `FourierMixing` computes the half spectrum with FFTW's r2c transform and reads the rest off by Hermitian")
    add("  symmetry: about half the arithmetic. The fnet/PyTorch mixing ratio is that factor of 2 times the speed")
    add("  ratio of FFTW (ESTIMATE plans by default) to PyTorch's pocketfft.")
    add("- `FourierMixing` gives whole sequences to threads when a batch has at least as many sequences as threads;")
    add("  with fewer (batch 1 here) it splits each sequence over the threads, rows then half-spectrum columns, from")
    add("  64×512 values up. Bare FFTW is single-threaded throughout; `torch.fft.fftn` does not use the second thread.")
    add("- Attention's cost grows as seq²·hidden (its core) plus seq·hidden² (projections); the FFT's as")
    add("  seq·hidden·log(seq·hidden). The FNet/BERT block ratio therefore grows with length, while at short lengths")
    add("  both blocks are dominated by the shared feed-forward.")
    add("")

    # ---- roofline
    add("## Roofline of this machine (same runs)")
    add("")
    add("| kernel | threads | time | GFLOP/s |")
    add("|---|---:|---:|---:|")
    for t in threads_list:
        for key, name in ((f"BM_FmaPeak/threads:{t}", "fp32 FMA peak: independent vector FMA chains, no memory"),
                          (f"BM_SgemmPacked/threads:{t}", "fnet `Linear` (packed W, runtime-dispatched kernel), 512×768 · 768×3072"),
                          (f"BM_SgemmEigen/threads:{t}", "Eigen `C.noalias() = A*B`, same shape"),
                          (f"BM_SgemmWorkspace/threads:{t}", "fnet `ws.gemm` (Eigen's kernel: the generic path), same shape"),
                          (f"torch_linear/threads:{t}", "PyTorch `F.linear`, same shape (OpenBLAS)")):
            v = res.time(key)
            if v is not None:
                rate = res.field(key, "FLOPs") or median([r[key]["flops"] / r[key]["seconds"] for r in res.rounds if key in r])
                add(f"| {name} | {t} | {fmt_time(v)} | {fmt(gf(rate), '.1f')} |")
    for s in (128, 512, 4096):
        for m in (0, 1):
            key = f"BM_FftwR2C/seq:{s}/hidden:768/measure:{m}"
            if res.time(key) is not None:
                add(f"| bare FFTW r2c {s}×768 ({'MEASURE' if m else 'ESTIMATE'} plan) | 1 | {fmt_time(res.time(key))} | "
                    f"{fmt(gf(res.field(key, 'FLOPs')), '.1f')} |")
    add("")
    return "\n".join(lines) + "\n"


def default_policy(res, torch_key, fnet_key):
    """PyTorch's time under libgomp's default wait policy and the fnet speed-up it implies."""
    t = res.field(torch_key, "default_seconds")
    if t is None:
        return "same"
    return f"{fmt_time(t)} ({fmt(ratio_default(res, torch_key, fnet_key), '.2f', '×')})"


def ratio_default(res, torch_key, fnet_key):
    vals = [r[torch_key]["default_seconds"] / r[fnet_key]["seconds"] for r in res.rounds
            if torch_key in r and fnet_key in r and "default_seconds" in r[torch_key]]
    return median(vals)


def gf(rate):
    return None if rate is None else rate / 1e9


def fmt_mib(kib):
    return "—" if kib is None else f"{kib / 1024:.0f} MiB"


def human_cache(ctx, level):
    for c in ctx.get("caches", []):
        if c.get("level") == level and c.get("type") in ("Unified", "Data"):
            size = c["size"]
            return f"{size // (1 << 20)} MiB" if size >= 1 << 20 else f"{size // 1024} KiB"
    return "?"


def build_flags(build_dir):
    """The optimisation and architecture flags the benchmark build was configured with."""
    flags = {}
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                m = re.match(r"(FNET_OPT_FLAGS|FNET_NATIVE_FLAGS):STRING=(.*)", line.strip())
                if m:
                    flags[m.group(1)] = m.group(2).replace(";", " ")
    except OSError:
        return "?"
    return " ".join(v for v in (flags.get("FNET_OPT_FLAGS"), flags.get("FNET_NATIVE_FLAGS")) if v) or "?"


def eigen_version():
    try:
        with open("/usr/include/eigen3/Eigen/src/Core/util/Macros.h") as f:
            text = f.read()
        parts = [re.search(rf"#define EIGEN_{n}_VERSION (\d+)", text).group(1) for n in ("WORLD", "MAJOR", "MINOR")]
        return ".".join(parts)
    except (OSError, AttributeError):
        return "?"


def fftw_version():
    out = cmd_output(["dpkg-query", "-W", "-f=${Version}", "libfftw3-single3"])
    return out.split("-")[0] if out else "?"


def torch_version():
    out = cmd_output(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"])
    return out or "?"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"), help="CMake build folder with bench/fnet_bench")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts to compare (C++ runs 1 and 2)")
    p.add_argument("--quick", action="store_true", help="only the headline shapes (a smoke test; still writes the report)")
    p.add_argument("--filter", default=None, help="override the C++ --benchmark_filter")
    p.add_argument("--portable-build-dir", default=None,
                   help="a second build of fnet_bench with -DFNET_NATIVE_FLAGS=-march=x86-64-v2: its FNet-base "
                        "forward runs in every round beside the native one (the runtime-dispatch target)")
    p.add_argument("--classifier", default=DEFAULT_CLASSIFIER)
    p.add_argument("--tsv", default=DEFAULT_TSV)
    p.add_argument("--out", default=None,
                   help="report path, the plots beside it (default docs/benchmarks.md; with --quick "
                        "<build-dir>/bench_compare_quick/benchmarks.md, leaving docs/ alone)")
    p.add_argument("--wait-idle", type=float, default=900,
                   help="before each measurement, wait up to this many seconds for other processes to go quiet")
    p.add_argument("--max-interference", type=float, default=0.10,
                   help="repeat a step when other processes used more than this share of the CPUs during it")
    p.add_argument("--retries", type=int, default=2, help="at most this many repeats of a disturbed step")
    p.add_argument("--raw", default=None, help="also save every round's raw results as JSON here")
    p.add_argument("--from-raw", default=None, help="rebuild the report from a --raw file without measuring")
    # worker modes
    p.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--torch-rss", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--seqs", type=int, nargs="+", default=SEQS, help=argparse.SUPPRESS)
    p.add_argument("--hiddens", type=int, nargs="+", default=HIDDENS, help=argparse.SUPPRESS)
    p.add_argument("--no-classifier", dest="classifier_on", action="store_false", help=argparse.SUPPRESS)
    p.add_argument("--quick-worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.torch_worker or args.torch_rss:
        args.threads = args.threads[0]
    if args.torch_worker:
        args.gemm = args.forward = True
        if not args.classifier_on:
            args.classifier = None
        return torch_worker(args)
    if args.torch_rss:
        return torch_rss_worker(args)

    if args.out is None:
        args.out = (os.path.join(args.build_dir, "bench_compare_quick", "benchmarks.md") if args.quick
                    else os.path.join(REPO, "docs", "benchmarks.md"))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    command = "/usr/bin/python3 tools/bench_compare.py" + "".join(" " + shlex.quote(a) for a in (argv or sys.argv[1:]))
    out_dir = os.path.dirname(os.path.abspath(args.out))
    threads_list = sorted(set(args.threads))

    if args.from_raw:
        with open(args.from_raw) as f:
            saved = json.load(f)
        rounds, ctx, rss = saved["rounds"], saved["context"], {int(k): v for k, v in saved["rss"].items()}
        command = saved.get("command", command)
        rev = tuple(saved.get("revision", revision()))
    else:
        binary = os.path.join(args.build_dir, "bench", "fnet_bench")
        rss_binary = os.path.join(args.build_dir, "bench", "fnet_peak_rss")
        for b in (binary, rss_binary):
            if not os.access(b, os.X_OK):
                sys.exit(f"{b} not found: cmake --build {args.build_dir} --target fnet_bench fnet_peak_rss")
        bench_filter = args.filter or (QUICK_FILTER if args.quick else ".")
        rev = revision()
        rounds, ctx, rss_samples, weights_mib = [], {}, {t: ([], []) for t in threads_list}, None
        rss_int8 = {t: [] for t in threads_list}
        for r in range(args.rounds):
            merged = {}
            steps = ["cpp", "torch"] if r % 2 == 0 else ["torch", "cpp"]
            for step in steps:
                for attempt in range(1 + args.retries):
                    wait_until_idle(args.wait_idle)
                    start, load = time.time(), Interference()
                    if step == "cpp":
                        part, ctx = run_cpp(binary, bench_filter, args.classifier, args.tsv)
                        if args.portable_build_dir:
                            portable, _ = run_cpp(os.path.join(args.portable_build_dir, "bench", "fnet_bench"),
                                                  PORTABLE_FILTER, args.classifier, args.tsv)
                            part.update({"portable:" + k: v for k, v in portable.items()})
                    else:
                        part = {}
                        for t in threads_list:
                            part.update(run_torch(args, t, args.quick, args.classifier, args.tsv))
                    busy = load.fraction()
                    print(f"round {r + 1}/{args.rounds}: {step} done in {time.time() - start:.0f} s "
                          f"(other processes used {100 * busy:.0f}% of the CPUs meanwhile)", file=sys.stderr)
                    if busy <= args.max_interference or attempt == args.retries:
                        break
                    print(f"  repeating the {step} step: other processes used more than "
                          f"{100 * args.max_interference:.0f}%", file=sys.stderr)
                merged.update(part)
                merged.setdefault("_interference", {})[step] = busy
            for t in threads_list:
                kib, out = peak_rss_kib([rss_binary, "--seq", "512", "--threads", str(t)])
                rss_samples[t][0].append(kib)
                kib_int8, _ = peak_rss_kib([rss_binary, "--seq", "512", "--threads", str(t), "--precision", "int8"])
                rss_int8[t].append(kib_int8)
                weights = re.search(r"\(([\d.]+) MiB as float32\)", out)
                weights_mib = float(weights.group(1)) if weights else weights_mib
                kib, _ = peak_rss_kib([sys.executable, os.path.abspath(__file__), "--torch-rss", "--threads", str(t)],
                                      env=thread_env(t, "PASSIVE" if t > 1 else None))
                rss_samples[t][1].append(kib)
            rounds.append(merged)
        rss = {t: (median(a), median(b), weights_mib, median(rss_int8[t])) for t, (a, b) in rss_samples.items()}
        if args.raw:
            with open(args.raw, "w") as f:
                json.dump({"rounds": rounds, "context": ctx, "rss": rss, "command": command, "revision": rev}, f)

    res = Results(rounds)
    plots = write_plots(res, threads_list, out_dir)
    report = write_report(res, ctx, args, command, rss, threads_list, plots, rev)
    # Sections measured by other commands (GEMM backends, serving layouts, profiles) live below a marker
    # and are carried over from the previous report.
    try:
        with open(args.out, encoding="utf-8") as f:
            previous = f.read()
        if KEPT_MARKER in previous:
            report += "\n" + previous[previous.index(KEPT_MARKER):]
    except OSError:
        pass
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(report)
    print(f"wrote {args.out} and {', '.join(plots)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
