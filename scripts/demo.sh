#!/usr/bin/env bash
# The demo (README's main command): set-up, build, then the papers' workflows on bundled data.
#   1. a mock survey of 2,000 galaxies at 160 px (known answers; docs/mock_survey.md)
#   2. sfnet --k 4 trained on it for a few epochs on the CPU; metrics beside the mock's floor
#   3. wu_boada trained briefly on the 400 real SDSS galaxies bundled in data/
#   4. line_ew predict on the bundled sample of continuum fluxes (the published weights)
# Outputs (models, metrics.json, predictions.csv, history.csv, plots) go to demo-run/.
# Options: DEMO_EPOCHS (default 4), DEMO_GALAXIES (default 2000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
bin="$root/build/bin"
out="$root/demo-run"
epochs=${DEMO_EPOCHS:-4}
galaxies=${DEMO_GALAXIES:-2000}
mkdir -p "$out"

echo "== 1. mock survey: $galaxies galaxies (SFNet layout) =="
[ -f "$out/mock/galaxies.csv" ] || "$bin/mock_survey" --layout sfnet --n "$galaxies" --seed 1 --out "$out/mock"

echo "== 2. SFNet (ResNet-18 + top-4 sparse features) on the mock survey, $epochs epochs =="
"$bin/sfnet" train --data "$out/mock" --k 4 --epochs "$epochs" --lr 0.02 --out "$out/sfnet"
echo "   the mock's intrinsic metallicity scatter (the floor no model can beat): 0.10 dex"
"$bin/sfnet" interpret --weights "$out/sfnet/model.safetensors" --data "$out/mock" --out "$out/sfnet/interpret"

echo "== 3. Wu & Boada (ResNet-34 + fastai head) on 400 real SDSS galaxies, 7 epochs (SGDR cycles 1+2+4) =="
"$bin/wu_boada" train --data "$root/data/sdss-metallicity-sample" --epochs 7 --batch-size 32 --lr 0.002 \
  --out "$out/wu_boada"
echo "   (labels: 12 + log(O/H), standard deviation 0.20 dex)"

if [ -x "$bin/line_ew" ]; then
  echo "== 4. emission-line equivalent widths (Khederlarian et al. 2024, published weights) =="
  "$bin/line_ew" predict --input "$root/data/line_ew/sample_fluxes.csv" --output "$out/line_ew.csv"
  head -n 4 "$out/line_ew.csv"
fi
echo "Outputs in $out"
