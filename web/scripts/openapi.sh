#!/usr/bin/env bash
# Regenerates the console's API types from sdg's own OpenAPI document, so the
# console cannot drift from the API: starts `sdg serve` on a free loopback
# port with an empty store, saves /openapi.json as web/openapi.json and runs
# openapi-typescript into web/src/types/openapi.ts.
#   bash web/scripts/openapi.sh [SDG_BINARY]   (default: $CARGO_TARGET_DIR/debug/sdg)
# With --check, fails (and says which) when the committed files differ.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
sdg="${1:-$CARGO_TARGET_DIR/debug/sdg}"
[ -x "$sdg" ] || { echo "openapi.sh: no sdg binary at $sdg (cargo build -p sdg)" >&2; exit 2; }
work="$(mktemp -d)"
"$sdg" serve --addr 127.0.0.1:0 --data-dir "$work/data" >"$work/log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
base=""
for _ in $(seq 1 100); do
  base="$(grep -o 'sdg control API on http://[0-9.:]* ' "$work/log" | head -1 | sed 's/.* on //; s/ $//')" || true
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { echo "openapi.sh: sdg serve did not start:" >&2; cat "$work/log" >&2; exit 1; }
python3 -c 'import json,sys,urllib.request; d=json.load(urllib.request.urlopen(sys.argv[1])); print(json.dumps(d, indent=2, sort_keys=True))' "$base/openapi.json" >"$work/openapi.json"
npx --no-install openapi-typescript "$work/openapi.json" -o "$work/openapi.ts" >/dev/null
if [ "$check" = 1 ]; then
  status=0
  cmp -s "$work/openapi.json" openapi.json || { echo "web/openapi.json differs from the server's document: run bash web/scripts/openapi.sh" >&2; status=1; }
  cmp -s "$work/openapi.ts" src/types/openapi.ts || { echo "web/src/types/openapi.ts is stale: run bash web/scripts/openapi.sh" >&2; status=1; }
  exit $status
fi
cp "$work/openapi.json" openapi.json
cp "$work/openapi.ts" src/types/openapi.ts
echo "openapi.sh: web/openapi.json and web/src/types/openapi.ts from $sdg"
