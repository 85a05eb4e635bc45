#!/usr/bin/env bash
# `npm run dev`: bootstrap if needed, build the admin UI and the Worker, apply the D1
# migrations to the local database, then run the gateway under `wrangler dev` on 127.0.0.1.
#   PORT   listening port (default 8787)
# Local state (D1, KV, Durable Objects) lives in .wrangler/state and survives restarts.
set -euo pipefail
POISE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$POISE_ROOT"
source scripts/env.sh
port="${PORT:-8787}"

bash scripts/build.sh

# The first-admin setup token is a secret; locally it lives in .dev.vars (git-ignored).
if ! grep -q '^ADMIN_SETUP_TOKEN=' .dev.vars 2>/dev/null; then
  echo "ADMIN_SETUP_TOKEN=$(node -e 'console.log(require("crypto").randomBytes(24).toString("base64url"))')" >> .dev.vars
fi
setup_token=$(grep '^ADMIN_SETUP_TOKEN=' .dev.vars | head -1 | cut -d= -f2-)

npx wrangler d1 migrations apply DB --local

cat <<MSG

  Gemini Poise is starting on http://127.0.0.1:$port
  Admin UI:      http://127.0.0.1:$port/
  First run:     create the first admin in the UI (or POST /api/v1/setup) with the setup token
                 $setup_token
                 (from .dev.vars; it only works while no admin exists)
  Proxy:         point SDKs at http://127.0.0.1:$port with a client token as the API key

MSG
exec npx wrangler dev --ip 127.0.0.1 --port "$port" --show-interactive-dev-session=false
