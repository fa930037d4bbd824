#!/usr/bin/env bash
# Regenerates the labelled version vectors under fixtures/vectors/versions/:
#   dpkg-generated.tsv       pairs labelled by `dpkg --compare-versions`
#   rpm-evr-generated.tsv    [epoch:]version[-release] pairs labelled by rpm's rpm.ver objects
#   rpmvercmp-generated.tsv  plain version pairs labelled by rpm.vercmp (rpmvercmp)
# and re-checks the hand-copied test-suite files (dpkg-testsuite.tsv, rpmvercmp-testsuite.tsv)
# against the same tools, failing on any disagreement. Deterministic: fixed seed.
# Needs dpkg and rpm (installed with apt-get when missing). Not run by CI; its output is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=fixtures/vectors/versions
command -v dpkg >/dev/null || { apt-get update -qq && apt-get install -y -qq dpkg; }
command -v rpm >/dev/null || { apt-get update -qq && apt-get install -y -qq rpm; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

python3 - "$TMP" <<'PY'
import random, sys
tmp = sys.argv[1]
rnd = random.Random(20261123)

def num():
    r = rnd.random()
    if r < 0.6: return str(rnd.randint(0, 12))
    if r < 0.8: return str(rnd.randint(0, 300))
    if r < 0.9: return "0" * rnd.randint(1, 2) + str(rnd.randint(0, 9))
    return str(rnd.choice([2019, 2020, 2024, 20160101, 20231231, 99999999999]))

def word():
    return rnd.choice(["a", "b", "rc", "beta", "alpha", "pre", "git", "dfsg", "ubuntu", "deb",
                       "build", "nmu", "el", "fc", "Z", "B", "x", "svn", "p", "really"])

def upstream(seps):
    parts = [num()]
    for _ in range(rnd.randint(0, 4)):
        r = rnd.random()
        if r < 0.55: parts.append("." + num())
        elif r < 0.7: parts.append(rnd.choice(seps) + word() + (num() if rnd.random() < 0.6 else ""))
        elif r < 0.8: parts.append(word())
        else: parts.append(rnd.choice(seps) + num())
    return "".join(parts)

def deb_version():
    v = upstream(["~", "+", ".", "~~"])
    if rnd.random() < 0.15: v = f"{rnd.randint(0, 3)}:" + v
    if rnd.random() < 0.6:
        rev = rnd.choice([num(), num() + "+deb12u" + num(), num() + "ubuntu" + num(),
                          num() + "~bpo12+1", num() + "+b" + num(), "0." + num()])
        v += "-" + rev
    return v

def mutate(v, seps):
    ops = [lambda s: s + rnd.choice(seps) + rnd.choice(["", word(), num()]),
           lambda s: s[:-1] if len(s) > 1 else s,
           lambda s: s.replace(".", rnd.choice(seps), 1),
           lambda s: s + "0",
           lambda s: s.replace("0", "00", 1),
           lambda s: s + "a",
           lambda s: "".join(c if not c.isdigit() or rnd.random() < 0.8 else str(rnd.randint(0, 9)) for c in s)]
    return rnd.choice(ops)(v)

def deb_invalid():
    return rnd.choice(["1.0-", ":1.0", "a:1.0", "1:", "1.0 2", "-1:1", "1:2-", "99999999999:1",
                       "1.0_1", "1.0-a_b", "abc", "1.0#1", "0:1@2", "1.0-1:2", "+1:1.0", "0x1:2",
                       "1.0-1-", "1:.0", "1.0\u00e9"])

pairs = set()
while len(pairs) < 700:
    a = deb_version()
    r = rnd.random()
    if r < 0.45: b = mutate(a, ["~", "+", "."])
    elif r < 0.9: b = deb_version()
    elif r < 0.95: b = a
    else: a, b = deb_invalid(), deb_version()
    if rnd.random() < 0.5: a, b = b, a
    pairs.add((a, b))
open(f"{tmp}/dpkg.pairs", "w").write("".join(f"{a}\t{b}\n" for a, b in sorted(pairs)))

def rpm_version():
    return upstream(["~", "^", ".", "_", "+"])

def rpm_evr():
    v = rpm_version()
    if rnd.random() < 0.2: v = rnd.choice(["", "0", "1", "2", "10"]) + ":" + v
    if rnd.random() < 0.75:
        v += "-" + rnd.choice([num(), num() + ".el" + num(), num() + ".fc" + num(), num() + "." + num() + ".el9_" + num(),
                               num() + "~" + word(), num() + "^" + num(), ""])
    return v

for name, gen, n in [("rpmevr", rpm_evr, 450), ("rpmvercmp", rpm_version, 250)]:
    pairs = set()
    while len(pairs) < n:
        a = gen()
        r = rnd.random()
        if r < 0.45: b = mutate(a, ["~", "^", ".", "_"])
        elif r < 0.95: b = gen()
        else: b = a
        if rnd.random() < 0.5: a, b = b, a
        if not a or not b: continue
        pairs.add((a, b))
    open(f"{tmp}/{name}.pairs", "w").write("".join(f"{a}\t{b}\n" for a, b in sorted(pairs)))
PY

# Hand-copied test-suite pairs are relabelled too, to check them.
grep -v '^#' $OUT/dpkg-testsuite.tsv | cut -f1,2 > "$TMP/dpkg-suite.pairs"
grep -v '^#' $OUT/rpmvercmp-testsuite.tsv | cut -f1,2 > "$TMP/rpm-suite.pairs"

label_dpkg() { # pairs file -> labels
  while IFS= read -r line; do
    a=${line%%$'\t'*}; b=${line#*$'\t'}
    set +e
    dpkg --compare-versions -- "$a" lt "$b" 2>/dev/null; rc=$?
    if [ $rc -eq 2 ]; then echo error
    elif [ $rc -eq 0 ]; then echo "<"
    elif dpkg --compare-versions -- "$a" eq "$b" 2>/dev/null; then echo "="
    else echo ">"; fi
    set -e
  done < "$1"
}

label_rpm() { # mode (ver|vercmp) pairs file -> labels
  cat > "$TMP/label.lua" <<LUA
local mode = "$1"
local out = {}
for line in io.lines("$2") do
  local a, b = line:match("^([^\t]*)\t(.*)$")
  local ok, r = pcall(function()
    local c
    if mode == "ver" then
      local x, y = rpm.ver(a), rpm.ver(b)
      if x < y then c = -1 elseif x == y then c = 0 else c = 1 end
    else
      c = rpm.vercmp(a, b)
    end
    if c < 0 then return "<" elseif c == 0 then return "=" else return ">" end
  end)
  out[#out + 1] = ok and r or "error"
end
local f = io.open("$TMP/rpm.labels", "w")
f:write(table.concat(out, "\n") .. "\n")
f:close()
LUA
  rpm --eval "%{lua: dofile('$TMP/label.lua')}" >/dev/null
  cat "$TMP/rpm.labels"
}

write() { # pairs labels header out
  { printf '%s\n' "$3"; paste "$1" "$2"; } > "$4"
}

DPKG_VER=$(dpkg-query -W -f '${Version}' dpkg)
RPM_VER=$(rpm --version | awk '{print $3}')
label_dpkg "$TMP/dpkg.pairs" > "$TMP/dpkg.labels"
write "$TMP/dpkg.pairs" "$TMP/dpkg.labels" \
  "# Generated by scripts/gen-version-vectors.sh; labels by dpkg --compare-versions (dpkg $DPKG_VER). A<TAB>B<TAB>expected" \
  $OUT/dpkg-generated.tsv
label_rpm ver "$TMP/rpmevr.pairs" > "$TMP/rpmevr.labels"
write "$TMP/rpmevr.pairs" "$TMP/rpmevr.labels" \
  "# Generated by scripts/gen-version-vectors.sh; labels by rpm $RPM_VER rpm.ver(a) <=> rpm.ver(b) (EVR). A<TAB>B<TAB>expected" \
  $OUT/rpm-evr-generated.tsv
label_rpm vercmp "$TMP/rpmvercmp.pairs" > "$TMP/rpmvercmp.labels"
write "$TMP/rpmvercmp.pairs" "$TMP/rpmvercmp.labels" \
  "# Generated by scripts/gen-version-vectors.sh; labels by rpm $RPM_VER rpm.vercmp(a, b) (rpmvercmp). A<TAB>B<TAB>expected" \
  $OUT/rpmvercmp-generated.tsv

# Check the test-suite files against the tools.
fail=0
label_dpkg "$TMP/dpkg-suite.pairs" | paste <(grep -v '^#' $OUT/dpkg-testsuite.tsv) - |
  awk -F'\t' '$3 != $4 { print "dpkg-testsuite disagrees with dpkg: " $0; bad=1 } END { exit bad }' || fail=1
label_rpm vercmp "$TMP/rpm-suite.pairs" | paste <(grep -v '^#' $OUT/rpmvercmp-testsuite.tsv) - |
  awk -F'\t' '$3 != $4 { print "rpmvercmp-testsuite disagrees with rpm: " $0; bad=1 } END { exit bad }' || fail=1
wc -l $OUT/*.tsv
exit $fail
