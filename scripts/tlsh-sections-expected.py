#!/usr/bin/env python3
"""Prints `<py-tlsh digest>  <sha256>  <path>  <index>  <section name>` for every section with
contents in the file, for each thin ELF, PE or Mach-O file named on stdin (paths relative to
argv[1]). `index` counts only sections with contents, in section-table order.

The section tables come from tools independent of airlock's parser: `readelf -S -W` (ELF),
`objdump -h` (PE), `llvm-objdump --macho --private-headers` (Mach-O); the bytes hashed are
file[offset : offset + size] as those tools report them. Fat Mach-O files are skipped.
The expected values committed under fixtures/binary/ come from this script."""
import hashlib, os, re, subprocess, sys
import tlsh


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def elf_sections(path):
    out = []
    for line in run("readelf", "-S", "-W", path).splitlines():
        m = re.match(r"\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if not m or m.group(3) in ("NULL", "NOBITS"):
            continue
        name, off, size = m.group(2), int(m.group(5), 16), int(m.group(6), 16)
        if size:
            out.append((name, off, size))
    return out


def pe_sections(path):
    out, lines = [], run("objdump", "-h", path).splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"\s*\d+\s+(\S+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)", line)
        if m and i + 1 < len(lines) and "CONTENTS" in lines[i + 1]:
            size = int(m.group(2), 16)
            if size:
                out.append((m.group(1), int(m.group(3), 16), size))
    return out


def macho_sections(path):
    out, cur = [], None
    for line in run("llvm-objdump", "--macho", "--private-headers", path).splitlines():
        f = line.split()
        if f[:1] == ["Section"]:
            cur = {}
        elif cur is not None and len(f) >= 2 and f[0] in ("sectname", "size", "offset", "type"):
            cur[f[0]] = f[1]
            if f[0] == "type":
                if "ZEROFILL" not in cur["type"] and int(cur["size"], 16):
                    out.append((cur["sectname"], int(cur["offset"]), int(cur["size"], 16)))
                cur = None
    return out


root = sys.argv[1] if len(sys.argv) > 1 else "."
for line in sys.stdin:
    path = line.rstrip("\n")
    if not path:
        continue
    data = open(path, "rb").read()
    if data[:4] == b"\x7fELF":
        sections = elf_sections(path)
    elif data[:2] == b"MZ":
        sections = pe_sections(path)
    elif data[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe"):
        sections = macho_sections(path)
    else:
        continue  # fat Mach-O and anything else
    rel = os.path.relpath(path, root)
    sha = hashlib.sha256(data).hexdigest()
    for i, (name, off, size) in enumerate(sections):
        print(f"{tlsh.hash(data[off:off + size])}  {sha}  {rel}  {i}  {name}")
