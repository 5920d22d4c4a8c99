#!/usr/bin/env bash
# The toolchain components the checks use (rustfmt, clippy), added when the
# rustup toolchain lacks them. Called by .ci/run (before fmt and clippy) and
# by scripts/test.sh.
set -euo pipefail
if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi
