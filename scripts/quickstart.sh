#!/usr/bin/env bash
# airlock end to end on shipped fixtures, offline, with the embedded store.
# Vendor side: keys, a trust root, signed evidence. Operator side: verify.
# Each capability extends this script; it stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --bin airlock
AIRLOCK="$(realpath -m "${CARGO_TARGET_DIR:-target}")/debug/airlock"
WORK="${QUICKSTART_DIR:-$(mktemp -d)}"
mkdir -p "$WORK"
AT="2026-11-23T12:00:00Z"
step() { printf '\n== %s\n' "$*"; }
al() { echo "+ airlock $*"; "$AIRLOCK" "$@"; }

step "vendor: keys and a signed trust root"
al -q key generate --algorithm ed25519 --out "$WORK/root" --force
al -q key generate --algorithm ecdsa-p256 --out "$WORK/vendor" --force
al -q trust init --root-key "$WORK/root.pub" --at "$AT" --expires 1y --out "$WORK/trust.json"
for role in bundle-signer rollback-signer proof-signer; do
  al trust add-key --trust-root "$WORK/trust.json" --role "$role" --key "$WORK/vendor.pub"
done
al trust sign --trust-root "$WORK/trust.json" --key "$WORK/root.key"
al trust verify "$WORK/trust.json" --at "$AT"

step "vendor: sign an in-toto statement in DSSE; operator verifies it against the trust root"
printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"quickstart","digest":{"sha256":"%s"}}],"predicateType":"https://airlock.invalid/quickstart/v1","predicate":{}}' \
  "$(sha256sum "$WORK/trust.json" | cut -d' ' -f1)" > "$WORK/statement.json"
al dsse sign --key "$WORK/vendor.key" --payload-type application/vnd.in-toto+json --out "$WORK/statement.dsse" "$WORK/statement.json"
al dsse verify "$WORK/statement.dsse" --trust-root "$WORK/trust.json" --role bundle-signer --at "$AT"

step "vendor: pack fixtures/evidence into a signed bundle (twice: byte-identical)"
al bundle create --evidence fixtures/evidence --key "$WORK/vendor.key" --publisher example.org \
  --channel stable --sequence 1 --created "$AT" --expires 90d --out "$WORK/evidence.airlock"
al -q bundle create --evidence fixtures/evidence --key "$WORK/vendor.key" --publisher example.org \
  --channel stable --sequence 1 --created "$AT" --expires 90d --out "$WORK/evidence-again.airlock"
cmp "$WORK/evidence.airlock" "$WORK/evidence-again.airlock"

step "operator: inspect (manifest only), verify against the trust root, extract"
al bundle inspect "$WORK/evidence.airlock"
al bundle verify "$WORK/evidence.airlock" --trust-root "$WORK/trust.json" --at "$AT"
rm -rf "$WORK/evidence-extracted"
al bundle extract "$WORK/evidence.airlock" --trust-root "$WORK/trust.json" --at "$AT" --to "$WORK/evidence-extracted"
diff -r fixtures/evidence "$WORK/evidence-extracted"

step "operator: import into a fresh store (embedded redb), then status"
STORE="$WORK/store"
rm -rf "$STORE"
al bundle create --evidence fixtures/proof-evidence --key "$WORK/vendor.key" --publisher example.org \
  --channel distro --sequence 1 --created "$AT" --expires 90d --out "$WORK/distro.airlock"
al import "$WORK/evidence.airlock" "$WORK/distro.airlock" --store "$STORE" --trust-root "$WORK/trust.json" --at "$AT"
al store status --store "$STORE"

step "operator: prove a backported fix offline (upstream fixed CVE-2024-7264 in 8.9.1; bookworm ships 7.88.1)"
al proof --cve CVE-2024-7264 --purl 'pkg:deb/debian/curl@7.88.1-10%2Bdeb12u8?distro=debian-12' --store "$STORE" \
  --sign "$WORK/vendor.key" --out "$WORK/curl.proof.dsse"
al proof verify "$WORK/curl.proof.dsse" --trust-root "$WORK/trust.json" --store "$STORE" --at "$AT"

step "operator: OpenVEX for a small findings file, each statement carrying its proof"
printf 'id,purl\nCVE-2024-7264,pkg:deb/debian/curl@7.88.1-10%%2Bdeb12u8?distro=debian-12\nCVE-2024-7264,pkg:deb/debian/curl@7.88.1-10%%2Bdeb12u6?distro=debian-12\n' > "$WORK/findings.csv"
al vex --findings "$WORK/findings.csv" --store "$STORE" --out "$WORK/findings.vex.json"
grep -E '"status"' "$WORK/findings.vex.json"

step "vendor: month 1 snapshot, month 2 snapshot, and the small signed delta between them"
rm -rf "$WORK/month1" "$WORK/month2"
cp -r fixtures/proof-evidence "$WORK/month1"
cp -r fixtures/proof-evidence "$WORK/month2"
sed 's/USN-6429-1/USN-9999-1/g' fixtures/proof-evidence/advisories/osv/USN-6429-1.json > "$WORK/month2/advisories/osv/USN-9999-1.json"
{ printf 'curl (7.88.1-10+deb12u9) bookworm-security; urgency=medium\n\n  * Quickstart month 2 entry.\n\n -- Quickstart <qs@example.org>  Tue, 01 Dec 2026 00:00:00 +0000\n\n'
  cat fixtures/proof-evidence/changelogs/curl/changelog.Debian; } > "$WORK/month2/changelogs/curl/changelog.Debian"
