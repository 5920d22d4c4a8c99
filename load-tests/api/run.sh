#!/usr/bin/env bash
# The control API under load: oha sends GET /api/v1/generators/{id}/metrics and
# GET /api/v1/generators at RATE requests/s in all (half each) for SECS seconds
# while a generator runs flat out into the blackhole destination; the same
# generator runs SECS seconds without HTTP load before and after. Prints the latency percentiles
# and the generator's throughput both ways. Goal: p99 < 5 ms, loss < 5 %.
#   bash load-tests/api/run.sh            RATE=1000 SECS=20 WORKERS=(serve default)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
RATE="${RATE:-1000}"
SECS="${SECS:-20}"
PORT="${PORT:-50099}"

command -v oha >/dev/null 2>&1 || [ -x "$HOME/.cargo/bin/oha" ] || cargo install oha --locked
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release -q -p sdg
sdg="$CARGO_TARGET_DIR/release/sdg"

work="$(mktemp -d)"
cat >"$work/serve.yaml" <<YAML
addr: 127.0.0.1:$PORT
data_dir: $work/store
# The scenario's client may send far more than the default 60/minute.
rate_limit: { per_minute: 10000000, per_hour: 100000000 }
${WORKERS:+workers: $WORKERS}
YAML
"$sdg" serve --config "$work/serve.yaml" 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
B="http://127.0.0.1:$PORT/api/v1"
for _ in $(seq 1 100); do curl -sf "$B/health" >/dev/null && break; sleep 0.1; done

id=$(curl -sf -X POST "$B/generators" -H 'Content-Type: application/json' -d @- <<'JSON' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
{ "name": "api-load", "mode": "BATCH", "seed": 1, "end_condition": { "type": "MANUAL" },
  "destination": { "type": "BLACKHOLE" },
  "fields": [
    { "name": "order_id", "type": "SEQUENCE" },
    { "name": "id", "type": "UUID_GENERATED" },
    { "name": "created_at", "type": "TIMESTAMP_GENERATED", "params": { "step": "250ms", "jitter": "100ms" } },
    { "name": "status", "type": "ENUM_RANDOM", "params": { "values": ["NEW", "PAID", "SHIPPED"], "weights": [5, 3, 2] } },
    { "name": "amount", "type": "NUMERIC_RANGE", "params": { "min": 1, "max": 500, "distribution": "lognormal", "decimals": 2 } },
    { "name": "coupon", "type": "ENUM_RANDOM", "params": { "values": ["A10", "B20"] }, "null_ratio": 0.7 } ] }
JSON
)

# rows/s of one SECS-second run; with "load", oha runs meanwhile.
measure() {
  curl -sf -X POST "$B/generators/$id/start" >/dev/null
  sleep 1 # warm up
  local r0 t0 r1 t1
  read -r r0 t0 < <(curl -sf "$B/generators/$id/metrics" | python3 -c 'import json,sys; m=json.load(sys.stdin); print(m["rows_delivered"], m["elapsed_ms"])')
  if [ "$1" = load ]; then
    oha -z "${SECS}s" -q $((RATE / 2)) -c 8 --no-tui --output-format json "$B/generators/$id/metrics" >"$work/metrics.json" &
    local a=$!
    oha -z "${SECS}s" -q $((RATE / 2)) -c 8 --no-tui --output-format json "$B/generators" >"$work/list.json" &
    local b=$!
    wait $a $b
  else
    sleep "$SECS"
  fi
  read -r r1 t1 < <(curl -sf "$B/generators/$id/metrics" | python3 -c 'import json,sys; m=json.load(sys.stdin); print(m["rows_delivered"], m["elapsed_ms"])')
  curl -sf -X POST "$B/generators/$id/stop" >/dev/null
  awk -v a="$r0" -v b="$r1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.0f", (b - a) / ((e - s) / 1000) }'
}

# Quiet runs before and after the loaded one: their mean is the baseline, so
# drift over the minute (turbo, other tenants of the machine) cancels out.
quiet1=$(measure quiet)
loaded=$(measure load)
quiet2=$(measure quiet)
python3 - "$work" "$quiet1" "$quiet2" "$loaded" "$RATE" <<'PY'
import json, sys
work, q1, q2, loaded, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
quiet = (q1 + q2) / 2
print(f"{'route':<34} {'req/s':>8} {'ok':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
for name, f in [("GET /generators/{id}/metrics", "metrics.json"), ("GET /generators", "list.json")]:
    d = json.load(open(f"{work}/{f}"))
    s, p = d["summary"], d["latencyPercentiles"]
    codes = d.get("statusCodeDistribution", {})
    ok = codes.get("200", 0)
    print(f"{name:<34} {s['requestsPerSec']:8.0f} {ok:7d} {p['p50']*1e3:8.2f} {p['p90']*1e3:8.2f} {p['p99']*1e3:8.2f} {s['slowest']*1e3:8.2f}")
    others = {k: v for k, v in codes.items() if k != "200"}
    if others:
        print(f"  non-200 answers: {others}")
print(f"generator rows/s without HTTP load {quiet:,.0f} ({q1:,.0f} before, {q2:,.0f} after), "
      f"with {rate} req/s {loaded:,.0f}: {100 * (1 - loaded / quiet):+.1f} % lost")
PY
