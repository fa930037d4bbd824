#!/usr/bin/env python3
"""Derive systematically tampered copies of the real Sigstore bundles.

Reads fixtures/sigstore/cases.json, takes every case expected to verify, and writes one
tampered copy per applicable mutation into fixtures/sigstore/tampered/, with
fixtures/sigstore/tampered/index.json naming, per copy, how to verify it and the rejection
code airlock must report. tests/sigstore.rs runs the index. Deterministic: no clock, no RNG;
rerunning produces identical files.

Usage: scripts/gen-sigstore-tamper.py [--check]   (--check: fail if the committed corpus differs)
"""

import base64
import copy
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "sigstore")
OUT = os.path.join(ROOT, "tampered")


def b64d(s):
    return base64.b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.b64encode(b).decode()


def flip_b64(s, at=None):
    """Flip one bit of the decoded bytes (the middle byte unless `at` is given)."""
    raw = bytearray(b64d(s))
    i = len(raw) // 2 if at is None else at
    raw[i] ^= 0x01
    return b64e(bytes(raw))


def load_bundle(path):
    text = open(path, encoding="utf-8").read().strip()
    if path.endswith(".jsonl"):
        text = text.splitlines()[0]
    return json.loads(text)


def entry(b):
    return b["verificationMaterial"]["tlogEntries"][0]


def rekor_v2(b):
    return entry(b)["kindVersion"]["version"] == "0.0.2" and entry(b)["kindVersion"]["kind"] == "hashedrekord"


def has_set(b):
    return "inclusionPromise" in entry(b) and not rekor_v2(b)


def has_tsa(b):
    tvd = b["verificationMaterial"].get("timestampVerificationData") or {}
    return bool(tvd.get("rfc3161Timestamps"))


def sig_container(b):
    if "dsseEnvelope" in b:
        return b["dsseEnvelope"]["signatures"][0], "sig"
    return b["messageSignature"], "signature"


def set_cert(b, der_b64):
    vm = b["verificationMaterial"]
    if "certificate" in vm:
        vm["certificate"]["rawBytes"] = der_b64
    else:
        vm["x509CertificateChain"]["certificates"][0]["rawBytes"] = der_b64


def get_cert(b):
    vm = b["verificationMaterial"]
    if "certificate" in vm:
        return vm["certificate"]["rawBytes"]
    if "x509CertificateChain" in vm:
        return vm["x509CertificateChain"]["certificates"][0]["rawBytes"]
    return None


def checkpoint_lines(b):
    return entry(b)["inclusionProof"]["checkpoint"]["envelope"].split("\n")


def set_checkpoint(b, lines):
    entry(b)["inclusionProof"]["checkpoint"]["envelope"] = "\n".join(lines)


# Each mutation: (name, applies(bundle, case), mutate(bundle) -> None, expected code or
# function(bundle, case) -> code). Flag-only mutations change the case instead (see FLAG_CASES).


def m_payload(b):
    env = b["dsseEnvelope"]
    stmt = json.loads(b64d(env["payload"]))
    stmt["predicateType"] = stmt.get("predicateType", "") + "#tampered"
    env["payload"] = b64e(json.dumps(stmt, separators=(",", ":")).encode())


def m_message_digest(b):
    md = b["messageSignature"]["messageDigest"]
    md["digest"] = flip_b64(md["digest"])


def m_signature(b):
    c, k = sig_container(b)
    c[k] = flip_b64(c[k], at=len(b64d(c[k])) - 2)


def m_proof_hash(b):
    p = entry(b)["inclusionProof"]
    p["hashes"][0] = flip_b64(p["hashes"][0])


def m_log_index(b):
    e = entry(b)
    e["logIndex"] = str(int(e["logIndex"]) + 1)


def m_proof_log_index(b):
    p = entry(b)["inclusionProof"]
    p["logIndex"] = str(int(p["logIndex"]) + 1)


def m_tree_size(b):
    p = entry(b)["inclusionProof"]
    p["treeSize"] = str(int(p["treeSize"]) + 1)


def m_root_hash(b):
    p = entry(b)["inclusionProof"]
    p["rootHash"] = flip_b64(p["rootHash"])


def m_checkpoint_size(b):
    lines = checkpoint_lines(b)
    lines[1] = str(int(lines[1]) + 1)
    set_checkpoint(b, lines)


def m_checkpoint_origin(b):
    lines = checkpoint_lines(b)
    lines[0] = lines[0] + "x"
    set_checkpoint(b, lines)


