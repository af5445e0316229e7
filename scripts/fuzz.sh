#!/usr/bin/env bash
# Builds every fuzz/<parser>_fuzz.cpp with clang + libFuzzer + ASan/UBSan and runs each for
# a bounded time (FUZZ_SECONDS, default 20) from its seed corpus in fuzz/corpus/<name>;
# then the Python targets of fuzz/py (every JSON frame type and REST body, through atheris,
# or a seeded random engine without it) together for FUZZ_PY_SECONDS (default 2 x that).
set -euo pipefail
seconds=${FUZZ_SECONDS:-20}
py_seconds=${FUZZ_PY_SECONDS:-$((seconds * 2))}
python=${PYTHON:-.venv/bin/python}
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
  grep -E "^(stat::(number_of_executed_units|average_exec_per_sec)|Done )" "$log" || true
  rm -rf "$work" "$log"
done

mkdir -p build/fuzz-py
log=build/fuzz-py/bounded.log
echo "fuzzing fuzz/py/json_fuzz.py (every JSON frame type and REST body) for ${py_seconds}s"
if ! "$python" fuzz/py/json_fuzz.py --target all --seconds "$py_seconds" \
    -artifact_prefix=build/fuzz-py/ >"$log" 2>&1; then
  tail -n 60 "$log" >&2
  echo "fuzz target json_fuzz failed (the input is in build/fuzz-py/)" >&2
  exit 1
fi
sed -n '/^json_fuzz (/,$p' "$log"
