#!/usr/bin/env bash
# `npm test`: every test. The gates (rustfmt, clippy with warnings as errors), native unit tests
# (core, fake upstream, UI reducers), then the end-to-end suites against the built Worker in
# workerd with the fake upstream on loopback.
set -euo pipefail
POISE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$POISE_ROOT"
source scripts/env.sh

bash scripts/bootstrap.sh --with-browser --with-fuzz
echo "== gates (cargo fmt --check, cargo clippy -D warnings)"
cargo fmt --all --check
# Checked natively: the wasm crates (worker, admin-ui) compile for the host too (they have no
# target-specific code), so one host check covers every crate and its tests.
cargo clippy --workspace --all-targets -- -D warnings
echo "== native tests (cargo test)"
cargo test --workspace --exclude poise-worker
echo "== build"
cargo build -p fake-upstream
bash scripts/build-ui.sh
bash worker/build.sh
echo "== end-to-end and browser tests (workerd + fake upstream + chromium)"
node --test --test-concurrency=1 test/e2e/ test/ui/
