// Live API round trip: the same fake upstream's Live WebSocket reached through the bare
// pass-through Worker (bench/baseline, which hands the upstream's socket straight back) and
// through the gateway (which relays frames between two sockets), in the same run, one after
// the other, under the same wrangler dev / workerd.
//
//   node bench/live.mjs [--sessions 20] [--turns 200]
//
// Measures, per target: session setup (connect + `setup` → `setupComplete`, new socket each
// time) and turn round trip inside one session (`clientContent` → `turnComplete`, two upstream
// messages per turn). Prints a Markdown table for BENCHMARKS.md. Needs the Worker built
// (bash worker/build.sh) and the fake upstream (cargo build -p fake-upstream).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { startUpstream } from "../test/support/upstream.mjs";
import { startGateway, freePort } from "../test/support/gateway.mjs";
import { SETUP_TOKEN } from "../test/support/admin.mjs";
import { root } from "../test/support/paths.mjs";
import { POOL_KEYS, provision, round } from "./common.mjs";

const { values } = parseArgs({ options: { sessions: { type: "string", default: "20" }, turns: { type: "string", default: "200" } } });
const SESSIONS = Number(values.sessions);
const TURNS = Number(values.turns);
const LIVE = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";
const SETUP = JSON.stringify({ setup: { model: "models/gemini-live-2.5-flash" } });
const TURN = JSON.stringify({ clientContent: { turns: [{ role: "user", parts: [{ text: "hi" }] }], turnComplete: true } });

async function startBaseline(upstream) {
  const port = await freePort();
  const persist = mkdtempSync(path.join(os.tmpdir(), "poise-bench-live-"));
  const child = spawn(process.execPath, [path.join(root, "bench", "start-worker.mjs"), "--config",
    path.join(root, "bench", "baseline", "wrangler.toml"), "--port", String(port), "--persist", persist,
    "--var", `UPSTREAM:${upstream}`], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (l) => { const m = l.match(/^READY (\S+)/); if (m) resolve(m[1].replace(/\/$/, "")); });
    child.once("exit", (c) => reject(new Error(`baseline exited with ${c}`)));
  });
  return { url, stop: () => child.kill("SIGTERM") };
}

/** Opens a socket and resolves with a reader of the next message. */
function open(url, headers) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const queue = [];
    const waiting = [];
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString());
      if (waiting.length) waiting.shift()(msg); else queue.push(msg);
    });
    ws.on("open", () => resolve({ ws, next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiting.push(r))) }));
    ws.on("error", reject);
  });
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };

async function measure(base, key) {
  const url = base.replace(/^http/, "ws") + LIVE;
  const headers = { "x-goog-api-key": key };
  const setups = [];
  for (let i = 0; i < SESSIONS; i++) {
    const t0 = performance.now();
    const s = await open(url, headers);
    s.ws.send(SETUP);
    if (!(await s.next()).setupComplete) throw new Error("no setupComplete");
    setups.push(performance.now() - t0);
    s.ws.close(1000);
  }
  const s = await open(url, headers);
  s.ws.send(SETUP);
  await s.next();
  const turns = [];
  for (let i = 0; i < TURNS; i++) {
    const t0 = performance.now();
    s.ws.send(TURN);
    while (!(await s.next()).serverContent?.turnComplete) { /* the model turn */ }
    turns.push(performance.now() - t0);
  }
  s.ws.close(1000);
  return { setup_p50: pct(setups, 50), setup_p99: pct(setups, 99), turn_p50: pct(turns, 50), turn_p99: pct(turns, 99) };
}

const up = await startUpstream();
const bare = await startBaseline(up.url);
const gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN } });
try {
  const { token } = await provision(gw.url);
  await measure(bare.url, POOL_KEYS[0]); // warm-up, both
  await measure(gw.url, token);
  const b = await measure(bare.url, POOL_KEYS[0]);
  const g = await measure(gw.url, token);
  const row = (name, r) => `| ${name} | ${round(r.setup_p50, 2)} | ${round(r.setup_p99, 2)} | ${round(r.turn_p50, 2)} | ${round(r.turn_p99, 2)} |`;
  console.log(`Live API over WebSocket, ${SESSIONS} sessions and ${TURNS} turns per target (ms):\n`);
  console.log("| target | setup p50 | setup p99 | turn p50 | turn p99 |\n|---|---|---|---|---|");
  console.log(row("bare Worker", b));
  console.log(row("gateway", g));
  console.log(row("gateway − bare", { setup_p50: g.setup_p50 - b.setup_p50, setup_p99: g.setup_p99 - b.setup_p99, turn_p50: g.turn_p50 - b.turn_p50, turn_p99: g.turn_p99 - b.turn_p99 }));
} finally {
  await gw.stop();
  bare.stop();
  up.stop();
}
