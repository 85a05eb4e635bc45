// The local gateway, built to run for days: `npm start` (and `npm run dev`) end here after the
// build and the local D1 migrations (scripts/dev.sh).
//
// It runs the built Worker in workerd through Miniflare, the simulator `wrangler dev` itself is
// built on, with the options wrangler derives from wrangler.toml (`unstable_getMiniflareWorkerOptions`:
// the same bindings, local D1/KV/Durable Object simulators, static assets, .dev.vars) and the
// same state directory (.wrangler/state, shared with `wrangler d1 ... --local`). What it leaves
// out is wrangler's dev plumbing:
//   - the DevTools inspector, which `wrangler dev` 4.86 cannot turn off and which, with nobody
//     attached, buffers one message per subrequest until workerd runs out of heap (issue 18).
//     POISE_INSPECTOR=1 (or a port number) turns it on for a debugging session;
//   - the second workerd process (wrangler's dev proxy, which exists for live reload) and its
//     extra hop: one workerd serves the port directly, so memory settles lower and sooner
//     (BENCHMARKS.md, soak).
//
// What it adds:
//   - the cron: the scheduled handler runs on wrangler.toml's `*/N * * * *` schedules, since
//     local mode has no Cloudflare scheduler (key re-validation and log retention keep working);
//   - a watchdog: if /healthz stops answering (3 checks 10 s apart), or workerd's resident memory
//     passes POISE_MAX_RSS_MB (default 1536; 0 = no limit), workerd is stopped and started again
//     on the same port and state (a restart takes ~3 s and loses only in-flight requests);
//   - SIGINT / SIGTERM stop workerd cleanly (it flushes its SQLite state) and exit 0.
//
//   node scripts/serve.mjs [--port N] [--ip ADDR] [--persist DIR] [--config FILE] [--var NAME:VALUE]...
//
// Environment: PORT (8787), HOST (127.0.0.1), POISE_STATE_DIR (.wrangler/state), POISE_INSPECTOR
// (off), POISE_LOG_LEVEL (warn; "info" also shows the Worker's console.log lines), POISE_CRON=0
// turns the local cron off, POISE_WATCHDOG=0 the watchdog.
// Prints `READY <url>` on stdout once the Worker answers (scripts and the soak bench wait for it).
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    port: { type: "string" },
    ip: { type: "string" },
    persist: { type: "string" },
    config: { type: "string" },
    var: { type: "string", multiple: true },
  },
});
const env = process.env;
const port = Number(values.port ?? env.PORT ?? 8787);
const hostname = values.ip ?? env.HOST ?? "127.0.0.1";
const persist = path.resolve(root, values.persist ?? env.POISE_STATE_DIR ?? ".wrangler/state");
const config = path.resolve(root, values.config ?? "wrangler.toml");
const logLevel = env.POISE_LOG_LEVEL ?? "warn";
const inspector = inspectorOption(env.POISE_INSPECTOR);
const WATCHDOG_INTERVAL_MS = 10_000;
const WATCHDOG_FAILURES = 3;
const MAX_RSS_MB = Number(env.POISE_MAX_RSS_MB ?? 1536);
if (!Number.isFinite(MAX_RSS_MB) || MAX_RSS_MB < 0) throw new Error(`POISE_MAX_RSS_MB: a number of MiB (0 = no limit), got ${env.POISE_MAX_RSS_MB}`);

const say = (msg) => console.error(`[serve] ${msg}`);

/** POISE_INSPECTOR: unset/0/false → no inspector; 1/true → port 9229; a number → that port. */
function inspectorOption(v) {
  if (v === undefined || v === "" || v === "0" || v === "false") return false;
  const p = v === "1" || v === "true" ? 9229 : Number(v);
  if (!Number.isInteger(p) || p <= 0 || p > 65535) throw new Error(`POISE_INSPECTOR: expected 1 or a port, got ${v}`);
  return { hostname: "127.0.0.1", port: p };
}

const bindings = {};
for (const v of values.var ?? []) {
  const i = v.indexOf(":");
  if (i <= 0) throw new Error(`--var expects NAME:VALUE, got ${v}`);
  bindings[v.slice(0, i)] = { type: "plain_text", value: v.slice(i + 1) };
}

process.chdir(root);
const require = createRequire(import.meta.url);
const wrangler = require("wrangler");
// Miniflare as wrangler itself resolves it (the exact version wrangler 4.86 pins).
const { Miniflare, Log, LogLevel } = createRequire(require.resolve("wrangler"))("miniflare");
const LEVELS = { debug: LogLevel.DEBUG, info: LogLevel.INFO, log: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR, none: LogLevel.NONE };
if (!(logLevel in LEVELS)) throw new Error(`POISE_LOG_LEVEL: one of ${Object.keys(LEVELS).join(", ")}`);
const rawConfig = wrangler.unstable_readConfig({ config });

