#!/usr/bin/env bash
# One-time, idempotent toolchain setup from the package registries only (crates.io, npm,
# Debian). Skips whatever is already installed at the right version.
#   --with-browser   also install Debian's chromium (for the admin UI browser tests)
#   --with-fuzz      also install schemathesis (PyPI) into build-output/venv (admin API fuzz)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1;34m[bootstrap]\033[0m %s\n' "$*"; }

# The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock (toolchain.md P14).
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
worker_build_version=0.8.7

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The gates in scripts/test.sh (cargo fmt --check, cargo clippy).
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    say "adding the $component component"
    rustup component add "$component"
  fi
done

if ! worker-build --version 2>/dev/null | grep -q "$worker_build_version"; then
  say "installing worker-build $worker_build_version (about 5 minutes on 2 cores)"
  cargo install worker-build --version "$worker_build_version" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$bindgen_version"; then
  say "installing wasm-bindgen-cli $bindgen_version (about 3 minutes)"
  # Not --locked: its lock file pins a crate version the registry no longer serves (toolchain.md P2).
  cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

# npm ci only when package-lock.json's content differs from what was installed (a stamp holds its
# hash): a fresh checkout or a worktree has a newer file but the same lock, and must not reinstall.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f node_modules/.package-lock.json || "$(cat node_modules/.poise-lock-hash 2>/dev/null)" != "$lock_hash" ]]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.poise-lock-hash
fi

args=" $* "

if [[ "$args" == *" --with-browser "* ]] && ! command -v chromium >/dev/null; then
  say "installing Debian's chromium for the browser tests"
  if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core fonts-wqy-microhei
fi

schemathesis_version=4.32.5
if [[ "$args" == *" --with-fuzz "* ]] && ! build-output/venv/bin/st --version 2>/dev/null | grep -q "$schemathesis_version"; then
  say "installing schemathesis $schemathesis_version (PyPI) into build-output/venv"
  python3 -m venv build-output/venv
  build-output/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi
