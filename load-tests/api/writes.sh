#!/usr/bin/env bash
# Reads while others write: does a request wait for another request's disk
# write? oha reads GET /api/v1/generators/{id} of one generator at READS req/s
# for SECS seconds, alone, then while a second oha replaces another
# generator's definition (PUT: a redb commit, fsynced) at WRITES req/s.
# Prints the read latencies both ways. Goal: the writes leave the reads' p99
# where it was (the store is written after the generators lock is released).
#   bash load-tests/api/writes.sh [SDG_BINARY]   READS=500 WRITES=200 SECS=15
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
READS="${READS:-500}"
WRITES="${WRITES:-200}"
SECS="${SECS:-15}"
PORT="${PORT:-50098}"

command -v oha >/dev/null 2>&1 || [ -x "$HOME/.cargo/bin/oha" ] || cargo install oha --locked
export PATH="$HOME/.cargo/bin:$PATH"
if [ -n "${1:-}" ]; then sdg="$1"; else cargo build --release -q -p sdg; sdg="$CARGO_TARGET_DIR/release/sdg"; fi

work="$(mktemp -d)"
cat >"$work/serve.yaml" <<YAML
addr: 127.0.0.1:$PORT
data_dir: $work/store
rate_limit: { per_minute: 0, per_hour: 0 }
YAML
"$sdg" serve --config "$work/serve.yaml" 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
B="http://127.0.0.1:$PORT/api/v1"
for _ in $(seq 1 100); do curl -sf "$B/health" >/dev/null && break; sleep 0.1; done

definition='{ "name": "w", "seed": 1, "destination": { "type": "BLACKHOLE" },
  "fields": [ { "name": "id", "type": "SEQUENCE" }, { "name": "u", "type": "UUID_GENERATED" } ] }'
create() { curl -sf -X POST "$B/generators" -H 'Content-Type: application/json' -d "$definition" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
read_id=$(create)
write_id=$(create)

reads() { oha -z "${SECS}s" -q "$READS" -c 4 --no-tui --output-format json "$B/generators/$read_id" >"$work/$1.json"; }
reads alone
oha -z "${SECS}s" -q "$WRITES" -c 4 --no-tui --output-format json -m PUT -H 'Content-Type: application/json' \
  -d "$definition" "$B/generators/$write_id" >"$work/writes.json" &
writer=$!
reads with_writes
wait $writer

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
print(f"{'GET /generators/{id}':<26} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'max ms':>8}")
for label, f in [("alone", "alone.json"), ("while PUTs commit", "with_writes.json"), ("the PUTs themselves", "writes.json")]:
    d = json.load(open(f"{work}/{f}"))
    s, p = d["summary"], d["latencyPercentiles"]
    codes = {k: v for k, v in d.get("statusCodeDistribution", {}).items() if k != "200"}
    print(f"{label:<26} {s['requestsPerSec']:7.0f} {p['p50']*1e3:8.2f} {p['p99']*1e3:8.2f} {p['p99.9']*1e3:9.2f} {s['slowest']*1e3:8.2f}"
          + (f"  non-200: {codes}" if codes else ""))
PY
