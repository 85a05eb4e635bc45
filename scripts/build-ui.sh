#!/usr/bin/env bash
# Builds the Yew admin UI to static files in admin-ui/dist (served by the Worker's [assets]).
# cargo → wasm-bindgen (--target web) → wasm-opt -Oz → index.html and styles copied in.
# Exits early when nothing changed; FORCE_BUILD=1 forces a build.
set -euo pipefail
POISE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$POISE_ROOT"
source scripts/env.sh

out=admin-ui/dist
stamp=$out/admin-ui_bg.wasm
if [[ -z "${FORCE_BUILD:-}" && -f $stamp ]] \
  && [[ -z "$(find admin-ui/src admin-ui/static admin-ui/Cargo.toml core/src Cargo.lock -newer "$stamp" -print -quit)" ]]; then
  echo "admin-ui: dist/ is up to date"
  exit 0
fi

cargo build --release --target wasm32-unknown-unknown -p admin-ui
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
"$WASM_BINDGEN_BIN" --target web --no-typescript --out-dir "$out.tmp" --out-name admin-ui \
  target/wasm32-unknown-unknown/release/admin-ui.wasm
"$WASM_OPT_BIN" -Oz --enable-bulk-memory --enable-mutable-globals --enable-sign-ext \
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
  "$out.tmp/admin-ui_bg.wasm" -o "$out.tmp/admin-ui_bg.wasm"
cp -r admin-ui/static/. "$out.tmp/"
# Served by the Worker at /api/v1/openapi.json from the assets, kept out of the Worker's wasm.
cp core/src/api/openapi.json "$out.tmp/openapi.json"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "admin-ui: built $(gzip -9c "$stamp" | wc -c) bytes gzipped wasm"
