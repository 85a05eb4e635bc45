#!/usr/bin/env bash
# `npm start` and `npm run dev`: the gateway on this machine, for real and for development.
# Bootstraps if needed, builds the admin UI and the Worker, applies the D1 migrations to the
# local database, prints where the admin UI is and how to sign in, then serves with
# scripts/serve.mjs: wrangler's dev engine WITHOUT the DevTools inspector (so memory stays flat
# for days; `wrangler dev` 4.86 leaks without a DevTools client attached), a local cron and a
# watchdog. Ctrl-C (or SIGTERM) stops it cleanly; starting again keeps every key, token and log.
#   PORT              listening port (default 8787)
#   HOST              listening address (default 127.0.0.1; 0.0.0.0 exposes it to your network)
#   POISE_STATE_DIR   local D1/KV/Durable Object state (default .wrangler/state)
#   POISE_INSPECTOR   1 (port 9229) or a port: turn the DevTools inspector on for debugging
#   POISE_WRANGLER_DEV=1  run plain `wrangler dev` instead (inspector on, hotkeys; leaks under load)
set -euo pipefail
POISE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$POISE_ROOT"
source scripts/env.sh
port="${PORT:-8787}"
host="${HOST:-127.0.0.1}"
state="${POISE_STATE_DIR:-.wrangler/state}"

bash scripts/build.sh

# The first-admin setup token is a secret; locally it lives in .dev.vars (git-ignored).
if ! grep -q '^ADMIN_SETUP_TOKEN=' .dev.vars 2>/dev/null; then
  echo "ADMIN_SETUP_TOKEN=$(node -e 'console.log(require("crypto").randomBytes(24).toString("base64url"))')" >> .dev.vars
fi
setup_token=$(grep '^ADMIN_SETUP_TOKEN=' .dev.vars | head -1 | cut -d= -f2-)

npx wrangler d1 migrations apply DB --local --persist-to "$state"

shown_host=$host
[[ $host == 0.0.0.0 ]] && shown_host=127.0.0.1
cat <<MSG

  Gemini Poise is starting on http://$host:$port   (state: $state)
  Admin UI:      http://$shown_host:$port/
  First run:     create the first admin in the UI (or POST /api/v1/setup) with the setup token
                 $setup_token
                 (from .dev.vars; it only works while no admin exists)
  Sign in:       with that admin's username and password, at http://$shown_host:$port/
  Proxy:         point SDKs at http://$shown_host:$port with a client token as the API key
  Stop:          Ctrl-C (state is kept; start again with the same command)

MSG
if [[ -n "${POISE_WRANGLER_DEV:-}" ]]; then
  exec npx wrangler dev --ip "$host" --port "$port" --persist-to "$state" --show-interactive-dev-session=false
fi
exec node scripts/serve.mjs --ip "$host" --port "$port" --persist "$state"
