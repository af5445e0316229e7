#!/usr/bin/env bash
# Builds libopus and libsrtp2 as static, position-independent libraries from Debian's own
# source packages (apt-get source: Debian's tarball with Debian's patches), for the wheel:
# Debian's libopus.a is not PIC and its libsrtp2.a is bound to NSS, so neither can go into
# a Python extension as shipped. libsrtp2 is built against OpenSSL's libcrypto (AES-GCM and
# AES-NI), which the wheel links dynamically like Python's own ssl module does.
#
#   scripts/build-static-deps.sh PREFIX     -> PREFIX/{include,lib}/... (libopus.a, libsrtp2.a)
#
# Needs root for apt-get (adds a deb-src entry when the machine has none).
set -euo pipefail
prefix=$(realpath -m "${1:?usage: build-static-deps.sh PREFIX}")
if [ -f "$prefix/lib/libopus.a" ] && [ -f "$prefix/lib/libsrtp2.a" ]; then
  echo "static libopus and libsrtp2 already in $prefix"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! grep -rqsE '^(Types: .*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  [ "$(id -u)" = 0 ] || { echo "no deb-src entry in apt's sources (run as root to add one)" >&2; exit 1; }
  src=/etc/apt/sources.list.d/cbcs-deb-src.sources
  echo "adding Debian source entries: $src"
  for f in /etc/apt/sources.list.d/*.sources; do
    [ "$f" = "$src" ] || sed 's/^Types: deb$/Types: deb-src/' "$f"
    echo
  done > "$src"
  apt-get update -qq
fi
dpkg-query -W -f='${Status}' libssl-dev dpkg-dev 2>/dev/null | grep -qv "not-installed" \
  || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libssl-dev dpkg-dev >/dev/null; }

cd "$work"
echo "fetching Debian sources of opus and libsrtp2"
apt-get source -qq opus libsrtp2 >/dev/null 2>&1 || apt-get source opus libsrtp2
opus_dir=$(find . -maxdepth 1 -type d -name 'opus-*' | head -n 1)
srtp_dir=$(find . -maxdepth 1 -type d -name 'libsrtp2-*' | head -n 1)

common=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_POSITION_INDEPENDENT_CODE=ON
        -DBUILD_SHARED_LIBS=OFF -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib
        -DCMAKE_POLICY_VERSION_MINIMUM=3.5)
echo "building static libopus ($opus_dir)"
# opus 1.3's tarball ships an incomplete CMake build; its configure script is the real one.
(cd "$opus_dir" && ./configure -q --prefix="$prefix" --libdir="$prefix/lib" --enable-static \
   --disable-shared --with-pic --disable-doc --disable-extra-programs >/dev/null \
 && make -s -j"$(nproc)" >/dev/null 2>&1 && make -s install >/dev/null 2>&1)
echo "building static libsrtp2 with OpenSSL ($srtp_dir)"
cmake -S "$srtp_dir" -B srtp-build "${common[@]}" -DENABLE_OPENSSL=ON -DTEST_APPS=OFF \
  >/dev/null
cmake --build srtp-build >/dev/null
cmake --install srtp-build >/dev/null
ls "$prefix/lib"/libopus.a "$prefix/lib"/libsrtp2.a
