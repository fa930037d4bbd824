#!/usr/bin/env bash
# Snapshot-delta benchmark: a realistic month. Month 1 is a snapshot with ADVISORIES advisory
# records (Debian security tracker JSON, PER_FILE records a file, the shape scripts/bench-import.sh
# uses), fingerprint files and transparency-log tiles. Month 2 changes 2.5% of the records
# (a new fixed version), adds 2.5% new records, a few fingerprint files, tiles and a newer
# checkpoint. Measures, in one run:
#   - size of the delta as a share of the full month-2 bundle       (goal <= 10%)
#   - `airlock bundle diff` time                                    (median of RUNS)
#   - import onto a store holding month 1: delta vs full month 2     (median of RUNS each,
#     each run on a fresh copy of the month-1 store), and that both give the same store digest
# Usage: scripts/bench-snapshot.sh [ADVISORIES]        (default 1000000; RUNS=3, PER_FILE=10000)
set -euo pipefail
cd "$(dirname "$0")/.."
ADVISORIES=${1:-1000000}
PER_FILE=${PER_FILE:-10000}
RUNS=${RUNS:-3}
WORK=${WORK:-$(mktemp -d /tmp/airlock-bench-snapshot.XXXXXX)}
trap 'rm -rf "$WORK"' EXIT

# AIRLOCK_BIN=path skips the release build (only for trying the script out; figures need release).
BIN=${AIRLOCK_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release --locked --quiet --bin airlock
  BIN=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])')/release/airlock
fi

echo "== generating month 1 and month 2 ($ADVISORIES advisory records, $PER_FILE per file) in $WORK"
python3 - "$WORK" "$ADVISORIES" "$PER_FILE" <<'PY'
import hashlib, json, os, sys
work, n_adv, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def record(j, fixed):
    return {"description": "generated record", "scope": "local",
            "releases": {"bookworm": {"status": "resolved", "fixed_version": fixed, "urgency": "medium",
                                      "repositories": {"bookworm": fixed}}}}

def tile(month, i):
    # 8 KiB of hash output: 256 32-byte "node hashes", like a full level-0 tlog tile.
    seed = hashlib.sha256(b"tile %d" % i).digest()
    out = bytearray()
    while len(out) < 8192:
        seed = hashlib.sha256(seed).digest(); out += seed
    return bytes(out)

def fingerprints(f):
    return [{"package": f"pkg:deb/debian/lib{f}", "function": f"func_{f}_{k}", "variant": "x86_64/fixed",
             "vulnerability": f"CVE-2031-{f * 1000 + k + 10000}",
             "tlsh": "T1" + hashlib.sha256(b"%d %d" % (f, k)).hexdigest().upper()[:70]} for k in range(500)]

for month in (1, 2):
    root = f"{work}/month{month}"
    os.makedirs(f"{root}/advisories/debian-tracker", exist_ok=True)
    i = 0; part = 0
    while i < n_adv:
        doc = {}
        for j in range(i, min(i + per, n_adv)):
            pkg = f"pkg{j // 10}"
            # Month 2: one record in 40 gets a new fixed version (2.5% changed).
            fixed = f"2.{j % 7}-1" if month == 2 and j % 40 == 7 else f"1.{j % 7}-1"
            doc.setdefault(pkg, {})[f"CVE-{2000 + j % 25}-{100000 + j}"] = record(j, fixed)
            # Month 2: one new record in 40 (2.5% added), in the same package.
            if month == 2 and j % 40 == 21:
                doc[pkg][f"CVE-2030-{100000 + j}"] = record(j, "3.0-1")
        with open(f"{root}/advisories/debian-tracker/part-{part:05}.json", "w") as f:
            json.dump(doc, f, separators=(",", ":"))
        i += per; part += 1
    os.makedirs(f"{root}/fingerprints", exist_ok=True)
    for f_i in range(20 if month == 1 else 23):
        with open(f"{root}/fingerprints/lib{f_i:03}.json", "w") as f:
            json.dump(fingerprints(f_i), f, separators=(",", ":"))
    os.makedirs(f"{root}/tlog/tile/0", exist_ok=True)
    tiles = 64 if month == 1 else 72
    for t in range(tiles):
        with open(f"{root}/tlog/tile/0/{t:03}", "wb") as f:
            f.write(tile(month, t))
    size = tiles * 256
    root_hash = __import__("base64").b64encode(hashlib.sha256(b"root %d" % size).digest()).decode()
    with open(f"{root}/tlog/checkpoint", "w") as f:
        f.write(f"bench.example.org/log\n{size}\n{root_hash}\n")
