#!/usr/bin/env bash
# The OpenAPI document against the server, as a generated client or a fuzzer
# sees it: schemathesis (PyPI) generates requests from /openapi.json of a real
# `sdg serve` on loopback and checks every answer.
#   bash scripts/api-fuzz.sh [SDG_BINARY]        (default: $CARGO_TARGET_DIR/debug/sdg)
# Passes when, over every operation tested:
#   - no request gets a server error (5xx);
#   - every status and body is the one the document describes;
#   - a request valid by the document is accepted — for every operation but
#     the three that take a generator definition, whose rules across keys
#     (unique field names, min ≤ max, a key_field that names a field …) JSON
#     Schema cannot state: there the document says them in words, and the
#     server answers 400 naming each one; nor for POST /models (its `config`
#     depends on the model type and on the dataset's columns) and POST
#     /datasets (the file must be a readable CSV or Parquet table);
#   - every example in configs/ is valid by the document's definition schema.
# Not fuzzed: start and resume of generators and universes and POST
# /generate/corpus (they would start runs writing real data — tests/api.rs,
# tests/universes.rs and tests/corpus.rs drive them), and POST /universes (a
# body of many definitions; tests/universes.rs). The product bodies (agents,
# corpus, identities, webhooks, keys) are checked like definitions: their
# rules across keys are the server's, answered as 400s naming each.
# MAX_EXAMPLES=40 examples per operation and phase, a fixed seed (SEED=1):
# the same requests every run; a failure prints the curl that reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
sdg="${1:-$CARGO_TARGET_DIR/debug/sdg}"
MAX_EXAMPLES="${MAX_EXAMPLES:-40}"
SEED="${SEED:-1}"
SCHEMATHESIS_VERSION=4.32.5

[ -x "$sdg" ] || { echo "api-fuzz: no sdg binary at $sdg (cargo build -p sdg --features profiling)" >&2; exit 2; }
if ! python3 -c "import schemathesis, sys; sys.exit(schemathesis.__version__ != '$SCHEMATHESIS_VERSION')" 2>/dev/null; then
  echo "api-fuzz: installing schemathesis $SCHEMATHESIS_VERSION (pip)"
  python3 -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

work="$(mktemp -d)"
printf 'rate_limit: { per_minute: 0, per_hour: 0 }\nworkers: 1\n' >"$work/serve.yaml"
# Port 0: the system picks a free one; the server prints its address.
"$sdg" serve --addr 127.0.0.1:0 --data-dir "$work/data" --config "$work/serve.yaml" >"$work/serve.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
base=""
for _ in $(seq 1 100); do
  base="$(grep -o 'sdg control API on http://[0-9.:]* ' "$work/serve.log" | head -1 | sed 's/.* on //; s/ $//')" || true
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { echo "api-fuzz: sdg serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
url="$base/openapi.json"

st() {
  (cd "$work" && schemathesis run "$url" --phases examples,coverage,fuzzing --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" --workers 1 --no-color --exclude-name 'POST /api/v1/universes' \
    --exclude-name 'POST /api/v1/generators/{id}/start' --exclude-name 'POST /api/v1/generators/{id}/resume' \
    --exclude-name 'POST /api/v1/universes/{id}/start' --exclude-name 'POST /api/v1/universes/{id}/resume' \
    --exclude-name 'POST /api/v1/generate/corpus' "$@")
}

status=0
echo "== schemathesis: every check, operations without a definition body"
# Operations whose body has rules JSON Schema cannot state.
ruled=('POST /api/v1/generators' 'PUT /api/v1/generators/{id}' 'POST /api/v1/generators/validate'
  'POST /api/v1/models' 'POST /api/v1/datasets' 'POST /api/v1/generate' 'POST /api/v1/generate-ai'
  'POST /api/v1/generate-ai/stream' 'POST /api/v1/infer-schema' 'POST /api/v1/context/analyze'
  'POST /api/v1/generate/sample' 'POST /api/v1/feedback' 'POST /api/v1/identities' 'POST /api/v1/webhooks'
  'PATCH /api/v1/webhooks/{id}' 'POST /api/v1/jobs/{id}/export' 'POST /api/v1/api-keys/{id}/rotate')
excluded=() included=()
for op in "${ruled[@]}"; do excluded+=(--exclude-name "$op"); included+=(--include-name "$op"); done
st --checks all "${excluded[@]}" || status=1
echo "== schemathesis: every check but positive_data_acceptance, the bodies with rules across keys"
st --checks all --exclude-checks positive_data_acceptance "${included[@]}" || status=1

echo "== configs/*.yaml against the document's GeneratorDefinition"
python3 - "$url" configs/*.yaml <<'EOF' || status=1
import json, sys, urllib.request
import jsonschema_rs, yaml  # both come with schemathesis
doc = json.load(urllib.request.urlopen(sys.argv[1]))
schema = doc["components"]["schemas"]["GeneratorDefinition"]
validator = jsonschema_rs.Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    errors = list(validator.iter_errors(yaml.safe_load(open(path))))
    for e in errors:
        print(f"{path}: {'/'.join(map(str, e.instance_path))}: {e.message}")
    bad += bool(errors)
print(f"{len(sys.argv) - 2 - bad} of {len(sys.argv) - 2} configs valid by the document")
sys.exit(1 if bad else 0)
EOF
if grep -q "panicked" "$work/serve.log"; then
  echo "api-fuzz: the server panicked:" >&2
  grep -A3 "panicked" "$work/serve.log" >&2
  status=1
fi
exit "$status"
