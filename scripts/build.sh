#!/usr/bin/env bash
# Builds everything the Worker serves: the admin UI (admin-ui/dist) and the Worker bundle
# (worker/build). Both steps skip work when their inputs did not change.
set -euo pipefail
POISE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$POISE_ROOT"
source scripts/env.sh
bash scripts/bootstrap.sh
bash scripts/build-ui.sh
bash worker/build.sh
