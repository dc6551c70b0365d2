#!/usr/bin/env bash
# Set-up, build and the demo: a small CNN learns a synthetic regression; its loss falls.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
"$root/build/bin/tiny_cnn" "$@"
