#!/usr/bin/env bash
# scripts/sweep.sh — a paper's sweep: trains PROGRAM once per value of one of its options, then
# draws the chosen metric of each run against that value (build/bin/figures sweep).
#
#   scripts/sweep.sh [--metric M] [--log-x] PROGRAM OPTION "V1 V2 ..." OUT [train options...]
#   scripts/sweep.sh --log-x sfnet k "1 2 4 8 16 32" runs/k --data mock --test-pct 20     # Wu 2025: RMSE vs k
#   scripts/sweep.sh --log-x wu_boada size "8 16 32 64 128" runs/size --data mock --test-pct 20
#                                                                  # Wu & Boada 2019: RMSE vs resolution
# Each run trains into OUT/OPTION-V (an earlier run there is continued with --resume only if
# given among the train options; otherwise the sweep stops rather than replace it). The metric
# is the run's test set's (OUT/OPTION-V/test/metrics.json) where it has one, else its
# validation set's. Writes OUT/sweep.csv (x, metric) and OUT/METRIC_vs_OPTION.png.
# BIN (default build/bin) names the folder of the programs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/build/bin}
metric=rmse
log_x=()
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --metric) metric=$2; shift 2 ;;
    --log-x) log_x=(--log-x); shift ;;
    *) echo "sweep.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ $# -lt 4 ]]; then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
program=$1 option=$2 values=$3 out=$4
shift 4
[[ -x $bin/$program ]] || { echo "sweep.sh: no program $bin/$program (build first: scripts/build.sh)" >&2; exit 2; }
[[ -x $bin/figures ]] || { echo "sweep.sh: no $bin/figures (it needs cairo: apt-get install libcairo2-dev)" >&2; exit 2; }
read -r -a list <<< "$values"  # values are numbers, separated by blanks
[[ ${#list[@]} -ge 1 ]] || { echo "sweep.sh: no values to sweep" >&2; exit 2; }
for v in "${list[@]}"; do  # checked before any training: the figure plots numbers
  [[ $v =~ ^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$ ]] ||
    { echo "sweep.sh: '$v' is not a number; a sweep's values are numbers (k, a size, a rate)" >&2; exit 2; }
done
mkdir -p "$out"
runs=()
for v in "${list[@]}"; do
  dir=$out/$option-$v
  echo "sweep.sh: $program train --$option $v --out $dir $*"
  "$bin/$program" train "--$option" "$v" --out "$dir" "$@"
  metrics=$dir/metrics.json
  [[ -f $dir/test/metrics.json ]] && metrics=$dir/test/metrics.json
  runs+=("$v=$metrics")
done
"$bin/figures" sweep --metric "$metric" ${log_x[@]+"${log_x[@]}"} --x-label "$option" --csv "$out/sweep.csv" \
  --out "$out/${metric}_vs_$option.png" "${runs[@]}"
