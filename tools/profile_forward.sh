#!/usr/bin/env bash
# Where the time goes, by kind of work: perf (Debian: linux-perf) samples a steady state and the samples
# are grouped (GEMM kernel, FFT, LayerNorm, OpenMP, tokenization, ...).
#
#   tools/profile_forward.sh [BUILD_DIR] [THREADS] [SEQ]       FNet-base forward, batch 1 (defaults: build 2 512;
#                                                               REPEAT=20 forwards, PRECISION=fp32 or int8), perf
#                                                               attached after the first
#   tools/profile_forward.sh --classifier [BUILD_DIR] [THREADS] the shipped SST-2 classifier over SST-2 dev,
#                                                               batch 32, tokenization included (fnet_bench
#                                                               BM_Classifier for SECONDS=10 s)
set -euo pipefail

classifier=0
if [[ ${1:-} == --classifier ]]; then classifier=1; shift; fi
build=${1:-build}
threads=${2:-2}
seq=${3:-512}
command -v perf >/dev/null || { echo "perf not found (Debian: apt-get install linux-perf)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if (( classifier )); then
  binary=$build/bench/fnet_bench
  [[ -x $binary ]] || { echo "$binary not found: cmake --build $build --target fnet_bench" >&2; exit 1; }
  perf record -q -e cpu-clock -F 2000 -o "$work/perf.data" -- "$binary" \
    --benchmark_filter="BM_Classifier/batch:32/tokenize:1/threads:$threads/" --benchmark_min_time="${SECONDS_TO_RUN:-10}" \
    >"$work/stdout" 2>&1
  grep BM_ "$work/stdout"
else
  binary=$build/bench/fnet_peak_rss
  [[ -x $binary ]] || { echo "$binary not found: cmake --build $build --target fnet_peak_rss" >&2; exit 1; }
  "$binary" --seq "$seq" --threads "$threads" --repeat "${REPEAT:-20}" --precision "${PRECISION:-fp32}" >"$work/stdout" &
  pid=$!
  until grep -q forward "$work/stdout"; do  # the first forward pass (plans, buffers) is done
    kill -0 "$pid" 2>/dev/null || { echo "fnet_peak_rss exited early" >&2; exit 1; }
    sleep 0.05
  done
  perf record -q -e cpu-clock -F 2000 -p "$pid" -o "$work/perf.data" >/dev/null 2>&1  # ends when the process does
  wait "$pid"
  cat "$work/stdout"
fi

perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null | awk '
  /^ *[0-9.]+%/ {
    share = $1; sub("%", "", share)
    line = $0
    if (line ~ /sgemm_tile|sgemm_block/) group = "GEMM: fnet packed micro-kernel (incl. fused bias/activation/residual)"
    else if (line ~ /int8_tile|int8_gemm/) group = "GEMM: fnet int8 micro-kernel (incl. dequantizing write-back)"
    else if (line ~ /quantize_rows/) group = "int8: per-row quantization of GEMM inputs"
    else if (line ~ /gebp_kernel|gemm_pack/) group = "GEMM: Eigen (generic path)"
    else if (line ~ /libgomp/) group = "OpenMP runtime (threads waiting at barriers)"
    else if (line ~ /libfftw3|FourierMixing/) group = "FFT (FFTW + real-part expansion)"
    else if (line ~ /layer_norm|LayerNorm/) group = "LayerNorm (+ residual add)"
    else if (line ~ /apply_activation/) group = "activation (unfused)"
    else if (line ~ /sentencepiece|Tokenizer|protobuf|utf8|normaliz/) group = "tokenization (SentencePiece + fnet::Tokenizer)"
    else if (line ~ /Embeddings/) group = "embeddings (gather + sum)"
    else if (line ~ /Linear|EncoderBlock|FNetModel/) group = "fnet glue (pooler tanh, copies)"
    else if (line ~ /libc\.so|libstdc\+\+|malloc|free|memcpy|memmove/) group = "libc/libstdc++ (allocation, strings, copies)"
    else if (line ~ /\[k\]/) group = "kernel"
    else group = "other"
    total[group] += share
  }
  END { for (g in total) if (total[g] >= 0.05) printf "%6.1f%%  %s\n", total[g], g }' | sort -rn
