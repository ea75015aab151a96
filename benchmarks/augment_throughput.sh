#!/usr/bin/env bash
# Training throughput with every augmentation on against none (RESULTS.md, "The input pipeline's
# cost"): ROUNDS rounds of two-epoch ResNet50 trainings, the two configurations alternating, each
# run's second epoch's images/s of training steps as its --verbose line reports it (the first
# epoch warms the caches and the allocator), and the trainer's wait on its input pipeline.
#   benchmarks/augment_throughput.sh [ROUNDS] [PRODUCERS]
set -euo pipefail
rounds=${1:-5}; producers=${2:-1}
bin="$(dirname "$0")/../build/bin/resnet50"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
all=mirror,crop,zoom,color,pca
for r in $(seq "$rounds"); do
  for config in off "$all"; do
    "$bin" train --epochs 2 --augment "$config" --producers "$producers" --verbose --checkpoint "$dir/t.ckpt" > "$dir/log" 2>&1
    line=$(grep 'input pipeline' "$dir/log" | tail -1)
    echo "$config $(echo "$line" | grep -o '[0-9.]* images/s' | cut -d' ' -f1) $(echo "$line" | grep -o 'waited [0-9.]*' | cut -d' ' -f2)"
    rm -f "$dir/t.ckpt"
  done
done | python3 -c '
import statistics, sys
runs = [l.split() for l in sys.stdin]
off = [float(r[1]) for r in runs if r[0] == "off"]
on = [float(r[1]) for r in runs if r[0] != "off"]
for r in runs: print(f"  {r[0]:>30}: {float(r[1]):7.1f} images/s, waited {float(r[2]):.3f} s")
ratios = [b / a for a, b in zip(off, on)]
print(f"median images/s: none {statistics.median(off):.1f}, all {statistics.median(on):.1f}; "
      f"ratio all/none per round {min(ratios):.3f} to {max(ratios):.3f}, median {statistics.median(ratios):.3f}")
'
