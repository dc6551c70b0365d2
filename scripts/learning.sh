#!/usr/bin/env bash
# "Learning, shown" (docs/models/): each image program trained on a mock survey in its paper's
# layout, from scratch on the CPU, its validation metrics printed beside the target's standard
# deviation and the mock's floor; then wu_boada on the 400 real SDSS galaxies in data/.
# About an hour on 2 quiet cores. Run after scripts/build.sh.
# Outputs in learning-run/ (gitignored). LEARN_GALAXIES (default 2000) sets the survey size.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/bin"
out="$root/learning-run"
n=${LEARN_GALAXIES:-2000}
mkdir -p "$out"

survey() {  # layout folder
  [ -f "$out/$2/galaxies.csv" ] || [ -f "$out/$2/train.csv" ] || "$bin/mock_survey" --layout "$1" --n "$n" --seed 7 --overwrite --out "$out/$2"
}
report() {  # run-folder target floor
  python3 - "$1" "$2" "$3" <<'PY' 2>/dev/null || cat "$1/metrics.json"
import csv, json, statistics, sys
run, target, floor = sys.argv[1], sys.argv[2], float(sys.argv[3])
m = json.load(open(f"{run}/metrics.json"))[target]
truth = [float(r[f"{target}_true"]) for r in csv.DictReader(open(f"{run}/predictions.csv"))]
sd = statistics.pstdev(truth)
vs_floor = f" = {m['rmse']/floor:.2f} x floor ({floor})" if floor > 0 else ""
print(f"   {target}: validation RMSE {m['rmse']:.4f} = {m['rmse']/sd:.2f} sd (sd {sd:.4f}){vs_floor}; "
      f"NMAD {m['nmad']:.4f}, Pearson {m['pearson']:.3f}, n {m['n']}")
PY
}

echo "== SFNet k=4, oh_p50, 8 epochs =="
survey sfnet mock-sfnet
"$bin/sfnet" train --data "$out/mock-sfnet" --k 4 --epochs 8 --lr 0.02 --no-progress --overwrite --out "$out/sfnet"
report "$out/sfnet" oh_p50 0.10

echo "== spin_cnn, lambda_re, 12 epochs =="
survey spin mock-spin
"$bin/spin_cnn" train --data "$out/mock-spin" --epochs 12 --no-progress --overwrite --out "$out/spin_cnn"
report "$out/spin_cnn" lambda_re 0.05

echo "== wu_boada, oh_p50, 15 epochs (AdamW, one-cycle) =="
survey wu_boada mock-wu_boada
"$bin/wu_boada" train --data "$out/mock-wu_boada" --epochs 15 --batch-size 32 --lr 0.003 --schedule one-cycle \
  --optimizer adamw --no-progress --overwrite --out "$out/wu_boada"
report "$out/wu_boada" oh_p50 0.10

echo "== wu_boada on the 400 real SDSS galaxies, oh_p50, from scratch (AdamW, one-cycle to 3e-3), 30 epochs =="
"$bin/wu_boada" train --data "$root/data/sdss-metallicity-sample" --epochs 30 --batch-size 32 \
  --no-progress --overwrite --out "$out/wu_boada-real"
report "$out/wu_boada-real" oh_p50 0
