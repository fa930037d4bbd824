#!/usr/bin/env bash
# Runs the binary-format fuzz target for a while (default 60 s), seeded with the committed
# samples. Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). CI instead
# runs the mutation smoke test `binary::format::tests::mutated_samples_never_panic`.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
mkdir -p fuzz/corpus/binary_format
find fixtures/binary/samples fixtures/binary/pair -type f -name '*.*' -size -200k \
  -exec cp {} fuzz/corpus/binary_format/ \;
cd fuzz && cargo +nightly fuzz run binary_format corpus/binary_format -- -max_total_time="$SECS"
