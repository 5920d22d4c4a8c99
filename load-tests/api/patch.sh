#!/usr/bin/env bash
# Retuning under load: a REALTIME generator runs at RATE rows/s into the
# blackhole while a client PATCHes its rate N times (alternating two rates,
# one request at a time) and measures each PATCH's latency — the merge, the
# validation and compile of the patched definition, the plan swap and the
# redb commit. Prints p50/p90/p99/max. Run it on an idle machine.
#   bash load-tests/api/patch.sh            RATE=1000000 N=200
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
RATE="${RATE:-1000000}"
N="${N:-200}"
cargo build --release -q -p sdg
sdg="$CARGO_TARGET_DIR/release/sdg"
work="$(mktemp -d)"
printf 'rate_limit: { per_minute: 0, per_hour: 0 }\n' >"$work/serve.yaml"
"$sdg" serve --addr 127.0.0.1:0 --data-dir "$work/store" --config "$work/serve.yaml" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
base=""
for _ in $(seq 1 100); do
  base="$(grep -o 'sdg control API on http://[0-9.:]* ' "$work/serve.log" | head -1 | sed 's/.* on //; s/ $//')" || true
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { cat "$work/serve.log"; exit 1; }
python3 - "$base" "$RATE" "$N" <<'PY'
import json, sys, time, urllib.request
base, rate, n = sys.argv[1] + "/api/v1", int(sys.argv[2]), int(sys.argv[3])
def call(method, path, body=None, ctype="application/json"):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": ctype})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")
g = call("POST", "/generators", {
    "name": "load", "mode": "REALTIME", "rate": rate, "end_condition": {"type": "MANUAL"},
    "destination": {"type": "BLACKHOLE"},
    "fields": [{"name": "id", "type": "SEQUENCE"},
               {"name": "status", "type": "ENUM_RANDOM", "params": {"values": ["A", "B", "C"], "weights": [5, 3, 2]}},
               {"name": "amount", "type": "NUMERIC_RANGE", "params": {"min": 1, "max": 500, "decimals": 2}},
               {"name": "at", "type": "TIMESTAMP_GENERATED"}]})
gid = g["id"]
call("POST", f"/generators/{gid}/start")
time.sleep(2)
lat = []
for i in range(n):
    t0 = time.perf_counter()
    r = call("PATCH", f"/generators/{gid}", {"rate": rate if i % 2 else rate // 2}, "application/merge-patch+json")
    lat.append((time.perf_counter() - t0) * 1000)
    assert "applied_from_row" in r, r
m = call("GET", f"/generators/{gid}/metrics")
call("POST", f"/generators/{gid}/stop")
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"{n} PATCHes while running at up to {rate} rows/s ({m['rows_delivered']} rows delivered, {m['rows_per_sec']:.0f} rows/s at the end)")
print(f"latency ms: p50 {q(0.5):.2f}  p90 {q(0.9):.2f}  p99 {q(0.99):.2f}  max {lat[-1]:.2f}")
PY
