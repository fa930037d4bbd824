#!/usr/bin/env bash
# Builds the tiny vulnerable/fixed pair under fixtures/binary/pair from C: vulnerable.c, and
# fixed.c = vulnerable.c + fix.patch (a bounds check in parse_record). gcc -O2, shared, x86-64.
# With --real, also checks a real Debian pair (libpng16-16 1.6.39-2+deb12u5 vs +deb12u6,
# bookworm vs bookworm-security; needs apt and the network) end to end with airlock.
set -euo pipefail
cd "$(dirname "$0")/.."
P=fixtures/binary/pair
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$P/vulnerable.c" "$tmp/record.c"
(cd "$tmp" && patch -s -p1 < "$OLDPWD/$P/fix.patch" -o fixed.c record.c >/dev/null 2>&1) \
  || (cd "$tmp" && cp record.c fixed.c && patch -s fixed.c < "$OLDPWD/$P/fix.patch")
CFLAGS=(-O2 -fPIC -shared -fno-asynchronous-unwind-tables -ffile-prefix-map="$tmp"=.)
gcc "${CFLAGS[@]}" -o "$P/vulnerable.so" "$P/vulnerable.c"
gcc "${CFLAGS[@]}" -o "$P/fixed.so" "$tmp/fixed.c"
echo "built $P/vulnerable.so $P/fixed.so"

if [ "${1:-}" = "--real" ]; then
  cargo build -q --release --bin airlock
  A=${CARGO_TARGET_DIR:-target}/release/airlock
  R=$(mktemp -d)
  (cd "$R" && apt-get download -q libpng16-16=1.6.39-2+deb12u5 libpng16-16=1.6.39-2+deb12u6 >/dev/null 2>&1)
  for d in "$R"/*.deb; do mkdir -p "$d.x"; dpkg-deb -x "$d" "$d.x"; done
  V=$(ls "$R"/libpng16-16_1.6.39-2+deb12u5_amd64.deb.x/usr/lib/x86_64-linux-gnu/libpng16.so.16.*)
  F=$(ls "$R"/libpng16-16_1.6.39-2+deb12u6_amd64.deb.x/usr/lib/x86_64-linux-gnu/libpng16.so.16.*)
  "$A" fingerprint cve --cve CVE-2026-46675 --package 'pkg:deb/debian/libpng16-16@1.6.39-2%2Bdeb12u6?arch=amd64' \
    --vulnerable "$V" --fixed "$F" --out "$R/records"
  "$A" fingerprint match "$V" --cve CVE-2026-46675 --records "$R/records" | tail -1
  "$A" fingerprint match "$F" --cve CVE-2026-46675 --records "$R/records" | tail -1
  rm -rf "$R"
fi
