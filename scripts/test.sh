#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need,
# then runs every test of the workspace. `.ci/run` calls this after its
# format and lint checks.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Toolchain components used by the checks.
bash scripts/toolchain.sh

# Validators the catalog tests check values with (pip, pinned): python-stdnum
# (IBAN, BIC, Luhn, ISBN, EAN), vininfo (VIN check digits) and phonenumbers
# (libphonenumber's rules, its geocoder), ua-parser (User-Agent headers).
echo "== validators (pip): python-stdnum, vininfo, phonenumbers, ua-parser"
python3 -m pip install -q --disable-pip-version-check "python-stdnum==2.1" "vininfo==1.11.0" "phonenumbers==9.0.43" "ua-parser==1.0.2" "ua-parser-builtins==202610" 2>&1 | grep -v "Running pip as the 'root' user" || true
python3 -c "import stdnum, vininfo, phonenumbers, ua_parser" || { echo "the validators did not install" >&2; exit 1; }
# deploy/check.py (cli/tests/deploy.rs): Helm's own renderer (helm-python-sdk,
# Helm's Go SDK in a wheel, no helm binary) and the Kubernetes API schemas
# (kubernetes-validate): no cluster can run here, so the manifests are rendered
# and validated, and the test runs their commands.
echo "== deploy checkers (pip): helm-python-sdk, kubernetes-validate"
python3 -m pip install -q --disable-pip-version-check "helm-python-sdk==0.2.2" "kubernetes-validate==1.37.0" 2>&1 | grep -v "Running pip as the 'root' user" || true
python3 -c "import helm_python, kubernetes_validate" || { echo "the deploy checkers did not install" >&2; exit 1; }

# The MCP client of cli/tests/mcp.rs: the official MCP Python SDK (PyPI `mcp`).
echo "== MCP client (pip): mcp"
python3 -m pip install -q --disable-pip-version-check "mcp==2.3.0" 2>&1 | grep -v "Running pip as the 'root' user" || true
python3 -c "import mcp.client.stdio, mcp.client.streamable_http" || { echo "the MCP client did not install" >&2; exit 1; }

# Real servers for the integration tests: PostgreSQL, Redis, a Kafka-protocol
# broker (installed if missing, started if not running, loopback only).
# A test whose server is missing fails. SDG_SKIP_MISSING_SERVERS=1 (off by
# default; for a developer without the servers) skips those tests instead,
# lists them at the end and counts them in the closing line.
skip_missing="${SDG_SKIP_MISSING_SERVERS:-}"
echo "== scripts/services.sh up"
if bash scripts/services.sh up; then
  eval "$(bash scripts/services.sh env)"
elif [ "$skip_missing" = 1 ]; then
  echo "== the servers are not all up; SDG_SKIP_MISSING_SERVERS=1: the tests that need a server are skipped"
else
  echo "== the servers are not all up (set SDG_SKIP_MISSING_SERVERS=1 to skip the tests that need one)" >&2
  exit 1
fi

# SQL exports are loaded into SQLite by its own shell (apt's sqlite3).
if ! command -v sqlite3 >/dev/null 2>&1; then
  echo "== sqlite3 (apt)"
  (apt-get install -y -q sqlite3 >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q sqlite3 >/dev/null 2>&1; }) \
    || { echo "sqlite3 did not install: apt-get install sqlite3 (the SQL export tests load scripts into SQLite)" >&2; exit 1; }
fi

# The C example plugins, rebuilt from source (clang and lld for wasm32,
# installed with apt when missing): the plugin tests load these modules.
echo "== scripts/plugins/build.sh"
bash scripts/plugins/build.sh

echo "== cargo test (workspace, dev profile)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
# Profiling and pool queries (DataFusion) are off in the default binary; the suite tests them too.
cargo test --workspace --locked --no-fail-fast --features "sdg-control-api/profiling sdg-pools/query sdg/plugins" --lib --bins --tests "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# The OpenAPI document against the server (schemathesis, installed with pip),
# with the sdg binary the tests just built: one more test in the count.
echo "== scripts/api-fuzz.sh"
fuzz_passed=0 fuzz_failed=0
if bash scripts/api-fuzz.sh "$CARGO_TARGET_DIR/debug/sdg"; then fuzz_passed=1; else fuzz_failed=1; status=1; fi
# The web console (web/): npm packages from the lockfile, Debian's chromium
# for the browser test; then the console's API types against the server's
# own document, the committed bundle against a fresh build, Vitest (hooks,
# components and the service against a real sdg serve) and the end-to-end
# run in chromium (screenshots in web/test-output/). Each check counts in
# the closing line (Vitest per test).
echo "== web console: npm ci, chromium"
web_passed=0 web_failed=0
web_check() { if "$@"; then web_passed=$((web_passed + 1)); else web_failed=$((web_failed + 1)); status=1; fi; }
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is not installed: the console's tests need Node.js 20+ with npm (https://nodejs.org, or the distribution's nodejs and npm packages)" >&2
  status=1; web_failed=$((web_failed + 1))
