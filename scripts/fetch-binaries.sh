#!/usr/bin/env bash
# Fetches real ELF, PE and Mach-O binaries for the binary-analysis checks and benchmarks:
# native extension modules from pinned PyPI wheels (manylinux x86_64 and aarch64, win_amd64,
# macOS x86_64/arm64/universal2) and shared libraries from Debian packages.
# Usage: scripts/fetch-binaries.sh [OUT_DIR]   (default /tmp/airlock-binaries)
# Result: OUT_DIR/files/<platform>/<package>/<library> plus OUT_DIR/files.txt (one path a line).
# Needs the network (PyPI, Debian mirrors); never run by the tests.
set -euo pipefail
OUT=${1:-/tmp/airlock-binaries}
mkdir -p "$OUT/wheels" "$OUT/debs" "$OUT/files"

# package==version pairs that ship cp311 wheels for every platform below.
PKGS=(
  markupsafe==2.1.5 charset-normalizer==3.3.2 msgpack==1.0.8 multidict==6.0.5
  frozenlist==1.4.1 yarl==1.9.4 wrapt==1.16.0 simplejson==3.19.2 ujson==5.10.0
  xxhash==3.4.1 mmh3==4.1.0 bitarray==2.9.2
)
PLATFORMS=(
  manylinux2014_x86_64 manylinux2014_aarch64 win_amd64
  macosx_10_9_x86_64 macosx_11_0_arm64 macosx_10_9_universal2
)
for plat in "${PLATFORMS[@]}"; do
  mkdir -p "$OUT/wheels/$plat"
  for pkg in "${PKGS[@]}"; do
    pip download -q --no-deps --only-binary=:all: --platform "$plat" --python-version 3.11 \
      --implementation cp --abi cp311 "$pkg" -d "$OUT/wheels/$plat" 2>/dev/null \
      || echo "fetch-binaries: no $plat wheel for $pkg" >&2
  done
  for whl in "$OUT/wheels/$plat"/*.whl; do
    [ -e "$whl" ] || continue
    name=$(basename "$whl" .whl)
    dest="$OUT/files/$plat/$name"
    mkdir -p "$dest"
    python3 - "$whl" "$dest" <<'PY'
import sys, zipfile, os
whl, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        n = info.filename
        if n.endswith(('.so', '.pyd', '.dylib', '.dll')):
            with open(os.path.join(dest, os.path.basename(n)), 'wb') as f:
                f.write(z.read(n))
PY
  done
done

# Debian shared libraries (x86-64 ELF), from the host's configured archive.
DEBS=(libzstd1 zlib1g libexpat1 liblz4-1 libbz2-1.0 libffi8 libyaml-0-2 libxml2 libsqlite3-0)
( cd "$OUT/debs" && for d in "${DEBS[@]}"; do apt-get download -q "$d" >/dev/null 2>&1 \
    || echo "fetch-binaries: apt-get download $d failed" >&2; done )
for deb in "$OUT/debs"/*.deb; do
  [ -e "$deb" ] || continue
  name=$(basename "$deb" .deb)
  tmp=$(mktemp -d)
  dpkg-deb -x "$deb" "$tmp"
  mkdir -p "$OUT/files/debian/$name"
  find "$tmp" -type f -name '*.so*' -exec cp {} "$OUT/files/debian/$name/" \;
  rm -rf "$tmp"
done

find "$OUT/files" -type f | LC_ALL=C sort > "$OUT/files.txt"
echo "fetch-binaries: $(wc -l < "$OUT/files.txt") files in $OUT/files" >&2
