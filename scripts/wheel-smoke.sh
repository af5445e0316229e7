#!/usr/bin/env bash
# Installs a built cbcs wheel into a fresh venv and checks it stands alone: its _core module
# links no libopus or libsrtp2 from the system (ldd), imports with the system's copies of
# both hidden (a private mount namespace), runs `cbcs netsim` and `cbcs denoise`, and makes
# a WebRTC call whose SRTP and Opus run in the wheel's core (examples/call_aiortc.py).
#   scripts/wheel-smoke.sh dist/cbcs-*.whl
set -euo pipefail
wheel=$(realpath "${1:?usage: wheel-smoke.sh WHEEL}")
root=$(cd "$(dirname "$0")/.." && pwd)
audio=$(realpath "$root/../shared/data/audio/speech/es_leopard.wav")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --upgrade pip
"$work/venv/bin/pip" install -q "$wheel"
module=$(ls "$work"/venv/lib/python3*/site-packages/cbcs/_core*.so)
echo "ldd $(basename "$module"):"
ldd "$module" | sed 's/^/  /'
if ldd "$module" | grep -qE "libopus|libsrtp"; then
  echo "wheel-smoke: _core links a system libopus or libsrtp2" >&2
  exit 1
fi
hide=""
for lib in /usr/lib/x86_64-linux-gnu/libopus.so* /usr/lib/x86_64-linux-gnu/libsrtp2.so*; do
  [ -e "$lib" ] && hide+="mount --bind /dev/null $lib; "
done
unshare --mount sh -c "$hide $work/venv/bin/python -c 'import cbcs._core; print(\"  imports with the system libopus and libsrtp2 hidden\")'"
cd "$work"
"$work/venv/bin/cbcs" netsim --profile latam-3g --input "$audio" --output heard.wav | tail -n 3
"$work/venv/bin/cbcs" denoise --quiet "$audio" clean.wav
"$work/venv/bin/python" "$root/examples/call_aiortc.py" --profile none --seconds 2 --audio "$audio" \
  --out "$work" > call.json
grep -q '"receive+send:core-link(srtp,udp)"' call.json \
  || { echo "wheel-smoke: the call did not run through the core's SRTP link" >&2; cat call.json >&2; exit 1; }
echo "  a loopback call ran through the core's SRTP link"
echo "wheel-smoke: ok ($(basename "$wheel"))"
