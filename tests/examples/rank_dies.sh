#!/bin/bash
# Data-parallel training of an image program under mpirun (where it links galnet::mpi), after its
# end-to-end test has made the mock survey in WORK/data:
#   1. 2 ranks train 4 epochs uninterrupted (the reference);
#   2. the same run again, one rank killed (SIGKILL) during epoch 2: mpirun must stop the whole
#      job — no hang — with a message naming the rank, leaving the epoch-1 checkpoint whole and
#      no model;
#   3. --resume on 2 ranks completes it: model.safetensors and predictions.csv equal the
#      reference's byte for byte, history.csv has every epoch;
#   4. --resume of the same checkpoint as one process completes too (another rank count).
# usage: rank_dies.sh PROGRAM MPIEXEC WORK [mpiexec flags…]
set -u
program=$1 mpiexec=$2 work=$3
shift 3
# (ctest gives the MPI environment: GALNET_MPI_TEST_ENV in tests/CMakeLists.txt.)
data=$work/data
out=$work/dp
fail() { echo "rank_dies: $*" >&2; exit 1; }
[ -f "$data/galaxies.csv" ] || fail "$data/galaxies.csv is missing: the end-to-end test must run first"
rm -rf "$out" && mkdir -p "$out"
train=(train --data "$data" --epochs 4 --batch-size 4 --threads 1 --no-progress)

# 1. Uninterrupted.
timeout 300 "$mpiexec" "$@" "$program" "${train[@]}" --out "$out/full" >"$out/full.log" 2>&1 ||
  fail "the uninterrupted 2-rank run failed: $(cat "$out/full.log")"
grep -q "on 2 ranks" "$out/full.log" || fail "train did not run on 2 ranks: $(cat "$out/full.log")"

# 2. Killed during epoch 2: wait for epoch 1's checkpoint, then SIGKILL one rank.
"$mpiexec" "$@" "$program" "${train[@]}" --out "$out/cut" >"$out/cut.log" 2>&1 &
launcher=$!
for _ in $(seq 600); do
  [ -f "$out/cut/checkpoint.safetensors" ] && break
  sleep 0.05
done
[ -f "$out/cut/checkpoint.safetensors" ] || { kill -9 $launcher; fail "no checkpoint after 30 s: $(cat "$out/cut.log")"; }
victim=$(pgrep -n -f -- "--out $out/cut") || fail "no rank process found to kill"
[ "$victim" != "$launcher" ] || fail "found only mpirun itself"
kill -9 "$victim"
waited=0
while kill -0 $launcher 2>/dev/null; do
  sleep 0.1
  waited=$((waited + 1))
  [ $waited -lt 600 ] || { kill -9 $launcher; fail "the job hung for 60 s after a rank was killed"; }
done
wait $launcher && fail "the job with a killed rank exited 0: $(cat "$out/cut.log")"
# The user is told which rank died and how (Open MPI: "… noticed that process rank 1 with PID …
# exited on signal 9 (Killed)"; MPICH: "RANK 1 … KILLED BY SIGNAL: 9"), not left with a silent
# non-zero exit.
said=$(grep -Ei "rank [0-9]+ .*(signal 9|killed)|killed by signal: 9" "$out/cut.log") ||
  fail "no message names the killed rank: $(cat "$out/cut.log")"
[ -f "$out/cut/model.safetensors" ] && fail "the killed job wrote model.safetensors (it ran to the end before the kill?)"
ls "$out/cut" | grep -q '\.tmp' && fail "a temporary file was left behind: $(ls "$out/cut")"
echo "killed rank $victim: the job stopped after $((waited / 10)).$((waited % 10)) s, saying: $said"
cp -r "$out/cut" "$out/cut1"

# 3. Resumed on 2 ranks: the uninterrupted run's model and predictions, byte for byte.
timeout 300 "$mpiexec" "$@" "$program" "${train[@]}" --out "$out/cut" --resume >"$out/resume.log" 2>&1 ||
  fail "--resume on 2 ranks failed: $(cat "$out/resume.log")"
cmp -s "$out/full/model.safetensors" "$out/cut/model.safetensors" || fail "the resumed model differs from the uninterrupted one"
cmp -s "$out/full/predictions.csv" "$out/cut/predictions.csv" || fail "the resumed predictions differ"
[ "$(wc -l <"$out/cut/history.csv")" -eq 5 ] || fail "history.csv lacks epochs: $(cat "$out/cut/history.csv")"

# 4. Resumed as one process: another rank count, said so, completed.
timeout 300 "$program" "${train[@]}" --out "$out/cut1" --resume >"$out/resume1.log" 2>&1 ||
  fail "--resume as one process failed: $(cat "$out/resume1.log")"
grep -q "resuming a run of 2 rank(s) on 1" "$out/resume1.log" || fail "no note of the rank count: $(cat "$out/resume1.log")"
[ "$(wc -l <"$out/cut1/history.csv")" -eq 5 ] || fail "history.csv lacks epochs after resuming on 1 rank"
echo "rank_dies: a killed rank stops the job; resuming on 2 ranks matches the uninterrupted run; on 1 rank completes"
