#!/usr/bin/python3
"""Batch-1 serving layouts on the cores of this machine: one process using every core through the
Workspace's threads, against one single-threaded process per core (the usual "one worker per core"
server), for the FNet-base forward at seq 128 and 512.

    /usr/bin/python3 tools/bench_processes.py [--build-dir build] [--seconds 5] [--cores 2]

Each layout runs build/bench/fnet_bench's BM_ForwardFNetBase (batch 1) for about --seconds of timed loop
(repetitions of 0.5 s; the median repetition counts):
  1 x N  one process, Workspace(N) threads (libgomp's default wait policy, then OMP_WAIT_POLICY=PASSIVE)
  N x 1  N processes started together, one thread each (OMP_NUM_THREADS=1)
  1 x 1  one single-threaded process alone (the reference for scaling)
and prints forwards per second of the whole machine (for N x 1 the sum over processes) and the latency
of one forward. Run on an otherwise idle machine.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(binary, seq, threads, seconds, processes, extra_env=None):
    env = dict(os.environ, **(extra_env or {}))
    bench_filter = f"BM_ForwardFNetBase/batch:1/seq:{seq}/threads:{threads}/"
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        for i in range(processes):
            out = os.path.join(tmp, f"{i}.json")
            # The suite fixes each benchmark's min_time (0.5 s); repetitions stretch the timed loop to `seconds`.
            repetitions = max(3, round(seconds / 0.5))
            procs.append((subprocess.Popen([binary, f"--benchmark_filter={bench_filter}",
                                            f"--benchmark_repetitions={repetitions}", "--benchmark_format=json",
                                            f"--benchmark_out={out}"],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env), out))
        times = []
        for proc, out in procs:
            if proc.wait() != 0:
                sys.exit(f"{binary} failed")
            with open(out) as f:
                bench = [b for b in json.load(f)["benchmarks"] if b.get("aggregate_name") == "median"][0]
            times.append(bench["real_time"] / 1e3)  # ms -> s (the median repetition)
    return sum(1.0 / t for t in times), max(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--cores", type=int, default=2)
    args = p.parse_args()
    binary = os.path.join(args.build_dir, "bench", "fnet_bench")
    n = args.cores
    print(f"| seq | layout | forwards/s (machine) | latency of one forward | vs 1 x 1 |")
    print(f"|---|---|---|---|---|")
    for seq in (128, 512):
        base, base_latency = run(binary, seq, 1, args.seconds, 1, {"OMP_NUM_THREADS": "1"})
        rows = [("1 x 1", base, base_latency)]
        rate, latency = run(binary, seq, n, args.seconds, 1)
        rows.append((f"1 x {n} (default wait policy)", rate, latency))
        rate, latency = run(binary, seq, n, args.seconds, 1, {"OMP_WAIT_POLICY": "PASSIVE"})
        rows.append((f"1 x {n} (OMP_WAIT_POLICY=PASSIVE)", rate, latency))
        rate, latency = run(binary, seq, 1, args.seconds, n, {"OMP_NUM_THREADS": "1"})
        rows.append((f"{n} x 1", rate, latency))
        for name, rate, latency in rows:
            print(f"| {seq} | {name} | {rate:.2f} | {latency * 1e3:.1f} ms | {rate / base:.2f}x |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
