#!/usr/bin/env bash
# Artifact-delta benchmark (not run by CI; needs the network for the inputs).
#
# Fetches real consecutive-version pairs itself:
#   - native libraries from PyPI wheels: pydantic_core (manylinux x86_64 .so) and orjson
#     (win_amd64 .pyd), plus one whole wheel (zip container);
#   - Debian bookworm .deb packages of two versions still on the mirror (bookworm, bookworm-security),
#     as packages and the shared library inside;
#   - .crate archives from crates.io's static download host.
# For every pair it measures delta size, create time and apply time for
#   airlock delta create/apply, xdelta3 -9 -D, bsdiff/bspatch, zstd -19 --long=27 --patch-from
# in the same run (hyperfine medians), checks every peer's output reproduces the target, and prints
# one table. airlock's "delta" is delta.bin (the forward payload); "dir" adds the manifest and the
# reverse payload that rollback uses, which the peers do not produce.
# Installs xdelta3, bsdiff, zstd, hyperfine (apt) if missing.
#   BENCH_RUNS (default 5) runs per measurement; AIRLOCK_DELTA_BENCH the work directory;
#   BENCH_PAIRS a glob of pair names; BENCH_APPEND=1 adds rows to the previous results table.
# (-D on xdelta3 decode too: otherwise it gunzips a gzip source itself and fails on .crate.)
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for t in xdelta3:xdelta3 bsdiff:bsdiff bspatch:bsdiff zstd:zstd hyperfine:hyperfine; do
  command -v "${t%%:*}" >/dev/null || need+=("${t##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null
fi
RUNS=${BENCH_RUNS:-5}
W=${AIRLOCK_DELTA_BENCH:-/tmp/airlock-delta-bench}
DL=$W/dl
P=$W/pairs
mkdir -p "$DL" "$P"

wheel() { # name version platform -> path of the wheel in $DL
  local name=$1 ver=$2 plat=$3
  local f
  f=$(ls "$DL"/"${name}"-"${ver}"-*"${plat#manylinux2014_}"*.whl 2>/dev/null | head -1 || true)
  if [ -z "$f" ]; then
    pip download -q --no-deps --only-binary :all: --platform "$plat" --python-version 3.12 \
      --implementation cp "$name==$ver" -d "$DL" >/dev/null
    f=$(ls "$DL"/"${name}"-"${ver}"-*"${plat#manylinux2014_}"*.whl | head -1)
  fi
  echo "$f"
}
wheel_member() { # wheel glob -> extracts the first member matching glob to stdout
  python3 - "$1" "$2" <<'PY'
import sys, zipfile, fnmatch
z = zipfile.ZipFile(sys.argv[1])
n = next(n for n in z.namelist() if fnmatch.fnmatch(n, sys.argv[2]))
sys.stdout.buffer.write(z.read(n))
PY
}
deb() { # package version -> path
  local f
  f=$(ls "$DL"/"$1"_"$(echo "$2" | sed 's/:/%3a/')"_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$f" ]; then
    (cd "$DL" && apt-get download -q "$1=$2" >/dev/null 2>&1)
    f=$(ls "$DL"/"$1"_"$(echo "$2" | sed 's/:/%3a/')"_*.deb | head -1)
  fi
  echo "$f"
}
deb_member() { # deb path-inside -> stdout
  local x
  x=$(mktemp -d)
  dpkg-deb -x "$1" "$x"
  cat "$x/$2"
  rm -rf "$x"
}
crate() { # name version -> path
  local f=$DL/$1-$2.crate
  [ -s "$f" ] || curl -fsS -o "$f" "https://static.crates.io/crates/$1/$1-$2.crate"
  echo "$f"
}
pair() { # name base-file target-file
  mkdir -p "$P/$1"
  cp "$2" "$P/$1/base"
  cp "$3" "$P/$1/target"
}
if [ ! -f "$P/.fetched" ]; then
  echo "fetching pairs into $P" >&2
  a=$(wheel pydantic_core 2.27.1 manylinux2014_x86_64)
  b=$(wheel pydantic_core 2.27.2 manylinux2014_x86_64)
  wheel_member "$a" 'pydantic_core/_pydantic_core*.so' >"$W/a.so"
  wheel_member "$b" 'pydantic_core/_pydantic_core*.so' >"$W/b.so"
  pair pydantic_core-2.27.1-2.27.2.so "$W/a.so" "$W/b.so"
  a=$(wheel orjson 3.10.11 win_amd64)
  b=$(wheel orjson 3.10.12 win_amd64)
  wheel_member "$a" 'orjson/orjson*.pyd' >"$W/a.pyd"
  wheel_member "$b" 'orjson/orjson*.pyd' >"$W/b.pyd"
  pair orjson-3.10.11-3.10.12.pyd "$W/a.pyd" "$W/b.pyd"
  pair orjson-3.10.11-3.10.12-win.whl "$a" "$b"
  a=$(wheel orjson 3.10.11 manylinux2014_x86_64)
  b=$(wheel orjson 3.10.12 manylinux2014_x86_64)
  wheel_member "$a" 'orjson/orjson*.so' >"$W/a.so"
  wheel_member "$b" 'orjson/orjson*.so' >"$W/b.so"
  pair orjson-3.10.11-3.10.12.so "$W/a.so" "$W/b.so"
  a=$(deb libssl3 3.0.20-1~deb12u2)
  b=$(deb libssl3 3.0.22-1~deb12u2)
  pair libssl3-3.0.20-3.0.22.deb "$a" "$b"
  deb_member "$a" usr/lib/x86_64-linux-gnu/libcrypto.so.3 >"$W/a.so"
  deb_member "$b" usr/lib/x86_64-linux-gnu/libcrypto.so.3 >"$W/b.so"
  pair libcrypto.so.3-3.0.20-3.0.22 "$W/a.so" "$W/b.so"
  a=$(deb curl 7.88.1-10+deb12u5)
  b=$(deb curl 7.88.1-10+deb12u15)
  pair curl-deb12u5-deb12u15.deb "$a" "$b"
  a=$(deb libcurl4 7.88.1-10+deb12u5)
  b=$(deb libcurl4 7.88.1-10+deb12u15)
  deb_member "$a" usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0 >"$W/a.so"
  deb_member "$b" usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0 >"$W/b.so"
  pair libcurl.so.4.8.0-deb12u5-deb12u15 "$W/a.so" "$W/b.so"
  pair serde-1.0.214-1.0.215.crate "$(crate serde 1.0.214)" "$(crate serde 1.0.215)"
  pair tokio-1.41.0-1.41.1.crate "$(crate tokio 1.41.0)" "$(crate tokio 1.41.1)"
  rm -f "$W"/a.* "$W"/b.*
  touch "$P/.fetched"
fi

cargo build -q --release --locked --bin airlock
A=$(realpath "${CARGO_TARGET_DIR:-target}")/release/airlock
O=$W/out
RES=$W/results.tsv
[ -n "${BENCH_APPEND:-}" ] || : >"$RES"
medians() { # hyperfine JSON files -> name=median,...
  python3 -c 'import json, sys
print(",".join("%s=%s" % (r["command"], r["median"]) for f in sys.argv[1:] for r in json.load(open(f))["results"]))' "$@"
}
mapfile -t PAIRS < <(cd "$P" && ls -d ${BENCH_PAIRS:-*}/ | tr -d / | sort)
for name in "${PAIRS[@]}"; do
  base=$P/$name/base
  target=$P/$name/target
  rm -rf "$O" && mkdir -p "$O"
  echo "== $name ($(stat -c %s "$base") -> $(stat -c %s "$target") bytes)" >&2
  # airlock's output directory must not exist: its own hyperfine run removes it before each run.
  hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-json "$O/create-airlock.json" \
    --prepare "rm -rf $O/airlock" -n airlock "$A delta create --base $base --target $target --out $O/airlock" >/dev/null
  hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-json "$O/create.json" \
    -n xdelta3 "xdelta3 -9 -D -f -e -s $base $target $O/x.xd3" \
    -n bsdiff "bsdiff $base $target $O/b.bsdiff" \
    -n zstd "zstd -q -f -19 --long=27 --patch-from=$base $target -o $O/z.zst" >/dev/null
  hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-json "$O/apply.json" \
    -n airlock "$A delta apply --base $base --delta $O/airlock --out $O/t.airlock" \
    -n xdelta3 "xdelta3 -d -D -f -s $base $O/x.xd3 $O/t.xdelta3" \
    -n bsdiff "bspatch $base $O/t.bsdiff $O/b.bsdiff" \
    -n zstd "zstd -q -f -d --long=27 --patch-from=$base $O/z.zst -o $O/t.zstd" >/dev/null
  for t in airlock xdelta3 bsdiff zstd; do
    cmp -s "$target" "$O/t.$t" || { echo "$t did not reproduce $name" >&2; exit 2; }
  done
  dir_size=$(cat "$O"/airlock/* 2>/dev/null | wc -c)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(stat -c %s "$target")" \
    "$(stat -c %s "$O/airlock/delta.bin")" "$dir_size" "$(stat -c %s "$O/x.xd3")" \
    "$(stat -c %s "$O/b.bsdiff")" "$(stat -c %s "$O/z.zst")" \
    "$(medians "$O/create-airlock.json" "$O/create.json")" "$(medians "$O/apply.json")" \
    >>"$RES"
done

python3 - "$RES" "$RUNS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
tools = ["airlock", "xdelta3", "bsdiff", "zstd"]
def t(s):
    return {k: float(v) for k, v in (x.split("=") for x in s.split(","))}
print(f"medians of {sys.argv[2]} runs; {sys.argv[3]} cores, load {sys.argv[4]}")
print("| pair | target | airlock delta.bin (dir) | xdelta3 -9 -D | bsdiff | zstd -19 --patch-from | "
      "create ms airlock / xdelta3 / bsdiff / zstd | apply ms airlock / xdelta3 / bspatch / zstd |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
wins = smaller_than_bsdiff = create_ok = apply_ok = 0
for name, tsize, a, adir, x, b, z, c, ap in rows:
    tsize, a, adir, x, b, z = map(int, (tsize, a, adir, x, b, z))
    c, ap = t(c), t(ap)
    best = min(x, b, z)
    wins += a < best
    smaller_than_bsdiff += a < b
    create_ok += c["airlock"] <= c["zstd"]
    apply_ok += ap["airlock"] <= ap["bsdiff"]
    mark = lambda v: f"**{v}**" if v == min(a, x, b, z) else str(v)
    print(f"| {name} | {tsize} | {mark(a)} ({adir}) | {mark(x)} | {mark(b)} | {mark(z)} | "
          + " / ".join(f"{c[k]*1000:.0f}" for k in tools) + " | "
          + " / ".join(f"{ap[k]*1000:.1f}" for k in tools) + " |")
n = len(rows)
print(f"\nairlock smallest on {wins}/{n} pairs, smaller than bsdiff on {smaller_than_bsdiff}/{n}; "
      f"create no slower than zstd --patch-from on {create_ok}/{n}; apply no slower than bspatch on {apply_ok}/{n}")
PY
