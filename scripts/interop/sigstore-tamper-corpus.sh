#!/usr/bin/env bash
# The committed Sigstore tamper corpus (fixtures/sigstore/tampered) must be exactly what
# scripts/gen-sigstore-tamper.py derives from fixtures/sigstore/cases.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 scripts/gen-sigstore-tamper.py --check
echo "sigstore tamper corpus: up to date"
