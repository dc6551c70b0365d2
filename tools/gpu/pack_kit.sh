#!/usr/bin/env bash
# Packs what a GPU machine lacks for building galnet's CUDA tests and benchmarks into .gpu-kit/
# (git-ignored): the header-only dependencies (Eigen, nlohmann-json, doctest, CLI11, stb) and
# Google Benchmark, copied from this Debian machine with their CMake package files, so that
# CMAKE_PREFIX_PATH=.gpu-kit/usr finds them there. cuDNN comes from the GPU machine's own
# (PyTorch's nvidia-cudnn wheel). Then tools/gpu/check.sh runs there, in one call:
#   tools/gpu/pack_kit.sh            # here (scripts/setup.sh has installed the packages)
#   <run on the GPU machine, carrying .gpu-kit>: tools/gpu/check.sh "$OUT"
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kit="$root/.gpu-kit/usr"
rm -rf "$root/.gpu-kit"
mkdir -p "$kit"
copy() {  # copy PATH... into the kit, keeping their places under /usr
  for p in "$@"; do
    [ -e "$p" ] || { echo "pack_kit: $p is missing (run scripts/setup.sh)" >&2; exit 1; }
    mkdir -p "$kit/$(dirname "${p#/usr/}")"
    cp -a "$p" "$kit/${p#/usr/}"
  done
}
copy /usr/include/eigen3 /usr/share/eigen3 /usr/include/nlohmann /usr/share/cmake/nlohmann_json \
     /usr/include/doctest /usr/lib/cmake/doctest /usr/include/CLI /usr/share/cmake/CLI11 /usr/include/stb \
     /usr/include/benchmark /usr/lib/x86_64-linux-gnu/cmake/benchmark
copy /usr/lib/x86_64-linux-gnu/libbenchmark.so* /usr/lib/x86_64-linux-gnu/libbenchmark_main.a
du -sh "$root/.gpu-kit"