PY

echo "== keys, trust root, month 1 and month 2 snapshots"
cd "$WORK"
"$BIN" -q key generate --algorithm ed25519 --out root
"$BIN" -q key generate --algorithm ed25519 --out signer
"$BIN" -q trust init --root-key root.pub --at 2026-01-01T00:00:00Z --expires 5y --out trust.json
"$BIN" -q trust add-key --trust-root trust.json --role bundle-signer --key signer.pub
"$BIN" -q trust sign --trust-root trust.json --key root.key
"$BIN" -q bundle create --evidence month1 --key signer.key --publisher bench --channel monthly \
  --sequence 1 --created 2026-05-01T00:00:00Z --expires 1y --out month1.airlock
"$BIN" -q bundle create --evidence month2 --key signer.key --publisher bench --channel monthly \
  --sequence 2 --created 2026-06-01T00:00:00Z --expires 1y --out month2.airlock
rm -rf month1 month2
AT=2026-06-02T00:00:00Z

median() { python3 -c 'import sys,statistics;print("%.2f"%statistics.median(map(float,sys.argv[1:])))' "$@"; }
now() { date +%s.%N; }

echo "== airlock bundle diff ($RUNS runs)"
diff_times=()
for run in $(seq "$RUNS"); do
  s=$(now)
  "$BIN" -q bundle diff --base month1.airlock --target month2.airlock --key signer.key \
    --created 2026-06-01T00:00:00Z --expires 90d --out "delta-$run.airlock"
  e=$(now); t=$(python3 -c "print($e-$s)"); diff_times+=("$t"); echo "  run $run: ${t}s"
  [ "$run" = 1 ] || cmp delta-1.airlock "delta-$run.airlock"
done
mv delta-1.airlock delta.airlock; rm -f delta-[0-9]*.airlock
"$BIN" bundle inspect delta.airlock | sed -n '/  base /,$p'

echo "== month 1 into a fresh store"
"$BIN" -q import month1.airlock --store base --trust-root trust.json --at "$AT"

import_onto_base() { # FILE LABEL -> times in $times, digest in $digest
  times=()
  for run in $(seq "$RUNS"); do
    rm -rf s && cp -r base s && sync
    s0=$(now); "$BIN" -q import "$1" --store s --trust-root trust.json --at "$AT"; e0=$(now)
    t=$(python3 -c "print($e0-$s0)"); times+=("$t"); echo "  $2 run $run: ${t}s"
  done
  digest=$("$BIN" store digest --store s)
}
echo "== import onto the month-1 store: full month 2 vs delta ($RUNS runs each, alternating order not needed: fresh copy each run)"
import_onto_base month2.airlock full; full_times=("${times[@]}"); full_digest=$digest
import_onto_base delta.airlock delta; delta_times=("${times[@]}"); delta_digest=$digest
[ "$full_digest" = "$delta_digest" ] || { echo "store digests differ: $full_digest vs $delta_digest"; exit 1; }

FULL=$(stat -c %s month2.airlock); DELTA=$(stat -c %s delta.airlock)
echo
echo "== results (load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores)"
echo "  month 2 bundle            $FULL bytes"
echo "  delta month 1 -> 2        $DELTA bytes = $(python3 -c "print('%.2f'%(100*$DELTA/$FULL))")% of the full target (goal <= 10%)"
echo "  bundle diff               median $(median "${diff_times[@]}") s"
fm=$(median "${full_times[@]}"); dm=$(median "${delta_times[@]}")
echo "  import full month 2       median $fm s"
echo "  import delta              median $dm s  ($(python3 -c "print('%.2f'%($fm/$dm))")x the full import; goal > 1)"
echo "  store digest (both)       $full_digest"
