#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz (CMakePresets.json preset "fuzz": clang, ASan+UBSan)
# and runs each for SECONDS seconds from its committed seed corpus. Fails on any crash, sanitizer report,
# leak, timeout (> 10 s on one input) or out-of-memory (> 2 GB); the failing input is saved as
# <build>/fuzz-artifacts/<harness>-crash-* (reproduce: <build>/tests/fuzz/fuzz_<harness> <file>).
# Prints executions per second and total executions of each harness.
#
#   tools/run_fuzzers.sh SECONDS        (default 60)
#
# Environment: FNET_FUZZ_BUILD_DIR (default build-fuzz), JOBS (compile jobs, default 2),
# FNET_FUZZ_MODEL_DIR (model for fuzz_tokenizer_model; default: a tiny one generated at start-up).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
jobs=${JOBS:-2}
dir=${FNET_FUZZ_BUILD_DIR:-$root/build-fuzz}
harnesses=(safetensors config tokenizer_model pipeline_input pipeline_postprocess)

t0=$SECONDS
echo "=== fuzzers: configure and build ($dir)"
(cd "$root" && cmake --preset fuzz -B "$dir" >/dev/null)
cmake --build "$dir" -j "$jobs" --target "${harnesses[@]/#/fuzz_}"
echo "=== fuzzers: built in $((SECONDS - t0)) s; running each for $seconds s"

declare -A max_len=([safetensors]=8192 [config]=4096 [tokenizer_model]=1024 [pipeline_input]=2048 [pipeline_postprocess]=1024)
failed=0
summary=()
for h in "${harnesses[@]}"; do
  work="$dir/fuzz-corpus/$h"     # new inputs go here, not into the committed seeds
  artifacts="$dir/fuzz-artifacts"
  log="$dir/fuzz-$h.log"
  mkdir -p "$work" "$artifacts"
  set +e
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$dir/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      -max_len="${max_len[$h]}" -dict="$root/tests/fuzz/$h.dict" -artifact_prefix="$artifacts/$h-" \
      "$work" "$root/tests/fuzz/corpus/$h" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "$work" -type f | wc -l)
  if [[ $rc -ne 0 ]]; then
    failed=1
    echo "--- fuzz_$h FAILED (exit $rc); last lines of $log:"
    tail -n 40 "$log"
  fi
  summary+=("$(printf '%-16s %-6s %12s %10s %8s' "$h" "$([[ $rc -eq 0 ]] && echo ok || echo FAIL)" "${execs:-?}" "${rate:-?}" "$corpus")")
done

echo "=== fuzzers: $seconds s each"
printf '%-16s %-6s %12s %10s %8s\n' harness result executions exec/s corpus
printf '%s\n' "${summary[@]}"
exit $failed
