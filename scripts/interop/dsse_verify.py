"""Verify a DSSE envelope with Python's `cryptography`, independently of airlock.

Usage: dsse_verify.py ENVELOPE PUBLIC_KEY_PEM. Exits non-zero if the signature does not verify,
or if a tampered payload still verifies.
"""
import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519


def pae(payload_type: bytes, body: bytes) -> bytes:
    # DSSE protocol: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
    return b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type, len(body), body)


def verify(key, message: bytes, sig: bytes) -> None:
    if isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(sig, message)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(sig, message, ec.ECDSA(hashes.SHA256()))  # DER signature, as cosign writes
    else:
        raise SystemExit(f"unexpected key type {type(key)}")


def main() -> None:
    envelope = json.load(open(sys.argv[1], "rb"))
    key = serialization.load_pem_public_key(open(sys.argv[2], "rb").read())
    body = base64.b64decode(envelope["payload"])
    ptype = envelope["payloadType"].encode()
    [signature] = envelope["signatures"]
    sig = base64.b64decode(signature["sig"])
    verify(key, pae(ptype, body), sig)
    try:
        verify(key, pae(ptype, body + b" "), sig)
    except InvalidSignature:
        pass
    else:
        raise SystemExit("tampered payload verified: PAE mismatch")
    print(f"ok: {sys.argv[1]} verified by cryptography ({type(key).__name__})")


if __name__ == "__main__":
    main()
