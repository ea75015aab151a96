#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ (clang-14, AddressSanitizer + UndefinedBehaviorSanitizer,
# in build-fuzz/) and runs each for SECONDS (default 60). Each grows its own working corpus in
# build-fuzz/corpus/<target>, started from the repository's seeds (fuzz/corpus/<target>, left as they
# are). A crash, a sanitizer report, an allocation over 2 GB or an input taking over 10 s is saved
# to build-fuzz/crashes/ and makes the script fail: copy it to fuzz/regressions/<target>/, named
# for what it found, and fix the reader; the suite replays it from then on.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(checkpoint image hdf5 idx command_line)

bash scripts/setup.sh
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCNNGEN_FUZZ=ON > /dev/null
cmake --build build-fuzz

# The sanitizer settings are compiled into the harnesses (fuzz/targets.cpp says why).
status=0
mkdir -p build-fuzz/crashes
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t
  mkdir -p "$corpus"
  cp -n fuzz/corpus/"$t"/* "$corpus"/
  log=build-fuzz/fuzz_$t.log
  before=$(ls build-fuzz/crashes | grep -c "^$t-" || true)
  # A reader's child process (HDF5) can write an artifact while the fuzzer itself carries on.
  if build-fuzz/bin/fuzz_"$t" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
       -print_final_stats=1 -artifact_prefix=build-fuzz/crashes/"$t"- > "$log" 2>&1 &&
     [[ $(ls build-fuzz/crashes | grep -c "^$t-" || true) == "$before" ]]; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
    cov=$(sed -E -n 's/.* cov: ([0-9]+).*/\1/p' <<< "$done_line")
    ft=$(sed -E -n 's/.* ft: ([0-9]+).*/\1/p' <<< "$done_line")
    corp=$(sed -E -n 's/.* corp: ([0-9]+).*/\1/p' <<< "$done_line")
    line="fuzz $t: ${seconds}s, $runs runs, coverage $cov edges ($ft features), corpus $corp inputs, no crash"
    echo "$line"
    echo "$(date -u +%FT%TZ) $line" >> build-fuzz/campaigns.txt  # every run's figures, for RESULTS.md
  else
    status=1
    echo "fuzz $t: FOUND A CRASH after $(grep -c '^#' "$log") progress lines; see $log:"
    grep -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|Test unit written to' "$log" | head -5
  fi
done
exit $status
