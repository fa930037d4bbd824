#!/usr/bin/env bash
# Proof engine benchmark: a store with SCALE advisory records and changelog mentions (default
# 1M and 200k), then single-proof latency (p50/p99, in-process, from `vex -v --jobs 1`) and
# batch throughput for FINDINGS findings (default 100k) with all cores.
# Usage: scripts/bench-proof.sh [PACKAGES CVES_PER_PACKAGE CHANGELOG_PKGS ENTRIES FINDINGS]
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=${1:-50000}; PER=${2:-20}; CLP=${3:-20000}; ENTRIES=${4:-10}; N=${5:-100000}
cargo build -q --release --bin airlock
A="$(realpath -m "${CARGO_TARGET_DIR:-target}")/release/airlock"
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
AT=2026-11-23T12:00:00Z
python3 scripts/gen-proof-corpus.py "$W/evidence" "$W/findings.csv" "$PACKAGES" "$PER" "$CLP" "$ENTRIES" "$N"
"$A" -q key generate --algorithm ed25519 --out "$W/k" >/dev/null
"$A" -q trust init --root-key "$W/k.pub" --at "$AT" --out "$W/t.json"
"$A" trust add-key --trust-root "$W/t.json" --role bundle-signer --key "$W/k.pub"
"$A" trust sign --trust-root "$W/t.json" --key "$W/k.key"
"$A" -q bundle create --evidence "$W/evidence" --key "$W/k.key" --publisher bench --channel c \
  --sequence 1 --created "$AT" --out "$W/b.airlock"
/usr/bin/time -f "import: %e s, peak %M KiB" "$A" -q import "$W/b.airlock" --store "$W/store" --trust-root "$W/t.json" --at "$AT"
head -n 10001 "$W/findings.csv" > "$W/single.csv"
echo "single-proof latency (one worker, 10k proofs):"
"$A" -v vex --findings "$W/single.csv" --store "$W/store" --jobs 1 --out "$W/single.vex.json" 2>&1 | grep -E "latency|wrote" || true
start=$(date +%s.%N)
"$A" -q vex --findings "$W/findings.csv" --store "$W/store" --out "$W/all.vex.json"
end=$(date +%s.%N)
python3 - "$W/all.vex.json" "$end" "$start" <<'PY'
import json, sys
n = len(json.load(open(sys.argv[1]))["statements"])  # distinct findings after de-duplication
t = float(sys.argv[2]) - float(sys.argv[3])
print(f"batch: {n} findings in {t:.2f} s = {n/t:,.0f} findings/s (incl. writing {n} proof files)")
PY
