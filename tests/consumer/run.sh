#!/usr/bin/env bash
# Builds tests/consumer (a user's own model and program) against cnngen and trains it for one epoch:
#   run.sh installed    BUILD SIGNS   cmake --install BUILD into a temporary prefix, find_package
#   run.sh deb          BUILD SIGNS   cpack -G DEB in BUILD, the .deb extracted, find_package
#   run.sh subdirectory SOURCE SIGNS  add_subdirectory(SOURCE)
# Then: --version names cnngen's version, train --epochs 1 ends with a test accuracy, evaluate
# reads the checkpoint back.
set -euo pipefail
mode=$1 from=$2 signs=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
options=()
case $mode in
  installed)
    cmake --install "$from" --prefix "$tmp/prefix" > /dev/null
    options=(-DCMAKE_PREFIX_PATH="$tmp/prefix") ;;
  deb)
    (cd "$tmp" && cpack -G DEB --config "$from/CPackConfig.cmake" -B "$tmp/pkg" > /dev/null)
    deb=$(ls "$tmp"/pkg/*.deb)
    dpkg-deb -f "$deb" Package Version Depends
    dpkg-deb -x "$deb" "$tmp/root"
    options=(-DCMAKE_PREFIX_PATH="$tmp/root/usr") ;;
  subdirectory)
    options=(-DCNNGEN_SOURCE="$from") ;;
  *) echo "run.sh: unknown mode $mode" >&2; exit 2 ;;
esac
cmake -S "$here" -B "$tmp/build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${options[@]}" > "$tmp/configure.log" ||
  { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/build" > "$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
if grep -q "warning" "$tmp/build.log"; then grep "warning" "$tmp/build.log"; echo "the consumer's build warns"; exit 1; fi

program=$(find "$tmp/build" -name tiny_signs -type f -perm -u+x | head -1)
version=$("$program" --version)
echo "$version"
[[ $version == "tiny_signs (cnngen "*")" ]]
cd "$tmp"
# Without --data or $CNNGEN_DATA an installed program has no data set, and says how to give one.
if (unset CNNGEN_DATA; "$program" train --epochs 1 --checkpoint none.ckpt) 2> nodata.log; then exit 1; fi
grep "no data set given: pass --data DIR or set CNNGEN_DATA=DIR" nodata.log
CNNGEN_DATA=$signs "$program" train --epochs 1 --threads 2 --checkpoint tiny.ckpt | tee train.log | tail -3
grep -q "Epoch 1/1" train.log
"$program" evaluate --data "$signs" --checkpoint tiny.ckpt | tee evaluate.log
grep -q "Test Accuracy" evaluate.log
