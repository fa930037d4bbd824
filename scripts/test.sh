#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests, then the cross-checks against
# independent implementations (Python packages installed here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
passed=0
failed=0
for check in scripts/interop/*.sh; do
  [ -e "$check" ] || continue
  echo "== $check"
  if bash "$check"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $check"; fi
done
echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
