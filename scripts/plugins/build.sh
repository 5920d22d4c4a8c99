#!/usr/bin/env bash
# Builds the C example plugins (plugins/examples/c/*.c → *.wasm) with clang
# and lld for wasm32, no libc, no WASI (plugin ABI 1, docs/PLUGINS.md).
#   bash scripts/plugins/build.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
apt() {
  if [ "$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get "$@"; else sudo DEBIAN_FRONTEND=noninteractive apt-get "$@"; fi
}
if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null; then
  echo "== installing clang and lld (apt) for the C plugins"
  # The package lists of a fresh machine may be stale: update once if the install fails.
  apt install -y -qq clang lld >/dev/null || { apt update -qq && apt install -y -qq clang lld >/dev/null; }
fi
for c in plugins/examples/c/*.c; do
  clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export-dynamic -Wl,--strip-all \
    -I plugins/sdk/c -o "${c%.c}.wasm" "$c"
done
echo "built $(ls plugins/examples/c/*.wasm | wc -l) C plugins"