def m_checkpoint_signature(b):
    lines = checkpoint_lines(b)
    for i, line in enumerate(lines):
        if line.startswith("\u2014 "):
            name, sig = line[2:].rsplit(" ", 1)
            raw = bytearray(b64d(sig))
            raw[-2] ^= 0x01
            lines[i] = "\u2014 " + name + " " + b64e(bytes(raw))
            break
    set_checkpoint(b, lines)


def m_checkpoint_unsigned(b):
    lines = [line for line in checkpoint_lines(b) if not line.startswith("\u2014 ")]
    lines.insert(-1, "\u2014 rekor.example.invalid AAAAAAAA")
    set_checkpoint(b, lines)


def m_integrated_time(b):
    e = entry(b)
    e["integratedTime"] = str(int(e["integratedTime"]) + 1)


def m_set(b):
    p = entry(b)["inclusionPromise"]
    p["signedEntryTimestamp"] = flip_b64(p["signedEntryTimestamp"], at=len(b64d(p["signedEntryTimestamp"])) - 2)


def m_body(b):
    e = entry(b)
    body = json.loads(b64d(e["canonicalizedBody"]))
    body["apiVersion"] = body.get("apiVersion", "") + "9"
    e["canonicalizedBody"] = b64e(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())


def m_log_id(b):
    e = entry(b)
    e["logId"]["keyId"] = flip_b64(e["logId"]["keyId"])


def m_tsa(b):
    ts = b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
    ts["signedTimestamp"] = flip_b64(ts["signedTimestamp"], at=len(b64d(ts["signedTimestamp"])) - 3)


def m_media_type(b):
    b["mediaType"] = "application/vnd.dev.sigstore.bundle.v9.9+json"


def m_drop_entries(b):
    b["verificationMaterial"]["tlogEntries"] = []


def after_signature(b, case):
    # RFC 3161 timestamps sign the signature bytes, so they fail first.
    return "timestamp-invalid" if has_tsa(b) else "signature-invalid"


def v1_only(b, case):
    return "inclusionProof" in entry(b) and not rekor_v2(b)


def with_proof(b, case):
    return "inclusionProof" in entry(b)


def with_proof_hashes(b, case):
    return with_proof(b, case) and entry(b)["inclusionProof"].get("hashes")


def keyless(b, case):
    return "key" not in case


MUTATIONS = [
    ("payload", lambda b, c: "dsseEnvelope" in b, m_payload, "signature-invalid"),
    ("message-digest", lambda b, c: "messageSignature" in b and "messageDigest" in b["messageSignature"],
     m_message_digest, "artifact-digest-mismatch"),
    ("signature", lambda b, c: True, m_signature, after_signature),
    ("proof-hash", with_proof_hashes, m_proof_hash, "tlog-inclusion-invalid"),
    ("log-index", lambda b, c: True, m_log_index,
     lambda b, c: "set-invalid" if has_set(b) else "tlog-inclusion-invalid"),
    ("proof-log-index", with_proof, m_proof_log_index, "tlog-inclusion-invalid"),
    ("tree-size", with_proof, m_tree_size, "tlog-inclusion-invalid"),
    ("proof-root-hash", with_proof, m_root_hash, "tlog-inclusion-invalid"),
    ("checkpoint-tree-size", with_proof, m_checkpoint_size,
     lambda b, c: "tlog-inclusion-invalid" if rekor_v2(b) else "checkpoint-invalid"),
    ("checkpoint-origin", with_proof, m_checkpoint_origin, "checkpoint-invalid"),
    ("checkpoint-signature", with_proof, m_checkpoint_signature, "checkpoint-invalid"),
    ("checkpoint-foreign-signer", with_proof, m_checkpoint_unsigned, "checkpoint-invalid"),
    ("integrated-time", lambda b, c: has_set(b), m_integrated_time, "set-invalid"),
    ("signed-entry-timestamp", lambda b, c: has_set(b), m_set, "set-invalid"),
    # Keyless verification authenticates the signing time (SET) first; managed-key verification
    # checks the inclusion proof first.
    ("canonicalized-body", lambda b, c: True, m_body,
     lambda b, c: "set-invalid" if has_set(b) and "key" not in c else "tlog-inclusion-invalid"),
    ("log-id", lambda b, c: True, m_log_id, "unknown-log-key"),
    ("rfc3161-timestamp", lambda b, c: has_tsa(b), m_tsa, "timestamp-invalid"),
    ("media-type", lambda b, c: True, m_media_type, "bundle-malformed"),
    ("no-tlog-entries", lambda b, c: True, m_drop_entries, "tlog-entry-missing"),
]

