#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, only those missing.
# Needs root (as on CI and the dev machines); prints what it does.
set -euo pipefail

packages=(
  g++ cmake ninja-build  # the core
  libgtest-dev           # C++ unit tests
  clang libclang-rt-14-dev  # libFuzzer targets
  libspeexdsp1           # SpeexDSP preprocessor, a peer of cbcs bench denoise
  chromium               # end-to-end WebRTC calls (tests/e2e, cbcs bench e2e)
  fonts-wqy-zenhei       # a Chinese font, so the pages' zh text shows in the screenshots
  libopus-dev libsrtp2-dev pkg-config  # Opus and SRTP, linked into the core (call audio)
  postgresql redis-server  # the store and bus of several nodes; tests run both on loopback
  espeak-ng              # the voice loop's voices for es, pt-BR, id, vi, th (cbcs.ai.tts)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
