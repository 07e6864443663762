#!/usr/bin/env bash
# ASan+UBSan run of the test suite and a TSan run of the concurrency test (CMakePresets.json presets
# "asan" and "tsan", clang). Exits non-zero on any sanitizer report or test failure.
#
#   tools/run_sanitizers.sh [asan|tsan|all]     (default: all)
#
# Environment: FNET_ASAN_BUILD_DIR (default build-asan), FNET_TSAN_BUILD_DIR (default build-tsan),
# JOBS (parallel compile jobs, default 2).
#
# Under ASan the suite runs without: test_model_parity + parity_fixtures (FNet-base shape: minutes under
# ASan; test_errors, test_blocks and test_concurrency cover the same code on small models),
# test_allocations (replaces malloc, which ASan's allocator cannot share) and consumer_find_package (an
# install/packaging check that runs no library code).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${JOBS:-2}
mode=${1:-all}
asan_exclude='^(test_model_parity(_avx2|_generic)?|parity_fixtures|test_allocations|consumer_find_package)$'

# Builds the executables of the tests ctest would run (a test named like a target is that target).
build_tests() {
  local dir=$1 filter=$2
  local help names targets=()
  help=$(cmake --build "$dir" --target help)
  names=$(ctest --test-dir "$dir" -N $filter | sed -n 's/^ *Test *#[0-9]*: *\([^ ]*\).*/\1/p')
  for t in $names; do
    if grep -qE "(^|[ .])$t(:| |$)" <<<"$help"; then targets+=("$t"); fi
  done
  echo "building: ${targets[*]}"
  cmake --build "$dir" -j "$jobs" --target "${targets[@]}"
}

run_asan() {
  local dir=${FNET_ASAN_BUILD_DIR:-$root/build-asan} t0=$SECONDS
  echo "=== ASan+UBSan: configure and build ($dir)"
  (cd "$root" && cmake --preset asan -B "$dir" >/dev/null)
  build_tests "$dir" "-E $asan_exclude"
  local t1=$SECONDS
  echo "=== ASan+UBSan: ctest -E '$asan_exclude'"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$dir" --output-on-failure -E "$asan_exclude"
  echo "=== ASan+UBSan: passed (build $((t1 - t0)) s, tests $((SECONDS - t1)) s)"
}

run_tsan() {
  local dir=${FNET_TSAN_BUILD_DIR:-$root/build-tsan} t0=$SECONDS
  echo "=== TSan: configure and build ($dir, FNET_WITH_OPENMP=OFF)"
  (cd "$root" && cmake --preset tsan -B "$dir" >/dev/null)
  cmake --build "$dir" -j "$jobs" --target test_concurrency
  local t1=$SECONDS
  echo "=== TSan: test_concurrency"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir "$dir" --output-on-failure -R '^test_concurrency$'
  echo "=== TSan: passed (build $((t1 - t0)) s, test $((SECONDS - t1)) s)"
}

case $mode in
  asan) run_asan ;;
  tsan) run_tsan ;;
  all) run_asan; run_tsan ;;
  *) echo "usage: $0 [asan|tsan|all]" >&2; exit 2 ;;
esac
