#!/usr/bin/env bash
# Sets up (Debian packages), builds everything and runs the whole test suite twice: as built for
# users (build/: kernels for every instruction set, the kernel, network and command-line tests once
# per ISA), then with AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/: the runtime, the
# programs and the tests instrumented; the generated kernels are Halide's objects, generated for
# AVX2 alone, which every CI machine runs: the sanitizers check the code around them), all but the
# two long trainings that check an accuracy.
# Last, the input pipeline's tests under ThreadSanitizer (build-tsan/: the runtime and
# tests/pipeline alone, no model's kernels).
# CNNGEN_TEST_PLAIN_ONLY=1 skips the sanitizer runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build
ctest --test-dir build --output-on-failure -j "$(nproc)"
if [ "${CNNGEN_TEST_PLAIN_ONLY:-0}" = 1 ]; then exit 0; fi
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DCNNGEN_SANITIZE=address,undefined -DCNNGEN_BUILD_BENCHMARKS=OFF \
  -DCNNGEN_TARGETS=avx2
cmake --build build-asan
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --label-exclude accuracy  # tests/CMakeLists.txt says why
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Release -DCNNGEN_SANITIZE=thread -DCNNGEN_BUILD_EXAMPLES=OFF \
  -DCNNGEN_BUILD_TESTS=OFF -DCNNGEN_BUILD_BENCHMARKS=OFF -DCNNGEN_BUILD_PIPELINE_TESTS=ON -DCNNGEN_TARGETS=avx2
cmake --build build-tsan --target test_pipeline
# Not plot_model's tests: Graphviz's text layout starts fontconfig's thread inside glib and pango,
# uninstrumented, which TSan reports as races within them; cnngen starts no thread there.
ctest --test-dir build-tsan --output-on-failure -j "$(nproc)" --exclude-regex '^PlotModel\.'

