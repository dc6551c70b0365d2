#!/usr/bin/env bash
# Installs what galnet needs on Debian (12 or later) that is not there yet. Idempotent.
# Extra package names given as arguments are installed too (tools/setup_python.sh: python3-venv).
set -euo pipefail
packages=(cmake g++ make ccache clang libclang-rt-dev libeigen3-dev nlohmann-json3-dev libstb-dev doctest-dev
          libbenchmark-dev libcli11-dev libcfitsio-dev libcairo2-dev libopenmpi-dev openmpi-bin "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "galnet setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
