#!/usr/bin/env bash
# Shard scaling on this machine: 1, 2 and 4 shard processes of one run, all
# started at once, each with one worker (so a process is about one core),
# into files (CSV parts on local disk) and into Kafka (one topic of the
# broker from scripts/services.sh). Prints rows/s of the whole run: wall
# time from the first start to the last exit, median of RUNS.
#   bash load-tests/shards/scaling.sh [files|kafka ...]   (default: both)
# Env: ROWS (files, default 20 000 000), KAFKA_ROWS (default 2 000 000),
#      RUNS (default 3), SHARDS (default "1 2 4").
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
cargo build --release -q -p sdg
sdg="$CARGO_TARGET_DIR/release/sdg"
ROWS="${ROWS:-20000000}" KAFKA_ROWS="${KAFKA_ROWS:-2000000}" RUNS="${RUNS:-3}" SHARDS="${SHARDS:-1 2 4}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(files kafka)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Runs N shards of `sdg run ARGS…` at once; prints the wall seconds.
shards() {
  local n="$1"; shift
  local t0 t1 pids=()
  t0=$(date +%s.%N)
  for ((i = 0; i < n; i++)); do
    "$sdg" run "$@" --workers 1 --quiet --shard "$i/$n" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for target in "${targets[@]}"; do
  case "$target" in
    files) rows="$ROWS" ;;
    kafka)
      eval "$(bash scripts/services.sh env)"
      rows="$KAFKA_ROWS" ;;
    *) echo "unknown target $target (files or kafka)" >&2; exit 2 ;;
  esac
  base=""
  for n in $SHARDS; do
    times=()
    for ((r = 0; r < RUNS; r++)); do
      case "$target" in
        files) args=(configs/orders.yaml --rows "$rows" --out "$work/orders.csv") ;;
        kafka)
          topic="sdg-scaling-$n-$r-$$"
          "$sdg" run configs/orders.yaml --rows 1 --quiet --to "kafka://$SDG_TEST_KAFKA_BROKERS/$topic?create_topic=true&partitions=4" >/dev/null
          args=(configs/orders.yaml --rows "$rows" --to "kafka://$SDG_TEST_KAFKA_BROKERS/$topic?key_field=order_id") ;;
      esac
      times+=("$(shards "$n" "${args[@]}")")
      rm -f "$work"/orders*.csv
    done
    secs="$(printf '%s\n' "${times[@]}" | median)"
    rate="$(echo "$rows / $secs" | bc -l)"
    [ -n "$base" ] || base="$rate"
    printf '%-5s %d shard(s): %6.2f M rows/s (%.2fx one shard), median of %d: %s s\n' \
      "$target" "$n" "$(echo "$rate / 1000000" | bc -l)" "$(echo "$rate / $base" | bc -l)" "$RUNS" "$(printf '%.2f' "$secs")"
  done
done
