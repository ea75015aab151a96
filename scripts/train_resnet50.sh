#!/usr/bin/env bash
# The main job: sets up, builds, and trains the generated ResNet50 on SIGNS with a progress bar.
# Extra arguments go to `resnet50 train` (e.g. --epochs 5, --data DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --target resnet50_program
exec build/bin/resnet50 train --checkpoint resnet50.ckpt "$@"
