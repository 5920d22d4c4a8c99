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
# ROWS=1000000 rows per measurement; RUNS=3 interleaved sdg/ceiling pairs per
# sink, reported as the median of each, their ratio, and the median of the
# pairs' own ratios (single runs on 2 shared cores vary by +-15 %). Kafka
# gets a fresh broker before every measurement: tansu's
# memory:// storage slows down as earlier runs' topics pile up.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
ROWS="${ROWS:-1000000}"
RUNS="${RUNS:-3}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(postgres redis kafka)

bash scripts/services.sh up >/dev/null
eval "$(bash scripts/services.sh env)"
cargo build --release -q -p sdg -p sdg-load-tests
sdg="$CARGO_TARGET_DIR/release/sdg"
def=load-tests/sinks/orders.yaml

# rows/s from sdg's summary line: "NAME: ROWS rows in SECS s — …"
sdg_rate() {
  local line
  line="$("$sdg" run "$def" --rows "$ROWS" ${WORKERS:+--workers "$WORKERS"} "$@" 2>&1 >/dev/null | grep -E '^orders-load: [0-9]+ rows in' | tail -1)"
  [ -n "$line" ] || { echo "sdg run failed" >&2; exit 1; }
  awk '{ print $2 / $5 }' <<<"$line"
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
      ss="" cs=""
      for _ in $(seq "$RUNS"); do
        psql -c "DROP TABLE IF EXISTS sdg_load; DROP TABLE IF EXISTS sdg_ceiling"
        ss+=" $(sdg_rate --batch-size 16384 --to "$SDG_TEST_POSTGRES_URL?table=sdg_load&create_table=true")"
        bin="$(mktemp -d)/rows.bin"
        psql -c "\\copy sdg_load TO '$bin' (FORMAT binary)"
        psql -c "CREATE TABLE sdg_ceiling (LIKE sdg_load)"
        t0=$(date +%s.%N)
        psql -c "\\copy sdg_ceiling FROM '$bin' (FORMAT binary)"
        t1=$(date +%s.%N)
        cs+=" $(awk -v r="$ROWS" -v a="$t0" -v b="$t1" 'BEGIN { print r / (b - a) }')"
        rm -f "$bin"
      done
      psql -c "DROP TABLE IF EXISTS sdg_load; DROP TABLE IF EXISTS sdg_ceiling"
      report postgres "$ss" "$cs"
      ;;
    redis)
      depth=1000
      ss="" cs=""
      for _ in $(seq "$RUNS"); do
        redis-cli -p "${SDG_REDIS_PORT:-6379}" flushdb >/dev/null
        ss+=" $(sdg_rate --batch-size $depth --to "$SDG_TEST_REDIS_URL?mode=hash&key=load:{order_id}")"
        redis-cli -p "${SDG_REDIS_PORT:-6379}" flushdb >/dev/null
        cs+=" "$(redis-benchmark -h 127.0.0.1 -p "${SDG_REDIS_PORT:-6379}" -c 1 -P $depth -n "$ROWS" -r 100000000 --csv \
              HSET load2:__rand_int__ order_id 1000000 id 3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c \
              created_at 2026-01-01T00:00:00.000Z customer_id 12345 status DELIVERED amount 123.45 \
              items 3 currency EUR channel android coupon VIP20 | tail -1 | cut -d, -f2 | tr -d '"')
      done
      redis-cli -p "${SDG_REDIS_PORT:-6379}" flushdb >/dev/null
      report redis "$ss" "$cs"
      ;;
    kafka)
      # The ceiling sends the very rows sdg sends (JSON lines, keyed like order_id).
      rows="$(mktemp -d)/rows.jsonl"
      "$sdg" run "$def" --rows "$ROWS" --to "file:$rows" -q
      ss="" cs=""
      for _ in $(seq "$RUNS"); do
        fresh_kafka
        ss+=" $(sdg_rate --to "kafka://$SDG_TEST_KAFKA_BROKERS/load-sdg-$$?key_field=order_id&compression=lz4")"
        fresh_kafka
        cs+=" $("$CARGO_TARGET_DIR/release/kafka-ceiling" --brokers "$SDG_TEST_KAFKA_BROKERS" --topic "load-raw-$$" \
              --messages "$ROWS" --payloads "$rows" | awk '{ print $3 }')"
      done
      rm -f "$rows"
      fresh_kafka
      report kafka "$ss" "$cs"
      ;;
    *) echo "unknown target $t (postgres, redis, kafka)" >&2; exit 2 ;;
  esac
done
