#!/usr/bin/env bash
# Regenerates fixtures/packages/ from Debian bookworm: three small binary packages (one with a
# plain and a binNMU changelog, one whose Source: field carries a version) and the expat source
# package's .dsc and .debian.tar.xz (the upstream tarball is not needed and not kept).
# Needs apt with deb-src lines for bookworm (the script adds them if missing). Network: yes
# (run by hand; tests only read the committed copies).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=fixtures/packages
if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat > /etc/apt/sources.list.d/airlock-deb-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
apt-get download libexpat1=2.5.0-1+deb12u2 libdisorder0=0.0.2+git20130809.8062ee1-4+b1 \
  python3-all=3.11.2-1+b1
apt-get source --download-only expat=2.5.0-1+deb12u2
cd - >/dev/null
mkdir -p "$OUT"
cp "$WORK"/libexpat1_2.5.0-1+deb12u2_amd64.deb "$WORK"/libdisorder0_*_amd64.deb \
  "$WORK"/python3-all_3.11.2-1+b1_amd64.deb "$WORK"/expat_2.5.0-1+deb12u2.dsc \
  "$WORK"/expat_2.5.0-1+deb12u2.debian.tar.xz "$OUT"/
(cd "$OUT" && sha256sum -- *.deb *.dsc *.tar.xz)
