#!/usr/bin/env bash
# `npm test`: every test. Native unit tests (core, fake upstream, UI reducers), then the
# end-to-end suites against the built Worker in workerd with the fake upstream on loopback.
set -euo pipefail
POISE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$POISE_ROOT"
source scripts/env.sh

bash scripts/bootstrap.sh --with-browser --with-fuzz
echo "== native tests (cargo test)"
cargo test --workspace --exclude poise-worker
echo "== build"
cargo build -p fake-upstream
bash scripts/build-ui.sh
bash worker/build.sh
echo "== end-to-end and browser tests (workerd + fake upstream + chromium)"
node --test --test-concurrency=1 test/e2e/ test/ui/
