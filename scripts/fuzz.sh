#!/usr/bin/env bash
# Builds every fuzz/<parser>_fuzz.cpp with clang + libFuzzer + ASan/UBSan and runs each for
# a bounded time (FUZZ_SECONDS, default 20) from its seed corpus in fuzz/corpus/<name>.
set -euo pipefail
seconds=${FUZZ_SECONDS:-20}
build=build/fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCBCS_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build"
shopt -s nullglob
for src in fuzz/*_fuzz.cpp; do
  name=$(basename "$src" .cpp)
  work=$(mktemp -d)
  seeds=()
  [ -d "fuzz/corpus/$name" ] && seeds=("fuzz/corpus/$name")
  echo "fuzzing $name for ${seconds}s"
  log="$work.log"
  if ! "$build/$name" -max_total_time="$seconds" -print_final_stats=1 "$work" "${seeds[@]}" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz target $name failed" >&2
    exit 1
  fi
  grep -E "^(stat::number_of_executed_runs|Done )" "$log" || true
  rm -rf "$work" "$log"
done
