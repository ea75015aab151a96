#!/usr/bin/env bash
# Faults during a training, each checked for its exit status, its message, and that the checkpoint
# of the last good epoch is left as it was and still loads and resumes:
#   a diverging training (non-finite loss), a file-size limit hit while a checkpoint is written,
#   a second training on the same checkpoint, SIGTERM and SIGINT, a path where nothing can be written.
# usage: faults.sh PROGRAM DATA_DIR
set -euo pipefail
set -m  # background jobs in their own groups: a non-interactive shell would start them ignoring SIGINT
prog=$1 data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(train --batch-size 16 --data "$data")
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }
expect_exit() {  # expect_exit CODE LOG REGEX
  [ "$1" = "$got" ] || fail "exit $got, expected $1 ($2)"
  grep -Eq "$3" "$work/$2" || fail "$2 does not say: $3"
}
wait_for_epoch() {  # wait_for_epoch LOG: until the training in LOG has started an epoch (up to 60 s)
  for _ in $(seq 1 600); do grep -q "^Epoch [0-9]*/40" "$work/$1" && return; sleep 0.1; done
  fail "$1: no epoch started in 60 s"
}
unchanged() {  # the good checkpoint is byte for byte the one saved, with no file beside it
  cmp -s "$work/good.ckpt" "$work/run.ckpt" || fail "$1: the checkpoint changed"
  [ ! -e "$work/run.ckpt.tmp" ] || fail "$1: a temporary file was left behind"
  [ ! -e "$work/run.ckpt.lock" ] || fail "$1: the lock file was left behind"
  "$prog" evaluate --checkpoint "$work/run.ckpt" --data "$data" > "$work/evaluate.log" 2>&1 || fail "$1: the checkpoint does not load"
  grep -Eq "^Loss = [0-9]" "$work/evaluate.log" || fail "$1: the checkpoint does not evaluate to a finite loss"
}

"$prog" "${args[@]}" --epochs 1 --checkpoint "$work/run.ckpt" > "$work/first.log" 2>&1 || fail "the first epoch"
cp "$work/run.ckpt" "$work/good.ckpt"

# A learning rate of 1e30 makes the second epoch's weights overflow: training stops at the batch.
got=0; "$prog" "${args[@]}" --epochs 3 --resume --lr 1e30 --checkpoint "$work/run.ckpt" > "$work/diverge.log" 2>&1 || got=$?
expect_exit 1 diverge.log "error: epoch 2/3, batch [0-9]+/[0-9]+: (the loss is|the gradient of .* is not) .*no checkpoint written"
unchanged "divergence"

# A file-size limit below the checkpoint's size: the write fails with a message, not SIGXFSZ.
got=0; (ulimit -f 64; "$prog" "${args[@]}" --epochs 2 --resume --checkpoint "$work/run.ckpt" > "$work/fsize.log" 2>&1) || got=$?
expect_exit 1 fsize.log "run.ckpt.tmp: write failed \(File too large\)"
unchanged "file-size limit"

# A second training on the same checkpoint path is refused while the first runs; SIGTERM then ends
# the first (143), with no temporary or lock file left, and --resume continues from its checkpoint.
"$prog" "${args[@]}" --epochs 40 --resume --checkpoint "$work/run.ckpt" > "$work/long.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -e "$work/run.ckpt.lock" ] && break; sleep 0.05; done
got=0; "$prog" "${args[@]}" --epochs 40 --checkpoint "$work/run.ckpt" > "$work/second.log" 2>&1 || got=$?
expect_exit 1 second.log "run.ckpt: in use by another training \(process $pid"
wait_for_epoch long.log
kill -TERM "$pid"
got=0; wait "$pid" || got=$?
expect_exit 143 long.log "Resuming from"
[ ! -e "$work/run.ckpt.tmp" ] && [ ! -e "$work/run.ckpt.lock" ] || fail "SIGTERM left a temporary or lock file"
"$prog" evaluate --checkpoint "$work/run.ckpt" --data "$data" > "$work/evaluate.log" 2>&1 || fail "the checkpoint after SIGTERM does not load"

# SIGINT: 130, and the same.
"$prog" "${args[@]}" --epochs 40 --resume --checkpoint "$work/run.ckpt" > "$work/interrupted.log" 2>&1 &
pid=$!
wait_for_epoch interrupted.log
kill -INT "$pid"
got=0; wait "$pid" || got=$?
expect_exit 130 interrupted.log "Resuming from"
[ ! -e "$work/run.ckpt.tmp" ] && [ ! -e "$work/run.ckpt.lock" ] || fail "SIGINT left a temporary or lock file"
got=0; "$prog" "${args[@]}" --epochs 1 --resume --checkpoint "$work/run.ckpt" > "$work/resumed.log" 2>&1 || got=$?
expect_exit 0 resumed.log "Resuming from .* after epoch [0-9]+"

# Nowhere to write: refused before the data is even read.
got=0; "$prog" "${args[@]}" --epochs 1 --checkpoint "$work/missing/run.ckpt" > "$work/nowhere.log" 2>&1 || got=$?
expect_exit 1 nowhere.log "missing/run.ckpt: no checkpoint can be written there \(No such file or directory\)"
grep -q "number of training examples" "$work/nowhere.log" && fail "the data was read before the path was checked"
echo "every fault ended cleanly, the last good checkpoint intact"
