#!/usr/bin/env bash
# Sink load scenario: sdg's rows/s into PostgreSQL, Redis and Kafka, each
# beside the destination's own ceiling for the same rows, measured in the
# same run on the same machine:
#   PostgreSQL  psql \copy (FORMAT binary) of the very rows sdg loaded
#   Redis       redis-benchmark -c 1 -P <sdg's pipeline depth> HSET of 10 fields
#   Kafka       a raw librdkafka producer (load-tests/src/bin/kafka_ceiling.rs),
#               same settings and start, sending the very rows sdg sends
# Goal: sdg >= 90 % of each ceiling.
#   bash load-tests/sinks/run.sh [postgres|redis|kafka ...]
# Both sides are timed the same way, as what a user waits for: the whole
# process, from its start to its exit (connecting, creating the table or
# topic, the last commit or flush included), ROWS / wall seconds. (sdg's own
# summary line starts its clock after the destination is open, which made sdg
# look faster than a ceiling timed as a process.)
# ROWS=1000000 rows per measurement; RUNS=3 sdg/ceiling pairs per sink, the
# order within a pair alternating, reported as the median of each, their
# ratio, and the median of the pairs' own ratios (single runs on 2 shared
# cores vary by +-15 %). PostgreSQL gets a CHECKPOINT before every
# measurement, so neither side pays for the other's dirty pages; Kafka gets a
# fresh broker: tansu's memory:// storage slows down as earlier runs' topics
# pile up.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
ROWS="${ROWS:-1000000}"
RUNS="${RUNS:-3}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(postgres redis kafka)

bash scripts/services.sh up >/dev/null
eval "$(bash scripts/services.sh env)"
export PGOPTIONS='-c client_min_messages=warning'   # no NOTICEs from DROP … IF EXISTS
cargo build --release -q -p sdg -p sdg-load-tests
sdg="$CARGO_TARGET_DIR/release/sdg"
def=load-tests/sinks/orders.yaml

# ROWS / the wall seconds of a whole command (its output is discarded; it must succeed).
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk -v r="$ROWS" -v a="$t0" -v b="$t1" 'BEGIN { print r / (b - a) }'
}

# rows/s of a whole `sdg run` of the load generator.
sdg_rate() {
  timed "$sdg" run "$def" -q --rows "$ROWS" ${WORKERS:+--workers "$WORKERS"} "$@"
}

