#!/usr/bin/env bash
# kill -9 of one rank in the middle of a data-parallel training: the job ends within 30 s with
# mpirun's message naming the killed rank (no rank waits forever in a collective); --resume from
# the checkpoint rank 0 left behind ends with exactly the checkpoint of a training on as many
# processes that was never interrupted.
# usage: mpi_kill_resume.sh PROGRAM DATA_DIR MPIEXEC
set -euo pipefail
prog=$1 data=$2 mpiexec=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpi=("$mpiexec" --allow-run-as-root --oversubscribe -np 2)
args=(train --epochs 4 --batch-size 16 --data "$data" --augment on --lr-schedule cosine --bn-estimate on)

"${mpi[@]}" "$prog" "${args[@]}" --checkpoint "$work/straight.ckpt" > "$work/straight.log"

"${mpi[@]}" "$prog" "${args[@]}" --checkpoint "$work/killed.ckpt" > "$work/killed.log" 2>&1 &
launcher=$!
for _ in $(seq 1 1200); do [ -f "$work/killed.ckpt" ] && break; sleep 0.05; done
sleep 0.3  # into the second epoch
ranks=$(pgrep -P "$launcher" -f "$prog") || { echo "FAIL: no rank of the job found"; cat "$work/killed.log"; exit 1; }
victim=$(echo "$ranks" | tail -n 1)
kill -9 "$victim"
killed_at=$SECONDS
while kill -0 "$launcher" 2>/dev/null; do
  [ $((SECONDS - killed_at)) -lt 30 ] || { echo "FAIL: the job still runs 30 s after a rank was killed"; kill -9 "$launcher"; exit 1; }
  sleep 0.1
done
wait "$launcher" && { echo "FAIL: the job of a killed rank exited with 0"; exit 1; }
grep -q "exited on signal 9 (Killed)" "$work/killed.log" ||
  { echo "FAIL: no message names the killed rank"; cat "$work/killed.log"; exit 1; }
echo "the job ended $((SECONDS - killed_at)) s after a rank was killed"
[ -f "$work/killed.ckpt" ] || { echo "FAIL: no checkpoint after the first epoch"; exit 1; }

"${mpi[@]}" "$prog" "${args[@]}" --checkpoint "$work/killed.ckpt" --resume > "$work/resumed.log"
grep -E "Resuming from .* after epoch [123]$" "$work/resumed.log" ||
  { echo "FAIL: the kill did not land inside the training"; cat "$work/killed.log" "$work/resumed.log"; exit 1; }
cmp "$work/straight.ckpt" "$work/killed.ckpt" ||
  { echo "FAIL: the resumed training differs from the uninterrupted one"; exit 1; }
echo "resumed data-parallel training equals the uninterrupted one, byte for byte"
