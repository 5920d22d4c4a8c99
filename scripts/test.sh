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

# Real servers for the integration tests: PostgreSQL, Redis, a Kafka-protocol
# broker (installed if missing, started if not running, loopback only).
echo "== scripts/services.sh up"
bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"

echo "== cargo test (workspace, dev profile)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked --lib --bins --tests "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
