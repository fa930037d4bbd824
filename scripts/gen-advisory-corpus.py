#!/usr/bin/env python3
"""Deterministic advisory corpus for scripts/bench-evidence.sh.

Replicates the real OSV and CSAF samples under fixtures/advisories with changed ids (document
id, CVE ids, aliases) until each kind reaches the requested size. Same arguments, same bytes:
no clock, no randomness.

usage: gen-advisory-corpus.py OUT_DIR [--mb-per-kind N]
"""
import argparse
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "advisories")
CVE = re.compile(r"CVE-\d{4}-\d{4,}")


def samples(kind):
    out = []
    base = os.path.join(ROOT, kind)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".json"):
                with open(os.path.join(dirpath, name), "rb") as f:
                    out.append((name, json.loads(f.read())))
    return out


def renumber(text, n):
    # CVE-YYYY-NNNN -> CVE-2900-<n><NNNN>: unique per copy, still a well-formed CVE id.
    return CVE.sub(lambda m: "CVE-2900-%d%s" % (n, m.group(0).rsplit("-", 1)[1]), text)


def osv_copy(doc, n):
    d = json.loads(renumber(json.dumps(doc), n))
    d["id"] = "%s-BENCH%d" % (doc["id"], n)
    return d


def csaf_copy(doc, n):
    d = json.loads(renumber(json.dumps(doc), n))
    d["document"]["tracking"]["id"] = "%s-BENCH%d" % (doc["document"]["tracking"]["id"], n)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mb-per-kind", type=float, default=32)
    args = ap.parse_args()
    target = int(args.mb_per_kind * 1024 * 1024)
    for kind, copy in (("osv", osv_copy), ("csaf", csaf_copy)):
        src = samples(kind)
        if not src:
            sys.exit("no %s samples under %s" % (kind, ROOT))
        out_dir = os.path.join(args.out, kind)
        os.makedirs(out_dir, exist_ok=True)
        total, n = 0, 0
        while total < target:
            for name, doc in src:
                data = json.dumps(copy(doc, n), indent=2).encode() + b"\n"
                path = os.path.join(out_dir, "%06d-%s" % (n, name))
                with open(path, "wb") as f:
                    f.write(data)
                total += len(data)
            n += 1
        print("%s: %d copies of %d samples, %d bytes" % (kind, n, len(src), total))


if __name__ == "__main__":
    main()
