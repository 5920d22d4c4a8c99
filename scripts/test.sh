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
awk -v skipped="$n_skipped" -v fp="$fuzz_passed" -v ff="$fuzz_failed" '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed", p - skipped + fp, f + ff; if (skipped > 0) printf ", %d skipped", skipped; printf "\n" }' "$log"
exit "$status"
