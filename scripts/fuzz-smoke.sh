#!/usr/bin/env bash
# Smoke-run every fuzz target for SECONDS each (default 15): one `cargo build --release` of the
# fuzz crate on stable Rust with the SanitizerCoverage flags cargo-fuzz passes for `-s none`
# (see scripts/fuzz-sigstore.sh), then each libFuzzer binary with -max_total_time, seeded from
# fuzz/seeds/NAME/ when present, its corpus in a temporary directory. Fails if a target crashes
# (the crashing input is left in fuzz/artifacts/NAME/).
# Targets are discovered from fuzz/fuzz_targets/*.rs (each needs a [[bin]] in fuzz/Cargo.toml).
# Environment: FUZZ_TARGET_DIR (default fuzz/target, kept apart from the workspace's target so
# the instrumented build never evicts the normal one).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-15}"
target_dir="${FUZZ_TARGET_DIR:-$PWD/target}"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps RUSTFLAGS off build scripts and proc macros (which would otherwise
# be instrumented and fail to link without libFuzzer), as cargo-fuzz does.
host=$(rustc -vV | sed -n 's/^host: //p')
start=$(date +%s)
cargo build --release --locked --target "$host" --target-dir "$target_dir" --bins
echo "fuzz-smoke: build took $(($(date +%s) - start)) s"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for src in fuzz_targets/*.rs; do
  name=$(basename "$src" .rs)
  bin="$target_dir/$host/release/$name"
  [ -x "$bin" ] || { echo "fuzz-smoke: $name: no binary (missing [[bin]] in fuzz/Cargo.toml?)"; failed+=("$name"); continue; }
  mkdir -p "$work/$name" "artifacts/$name"
  dirs=("$work/$name")
  [ -d "seeds/$name" ] && dirs+=("seeds/$name")
  echo "== fuzz $name for ${secs}s"
  if "$bin" "${dirs[@]}" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 -timeout=10 \
    -artifact_prefix="artifacts/$name/" -print_final_stats=1 >"$work/$name.log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$work/$name.log" | tail -2 || true
  else
    tail -40 "$work/$name.log"
    echo "fuzz-smoke: $name FAILED (input in fuzz/artifacts/$name/)"
    failed+=("$name")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz-smoke: failed: ${failed[*]}"
  exit 1
fi
echo "fuzz-smoke: all targets ran ${secs}s without a crash"
