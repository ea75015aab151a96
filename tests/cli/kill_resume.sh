#!/usr/bin/env bash
# kill -9 in the middle of a training, then --resume: the checkpoint left behind loads, and the
# resumed training ends with exactly the checkpoint (parameters, moving statistics, Adam state) of
# a training that was never interrupted.
# usage: kill_resume.sh PROGRAM DATA_DIR
set -euo pipefail
prog=$1 data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(train --epochs 4 --batch-size 16 --data "$data" --augment on --lr-schedule cosine --bn-estimate on)

"$prog" "${args[@]}" --checkpoint "$work/straight.ckpt" > "$work/straight.log"

"$prog" "${args[@]}" --checkpoint "$work/killed.ckpt" > "$work/killed.log" &
pid=$!
for _ in $(seq 1 1200); do [ -f "$work/killed.ckpt" ] && break; sleep 0.05; done
sleep 0.3  # into the second epoch
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[ -f "$work/killed.ckpt" ] || { echo "FAIL: no checkpoint after the first epoch"; exit 1; }
"$prog" evaluate --checkpoint "$work/killed.ckpt" --data "$data" > "$work/evaluate.log" ||
  { echo "FAIL: the checkpoint left by kill -9 does not load"; cat "$work/evaluate.log"; exit 1; }

"$prog" "${args[@]}" --checkpoint "$work/killed.ckpt" --resume > "$work/resumed.log"
grep -E "Resuming from .* after epoch [123]$" "$work/resumed.log" ||
  { echo "FAIL: the kill did not land inside the training"; cat "$work/killed.log" "$work/resumed.log"; exit 1; }
cmp "$work/straight.ckpt" "$work/killed.ckpt" ||
  { echo "FAIL: the resumed training differs from the uninterrupted one"; exit 1; }
echo "resumed training equals the uninterrupted one, byte for byte"
