#!/usr/bin/env bash
# galnet against PyTorch, ONNX Runtime and JAX on the papers' models, in one invocation: installs
# what is missing (scripts/setup.sh), builds galnet (scripts/build.sh), makes the Python peers'
# environment (tools/setup_python.sh: the newest PyTorch, ONNX Runtime and JAX from PyPI), then
# runs benchmarks/compare_pytorch.py and prints one table of samples/s with galnet's ratio to the
# best peer. Extra arguments go to the script: --threads N (default 2), --min-time S (per case
# and framework), --only spin,sfnet,wu,lines. Run it on a quiet machine; docs/performance.md
# keeps the results.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
"$root/tools/setup_python.sh" >/dev/null
exec "$root/tools/.venv/bin/python" "$root/benchmarks/compare_pytorch.py" --bench "$root/build/bin/bench_models" "$@"
