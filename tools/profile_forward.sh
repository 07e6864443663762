#!/usr/bin/env bash
# Where an FNet-base-shaped forward pass spends its time: perf (Debian: linux-perf) samples the steady state
# of bench/fnet_peak_rss — attached after its first, warming forward pass — and the samples are grouped
# by kind of work.
#
#   tools/profile_forward.sh [BUILD_DIR] [THREADS] [SEQ]      (defaults: build 2 512; REPEAT=20 forwards)
set -euo pipefail

build=${1:-build}
threads=${2:-2}
seq=${3:-512}
repeat=${REPEAT:-20}
binary=$build/bench/fnet_peak_rss
[[ -x $binary ]] || { echo "$binary not found: cmake --build $build --target fnet_peak_rss" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf not found (Debian: apt-get install linux-perf)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$binary" --seq "$seq" --threads "$threads" --repeat "$repeat" >"$work/stdout" &
pid=$!
until grep -q forward "$work/stdout"; do  # the first forward pass (plans, buffers) is done
  kill -0 "$pid" 2>/dev/null || { echo "fnet_peak_rss exited early" >&2; exit 1; }
  sleep 0.05
done
cat "$work/stdout"
perf record -q -e cpu-clock -F 2000 -p "$pid" -o "$work/perf.data" >/dev/null 2>&1  # ends when the process does
wait "$pid"

perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null | awk '
  /^ *[0-9.]+%/ {
    share = $1; sub("%", "", share)
    line = $0
    if (line ~ /gebp_kernel/) group = "GEMM: Eigen gebp micro-kernel"
    else if (line ~ /gemm_pack/) group = "GEMM: packing A and B panels"
    else if (line ~ /libgomp/) group = "OpenMP runtime (threads waiting at barriers)"
    else if (line ~ /libfftw3|FourierMixing/) group = "FFT (FFTW + real-part expansion)"
    else if (line ~ /apply_activation/) group = "gelu_new"
    else if (line ~ /LayerNorm/) group = "LayerNorm"
    else if (line ~ /EncoderBlock|Linear|Embeddings/) group = "bias, residual adds, embeddings"
    else if (line ~ /\[k\]/) group = "kernel"
    else group = "other"
    total[group] += share
  }
  END { for (g in total) if (total[g] >= 0.05) printf "%6.1f%%  %s\n", total[g], g }' | sort -rn
