#!/usr/bin/env bash
# INDEXED pool scale test: a 20-million-row (~2 GB) pool, lookups per second
# and resident memory (docs/BENCHMARKS.md records the figures).
#   bash load-tests/pools/run.sh [--rows N] [--lookups N] [--dir DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
cargo build --release --locked -p sdg-load-tests --bin pool-indexed
exec "$CARGO_TARGET_DIR/release/pool-indexed" "$@"
