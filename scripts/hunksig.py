#!/usr/bin/env python3
"""Independent HunkSig v1 implementation (spec/hunksig.md), used to produce and cross-check
fixtures/vectors/hunksig/expected.tsv. Usage: hunksig.py PATCH... -> file<TAB>ps<TAB>hs..."""
import re
import sys

import blake3

WS = "\t\n\x0b\x0c\r "
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def norm(line):
    n = "".join(c for c in line if c not in WS)
    return n or None


def parse(text):
    lines = [l[:-1] if l.endswith("\r") else l for l in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    files, i = [], 0
    while i < len(lines):
        l = lines[i]
        if l.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            old = l[4:].split("\t")[0].rstrip()
            new = lines[i + 1][4:].split("\t")[0].rstrip()
            path = old if new == "/dev/null" else new
            files.append((path.rsplit("/", 1)[-1], []))
            i += 2
            continue
        m = HUNK.match(l)
        if m:
            old_left = int(m.group(2) or 1)
            new_left = int(m.group(4) or 1)
            rem, add = [], []
            i += 1
            while old_left or new_left:
                b = lines[i]
                if b == "" or b[0] == " ":
                    old_left -= 1
                    new_left -= 1
                elif b[0] == "-":
                    rem.append(b[1:])
                    old_left -= 1
                elif b[0] == "+":
                    add.append(b[1:])
                    new_left -= 1
                i += 1
            files[-1][1].append(([x for x in map(norm, rem) if x], [x for x in map(norm, add) if x]))
            continue
        i += 1
    return files


def feed(domain, base, rem, add):
    h = blake3.blake3()
    h.update(domain + b"file:" + base.encode() + b"\n")
    for r in rem:
        h.update(b"-" + r.encode() + b"\n")
    for a in add:
        h.update(b"+" + a.encode() + b"\n")
    return h.digest()


for path in sys.argv[1:]:
    files = parse(open(path, encoding="utf-8", errors="replace").read())
    hs = ["hs1:" + feed(b"airlock-hunksig-v1\n", base, r, a).hex() for base, hunks in files for r, a in hunks]
    per_file = []
    for base, hunks in files:
        rem = [x for r, _ in hunks for x in r]
        add = [x for _, a in hunks for x in a]
        if rem or add:
            per_file.append(feed(b"airlock-patchsig-v1\n", base, rem, add))
    ps = ""
    if per_file:
        h = blake3.blake3(b"airlock-patchsig-v1\n")
        for d in sorted(per_file):
            h.update(d)
        ps = "ps1:" + h.hexdigest()
    print(f"{path.rsplit('/', 1)[-1]}\t{ps}\t{' '.join(hs)}")
