#!/usr/bin/env bash
# Installs the Debian 12 packages fnet's build, tests, examples and benchmarks need. Idempotent: when
# everything is already installed it only checks and exits.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git                  # toolchain
  libeigen3-dev libfftw3-dev                            # the library: Eigen, FFTW3 (float and double)
  libsentencepiece-dev nlohmann-json3-dev libicu-dev    # tokenizer (ICU: lower-casing, accents), config files
  catch2 libbenchmark-dev parallel                      # tests (GNU parallel: the fnet-pipeline scale-out test), benchmarks
  sentencepiece                                         # spm_train, for tokenizer test fixtures
  python3-torch python3-numpy python3-sentencepiece     # the PyTorch reference the tests compare against
  libopenblas0-pthread                                  # a fast BLAS for that reference (Debian's default is netlib)
  python3-matplotlib time                               # benchmark plots, peak-RSS measurement
  clang libclang-rt-14-dev                              # sanitizer and fuzzing builds
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
