#!/usr/bin/env bash
# Regenerates the bundle test vectors in fixtures/vectors/bundle/ (see its README.md) from the
# committed keys in fixtures/vectors/bundle/keys/ and small evidence files, with fixed times, so
# the output is the same bytes on every run (Ed25519 signatures are deterministic). The hostile
# vectors are made from the valid ones by editing the tar stream (python3) and recompressing
# each frame with the zstd CLI (byte-stable for a given zstd version; the expected codes do not
# depend on it). Each vector's expected `bundle verify` code is fixed here, in EXPECTED, and the
# script fails if the verifier disagrees; tests/bundle.rs checks the same table.
# Needs: cargo, python3, zstd.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v zstd >/dev/null || { echo "gen-bundle-vectors: needs the zstd CLI" >&2; exit 2; }
cargo build -q --bin airlock
A="${CARGO_TARGET_DIR:-target}/debug/airlock"
V=fixtures/vectors/bundle
K=$V/keys
CREATED=2026-01-01T00:00:00Z
AT=2026-06-01T00:00:00Z
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Trust root: root key signs; bundle-signer role = vendor. (outsider is in no role.)
rm -f $V/trust.json
"$A" -q trust init --root-key $K/root.pub --at $CREATED --expires 10y --out $V/trust.json
"$A" -q trust add-key --trust-root $V/trust.json --role bundle-signer --key $K/vendor.pub
"$A" -q trust sign --trust-root $V/trust.json --key $K/root.key

create() { # create EVIDENCE OUT KEY [extra args]
  local ev=$1 out=$2 key=$3; shift 3
  "$A" -q bundle create --evidence "$ev" --key "$key" --publisher vectors.example --channel test \
    --sequence 1 --created $CREATED --expires 1y --threads 1 --out "$out" "$@"
}

# minimal: one OSV advisory.
mkdir -p "$work/min/advisories/osv"
cp fixtures/evidence/advisories/osv/GHSA-4v7x-pqxf-cx7m.json "$work/min/advisories/osv/"
create "$work/min" $V/minimal.airlock $K/vendor.key

# every-kind: one small file of each entry kind.
E="$work/all"
mkdir -p "$E"/{advisories/osv,changelogs,patches,packages,fingerprints,attestations,tlog,trust-roots,blobs}
cp fixtures/evidence/advisories/osv/GHSA-4v7x-pqxf-cx7m.json "$E/advisories/osv/"
cp fixtures/changelogs/bash-binnmu.changelog.amd64.gz "$E/changelogs/"
cp fixtures/vectors/hunksig/fix-a.patch "$E/patches/"
# Real Debian packages (fixtures/packages/SOURCES.md): create parses and refuses fake ones.
cp fixtures/packages/libdisorder0_0.0.2+git20130809.8062ee1-4+b1_amd64.deb "$E/packages/"
cp fixtures/packages/expat_2.5.0-1+deb12u2.dsc "$E/packages/"
printf '{"vector":"fingerprint","functions":[]}\n' > "$E/fingerprints/hello.json"
cp fixtures/evidence/attestations/sigstore.js-2.0.0-provenance.sigstore.json "$E/attestations/"
cp fixtures/evidence/tlog/rekor-checkpoint-from-rules_lint-bundle.note "$E/tlog/"
cp $V/trust.json "$E/trust-roots/site.trust.json"
printf 'opaque bytes\n' > "$E/blobs/notes.txt"
create "$E" $V/every-kind.airlock $K/vendor.key

# Signed by a key outside the bundle-signer role.
create "$work/min" $V/untrusted-signer.airlock $K/outsider.key
# Expired before the check time (created 2026-01-01, expires after 30 days).
"$A" -q bundle create --evidence "$work/min" --key $K/vendor.key --publisher vectors.example \
  --channel test --sequence 1 --created $CREATED --expires 30d --threads 1 --out $V/expired.airlock

