#!/usr/bin/env python3
"""Deterministic evidence corpus for the proof benchmark.

Writes EVIDENCE/advisories/debian-tracker/tracker.json (Debian security tracker JSON shape:
package -> CVE -> releases) with PACKAGES x CVES_PER_PACKAGE (package, CVE) records, and
EVIDENCE/changelogs/<pkg>/changelog.Debian files with ENTRIES entries each naming CVEs, plus
FINDINGS (CSV id,purl) with N findings drawn from the corpus (half fixed, half affected).
Usage: gen-proof-corpus.py EVIDENCE FINDINGS PACKAGES CVES_PER_PACKAGE CHANGELOG_PKGS ENTRIES N
"""
import json
import os
import random
import sys

out, findings, packages, per_pkg, cl_pkgs, entries, n = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:8])
rng = random.Random(20261123)
os.makedirs(f"{out}/advisories/debian-tracker", exist_ok=True)
tracker = {}
cve = 0
picks = []
for p in range(packages):
    name = f"pkg{p:06d}"
    recs = {}
    for _ in range(per_pkg):
        cve += 1
        cid = f"CVE-{2000 + cve // 100000}-{cve % 100000 + 10000}"
        fixed = f"1.{rng.randrange(1, 20)}-{rng.randrange(1, 5)}+deb12u{rng.randrange(1, 9)}"
        recs[cid] = {"releases": {"bookworm": {"status": "resolved", "fixed_version": fixed, "urgency": "medium"}}}
        if len(picks) < n and rng.random() < 0.05:
            picks.append((cid, name, fixed))
    tracker[name] = recs
with open(f"{out}/advisories/debian-tracker/tracker.json", "w") as f:
    json.dump(tracker, f, separators=(",", ":"))
for p in range(cl_pkgs):
    name = f"src{p:06d}"
    os.makedirs(f"{out}/changelogs/{name}", exist_ok=True)
    with open(f"{out}/changelogs/{name}/changelog.Debian", "w") as f:
        for e in range(entries, 0, -1):
            ids = " ".join(f"CVE-2030-{p * entries + e:07d}" for _ in range(1))
            f.write(f"{name} (1.0-{e}) bookworm; urgency=medium\n\n  * Fix {ids}.\n\n"
                    f" -- Maint <m@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n\n")
with open(findings, "w") as f:
    f.write("id,purl\n")
    for i in range(n):
        cid, name, fixed = picks[i % len(picks)]
        ver = fixed if i % 2 == 0 else "1.0-0"
        f.write(f"{cid},pkg:deb/debian/{name}@{ver.replace('+', '%2B')}?distro=debian-12\n")
print(f"{packages * per_pkg} advisory records, {cl_pkgs * entries} changelog mentions, {n} findings")
