#!/usr/bin/env bash
# Installs what the test suite needs (Debian packages, as root or through sudo), then runs it.
# This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh test

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --locked --no-fail-fast
echo "== demo-api's tests (pytest)"
stack/app/test.sh -q