# Policy-only cases: the bundle is untouched, the flags are wrong.
FLAG_CASES = [
    ("wrong-identity", keyless, {"identity": "https://github.com/attacker/repo/.github/workflows/x.yml@refs/heads/main"},
     "identity-mismatch"),
    ("wrong-identity-regexp", keyless, {"identity": None, "identity_regexp": "mailto:.*@example\\.com"},
     "identity-mismatch"),
    ("wrong-issuer", keyless, {"issuer": "https://accounts.google.com"}, "issuer-mismatch"),
    ("wrong-digest", lambda b, c: True,
     {"artifact": None, "digest": "sha256:" + "00" * 32}, "artifact-digest-mismatch"),
]


def rel(case, key):
    v = case.get(key)
    return None if v is None else "../" + v


def base_case(case):
    out = {}
    for k in ("root", "artifact", "key"):
        if case.get(k) is not None:
            out[k] = rel(case, k)
    for k in ("digest", "identity", "identity_regexp", "issuer"):
        if case.get(k) is not None:
            out[k] = case[k]
    return out


def main():
    cases = json.load(open(os.path.join(ROOT, "cases.json"), encoding="utf-8"))["cases"]
    good = [c for c in cases if c["expect"] == "verified"]
    bundles = {c["name"]: load_bundle(os.path.join(ROOT, c["bundle"])) for c in good}
    files = {}
    index = []
    names = [c["name"] for c in good]
    for n, case in enumerate(good):
        name = case["name"]
        original = bundles[name]
        for mname, applies, mutate, expect in MUTATIONS:
            if not applies(original, case):
                continue
            b = copy.deepcopy(original)
            mutate(b)
            fname = f"{name}.{mname}.json"
            files[fname] = json.dumps(b, separators=(",", ":"), ensure_ascii=False) + "\n"
            code = expect(b, case) if callable(expect) else expect
            entry_ = {"name": f"{name}/{mname}", "bundle": fname, **base_case(case), "expect": code}
            index.append(entry_)
        # swapped certificate: the certificate of the next keyless bundle in the list
        if get_cert(original) is not None:
            for other in names[n + 1:] + names[:n]:
                oc = get_cert(bundles[other])
                if oc is not None and oc != get_cert(original):
                    b = copy.deepcopy(original)
                    set_cert(b, oc)
                    fname = f"{name}.swapped-certificate.json"
                    files[fname] = json.dumps(b, separators=(",", ":"), ensure_ascii=False) + "\n"
                    index.append({"name": f"{name}/swapped-certificate", "bundle": fname,
                                  **base_case(case), "identity": None, "issuer": None,
                                  "swapped_from": other, "expect": "certificate-chain-invalid"})
                    break
        # duplicate member name (strict JSON)
        text = json.dumps(original, separators=(",", ":"), ensure_ascii=False)
        dup = text.replace("{\"mediaType\":", "{\"mediaType\":\"x\",\"mediaType\":", 1)
        fname = f"{name}.duplicate-key.json"
        files[fname] = dup + "\n"
        index.append({"name": f"{name}/duplicate-key", "bundle": fname, **base_case(case),
                      "expect": "bundle-malformed"})
        for fname_, applies, change, code in FLAG_CASES:
            if not applies(original, case):
                continue
            c = base_case(case)
            c.update(change)
            c = {k: v for k, v in c.items() if v is not None}
            index.append({"name": f"{name}/{fname_}", "bundle": "../" + case["bundle"], **c, "expect": code})
    for e in index:
        for k in [k for k, v in e.items() if v is None]:
            del e[k]
    files["index.json"] = json.dumps(
        {"comment": "Generated by scripts/gen-sigstore-tamper.py from ../cases.json; do not edit.",
         "cases": index}, indent=1) + "\n"

    if "--check" in sys.argv:
        bad = [f for f, t in files.items()
               if not os.path.exists(os.path.join(OUT, f)) or open(os.path.join(OUT, f), encoding="utf-8").read() != t]
        if bad:
            sys.exit(f"tampered corpus is stale: {bad[:5]}")
        return
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    for f, t in sorted(files.items()):
        with open(os.path.join(OUT, f), "w", encoding="utf-8") as fh:
            fh.write(t)
    print(f"{len(index)} tampered cases in {OUT}")


if __name__ == "__main__":
    main()
