#!/usr/bin/env bash
# Pacing accuracy of rate profiles: runs each profile of
# load-tests/pacing/profiles/ for 60 s (REALTIME, rows stamped with the wall
# clock, CSV to a pipe) and compares the rows of every 10 s window with what
# the profile lets through in it (its integral). Goal: within ±1 %.
#   bash load-tests/pacing/profiles.sh [PROFILE ...]   (default: ramp steps sine poisson bursts)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
cargo build --release -q -p sdg
sdg="$CARGO_TARGET_DIR/release/sdg"
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(ramp steps sine poisson bursts)
for p in "${profiles[@]}"; do
  "$sdg" run "load-tests/pacing/profiles/$p.yaml" 2>/dev/null | python3 load-tests/pacing/windows.py "load-tests/pacing/profiles/$p.yaml"
done
