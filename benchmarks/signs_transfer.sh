#!/usr/bin/env bash
# The transfer-learning table of RESULTS.md: a three-class ResNet50 pretrained on SIGNS classes 0-2
# (all 540 training images), then trained on classes 3-5 from 20 images per class, frozen through
# stage 3 or 4, initialised but not frozen, or from scratch; the frozen ones with and without
# --cache-features. Test accuracy on all of classes 3-5's test images (60), wall time of each.
#   benchmarks/signs_transfer.sh OUT_DIR
set -euo pipefail
out=${1:?usage: signs_transfer.sh OUT_DIR}
bin="$(dirname "$0")/../build/bin/resnet50_3class"
mkdir -p "$out"
run() {  # name, arguments of train
  local name=$1; shift
  [ -f "$out/$name.done" ] && { cat "$out/$name.done"; return; }
  local start; start=$(date +%s.%N)
  "$bin" train --checkpoint "$out/$name.ckpt" "$@" > "$out/$name.log" 2>&1
  local wall; wall=$(echo "$(date +%s.%N) - $start" | bc)
  local acc; acc=$(grep -o 'Test Accuracy = [0-9.]*' "$out/$name.log" | tail -1 | cut -d' ' -f4)
  printf '%s: %.0f s, test accuracy %s\n' "$name" "$wall" "$acc" | tee "$out/$name.done"
}
run source_0-2 --classes 0,1,2
target=(--classes 3,4,5 --per-class 20)
for stage in 3:activation_22 4:activation_40; do
  run "frozen_stage${stage%%:*}" "${target[@]}" --init-from "$out/source_0-2.ckpt" --freeze-through "${stage#*:}"
  run "frozen_stage${stage%%:*}_cached" "${target[@]}" --init-from "$out/source_0-2.ckpt" --freeze-through "${stage#*:}" \
      --cache-features --augment off
done
run initialised "${target[@]}" --init-from "$out/source_0-2.ckpt"
run scratch "${target[@]}"
