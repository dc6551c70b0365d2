#!/usr/bin/env bash
# galnet against PyTorch, ONNX Runtime and JAX on the papers' models, in one invocation: installs
# what is missing (scripts/setup.sh), builds galnet (scripts/build.sh), makes the Python peers'
# environment (tools/setup_python.sh: the newest PyTorch, ONNX Runtime and JAX from PyPI), then
# runs benchmarks/compare_pytorch.py and prints one table of samples/s with galnet's ratio to the
# best peer. Extra arguments go to the script: --threads N (default 2), --min-time S (per case
# and framework), --only spin,sfnet,wu,lines, --rounds R. Run it on a quiet machine;
# docs/performance.md keeps the results.
#   scripts/compare.sh --only predict [--n 20000] [--memory-n M] [--rounds R] …
# runs benchmarks/compare_predict.py instead: the programs' predict over a mock survey, from files
# on disk to the predictions table, against a PyTorch DataLoader script, numpy and JAX.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
"$root/tools/setup_python.sh" >/dev/null
if [ "${1:-}" = "--only" ] && [ "${2:-}" = "predict" ]; then
  shift 2
  exec "$root/tools/.venv/bin/python" "$root/benchmarks/compare_predict.py" --bin "$root/build/bin" "$@"
fi
exec "$root/tools/.venv/bin/python" "$root/benchmarks/compare_pytorch.py" --bench "$root/build/bin/bench_models" "$@"
