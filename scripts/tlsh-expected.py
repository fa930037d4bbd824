#!/usr/bin/env python3
"""Prints `<py-tlsh digest>  <sha256>  <path>` for each file named on stdin (one per line),
relative to --root. The expected values committed under fixtures/binary/ come from this script
(py-tlsh is the reference TLSH implementation's Python binding)."""
import hashlib, os, sys
import tlsh

root = sys.argv[1] if len(sys.argv) > 1 else "."
for line in sys.stdin:
    path = line.rstrip("\n")
    if not path:
        continue
    data = open(path, "rb").read()
    rel = os.path.relpath(path, root)
    print(f"{tlsh.hash(data)}  {hashlib.sha256(data).hexdigest()}  {rel}")
