#!/usr/bin/env bash
# Pacing accuracy: runs a REALTIME generator for 10 s at several rates and
# prints the rate achieved against the one asked for. Goal: within ±1 %.
#   bash load-tests/pacing/run.sh [RATE ...]     (default: 1000 10000 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
cargo build --release -q -p sdg
sdg="$CARGO_TARGET_DIR/release/sdg"
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(1000 10000 100000 1000000)
printf '%10s %12s %10s %12s %8s\n' target rows seconds achieved error
for rate in "${rates[@]}"; do
  out="$("$sdg" run load-tests/pacing/pacing.yaml --rate "$rate" 2>&1 >/dev/null | tail -1)"
  rows="$(sed -E 's/^pacing: ([0-9]+) rows.*/\1/' <<<"$out")"
  # DURATION counts running time: 10 s exactly; the achieved rate is rows / 10 s.
  awk -v t="$rate" -v r="$rows" 'BEGIN { a = r / 10; printf "%10d %12d %10.1f %12.1f %+7.2f%%\n", t, r, 10, a, (a - t) / t * 100 }'
done
