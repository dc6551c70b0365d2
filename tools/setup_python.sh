#!/usr/bin/env bash
# Creates the project's Python tools environment (fixtures, exporters, peer benchmarks) in
# tools/.venv. ctest never needs it: its outputs are committed. Usage: tools/setup_python.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="${GALNET_VENV:-$here/.venv}"
"$here/../scripts/setup.sh" python3-venv  # Debian's python3 has no venv module (nor ensurepip) without it
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
echo "Python tools environment ready: $venv"
