#!/usr/bin/env bash
# Fuzz the Sigstore bundle parser/verifier for SECONDS (default 60).
# With cargo-fuzz (`cargo install cargo-fuzz`): coverage-guided (`-s none` works on stable).
# Without it: builds the libFuzzer binary with plain cargo and the same SanitizerCoverage flags
# cargo-fuzz passes for `-s none` (all stable -C options), then runs it.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-60}"
mkdir -p corpus/sigstore_bundle
if cargo fuzz --version >/dev/null 2>&1; then
  cargo fuzz run -s none sigstore_bundle corpus/sigstore_bundle seeds/sigstore_bundle -- -max_total_time="$secs"
else
  # An explicit --target keeps RUSTFLAGS off build scripts and proc macros, as cargo-fuzz does.
  host=$(rustc -vV | sed -n 's/^host: //p')
  RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks" \
    cargo build --release --target "$host" --bin sigstore_bundle
  ./target/"$host"/release/sigstore_bundle corpus/sigstore_bundle seeds/sigstore_bundle -max_total_time="$secs" -max_len=65536
fi
