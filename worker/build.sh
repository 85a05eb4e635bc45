#!/usr/bin/env bash
# Builds the Worker (Rust → wasm → worker/build/index.js) with worker-build, offline.
# wrangler runs this as its [build] command (twice at `wrangler dev` start), so it exits early
# when nothing changed. FORCE_BUILD=1 forces a build; WORKER_BUILD_ARGS=--no-opt skips wasm-opt.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)

# The test suite builds once, then starts many `wrangler dev`s: they must not rebuild.
if [[ -n "${POISE_SKIP_BUILD:-}" && -f build/index.js ]]; then
  exit 0
fi
if [[ -z "${FORCE_BUILD:-}" && -f build/index.js ]] \
  && [[ -z "$(find src Cargo.toml ../core/src ../core/Cargo.toml ../Cargo.lock ../Cargo.toml -newer build/index.js -print -quit)" ]]; then
  echo "worker: build/ is up to date"
  exit 0
fi

# worker-build would otherwise try to download its tools from GitHub (toolchain.md §2).
POISE_ROOT=$root
source "$root/scripts/env.sh"
# shellcheck disable=SC2086
worker-build --release ${WORKER_BUILD_ARGS:-} "$@"

# worker-build always keeps the wasm "name" section (~220 KB, only for stack traces); drop it.
"$WASM_OPT_BIN" build/index_bg.wasm -o build/index_bg.wasm --strip-debug --strip-producers \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
  --enable-multivalue --enable-reference-types --enable-exception-handling
echo "worker: $(wc -c < build/index_bg.wasm) bytes wasm, $(gzip -9c build/index_bg.wasm | wc -c) gzipped"
