#!/usr/bin/env bash
# Builds the cbcs wheel into DIST (default dist/) with libopus and libsrtp2 linked in
# statically (built from Debian's sources by scripts/build-static-deps.sh), so that
# `pip install cbcs-*.whl` needs no -dev package: the module links only libcrypto (OpenSSL,
# as Python's ssl module does), libstdc++ and libc from the system.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-dist}
py=${PYTHON:-python3}
bash scripts/build-static-deps.sh build/deps
"$py" -m pip wheel -q . --no-deps -w "$dist" -Cbuild-dir=build/wheel \
  -Ccmake.define.CBCS_DEPS_PREFIX="$PWD/build/deps"
ls "$dist"/cbcs-*.whl
