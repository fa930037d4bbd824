#!/usr/bin/env bash
# Benchmark `airlock bundle create|verify` against the plain tools a user would otherwise use,
# on a generated evidence tree (default ~1 GiB: many small JSON advisories + multi-MB blobs).
#   create:  airlock bundle create      vs  tar -c | zstd -3 -T0
#   verify:  airlock bundle verify      vs  zstd -d | tar -t
# Reports median wall time of RUNS runs (hyperfine), throughput, the ratio, and peak RSS
# (/usr/bin/time -v). Goals: >= 0.8x the plain tools' throughput, < 200 MB peak memory.
# Environment: BENCH_DIR (scratch, default /tmp/airlock-bench), JSON_FILES (default 40000),
# JSON_BYTES (average, default 12000), BLOBS (default 60), BLOB_MB (default 10), RUNS (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine zstd >/dev/null; }
cargo build -q --release --bin airlock
AIRLOCK="$(realpath -m "${CARGO_TARGET_DIR:-target}")/release/airlock"
[ -x "$AIRLOCK" ] || AIRLOCK="${CARGO_BUILD_BUILD_DIR:-target}/release/airlock"
DIR="${BENCH_DIR:-/tmp/airlock-bench}"
JSON_FILES="${JSON_FILES:-40000}"; JSON_BYTES="${JSON_BYTES:-12000}"
BLOBS="${BLOBS:-60}"; BLOB_MB="${BLOB_MB:-10}"; RUNS="${RUNS:-3}"
AT="2026-11-23T12:00:00Z"
mkdir -p "$DIR"
EV="$DIR/evidence"

if [ ! -f "$DIR/.generated-$JSON_FILES-$BLOBS" ]; then
  echo "== generating $JSON_FILES JSON files (~$JSON_BYTES bytes) and $BLOBS blobs of $BLOB_MB MiB in $EV"
  rm -rf "$EV"; mkdir -p "$EV/advisories" "$EV/blobs"
  python3 - "$EV" "$JSON_FILES" "$JSON_BYTES" <<'PY'
import json, os, random, sys
root, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
pkgs = ["curl", "openssl", "zlib", "libxml2", "glibc", "expat", "sqlite3", "python3.11", "nginx", "bash"]
for i in range(n):
    d = os.path.join(root, "advisories", f"{i % 100:02d}")
    os.makedirs(d, exist_ok=True)
    affected, length = [], 0
    while length < size:
        p = rng.choice(pkgs)
        affected.append({"package": {"ecosystem": "Debian:12", "name": p, "purl": f"pkg:deb/debian/{p}"},
                         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": f"{rng.randint(1,9)}.{rng.randint(0,99)}-{rng.randint(1,9)}"}]}],
                         "versions": [f"{rng.randint(1,9)}.{rng.randint(0,99)}.{rng.randint(0,9)}" for _ in range(rng.randint(1, 12))],
                         "details": "%032x" % rng.getrandbits(128)})
        length += len(json.dumps(affected[-1]))
    doc = {"id": f"DSA-{i}-1", "modified": "2026-01-01T00:00:00Z", "aliases": [f"CVE-2026-{i:05d}"], "affected": affected}
    with open(os.path.join(d, f"DSA-{i}-1.json"), "w") as f:
        json.dump(doc, f)
PY
  for i in $(seq 1 "$BLOBS"); do head -c "$((BLOB_MB << 20))" /dev/urandom > "$EV/blobs/blob-$i.bin"; done
  rm -f "$DIR"/.generated-*; touch "$DIR/.generated-$JSON_FILES-$BLOBS"
fi
TOTAL=$(du -sb "$EV" | cut -f1)
echo "== evidence: $(find "$EV" -type f | wc -l) files, $TOTAL bytes"

"$AIRLOCK" -q key generate --algorithm ed25519 --out "$DIR/root" --force
"$AIRLOCK" -q key generate --algorithm ed25519 --out "$DIR/vendor" --force
"$AIRLOCK" -q trust init --root-key "$DIR/root.pub" --at "$AT" --expires 1y --out "$DIR/trust.json"
"$AIRLOCK" -q trust add-key --trust-root "$DIR/trust.json" --role bundle-signer --key "$DIR/vendor.pub"
"$AIRLOCK" -q trust sign --trust-root "$DIR/trust.json" --key "$DIR/root.key"

CREATE="$AIRLOCK -q bundle create --evidence $EV --key $DIR/vendor.key --publisher bench --channel c --sequence 1 --created $AT --out $DIR/b.airlock"
VERIFY="$AIRLOCK -q bundle verify $DIR/b.airlock --trust-root $DIR/trust.json --at $AT"
PEER_CREATE="tar -C $EV -cf - . | zstd -3 -T0 -q -f -o $DIR/b.tar.zst"
PEER_VERIFY="zstd -dc $DIR/b.tar.zst | tar -tf - >/dev/null"

sync
hyperfine --runs "$RUNS" --warmup 1 --export-json "$DIR/create.json" -n airlock-create "$CREATE" -n tar-zstd "$PEER_CREATE"
hyperfine --runs "$RUNS" --warmup 1 --export-json "$DIR/verify.json" -n airlock-verify "$VERIFY" -n zstd-tar-t "$PEER_VERIFY"

peak() { /usr/bin/time -v bash -c "$1" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}'; }
P_CREATE=$(peak "$CREATE"); P_VERIFY=$(peak "$VERIFY")
P_PEER_CREATE=$(peak "$PEER_CREATE"); P_PEER_VERIFY=$(peak "$PEER_VERIFY")

python3 - "$DIR" "$TOTAL" "$P_CREATE" "$P_VERIFY" "$P_PEER_CREATE" "$P_PEER_VERIFY" <<'PY'
import json, os, sys
d, total = sys.argv[1], int(sys.argv[2])
pc, pv, ppc, ppv = (int(x) for x in sys.argv[3:7])
def med(f):
    return {r["command"]: r["median"] for r in json.load(open(os.path.join(d, f)))["results"]}
c, v = med("create.json"), med("verify.json")
mib = total / 2**20
print(f"\nevidence {mib:.0f} MiB; bundle {os.path.getsize(os.path.join(d,'b.airlock'))/2**20:.0f} MiB; tar.zst {os.path.getsize(os.path.join(d,'b.tar.zst'))/2**20:.0f} MiB")
print(f"{'':16}{'median s':>10}{'MiB/s':>10}{'peak RSS MB':>13}")
for name, t, p in [("airlock-create", c["airlock-create"], pc), ("tar|zstd -3 -T0", c["tar-zstd"], ppc),
                   ("airlock-verify", v["airlock-verify"], pv), ("zstd -d|tar -t", v["zstd-tar-t"], ppv)]:
    print(f"{name:16}{t:10.2f}{mib/t:10.0f}{p/1024:13.0f}")
print(f"create throughput ratio (airlock / peer): {c['tar-zstd']/c['airlock-create']:.2f}x  (goal >= 0.8)")
print(f"verify throughput ratio (airlock / peer): {v['zstd-tar-t']/v['airlock-verify']:.2f}x  (goal >= 0.8)")
print(f"peak memory: create {pc/1024:.0f} MB, verify {pv/1024:.0f} MB  (goal < 200)")
PY
