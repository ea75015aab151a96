#!/usr/bin/env bash
# Installs every Debian 12 package cnngen needs to build, test and benchmark.
# Idempotent; run as root (CI and the developer machines are root). Nothing else is downloaded.
#   scripts/setup.sh           build and tests
#   scripts/setup.sh --peers   also the PyTorch peer of benchmarks/network_vs_pytorch.py, with OpenBLAS
#                              (Debian's alternatives then point libblas.so.3 at it, not the reference BLAS)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libhalide14-0-dev llvm-14-dev         # Halide 14: the code generator; its CMake config needs LLVM's
  libgtest-dev libgmock-dev             # GoogleTest: the test suite
  libbenchmark-dev                      # Google Benchmark: benchmarks/
  libhdf5-dev                           # the course's .h5 data sets
  libjpeg62-turbo-dev libpng-dev zlib1g-dev  # image decoding (libjpeg-turbo, libpng)
  libeigen3-dev                         # Eigen: the training set's RGB covariance and its eigenvectors (PCA colour augmentation)
  libstb-dev                            # stb_image_resize: random-scale crops resampled back to the model's input
  libgraphviz-dev                       # Graphviz's libgvc/cgraph: plot_model's layout and SVG/PNG rendering
  libdnnl-dev                           # oneDNN: the peer in benchmarks
  libopenmpi-dev openmpi-bin            # Open MPI: data-parallel training across processes and machines (mpirun)
  dataset-fashion-mnist                 # Fashion-MNIST's IDX files: LeNet-5's data (examples/lenet5)
  clang-14                              # the DSL's compile-fail tests run under clang as well as GCC
  libclang-rt-14-dev                    # libFuzzer and the sanitizers' runtimes for clang (scripts/fuzz.sh)
)
case "${1:-}" in
  --peers) packages+=(python3-torch libopenblas0-pthread) ;;
  "") ;;
  *) echo "setup: unknown argument '$1' (expected nothing or --peers)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} packages present"
fi
