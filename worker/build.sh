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
exec worker-build --release ${WORKER_BUILD_ARGS:-} "$@"