al -q bundle create --evidence "$WORK/month1" --key "$WORK/vendor.key" --publisher example.org \
  --channel monthly --sequence 1 --created "$AT" --expires 90d --out "$WORK/month1.airlock"
al -q bundle create --evidence "$WORK/month2" --key "$WORK/vendor.key" --publisher example.org \
  --channel monthly --sequence 2 --created "$AT" --expires 90d --out "$WORK/month2.airlock"
al bundle diff --base "$WORK/month1.airlock" --target "$WORK/month2.airlock" --key "$WORK/vendor.key" \
  --created "$AT" --expires 90d --out "$WORK/month1-2.delta.airlock"
al bundle inspect "$WORK/month1-2.delta.airlock"

step "operator: import month 1 and the delta into a fresh store; it equals importing month 2 whole; prove"
rm -rf "$WORK/monthly-store" "$WORK/monthly-full"
al import "$WORK/month1.airlock" "$WORK/month1-2.delta.airlock" --store "$WORK/monthly-store" --trust-root "$WORK/trust.json" --at "$AT"
al -q import "$WORK/month2.airlock" --store "$WORK/monthly-full" --trust-root "$WORK/trust.json" --at "$AT"
test "$("$AIRLOCK" store digest --store "$WORK/monthly-store")" = "$("$AIRLOCK" store digest --store "$WORK/monthly-full")"
al store check --store "$WORK/monthly-store"
al proof --cve CVE-2024-7264 --purl 'pkg:deb/debian/curl@7.88.1-10%2Bdeb12u8?distro=debian-12' --store "$WORK/monthly-store" \
  --sign "$WORK/vendor.key" --out "$WORK/curl-monthly.proof.dsse"
al proof verify "$WORK/curl-monthly.proof.dsse" --trust-root "$WORK/trust.json" --store "$WORK/monthly-store" --at "$AT"

step "vendor: delta between two builds of a program (fixtures/delta), verify, apply"
D="$WORK/hello.delta"
rm -rf "$D" "$WORK/hello2.elf" "$WORK/hello-restored.elf" "$WORK/rollback-log.d"
al delta create --base fixtures/delta/hello-unstripped.elf --target fixtures/delta/hello2-unstripped.elf --out "$D"
# Unsigned: no provenance, so amber (exit 0) by the default policy; red would exit 1.
al delta verify --base fixtures/delta/hello-unstripped.elf --delta "$D" --trust-root "$WORK/trust.json" --at "$AT"
al delta apply --base fixtures/delta/hello-unstripped.elf --delta "$D" --out "$WORK/hello2.elf"
cmp "$WORK/hello2.elf" fixtures/delta/hello2-unstripped.elf
al delta report "$D" --html "$WORK/hello.delta.html"

step "operator: rollback without a rollback attestation is refused (exit 1, nothing written)"
if al delta rollback --current "$WORK/hello2.elf" --delta "$D" --trust-root "$WORK/trust.json" \
  --at "$AT" --out "$WORK/hello-restored.elf"; then
  echo "rollback without attestation was accepted" >&2
  exit 1
elif [ $? -ne 1 ] || [ -e "$WORK/hello-restored.elf" ]; then
  echo "rollback refusal did not exit 1 cleanly" >&2
  exit 1
fi

step "vendor: rollback attestation signed as rollback-signer, anchored in a local tlog"
al -q key generate --algorithm ed25519 --out "$WORK/rollback-log" --force
al tlog init --dir "$WORK/rollback-log.d" --origin quickstart.example/rollback-log --key "$WORK/rollback-log.key"
al tlog append --dir "$WORK/rollback-log.d" "$D/delta-manifest.json"
echo "+ airlock delta attest-rollback --delta $D --key $WORK/vendor.key --log-dir $WORK/rollback-log.d ..."
LOG_VKEY=$("$AIRLOCK" --json delta attest-rollback --delta "$D" --key "$WORK/vendor.key" \
  --log-dir "$WORK/rollback-log.d" --reason "quickstart: hello2 withdrawn" --out "$WORK/hello.rollback.json" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["log_vkey"])')
al tlog prove --dir "$WORK/rollback-log.d" --index 1
al trust add-log --trust-root "$WORK/trust.json" --origin quickstart.example/rollback-log --key "$LOG_VKEY"
al trust sign --trust-root "$WORK/trust.json" --key "$WORK/root.key"

step "operator: rollback with the attestation restores the earlier build exactly"
al delta rollback --current "$WORK/hello2.elf" --delta "$D" --attestation "$WORK/hello.rollback.json" \
  --trust-root "$WORK/trust.json" --at "$AT" --out "$WORK/hello-restored.elf"
cmp "$WORK/hello-restored.elf" fixtures/delta/hello-unstripped.elf