elif ! (cd web && npm ci --no-audit --no-fund --loglevel=error); then
  echo "npm ci failed in web/ (the registry unreachable, or Node.js older than 20?)" >&2
  status=1; web_failed=$((web_failed + 1))
fi
if [ ! -x /usr/bin/chromium ]; then
  (apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }) \
    || echo "chromium did not install: apt-get install chromium (the end-to-end test needs /usr/bin/chromium)" >&2
fi
sdg_bin="$CARGO_TARGET_DIR/debug/sdg"
echo "== web: API types match the server's /openapi.json"
web_check bash web/scripts/openapi.sh --check "$sdg_bin"
echo "== web: the committed bundle (web/dist) is what the sources build"
fresh="$(mktemp -d)"
if (cd web && npm run --silent build -- --outDir "$fresh/dist" --emptyOutDir >/dev/null); then
  web_check bash -c 'diff -rq "$1" web/dist || { echo "web/dist differs from a fresh build of web/ (the sources, or configs/*.yaml the editor offers as templates, changed): run (cd web && npm ci && npm run build) and commit web/dist" >&2; exit 1; }' _ "$fresh/dist"
else
  echo "the console does not build" >&2; web_failed=$((web_failed + 1)); status=1
fi
rm -rf "$fresh"
echo "== web: vitest"
vitest_log="$(mktemp)"
vitest_rc=0
(cd web && SDG_BIN="$sdg_bin" npx --no-install vitest run --reporter=default 2>&1) | tee "$vitest_log" || { status=1; vitest_rc=1; }
# Vitest's summary line: `Tests  11 passed (11)` or `Tests  1 failed | 10 passed (11)`.
v_line="$(sed 's/\x1b\[[0-9;]*m//g' "$vitest_log" | grep -E '^ *Tests ' | tail -1 || true)"
v_passed="$(printf '%s' "$v_line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)"
v_failed="$(printf '%s' "$v_line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true)"
web_passed=$((web_passed + ${v_passed:-0})); web_failed=$((web_failed + ${v_failed:-0}))
# A file that did not load, or an error outside a test: one failure more.
if [ "$vitest_rc" != 0 ] || [ -z "$v_line" ] || sed 's/\x1b\[[0-9;]*m//g' "$vitest_log" | grep -qE '^ *(Test Files .*failed|Errors +[0-9])'; then
  [ "${v_failed:-0}" -gt 0 ] || { web_failed=$((web_failed + 1)); status=1; }
fi
rm -f "$vitest_log"
echo "== web: end to end in chromium"
web_check node web/e2e/console.mjs "$sdg_bin"
# What was skipped (testkit prints `SKIPPED <test>: <VAR> is not set`, maybe
# after libtest's `test <name> ... ` on the same line). A skipped test returned
# early, so libtest counted it as passed: the closing line moves it to skipped.
skipped="$(grep -v '^ *| ' "$log" | grep -oE 'SKIPPED [^ ]+: [A-Z0-9_]+ is not set' | sort -u || true)"
n_skipped=0
if [ -n "$skipped" ]; then
  n_skipped="$(printf '%s\n' "$skipped" | sed 's/: .*//' | sort -u | wc -l)"
  echo "== $n_skipped skipped (SDG_SKIP_MISSING_SERVERS=1):"
  printf '%s\n' "$skipped"
fi
# One closing line over every test binary.
awk -v skipped="$n_skipped" -v fp="$((fuzz_passed + web_passed))" -v ff="$((fuzz_failed + web_failed))" '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed", p - skipped + fp, f + ff; if (skipped > 0) printf ", %d skipped", skipped; printf "\n" }' "$log"
exit "$status"