# Hostile edits of minimal.airlock at the tar level.
zstd -q -dc $V/minimal.airlock > "$work/min.tar"
python3 - "$work/min.tar" "$V" <<'PY'
import base64, json, subprocess, sys
tar_path, out = sys.argv[1], sys.argv[2]
tar = open(tar_path, "rb").read()

def header(path, size):
    # The canonical ustar header of spec/bundle-format.md §5.2 (short names only).
    h = bytearray(512)
    h[0:len(path)] = path.encode()
    h[100:108] = b"0000644\0"; h[108:116] = b"0000000\0"; h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size; h[136:148] = b"00000000000\0"; h[156] = ord("0")
    h[257:263] = b"ustar\0"; h[263:265] = b"00"; h[329:337] = b"0000000\0"; h[337:345] = b"0000000\0"
    h[148:156] = b" " * 8
    h[148:156] = b"%07o\0" % sum(h)
    return bytes(h)

def member(path, data):
    return header(path, len(data)) + data + b"\0" * (-len(data) % 512)

def zst(data):
    return subprocess.run(["zstd", "-q", "-3", "-c", "--no-progress"], input=data, capture_output=True, check=True).stdout

def write(name, first, rest, extra=b""):
    open(f"{out}/{name}", "wb").write(zst(first) + zst(rest) + extra)

size = int(tar[124:135], 8)
split = 512 + size + (-size % 512)
first, rest = tar[:split], tar[split:]
envelope = json.loads(tar[512:512 + size])
# Entry member 1 of the second frame.
esize = int(rest[124:135], 8)
epath = rest[0:100].rstrip(b"\0").decode()
body = bytearray(rest[512:512 + esize])

# tampered-entry: one byte of the advisory changed.
body[10] ^= 0x01
write("tampered-entry.airlock", first, rest[:512] + bytes(body) + rest[512 + esize:])

# wrong-payload-type: the envelope's payloadType changed (signature untouched).
e = dict(envelope); e["payloadType"] = "application/vnd.in-toto+json"
write("wrong-payload-type.airlock", member("manifest.dsse.json", json.dumps(e, separators=(",", ":")).encode()) + b"", rest)

# tampered-manifest: the signed payload's sequence changed, signature kept.
m = json.loads(base64.b64decode(envelope["payload"]))
m["sequence"] = 2
e = dict(envelope)
e["payload"] = base64.b64encode(json.dumps(m, separators=(",", ":"), sort_keys=True).encode()).decode()
write("tampered-manifest.airlock", member("manifest.dsse.json", json.dumps(e, separators=(",", ":")).encode()), rest)

# path-traversal: the entry member renamed to ../<name>.
write("path-traversal.airlock", first, member("../" + epath.split("/")[-1], rest[512:512 + esize]) + rest[512 + esize + (-esize % 512):])

# trailing-garbage: bytes after the last frame.
write("trailing-garbage.airlock", first, rest, b"GARBAGE\n")

# truncated: the second frame cut short.
full = open(f"{out}/minimal.airlock", "rb").read()
open(f"{out}/truncated.airlock", "wb").write(full[: len(full) - 200])
PY

EXPECTED="minimal ok
every-kind ok
untrusted-signer signature-untrusted
expired bundle-expired
tampered-entry entry-digest-mismatch
wrong-payload-type payload-type-wrong
tampered-manifest signature-invalid
path-traversal path-traversal
trailing-garbage trailing-garbage
truncated archive-truncated"
printf '%s\n' "$EXPECTED" > $V/expected.txt
bad=0
while read -r name want; do
  got=$( ("$A" bundle verify $V/$name.airlock --trust-root $V/trust.json --at $AT --json 2>/dev/null || true) \
    | python3 -c 'import json,sys; v=json.load(sys.stdin); print("ok" if v["status"]=="verified" else v["code"])')
  if [ "$got" = "$want" ]; then echo "$name: $got"; else echo "$name: expected $want, got $got"; bad=1; fi
done < $V/expected.txt
exit $bad
