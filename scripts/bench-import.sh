#!/usr/bin/env bash
# Import benchmark: a generated snapshot bundle with ADVISORIES advisory records (Debian security
# tracker JSON, packed in files of PER_FILE records) and CHANGELOGS changelog entries that name a
# CVE (Debian changelogs, 100 entries per file). Measures, in one run:
#   - plain extraction of the same bundle:  zstd -d | tar -x
#   - airlock import into a fresh store:     records/s, MB/s, peak RSS, store size
#   - the redb floor: the same rows the import wrote, inserted by redb alone in key order in one
#     durable transaction (examples/redb_floor.rs): what no import through redb can beat
# Usage: scripts/bench-import.sh [ADVISORIES] [CHANGELOGS]     (defaults 1000000 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
ADVISORIES=${1:-1000000}
CHANGELOGS=${2:-200000}
PER_FILE=${PER_FILE:-10000}
WORK=${WORK:-$(mktemp -d /tmp/airlock-bench-import.XXXXXX)}
trap 'rm -rf "$WORK"' EXIT
command -v zstd >/dev/null || { apt-get update -qq && apt-get install -y -qq zstd >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build --release --quiet --bin airlock --example redb_floor
BIN=$PWD/${CARGO_BUILD_BUILD_DIR:-target}/release/airlock
[ -x "$BIN" ] || BIN=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])')/release/airlock
AT=2026-06-01T00:00:00Z

echo "== generating evidence ($ADVISORIES advisory records, $CHANGELOGS changelog entries) in $WORK"
python3 - "$WORK/evidence" "$ADVISORIES" "$CHANGELOGS" "$PER_FILE" <<'PY'
import json, os, sys
root, n_adv, n_cl, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(f"{root}/advisories/debian-tracker", exist_ok=True)
i = 0; part = 0
while i < n_adv:
    doc = {}
    for j in range(i, min(i + per, n_adv)):
        pkg = f"pkg{j // 10}"
        doc.setdefault(pkg, {})[f"CVE-{2000 + j % 25}-{100000 + j}"] = {
            "description": "generated record", "scope": "local",
            "releases": {"bookworm": {"status": "resolved", "fixed_version": f"1.{j % 7}-1", "urgency": "medium",
                                      "repositories": {"bookworm": f"1.{j % 7}-1"}}}}
    with open(f"{root}/advisories/debian-tracker/part-{part:05}.json", "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    i += per; part += 1
per_cl = 100
for f_i in range((n_cl + per_cl - 1) // per_cl):
    pkg = f"src{f_i}"
    os.makedirs(f"{root}/changelogs/{pkg}", exist_ok=True)
    with open(f"{root}/changelogs/{pkg}/changelog", "w") as f:
        for e in range(min(per_cl, n_cl - f_i * per_cl)):
            v = per_cl - e
            f.write(f"{pkg} (1.{v}-1) unstable; urgency=medium\n\n  * Fix CVE-2024-{f_i * per_cl + e + 10000}: generated entry.\n\n"
                    f" -- Bench <bench@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n\n")
PY

echo "== keys, trust root, bundle"
cd "$WORK"
"$BIN" -q key generate --algorithm ed25519 --out root
"$BIN" -q key generate --algorithm ed25519 --out signer
"$BIN" -q trust init --root-key root.pub --at 2026-01-01T00:00:00Z --expires 5y --out trust.json
"$BIN" -q trust add-key --trust-root trust.json --role bundle-signer --key signer.pub
"$BIN" -q trust sign --trust-root trust.json --key root.key
"$BIN" -q bundle create --evidence evidence --key signer.key --publisher bench --channel stable \
  --sequence 1 --created 2026-05-01T00:00:00Z --expires 1y --out bench.airlock
BUNDLE_BYTES=$(stat -c %s bench.airlock)
EVIDENCE_BYTES=$(du -sb evidence | cut -f1)
rm -rf evidence
sync

echo "== zstd -d | tar -x (3 runs)"
tars=""
for run in 1 2 3; do
  rm -rf x && mkdir x
  s=$(date +%s.%N); zstd -q -d -c bench.airlock | tar -x -C x; e=$(date +%s.%N)
  t=$(python3 -c "print($e-$s)"); echo "  run $run: ${t}s"
  tars="$tars $t"
done
rm -rf x

echo "== airlock import (3 runs, fresh store each)"
imps=""; rss=0
for run in 1 2 3; do
  rm -rf store
  s=$(date +%s.%N)
  /usr/bin/time -f "%M" -o rss.txt "$BIN" -q import bench.airlock --store store --trust-root trust.json --at "$AT"
  e=$(date +%s.%N)
  t=$(python3 -c "print($e-$s)"); r=$(cat rss.txt); echo "  run $run: ${t}s, peak RSS ${r} KiB"
  imps="$imps $t"
  rss=$(( r > rss ? r : rss ))
done
echo "== redb floor: the same rows, key order, one transaction (3 runs)"
FLOOR_BIN=$(dirname "$BIN")/examples/redb_floor
floors=""
for run in 1 2 3; do
  line=$("$FLOOR_BIN" store floor.redb); echo "  run $run: $line"
  floors="$floors $(echo "$line" | sed -E 's/.* in ([0-9.]+) s.*/\1/')"
done
rm -f floor.redb
STORE_BYTES=$(du -sb store | cut -f1)
ROWS=$("$BIN" store status --store store --json | python3 -c 'import json,sys;t=json.load(sys.stdin)["tables"];print(t["advisories"]+t["changelog_mentions"])')
"$BIN" store check --store store >/dev/null && echo "  store check: ok"

python3 - <<PY
import statistics
tar = statistics.median(float(x) for x in "$tars".split())
floor = statistics.median(float(x) for x in "$floors".split())
imp = statistics.median(float(x) for x in "$imps".split())
print(f"medians of 3 runs; load average {open('/proc/loadavg').read().split()[0]}")
mb = $EVIDENCE_BYTES / 1e6
print(f"bundle {($BUNDLE_BYTES)/1e6:.1f} MB compressed, {mb:.1f} MB of evidence, {$ROWS} index rows")
print(f"zstd -d | tar -x : {tar:.2f} s  ({mb/tar:.1f} MB/s)")
print(f"airlock import   : {imp:.2f} s  ({mb/imp:.1f} MB/s, {$ROWS/imp:,.0f} records/s)")
print(f"redb floor       : {floor:.2f} s  (ratio extract/floor {tar/floor:.2f}x)")
print(f"ratio (extract time / import time): {tar/imp:.2f}x  (goal >= 0.5x)")
print(f"peak RSS {$rss/1024:.0f} MiB, store size {$STORE_BYTES/1e6:.1f} MB")
PY
