#!/usr/bin/env bash
# Configures and builds galnet into build/ (Release), using ccache when present.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# ccache: paths relative to the checkout, so that a fresh clone elsewhere (CI) hits the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$root/build" "${launcher[@]}" "$@"
cmake --build "$root/build" -j "$(nproc)"
