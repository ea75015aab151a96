#!/usr/bin/env bash
# Data-parallel training from the command line, under mpirun:
#  - two epochs on 2 and on 3 processes (shares of 16 + 16 and 11 + 11 + 10 of each batch of 32) end
#    within 1% of one process's loss and 2 points of its accuracy, epoch by epoch; rank 0 alone prints;
#  - a training of 2 processes resumed on 3 continues the same curve;
#  - in the deterministic mode (--micro-batch), 1, 2 and 3 processes train bit for bit alike;
#  - a rank that cannot read its data stops every rank with the same one-line error.
# Prints how far each run drifted (benchmarks/RESULTS.md quotes it).
# usage: distributed.sh PROGRAM DATA_DIR MPIEXEC
set -euo pipefail
prog=$1 data=$2 mpiexec=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpi=("$mpiexec" --allow-run-as-root --oversubscribe)
base=(train --batch-size 32 --seed 3)
args=("${base[@]}" --data "$data")

# The epochs' closing lines: "loss acc val_loss val_acc" per epoch.
epochs() { tr '\r' '\n' < "$1" | sed -n 's/.* - loss: \([0-9.]*\) - acc: \([0-9.]*\) - val_loss: \([0-9.]*\) - val_acc: \([0-9.]*\)$/\1 \2 \3 \4/p'; }

# Epoch by epoch, run $2 against the reference $1: loss within 1%, accuracy within 0.02.
agree() {
  paste -d' ' <(epochs "$1") <(epochs "$2") | awk -v run="$3" '
    { n++; dl = ($5 - $1) / $1; da = $6 - $2; dvl = ($7 - $3) / $3; dva = $8 - $4
      printf "%s epoch %d: loss %+.3f%%, acc %+.4f, val_loss %+.3f%%, val_acc %+.4f\n", run, n, 100 * dl, da, 100 * dvl, dva
      if (dl > 0.01 || dl < -0.01 || da > 0.02 || da < -0.02) bad = 1 }
    END { if (n != 2) { print run ": expected 2 epochs, found " n; exit 1 } exit bad }' ||
    { echo "FAIL: $3 drifted from one process beyond 1% of the loss or 2 points of accuracy"; cat "$2"; exit 1; }
}

"$prog" "${args[@]}" --epochs 2 --checkpoint "$work/one.ckpt" > "$work/one.log"
for ranks in 2 3; do
  "${mpi[@]}" -np $ranks "$prog" "${args[@]}" --epochs 2 --checkpoint "$work/np$ranks.ckpt" > "$work/np$ranks.log"
  grep -q "Data parallel: $ranks processes" "$work/np$ranks.log" || { echo "FAIL: no data-parallel line"; cat "$work/np$ranks.log"; exit 1; }
  [ "$(grep -c '^Test Accuracy' "$work/np$ranks.log")" = 1 ] || { echo "FAIL: more than rank 0 printed"; exit 1; }
  agree "$work/one.log" "$work/np$ranks.log" "$ranks processes"
done

# One epoch on 2 processes, the second resumed on 3: the curve of one process goes on.
"${mpi[@]}" -np 2 "$prog" "${args[@]}" --epochs 1 --checkpoint "$work/moved.ckpt" > "$work/moved1.log"
"${mpi[@]}" -np 3 "$prog" "${args[@]}" --epochs 2 --checkpoint "$work/moved.ckpt" --resume > "$work/moved2.log"
grep -q "Resuming from .* after epoch 1$" "$work/moved2.log" || { echo "FAIL: did not resume"; cat "$work/moved2.log"; exit 1; }
cat "$work/moved1.log" "$work/moved2.log" > "$work/moved.log"
agree "$work/one.log" "$work/moved.log" "2 then 3 processes"

# The deterministic mode (micro-batches of 2: 16 per batch, 8 + 8 and 6 + 5 + 5): one process on
# two threads and 2 and 3 processes on one each write the same checkpoint, byte for byte.
det=(--micro-batch 2 --augment on --bn-estimate on)
"$prog" "${args[@]}" "${det[@]}" --epochs 2 --threads 2 --checkpoint "$work/det1.ckpt" > "$work/det1.log"
for ranks in 2 3; do
  "${mpi[@]}" -np $ranks "$prog" "${args[@]}" "${det[@]}" --epochs 2 --checkpoint "$work/det$ranks.ckpt" > "$work/det$ranks.log"
  cmp "$work/det1.ckpt" "$work/det$ranks.ckpt" ||
    { echo "FAIL: the deterministic mode on $ranks processes differs from one process"; cat "$work/det$ranks.log"; exit 1; }
  [ "$(epochs "$work/det1.log")" = "$(epochs "$work/det$ranks.log")" ] ||
    { echo "FAIL: the deterministic mode on $ranks processes printed other figures"; exit 1; }
done
# ... and a training of 2 processes resumed on 3 ends with that checkpoint too.
"${mpi[@]}" -np 2 "$prog" "${args[@]}" "${det[@]}" --epochs 1 --checkpoint "$work/det_moved.ckpt" > "$work/det_moved1.log"
"${mpi[@]}" -np 3 "$prog" "${args[@]}" "${det[@]}" --epochs 2 --checkpoint "$work/det_moved.ckpt" --resume > "$work/det_moved2.log"
cmp "$work/det1.ckpt" "$work/det_moved.ckpt" ||
  { echo "FAIL: the deterministic training resumed on 3 processes differs from one process"; exit 1; }
echo "deterministic mode: 1, 2 and 3 processes, and 2 then 3, wrote the same checkpoint"

# Rank 1 reads a data folder that is not there (MPMD: its own command line): every rank stops.
start=$SECONDS
set +e
"${mpi[@]}" -np 1 "$prog" "${args[@]}" --checkpoint "$work/bad.ckpt" : -np 1 "$prog" "${base[@]}" --data /nonexistent/signs \
  --checkpoint "$work/bad.ckpt" > "$work/bad.log" 2>&1
rc=$?
set -e
[ $rc -ne 0 ] || { echo "FAIL: a rank without its data did not fail the job"; cat "$work/bad.log"; exit 1; }
grep -q "^happy_model: error: data /nonexistent/signs not found: pass --data DIR" "$work/bad.log" ||
  { echo "FAIL: the error of the rank without data is not reported"; cat "$work/bad.log"; exit 1; }
[ "$(grep -c 'error:' "$work/bad.log")" = 1 ] || { echo "FAIL: the error is not said once"; cat "$work/bad.log"; exit 1; }
[ $((SECONDS - start)) -lt 30 ] || { echo "FAIL: the failed job took $((SECONDS - start)) s to end"; exit 1; }

# A batch that leaves a rank without a micro-batch is refused by every rank, said once.
set +e
"${mpi[@]}" -np 3 "$prog" "${args[@]}" --epochs 1 --micro-batch 4 --checkpoint "$work/short.ckpt" > "$work/short.log" 2>&1
rc=$?
set -e
[ $rc -ne 0 ] && [ "$(grep -c 'error:' "$work/short.log")" = 1 ] &&
  grep -q "error: training: a batch of 8 (the last of the 360 samples) in micro-batches of 4 leaves some of the 3 ranks without a micro-batch" "$work/short.log" ||
  { echo "FAIL: a batch too small for the ranks is not one clear error"; cat "$work/short.log"; exit 1; }
echo "data-parallel trainings agree with one process"
