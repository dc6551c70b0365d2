#!/usr/bin/env bash
# Set-up, build and every test: the README's test command, and what CI runs.
#   1. the Release build's ctest suite (unit, parity, model, install, compile-fail, fuzz runs)
#   2. the same unit suite again under AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
(cd "$root/build" && ctest --output-on-failure -j "$(nproc)")
"$root/scripts/sanitize.sh"
