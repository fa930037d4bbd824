#!/usr/bin/env bash
# TLSH interop: our `airlock fingerprint tlsh` against digests the reference implementation
# (py-tlsh, trendmicro/tlsh 4.x) produced, COMMITTED under fixtures/ so CI needs no network:
#   1. the 80 trendmicro example_data files (fixtures/vectors/tlsh),
#   2. the 53 committed real ELF / PE / Mach-O samples (fixtures/binary/tlsh-samples.expected),
#   3. when scripts/fetch-binaries.sh has been run (AIRLOCK_BINARIES, default
#      /tmp/airlock-binaries), every fetched file (fixtures/binary/tlsh-fetched.expected);
#      each file's sha256 is checked first so a different download is reported, not compared.
# With py-tlsh importable, the samples are also re-hashed live as a fourth check.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q --locked --bin airlock
AIRLOCK=${CARGO_TARGET_DIR:-target}/debug/airlock
fail=0

check() { # check NAME ROOT EXPECTED_FILE(lines: digest [sha256] relpath)
  local name=$1 root=$2 expected=$3 total=0 ok=0 bad=0 missing=0 digest sha rel got
  while read -r digest sha rel; do
    [ -n "$digest" ] || continue
    if [ -z "$rel" ]; then rel=$sha; sha=; fi
    total=$((total + 1))
    if [ ! -f "$root/$rel" ]; then missing=$((missing + 1)); continue; fi
    if [ -n "$sha" ] && [ "$(sha256sum "$root/$rel" | cut -d' ' -f1)" != "$sha" ]; then
      echo "tlsh: $rel: sha256 differs from the file py-tlsh hashed; skipped" >&2
      missing=$((missing + 1)); continue
    fi
    got=$("$AIRLOCK" fingerprint tlsh "$root/$rel" | cut -d' ' -f1)
    if [ "$got" = "$digest" ]; then ok=$((ok + 1)); else
      bad=$((bad + 1)); echo "tlsh: MISMATCH $rel: ours $got, py-tlsh $digest" >&2; fi
  done < "$expected"
  echo "tlsh $name: $ok/$total equal to py-tlsh, $bad differ, $missing absent"
  [ "$bad" -eq 0 ] || fail=1
}

tr '\t' ' ' < fixtures/vectors/tlsh/example_data.128.1.len.out_EXP > "${TMPDIR:-/tmp}/tlsh-example.exp"
check example_data fixtures/vectors/tlsh "${TMPDIR:-/tmp}/tlsh-example.exp"
check samples fixtures/binary/samples fixtures/binary/tlsh-samples.expected
BIN_DIR=${AIRLOCK_BINARIES:-/tmp/airlock-binaries}
if [ -d "$BIN_DIR/files" ]; then
  check fetched "$BIN_DIR/files" fixtures/binary/tlsh-fetched.expected
else
  echo "tlsh fetched: skipped ($BIN_DIR/files absent; run scripts/fetch-binaries.sh)"
fi
# Section-level digests: `fingerprint extract --json` sections against py-tlsh over the same
# section bytes, located by readelf / objdump / llvm-objdump (fixtures/binary/tlsh-sections.expected,
# from scripts/tlsh-sections-expected.py; fat Mach-O files are not in it).
check_sections() { # check_sections ROOT EXPECTED_FILE
  local root=$1 expected=$2 rel
  for rel in $(awk '{print $3}' "$expected" | LC_ALL=C sort -u); do
    "$AIRLOCK" --json fingerprint extract "$root/$rel" > "${TMPDIR:-/tmp}/tlsh-sec.json"
    python3 - "$expected" "$rel" "${TMPDIR:-/tmp}/tlsh-sec.json" <<'PY' || fail=1
import json, sys
expected, rel, got = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
want = [l.split()[0] for l in open(expected) if l.split()[2] == rel]
ours = [s.get("tlsh", "TNULL") for s in got["images"][0]["sections"]]
if ours != want:
    print(f"tlsh sections: MISMATCH {rel}: ours {ours}, py-tlsh {want}", file=sys.stderr)
    sys.exit(1)
PY
  done
  echo "tlsh sections: $(wc -l < "$expected") sections of $(awk '{print $3}' "$expected" | sort -u | wc -l) files checked against py-tlsh"
}
check_sections fixtures/binary/samples fixtures/binary/tlsh-sections.expected
if python3 -c 'import tlsh' 2>/dev/null; then
  find fixtures/binary/samples -type f | LC_ALL=C sort \
    | python3 scripts/tlsh-expected.py fixtures/binary/samples > "${TMPDIR:-/tmp}/tlsh-live.exp"
  check samples-live fixtures/binary/samples "${TMPDIR:-/tmp}/tlsh-live.exp"
fi
exit $fail
