#!/usr/bin/env bash
# Binary-analysis benchmark (not run by CI; needs the network for the inputs):
#   1. TLSH throughput: `airlock fingerprint tlsh` vs the reference (py-tlsh) over the same
#      files in one run: the files scripts/fetch-binaries.sh fetches plus a ~23 MB library;
#   2. full per-function fingerprint extraction (`fingerprint extract`) of that ~23 MB shared
#      library (libz3.so.4 from Debian bookworm's libz3-4 4.8.12-3.1).
# Prints hyperfine's medians; installs hyperfine and py-tlsh if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q hyperfine >/dev/null; }
python3 -c 'import tlsh' 2>/dev/null || pip install -q py-tlsh
BIN_DIR=${AIRLOCK_BINARIES:-/tmp/airlock-binaries}
[ -f "$BIN_DIR/files.txt" ] || bash scripts/fetch-binaries.sh "$BIN_DIR"
BIG_DIR=$BIN_DIR/big
if [ ! -f "$BIG_DIR/libz3.so.4" ]; then
  mkdir -p "$BIG_DIR"
  (cd "$BIG_DIR" && apt-get download -q libz3-4=4.8.12-3.1 >/dev/null 2>&1 && dpkg-deb -x libz3-4_*.deb x \
    && cp x/usr/lib/x86_64-linux-gnu/libz3.so.4 . && rm -rf x)
fi
BIG=$BIG_DIR/libz3.so.4
cargo build -q --release --locked --bin airlock
A=${CARGO_TARGET_DIR:-target}/release/airlock
mapfile -t FILES < "$BIN_DIR/files.txt"
FILES+=("$BIG")
BYTES=$(cat "${FILES[@]}" | wc -c)
echo "TLSH over ${#FILES[@]} files, $BYTES bytes"
cat > "${TMPDIR:-/tmp}/pytlsh_files.py" <<'PY'
import sys, tlsh
for p in sys.argv[1:]:
    with open(p, "rb") as f:
        print(tlsh.hash(f.read()), p, sep="  ")
PY
# Same digests first (the comparison is meaningless otherwise).
diff <("$A" fingerprint tlsh "${FILES[@]}") <(python3 "${TMPDIR:-/tmp}/pytlsh_files.py" "${FILES[@]}") \
  && echo "digests identical on all ${#FILES[@]} files"
hyperfine -N --warmup 2 --runs 15 --export-json "${TMPDIR:-/tmp}/bench-tlsh.json" \
  -n airlock "$A fingerprint tlsh ${FILES[*]}" \
  -n py-tlsh "python3 ${TMPDIR:-/tmp}/pytlsh_files.py ${FILES[*]}" >/dev/null
python3 - "${TMPDIR:-/tmp}/bench-tlsh.json" "$BYTES" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
n = int(sys.argv[2])
a, p = r["airlock"]["median"], r["py-tlsh"]["median"]
print(f"tlsh airlock median {a*1000:.1f} ms ({n/a/1e6:.0f} MB/s); py-tlsh median {p*1000:.1f} ms "
      f"({n/p/1e6:.0f} MB/s); speed ratio airlock/py-tlsh = {p/a:.2f}x")
PY
echo "Extraction of $(basename "$BIG") ($(stat -c %s "$BIG") bytes):"
"$A" fingerprint extract "$BIG" | head -1
hyperfine -N --warmup 1 --runs 5 --export-json "${TMPDIR:-/tmp}/bench-extract.json" \
  -n extract "$A fingerprint extract $BIG" \
  -n extract-1-thread "$A fingerprint extract --threads 1 $BIG" >/dev/null
python3 - "${TMPDIR:-/tmp}/bench-extract.json" <<'PY'
import json, sys
for x in json.load(open(sys.argv[1]))["results"]:
    print(f"{x['command']}: median {x['median']:.2f} s (min {x['min']:.2f}, max {x['max']:.2f})")
PY
