#!/usr/bin/env bash
# `npm run bench`: the gateway's latency, throughput, streaming, CPU, memory and size against
# the fake upstream directly and a bare pass-through Worker (bench/). Not part of `npm test`.
# Builds what it needs first; arguments go to bench/run.mjs (--quick, --write-doc).
# Results: printed, and written to build-output/bench.json and build-output/bench.md.
set -euo pipefail
POISE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$POISE_ROOT"
source scripts/env.sh

# The load generator: wrk from Debian.
if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk (Debian)"
  if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q wrk \
    || { $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q wrk; }
fi

echo "== build (admin UI, Worker, fake upstream with the optimised 'fast' profile)"
bash scripts/build.sh
cargo build -q -p fake-upstream --profile fast

echo "== bench"
# Higher CPU priority (when allowed) for the bench and everything it starts (wrk, wrangler,
# workerd, the fake upstream), so background jobs on a shared box disturb it less. The run
# still reports how much CPU other processes used during each measurement.
if nice -n -10 true 2>/dev/null; then
  exec nice -n -10 node bench/run.mjs "$@"
fi
exec node bench/run.mjs "$@"
