#!/usr/bin/env bash
# Packages and verifies every library crate in dependency order, as `cargo publish` would,
# without uploading anything.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo publish --workspace --dry-run --allow-dirty \
  --exclude session-demo --exclude session-examples --exclude session-bench