/** Miniflare options: wrangler's view of wrangler.toml, plus this process's port, state and vars. */
function miniflareOptions() {
  const { workerOptions, main } = wrangler.unstable_getMiniflareWorkerOptions(config);
  const plain = Object.fromEntries(Object.entries(bindings).map(([k, v]) => [k, v.value]));
  return {
    host: hostname,
    port,
    inspectorPort: inspector ? inspector.port : undefined,
    defaultPersistRoot: path.join(persist, "v3"), // wrangler's layout: v3/d1, v3/kv, v3/do
    // The `request.cf` object: fetched from Cloudflare once, unless offline (scripts/env.sh).
    cf: env.CLOUDFLARE_CF_FETCH_ENABLED !== "false",
    logRequests: false,
    log: new Log(LEVELS[logLevel]),
    handleStructuredLogs: ({ level, message }) => {
      if (level === "error" || level === "warn") console.error(message);
      else if (LEVELS[logLevel] >= LogLevel.INFO) console.log(message);
    },
    workers: [{
      ...workerOptions,
      name: rawConfig.name,
      modules: true,
      scriptPath: path.resolve(path.dirname(config), main),
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }, { type: "ESModule", include: ["**/*.js"] }],
      bindings: { ...workerOptions.bindings, ...plain },
    }],
  };
}

/** The `*\/N * * * *` cron schedules of the config, as [{ cron, minutes }] (others are not run locally). */
function cronSchedules() {
  if (env.POISE_CRON === "0") return [];
  const out = [];
  for (const cron of rawConfig.triggers?.crons ?? []) {
    const m = /^\*\/(\d+) \* \* \* \*$/.exec(cron.trim());
    if (m) out.push({ cron, minutes: Number(m[1]) });
    else say(`local cron: only "*/N * * * *" schedules run locally; not running "${cron}"`);
  }
  return out;
}

let mf = null;
let url = null;
let stopping = false;

async function start() {
  mf = new Miniflare(miniflareOptions());
  url = (await mf.ready).href.replace(/\/$/, "");
}

async function healthy() {
  try {
    const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    return false;
  }
}

/** Resident memory (MiB) of this process's workerd children, from /proc (Linux; 0 elsewhere). */
function workerdRssMb() {
  let kb = 0;
  try {
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        if (stat.slice(stat.indexOf("(") + 1, close) !== "workerd" || Number(stat.slice(close + 2).split(" ")[1]) !== process.pid) continue;
        kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d}/status`, "utf8"))?.[1] ?? 0);
      } catch { /* exited meanwhile */ }
    }
  } catch { /* no /proc */ }
  return kb / 1024;
}

async function restart(reason) {
  say(`restarting the Worker: ${reason}`);
  try {
    await mf.dispose();
  } catch (e) {
    say(`dispose failed (${e.message}); starting anyway`);
  }
  await start();
  say(`Worker restarted on ${url}`);
}

async function stop(signal) {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping`);
  try {
    await mf?.dispose();
  } finally {
    process.exit(0);
  }
}
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));

await start();
say(`serving on ${url} (state: ${persist.startsWith(root) ? path.relative(root, persist) : persist}; inspector: ${inspector ? `ws://127.0.0.1:${inspector.port}` : "off, POISE_INSPECTOR=1 turns it on"})`);
console.log(`READY ${url}`);

if (env.POISE_WATCHDOG !== "0") {
  let failures = 0;
  let busy = false;
  setInterval(async () => {
    if (busy || stopping) return;
    busy = true;
    try {
      failures = (await healthy()) ? 0 : failures + 1;
      const rss = MAX_RSS_MB ? workerdRssMb() : 0;
      if (failures >= WATCHDOG_FAILURES) {
        failures = 0;
        await restart(`/healthz failed ${WATCHDOG_FAILURES} times in a row`);
      } else if (rss > MAX_RSS_MB) {
        await restart(`workerd uses ${rss.toFixed(0)} MiB, more than POISE_MAX_RSS_MB=${MAX_RSS_MB}`);
      }
    } catch (e) {
      say(`watchdog: ${e.message}`);
    } finally {
      busy = false;
    }
  }, WATCHDOG_INTERVAL_MS).unref();
}

for (const { cron, minutes } of cronSchedules()) {
  say(`local cron: the scheduled handler runs every ${minutes} min ("${cron}")`);
  const tick = async () => {
    if (stopping) return;
    try {
      const worker = await mf.getWorker();
      const r = await worker.scheduled({ cron, scheduledTime: new Date() });
      if (r.outcome !== "ok") say(`local cron "${cron}": ${r.outcome}`);
    } catch (e) {
      say(`local cron "${cron}": ${e.message}`);
    }
  };
  // Aligned to the wall clock like Cloudflare's scheduler (e.g. :00, :05, … for */5).
  const period = minutes * 60_000;
  setTimeout(() => {
    tick();
    setInterval(tick, period).unref();
  }, period - (Date.now() % period)).unref();
}