# Runs "sdg" and "ceiling" measurements of pair $1 in alternating order,
# appending to the globals ss and cs; the functions measure_sdg and
# measure_ceiling each print one rate.
pair() {
  if (( $1 % 2 )); then
    ss+=" $(measure_sdg)"; cs+=" $(measure_ceiling)"
  else
    cs+=" $(measure_ceiling)"; ss+=" $(measure_sdg)"
  fi
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

report() { # name "sdg rates" "ceiling rates" (pairs in the order measured)
  local s c r
  s=$(median <<<"$2")
  c=$(median <<<"$3")
  # The ratio of each sdg/ceiling pair measured back to back, then their
  # median: the machine's speed drifts between pairs more than within one.
  # shellcheck disable=SC2086 # the rates are space-separated on purpose
  r=$(paste -d' ' <(printf '%s\n' $2) <(printf '%s\n' $3) | awk '{ print $1 / $2 * 100 }' | median)
  awk -v n="$1" -v s="$s" -v c="$c" -v r="$r" -v runs="$RUNS" \
    'BEGIN { printf "%-10s %14.0f %14.0f %8.1f%% %8.1f%%   (medians of %d)\n", n, s, c, s / c * 100, r, runs }'
  # shellcheck disable=SC2086
  echo "           runs: sdg$(printf ' %.0f' $2); ceiling$(printf ' %.0f' $3)"
}

fresh_kafka() {
  bash scripts/services.sh stop kafka >/dev/null
  bash scripts/services.sh start kafka >/dev/null 2>&1
}

printf '%-10s %14s %14s %9s %9s\n' sink sdg_rows/s ceiling/s ratio pair_ratio
for t in "${targets[@]}"; do
  case "$t" in
    postgres)
      psql() { command psql "$SDG_TEST_POSTGRES_URL" -qAt "$@"; }
      # The ceiling's input: sdg's very rows, exported once as COPY binary,
      # and an empty table of sdg's schema to copy its shape from.
      bin="$(mktemp -d)/rows.bin"
      psql -c "DROP TABLE IF EXISTS sdg_load; DROP TABLE IF EXISTS sdg_ceiling; DROP TABLE IF EXISTS sdg_shape"
      "$sdg" run "$def" -q --rows "$ROWS" --to "$SDG_TEST_POSTGRES_URL?table=sdg_load&create_table=true"
      psql -c "\\copy sdg_load TO '$bin' (FORMAT binary)"
      psql -c "CREATE TABLE sdg_shape (LIKE sdg_load); DROP TABLE sdg_load"
      measure_sdg() {
        psql -c "DROP TABLE IF EXISTS sdg_load; CHECKPOINT"
        sdg_rate --batch-size 16384 --to "$SDG_TEST_POSTGRES_URL?table=sdg_load&create_table=true"
      }
      # Like sdg: one process that connects, creates the table and loads it.
      measure_ceiling() {
        psql -c "DROP TABLE IF EXISTS sdg_ceiling; CHECKPOINT"
        timed command psql "$SDG_TEST_POSTGRES_URL" -qAt -c "CREATE TABLE sdg_ceiling (LIKE sdg_shape)" \
          -c "\\copy sdg_ceiling FROM '$bin' (FORMAT binary)"
      }
      ss="" cs=""
      for i in $(seq "$RUNS"); do pair "$i"; done
      rm -f "$bin"
      psql -c "DROP TABLE IF EXISTS sdg_load; DROP TABLE IF EXISTS sdg_ceiling; DROP TABLE IF EXISTS sdg_shape"
      report postgres "$ss" "$cs"
      ;;
    redis)
      depth=1000
      measure_sdg() {
        redis-cli -p "${SDG_REDIS_PORT:-6379}" flushdb >/dev/null
        sdg_rate --batch-size $depth --to "$SDG_TEST_REDIS_URL?mode=hash&key=load:{order_id}"
      }
      measure_ceiling() {
        redis-cli -p "${SDG_REDIS_PORT:-6379}" flushdb >/dev/null
        timed redis-benchmark -h 127.0.0.1 -p "${SDG_REDIS_PORT:-6379}" -c 1 -P $depth -n "$ROWS" -r 100000000 -q \
          HSET load2:__rand_int__ order_id 1000000 id 3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c \
          created_at 2026-01-01T00:00:00.000Z customer_id 12345 status DELIVERED amount 123.45 \
          items 3 currency EUR channel android coupon VIP20
      }
      ss="" cs=""
      for i in $(seq "$RUNS"); do pair "$i"; done
      redis-cli -p "${SDG_REDIS_PORT:-6379}" flushdb >/dev/null
      report redis "$ss" "$cs"
      ;;
    kafka)
      # The ceiling sends the very rows sdg sends (JSON lines, keyed like order_id).
      rows="$(mktemp -d)/rows.jsonl"
      "$sdg" run "$def" --rows "$ROWS" --to "file:$rows" -q
      measure_sdg() {
        fresh_kafka
        sdg_rate --to "kafka://$SDG_TEST_KAFKA_BROKERS/load-sdg-$$?key_field=order_id&compression=lz4"
      }
      measure_ceiling() {
        fresh_kafka
        timed "$CARGO_TARGET_DIR/release/kafka-ceiling" --brokers "$SDG_TEST_KAFKA_BROKERS" --topic "load-raw-$$" \
          --messages "$ROWS" --payloads "$rows"
      }
      ss="" cs=""
      for i in $(seq "$RUNS"); do pair "$i"; done
      rm -f "$rows"
      fresh_kafka
      report kafka "$ss" "$cs"
      ;;
    *) echo "unknown target $t (postgres, redis, kafka)" >&2; exit 2 ;;
  esac
done
