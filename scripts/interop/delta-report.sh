#!/usr/bin/env bash
# `airlock delta report` in a real browser: renders the HTML report of a delta between the
# shipped ELF fixtures (fixtures/delta) in headless Chromium (Debian's `chromium`) and checks
#   1. every panel of the seed is in the rendered DOM (top changed functions with the changed
#      symbols, provenance, delta anatomy, dependency delta, apply / rollback gate);
#   2. no network request was attempted: Chromium runs with its proxy pointing at a local
#      listener that records every request line (a positive control page with a remote image
#      proves the listener sees page requests); requests Chromium itself makes to Google
#      services despite --disable-background-networking (clients2.google.com time checks) are
#      listed but not held against the page; the page must also carry its
#      Content-Security-Policy (default-src 'none') and no external reference;
#   3. a screenshot is produced (kept at $DELTA_REPORT_OUT, default a temp dir, for a human look).
# Installs chromium via apt if missing; skips (exit 0, with a message) only if that is impossible.
set -euo pipefail
cd "$(dirname "$0")/../.."
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
  echo "delta-report: installing chromium (apt)" >&2
  { apt-get install -y -q chromium >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }; } || true
  CHROME=$(command -v chromium || true)
fi
if [ -z "$CHROME" ]; then
  echo "delta-report: SKIPPED: chromium is not installed and could not be installed with apt" >&2
  exit 0
fi
cargo build -q --locked --bin airlock
AIRLOCK=${CARGO_TARGET_DIR:-target}/debug/airlock
OUT=${DELTA_REPORT_OUT:-$(mktemp -d)}
mkdir -p "$OUT"
rm -rf "$OUT/d"
"$AIRLOCK" -q delta create --base fixtures/delta/hello-unstripped.elf \
  --target fixtures/delta/hello2-unstripped.elf --out "$OUT/d"
"$AIRLOCK" -q delta report "$OUT/d" --html "$OUT/report.html"
fail=0
bad() { echo "delta-report: FAIL: $*" >&2; fail=1; }

# Static: nothing in the file can point outside it.
grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$OUT/report.html" ||
  bad "report has no default-src 'none' Content-Security-Policy"
if grep -Eiq '(https?|ftp|ws)://|<script|<link|<img|<iframe|@import|url\(' "$OUT/report.html"; then
  bad "report references something outside itself"
fi

rm -f "$OUT/port" "$OUT/connections" "$OUT/connections.report" "$OUT/chromium.log"
# A listener standing in for every proxy: it records each connection it receives.
python3 - "$OUT/port" "$OUT/connections" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
log = open(sys.argv[2], "w")
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        data = c.recv(512)
    except OSError:
        data = b""
    log.write(data.split(b"\r\n")[0].decode("latin-1") + "\n")
    log.flush()
    c.close()
PY
LISTENER=$!
trap 'kill "$LISTENER" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$OUT/port" ] && break; sleep 0.1; done
PORT=$(cat "$OUT/port")
PROFILE=$(mktemp -d)
chrome() {
  timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --virtual-time-budget=3000 \
    --user-data-dir="$PROFILE" --proxy-server="http://127.0.0.1:$PORT" --proxy-bypass-list='<-loopback>' \
    "$@" 2>>"$OUT/chromium.log"
}
chrome --dump-dom "file://$(realpath "$OUT/report.html")" >"$OUT/dom.html" || bad "chromium --dump-dom failed"
chrome --screenshot="$OUT/report.png" --window-size=1280,1600 "file://$(realpath "$OUT/report.html")" >/dev/null ||
  bad "chromium --screenshot failed"
sleep 1
cp "$OUT/connections" "$OUT/connections.report"
# Positive control: a page that does load a remote image must show up at the listener, or the
# check above proves nothing.
printf '<!DOCTYPE html><html><body><img src="http://control.airlock.invalid/x.png"></body></html>' >"$OUT/control.html"
chrome --dump-dom "file://$(realpath "$OUT/control.html")" >/dev/null || true
sleep 1
rm -rf "$PROFILE"

for panel in "Top changed functions" "Provenance" "Delta anatomy" "Dependency delta" \
  "Apply / rollback gate" "Risk breakdown" "new_feature" "greet"; do
  grep -q "$panel" "$OUT/dom.html" || bad "rendered DOM lacks \"$panel\""
done
[ -s "$OUT/report.png" ] || bad "no screenshot"
BROWSER_HOSTS='^(GET|POST|CONNECT) (https?://)?[a-z0-9.-]*(google\.com|googleapis\.com|gstatic\.com|gvt1\.com)[:/]'
if grep -Eq "$BROWSER_HOSTS" "$OUT/connections.report"; then
  echo "delta-report: ignored Chromium's own service requests: $(grep -E "$BROWSER_HOSTS" "$OUT/connections.report" | cut -c1-60 | tr '\n' ';')" >&2
fi
if grep -Evq "$BROWSER_HOSTS|^$" "$OUT/connections.report"; then
  bad "network requests attempted while rendering the report: $(grep -Ev "$BROWSER_HOSTS|^$" "$OUT/connections.report" | tr '\n' ';')"
fi
grep -q 'control.airlock.invalid' "$OUT/connections" ||
  bad "the positive control's request did not reach the listener: the network check is blind"
if [ "$fail" -eq 0 ]; then
  echo "delta-report: ok: 6 panels rendered by $("$CHROME" --version 2>/dev/null | head -1), no network request; screenshot $OUT/report.png"
fi
exit "$fail"
