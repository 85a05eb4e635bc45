// Sign-in cost at several PASSWORD_HASH_ITERATIONS settings, measured in workerd (the built
// Worker under `wrangler dev`, one client, nothing else running). For each setting the admin's
// stored hash is first upgraded to it (the sign-in rehash), then sign-ins are timed.
//
//   node bench/login_cost.mjs [samples]      (after `bash worker/build.sh`)
//
// Prints a Markdown table: median and min sign-in round trip per setting, and the hash's own
// share, estimated as the round trip minus the median at the lowest setting scaled out (the
// rest of a sign-in — D1 lookup, guard call, KV session write — does not depend on the cost).
import { startUpstream } from "../test/support/upstream.mjs";
import { startGateway } from "../test/support/gateway.mjs";
import { AdminClient, SETUP_TOKEN, ADMIN } from "../test/support/admin.mjs";

const SAMPLES = Number(process.argv[2] ?? 9);
const COSTS = [1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const up = await startUpstream();
const gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN, PASSWORD_HASH_ITERATIONS: String(COSTS[0]) } });
const rows = [];
try {
  const setup = await new AdminClient(gw.url).post("/api/v1/setup", { setup_token: SETUP_TOKEN, ...ADMIN });
  if (setup.status !== 201) throw new Error(`setup: ${setup.status} ${setup.text}`);
  for (const cost of COSTS) {
    if (cost !== COSTS[0]) await gw.restart({ PASSWORD_HASH_ITERATIONS: String(cost) });
    // Upgrade the stored hash to this cost (and warm the isolate).
    for (let i = 0; i < 2; i++) {
      const r = await new AdminClient(gw.url).post("/api/v1/auth/login", ADMIN);
      if (r.status !== 200) throw new Error(`sign-in at ${cost}: ${r.status} ${r.text}`);
    }
    const times = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = performance.now();
      const r = await new AdminClient(gw.url).post("/api/v1/auth/login", ADMIN);
      times.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`sign-in at ${cost}: ${r.status}`);
    }
    rows.push({ cost, median: median(times), min: Math.min(...times) });
  }
} finally {
  await gw.stop();
  up.stop();
}
// Per-iteration cost from the two ends of the range; the rest is the fixed part of a sign-in.
const first = rows[0];
const last = rows[rows.length - 1];
const perIter = (last.median - first.median) / (last.cost - first.cost);
const fixed = first.median - perIter * first.cost;
console.log(`| PASSWORD_HASH_ITERATIONS | sign-in median (ms) | sign-in min (ms) | hash share (ms, est.) |`);
console.log(`|---:|---:|---:|---:|`);
for (const r of rows) {
  console.log(`| ${r.cost} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)} | ${(perIter * r.cost).toFixed(1)} |`);
}
console.log(`\n${SAMPLES} samples per setting; ≈ ${(perIter * 1000).toFixed(2)} ms per 1000 iterations; fixed part ≈ ${fixed.toFixed(1)} ms (wall, loopback).`);
