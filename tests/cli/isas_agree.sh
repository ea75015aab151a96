#!/usr/bin/env bash
# HappyModel on each instruction set the kernels were generated for and this CPU runs (forced with
# CNNGEN_MAX_ISA), each run saying which kernels it ran:
#  - one checkpoint evaluated on each: the same loss within 1e-5 and the same accuracy;
#  - one epoch of training from the same seed on each: the same training loss within 1% and
#    accuracy within 2 points, the test loss within 5%. Tiles of other sizes sum in other orders,
#    and without FMA (sse41) every product is rounded before its add: the runs drift apart over the
#    epoch's steps, and on 40 test images after one epoch the accuracy differs by up to 4 images
#    (10 points; seeds 0-3 and 7 measured), so the test accuracy is printed, not compared.
# usage: isas_agree.sh PROGRAM DATA_DIR ISA...
set -euo pipefail
prog=$1 data=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }
within() {  # within A B REL: |A - B| <= REL * max(|A|, |B|)
  awk -v a="$1" -v b="$2" -v r="$3" 'function abs(x) { return x < 0 ? -x : x }
    BEGIN { m = abs(a) > abs(b) ? abs(a) : abs(b); exit !(abs(a - b) <= r * m) }'
}

ran=()
for isa in "$@"; do
  CNNGEN_MAX_ISA=$isa "$prog" train --epochs 1 --batch-size 16 --seed 7 --data "$data" \
    --checkpoint "$work/$isa.ckpt" > "$work/train_$isa.log" 2>&1 || fail "training on $isa failed"
  if grep -q "this CPU runs at most" "$work/train_$isa.log"; then
    echo "$isa: not on this CPU"
    continue
  fi
  grep -q "^Kernels: $isa," "$work/train_$isa.log" || fail "train_$isa.log does not say it ran the $isa kernels"
  ran+=("$isa")
done
((${#ran[@]} >= 2)) || { echo "fewer than two ISAs to compare on this CPU"; exit 0; }
first=${ran[0]}

# The epoch line's "loss acc val_loss val_acc".
epoch() { sed -n 's/.* - loss: \([0-9.]*\) - acc: \([0-9.]*\) - val_loss: \([0-9.]*\) - val_acc: \([0-9.]*\)$/\1 \2 \3 \4/p' "$work/train_$1.log" | tail -1; }
read -r loss0 acc0 vloss0 vacc0 <<< "$(epoch "$first")"
[ -n "$vacc0" ] || fail "no epoch figures in train_$first.log"
for isa in "${ran[@]}"; do
  read -r loss acc vloss vacc <<< "$(epoch "$isa")"
  echo "trained on $isa: loss $loss acc $acc val_loss $vloss val_acc $vacc"
  within "$loss0" "$loss" 0.01 || fail "training on $isa: loss $loss against $first's $loss0"
  awk -v a="$acc0" -v b="$acc" 'BEGIN { exit !(a - b <= 0.02 && b - a <= 0.02) }' || fail "training on $isa: accuracy $acc against $first's $acc0"
  within "$vloss0" "$vloss" 0.05 || fail "training on $isa: test loss $vloss against $first's $vloss0"

  CNNGEN_MAX_ISA=$isa "$prog" evaluate --checkpoint "$work/$first.ckpt" --data "$data" > "$work/evaluate_$isa.log" 2>&1 ||
    fail "evaluating on $isa failed"
done
read -r eloss0 eacc0 <<< "$(sed -n 's/^Loss = //p; s/^Test Accuracy = //p' "$work/evaluate_$first.log" | tr '\n' ' ')"
for isa in "${ran[@]}"; do
  read -r eloss eacc <<< "$(sed -n 's/^Loss = //p; s/^Test Accuracy = //p' "$work/evaluate_$isa.log" | tr '\n' ' ')"
  echo "$first's checkpoint evaluated on $isa: loss $eloss accuracy $eacc"
  within "$eloss0" "$eloss" 1e-5 || fail "evaluated on $isa: loss $eloss against $eloss0"
  [ "$eacc" = "$eacc0" ] || fail "evaluated on $isa: accuracy $eacc against $eacc0"
done
echo "agree: ${ran[*]}"
