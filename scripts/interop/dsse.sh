#!/usr/bin/env bash
# Cross-check: envelopes signed by airlock (Ed25519 and ECDSA P-256) verify with an independent
# implementation, Python's `cryptography`, which recomputes the DSSE PAE itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -c 'import cryptography' 2>/dev/null || python3 -m pip install -q cryptography
cargo build -q --bin airlock
bin="${CARGO_TARGET_DIR:-target}/debug/airlock"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '{"_type":"https://in-toto.io/Statement/v1","subject":[]}' > "$work/payload.json"
for alg in ed25519 ecdsa-p256; do
  "$bin" -q key generate --algorithm "$alg" --out "$work/$alg"
  "$bin" dsse sign --key "$work/$alg.key" --payload-type application/vnd.in-toto+json \
    --out "$work/$alg.dsse" "$work/payload.json"
  python3 scripts/interop/dsse_verify.py "$work/$alg.dsse" "$work/$alg.pub"
done
echo "dsse interop: ed25519 and ecdsa-p256 envelopes verified by cryptography"
