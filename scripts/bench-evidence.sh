#!/usr/bin/env bash
# Advisory parsing throughput: `airlock evidence scan --json` over a generated corpus of OSV
# and CSAF documents (real samples replicated with changed ids by gen-advisory-corpus.py),
# against plain JSON decoding of the same files by Python's json module (the floor any
# normalizing reader pays) in the same hyperfine run. Prints MB/s and records/s per kind.
#
# usage: scripts/bench-evidence.sh [MB_PER_KIND]   (default 64; needs hyperfine, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
MB="${1:-64}"
export CARGO_BUILD_BUILD_DIR="${CARGO_BUILD_BUILD_DIR:-/work/cargo-build}"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }

cargo build --release --bin airlock -q
BIN="$(pwd)/target/release/airlock"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 scripts/gen-advisory-corpus.py "$WORK/corpus" --mb-per-kind "$MB"

PY_DECODE='import json,os,sys
n=0
for d,_,fs in os.walk(sys.argv[1]):
    for f in fs:
        with open(os.path.join(d,f),"rb") as h: json.loads(h.read()); n+=1
print(n)'

for kind in osv csaf; do
  dir="$WORK/corpus/$kind"
  bytes=$(du -sb "$dir" | cut -f1)
  "$BIN" evidence scan "$dir" --json > "$WORK/$kind.json"
  records=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["records"])' "$WORK/$kind.json")
  files=$(find "$dir" -type f | wc -l)
  echo "== $kind: $files files, $records records, $bytes bytes"
  hyperfine --warmup 1 --runs 5 --export-json "$WORK/$kind-hf.json" \
    -n "airlock evidence scan --json ($kind)" "$BIN evidence scan $dir --json > /dev/null" \
    -n "python3 json.loads ($kind, decode only)" "python3 -c '$PY_DECODE' $dir > /dev/null"
  python3 - "$WORK/$kind-hf.json" "$bytes" "$records" "$kind" <<'PY'
import json, sys
hf, size, records, kind = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
air, py = hf["results"][0]["median"], hf["results"][1]["median"]
print(f"{kind}: airlock median {air:.3f} s = {size/air/1e6:.1f} MB/s, {records/air:.0f} records/s; "
      f"python json.loads median {py:.3f} s = {size/py/1e6:.1f} MB/s; ratio (python/airlock) {py/air:.2f}x")
PY
done
