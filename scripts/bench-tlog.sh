#!/usr/bin/env bash
# Transparency-log benchmark (not run by CI):
#   1. appends to the local tile log (`airlock tlog append`), entries/s, in batches of
#      BATCH leaf hashes up to N leaves (default 1,000,000), and as one bulk batch; compared
#      with Tessera's published POSIX-storage figures (~1,600-2,900 writes/s);
#   2. a tile fragment for 100 random leaves of that log (extract + offline verify);
#   3. inclusion proofs computed from tiles and verified, proofs/s (`verify-fragment` over
#      PROOFS random indexes: each proof is computed from the fragment's tiles and verified
#      against the signed checkpoint);
#   4. consistency between two checkpoints passes, and fails for a forked log.
# Usage: scripts/bench-tlog.sh [N] [BATCH] [PROOFS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
BATCH=${2:-10000}
PROOFS=${3:-10000}
cargo build -q --release --locked --bin airlock
A=$(cargo metadata --format-version 1 --no-deps 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/airlock
[ -x "$A" ] || A=${CARGO_BUILD_BUILD_DIR:-target}/release/airlock
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-tlog.XXXXXX")
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
rate() { python3 -c "import sys; n,t=float(sys.argv[1]),float(sys.argv[2]); print(f'{n/t:,.0f}')" "$1" "$2"; }

python3 - "$W" "$N" "$BATCH" <<'PY'
import hashlib, sys, os
w, n, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{w}/batches")
def h(i, salt=b""):
    return hashlib.sha256(b"\0" + i.to_bytes(8, "big") + salt).hexdigest()
lines = [h(i) for i in range(n)]
for b in range(0, n, batch):
    with open(f"{w}/batches/{b // batch:06d}", "w") as f:
        f.write("\n".join(lines[b:b + batch]) + "\n")
with open(f"{w}/all", "w") as f:
    f.write("\n".join(lines) + "\n")
half = n // 2
with open(f"{w}/fork-hashes", "w") as f:
    f.write("\n".join(lines[:half - 1] + [h(i, b"fork") for i in range(half - 1, n)]) + "\n")
PY
python3 - > "$W/key.pem" <<'PY'
import base64
seed = bytes(range(32))
der = bytes.fromhex("302e020100300506032b657004220420") + seed
b = base64.b64encode(der).decode()
print("-----BEGIN PRIVATE KEY-----\n" + b + "\n-----END PRIVATE KEY-----")
PY

echo "== appends: $N leaves in batches of $BATCH (one airlock process per batch)"
"$A" -q tlog init --dir "$W/log" --origin bench.example/log --key "$W/key.pem" > "$W/vkey"
VKEY=$(cat "$W/vkey")
HALF=$((N / 2))
t0=$(now)
appended=0
for f in "$W"/batches/*; do
  "$A" -q tlog append --dir "$W/log" --hashes-from "$f" > /dev/null
  appended=$((appended + $(wc -l < "$f")))
  if [ "$appended" -eq "$HALF" ]; then "$A" tlog checkpoint --dir "$W/log" > "$W/old-checkpoint"; fi
done
t1=$(now)
T_BATCH=$(python3 -c "print($t1 - $t0)")
echo "   $N entries in ${T_BATCH}s = $(rate "$N" "$T_BATCH") entries/s"
"$A" tlog checkpoint --dir "$W/log" > "$W/checkpoint"

echo "== appends: $N leaves in one batch"
"$A" -q tlog init --dir "$W/bulk" --origin bench.example/log --key "$W/key.pem" > /dev/null
t0=$(now); "$A" -q tlog append --dir "$W/bulk" --hashes-from "$W/all" > /dev/null; t1=$(now)
T_BULK=$(python3 -c "print($t1 - $t0)")
echo "   $N entries in ${T_BULK}s = $(rate "$N" "$T_BULK") entries/s"
"$A" tlog checkpoint --dir "$W/bulk" | cmp - "$W/checkpoint" && echo "   bulk and batched logs sign the same checkpoint"
echo "   Tessera POSIX (published): ~1,600-2,900 writes/s"

echo "== fragment for 100 random leaves of the $N-leaf log, consistency with size $HALF"
IDX=$(python3 -c "import random; r=random.Random(7); print(' '.join(str(r.randrange($N)) for _ in range(100)))")
t0=$(now); "$A" tlog fragment --dir "$W/log" --index $IDX --old-size "$HALF" --out "$W/frag"; t1=$(now)
echo "   extracted in $(python3 -c "print(f'{$t1 - $t0:.3f}')")s, $(du -sk "$W/frag" | cut -f1) KiB on disk"
t0=$(now); "$A" -q tlog verify-fragment "$W/frag" --key "$VKEY" --index $IDX --old-checkpoint "$W/old-checkpoint" > /dev/null; t1=$(now)
echo "   verified offline (100 inclusions + consistency) in $(python3 -c "print(f'{$t1 - $t0:.3f}')")s"

echo "== inclusion proofs from tiles + verification: $PROOFS random leaves"
python3 -c "import random; r=random.Random(9); print(' '.join(str(r.randrange($N)) for _ in range($PROOFS)))" > "$W/idx"
t0=$(now); "$A" -q tlog fragment --dir "$W/log" --index $(cat "$W/idx") --out "$W/big" > /dev/null; t1=$(now)
T_EX=$(python3 -c "print($t1 - $t0)")
echo "   proofs computed from the log's tiles: $(rate "$PROOFS" "$T_EX") proofs/s (${T_EX}s, tiles read once)"
t0=$(now); "$A" -q tlog verify-fragment "$W/big" --key "$VKEY" --index $(cat "$W/idx") > /dev/null; t1=$(now)
T_V=$(python3 -c "print($t1 - $t0)")
echo "   proofs computed from tiles and verified: $(rate "$PROOFS" "$T_V") proofs/s (${T_V}s)"
t0=$(now)
for i in $(head -c 2000 "$W/idx" | tr ' ' '\n' | head -100); do "$A" -q tlog prove --dir "$W/log" --index "$i" > /dev/null; done
t1=$(now)
echo "   one 'tlog prove' process per proof: $(rate 100 "$(python3 -c "print($t1 - $t0)")") proofs/s"

echo "== forked log"
"$A" -q tlog init --dir "$W/fork" --origin bench.example/log --key "$W/key.pem" > /dev/null
"$A" -q tlog append --dir "$W/fork" --hashes-from "$W/fork-hashes" > /dev/null
"$A" tlog checkpoint --dir "$W/fork" > /dev/null
"$A" -q tlog fragment --dir "$W/fork" --index 1 --old-size "$HALF" --out "$W/ffrag" > /dev/null
if "$A" -q tlog verify-fragment "$W/ffrag" --key "$VKEY" --index 1 --old-checkpoint "$W/old-checkpoint" 2> "$W/err"; then
  echo "   FORK NOT DETECTED"; exit 1
else
  echo "   rejected: $(grep -o '\[[a-z-]*\]' "$W/err" | head -1)"
fi
