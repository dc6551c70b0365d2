#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/.
# OpenMP is switched off there (its runtime trips ASan's checks, not ours); threads of the
# data loader still run. The CUDA targets and the header checks are built by the Release
# build only (nvcc does not take the sanitizer flags).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# ccache: paths relative to the checkout, so that a fresh clone elsewhere (CI) hits the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$root/build-asan" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
  -DCMAKE_DISABLE_FIND_PACKAGE_OpenMP=ON -DGALNET_NATIVE=OFF \
  -DGALNET_BUILD_EXAMPLES=OFF -DGALNET_BUILD_BENCHMARKS=OFF -DGALNET_FUZZ_SECONDS=0 \
  -DGALNET_CUDA=OFF -DGALNET_CHECK_HEADERS=OFF
cmake --build "$root/build-asan" -j "$(nproc)"
cd "$root/build-asan"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$(nproc)" -E "^(fuzz_|install_|compile_fail_)"
