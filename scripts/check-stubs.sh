#!/usr/bin/env bash
# Regenerates the type stubs of cbcs._core and fails if the checked-in ones differ.
# Run with --update to rewrite python/cbcs/_core.pyi.
set -euo pipefail
py=${PYTHON:-python}
out=$(mktemp -d)
"$py" -m pybind11_stubgen cbcs._core -o "$out" --numpy-array-use-type-var >/dev/null
if [ "${1:-}" = "--update" ]; then
  cp "$out/cbcs/_core.pyi" python/cbcs/_core.pyi
  echo "updated python/cbcs/_core.pyi"
elif ! diff -u python/cbcs/_core.pyi "$out/cbcs/_core.pyi"; then
  echo "python/cbcs/_core.pyi is stale: run scripts/check-stubs.sh --update" >&2
  exit 1
else
  echo "stubs of cbcs._core match the built module"
fi
