#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests, then the cross-checks against
# independent implementations (Python packages installed here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
for check in scripts/interop/*.sh; do
  [ -e "$check" ] || continue
  echo "== $check"
  bash "$check"
done
