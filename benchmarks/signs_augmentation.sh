#!/usr/bin/env bash
# ResNet50 on SIGNS with each augmentation (RESULTS.md, "What augmentation buys"): one full default
# training (30 epochs, seed 0) per configuration, each checkpoint then evaluated plain, with the
# ten test-time crops, and the ensemble of the members given by SEEDS of the first configuration.
#   benchmarks/signs_augmentation.sh OUT_DIR [CONFIG...]     CONFIG: an --augment value
# Prints one line per run: configuration, seed, wall seconds, test accuracy plain and with --tta ten.
set -euo pipefail
out=${1:?usage: signs_augmentation.sh OUT_DIR [CONFIG...]}; shift
configs=("$@")
((${#configs[@]})) || configs=(off on mirror crop zoom color pca mirror,crop,zoom,color,pca)
bin="$(dirname "$0")/../build/bin/resnet50"
mkdir -p "$out"
for config in "${configs[@]}"; do
  for seed in ${SEEDS:-0}; do
    name="$(echo "$config" | tr ',=' '+-')_s$seed"
    [ -f "$out/$name.done" ] && { cat "$out/$name.done"; continue; }
    start=$(date +%s.%N)
    "$bin" train --augment "$config" --seed "$seed" --checkpoint "$out/$name.ckpt" --verbose > "$out/$name.log" 2>&1
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    plain=$(grep -o 'Test Accuracy = [0-9.]*' "$out/$name.log" | tail -1 | cut -d' ' -f4)
    tta=$("$bin" evaluate --checkpoint "$out/$name.ckpt" --tta ten | grep -o 'Test Accuracy = [0-9.]*' | cut -d' ' -f4)
    printf '%s seed %s: %.0f s, test accuracy %s, with --tta ten %s\n' "$config" "$seed" "$wall" "$plain" "$tta" | tee "$out/$name.done"
  done
done
