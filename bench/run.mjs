// `npm run bench` (scripts/bench.sh builds everything first): the gateway's overhead against
// the same fake upstream, three ways — the upstream called directly, a bare pass-through
// Worker (bench/baseline, same wrangler dev / workerd) and the gateway under wrangler dev with
// keys and a client token provisioned through the admin API. Then, to show where the time
// goes, the bare Worker and the gateway once more with wrangler's DevTools inspector off
// (bench/start-worker.mjs), and the gateway with its local D1/DO state on tmpfs.
//
//   node bench/run.mjs [--quick] [--write-doc]
//     --quick      1-second measurements (a smoke test of the harness; numbers are noisy)
//     --write-doc  also replace the generated section of BENCHMARKS.md
//   node bench/run.mjs --soak [--soak-requests N] [--soak-concurrency C] [--write-doc]
//     the soak run of the local mode instead (bench/soak.mjs)
//
// Load comes from wrk (Debian); streaming is timed with a small Node client. Results are
// printed as a table and written to build-output/bench.json (and .md). Every measurement is
// bounded (≤ 10 s); the whole run takes about 4 minutes on 2 cores.
import { spawn, execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync, rmSync } from "node:fs";
import http from "node:http";
import zlib from "node:zlib";
import os from "node:os";
import path from "node:path";
import { root } from "../test/support/paths.mjs";
import { startGateway, freePort, migrate } from "../test/support/gateway.mjs";
import { SETUP_TOKEN } from "../test/support/admin.mjs";
import { fakeKey } from "../test/support/keys.mjs";
import { costProbe, renderCost } from "./cost.mjs";
import { MODEL_PATH, BODY, POOL_KEYS, readStat, cmdline, rssKb, procTable, descendants, startFastUpstream, provision, preflight, round, sh, machine } from "./common.mjs";

const args = new Set(process.argv.slice(2));
const QUICK = args.has("--quick");
const WRITE_DOC = args.has("--write-doc");
const SEC = {
  warm: QUICK ? 1 : 2, // warm-up at c=32 before a target's first measurement
  lat: QUICK ? 1 : 5, // latency at c=1
  tput: QUICK ? 1 : 6, // throughput at c=32 / c=128
  diag: QUICK ? 1 : 3, // breakdown probes
};
const STREAM_N = QUICK ? 5 : 30;
const STREAM_EVENTS = 5;
const STREAM_GAP_MS = 50;
const PAUSE_MS = 30; // think time between requests for the "paced" probes
const QUIET_WAIT_S = Number(process.env.BENCH_QUIET_WAIT ?? (QUICK ? 0 : 30));

const GOALS = {
  addedP50Ms: 1, // gateway p50 − bare Worker p50 at c=1
  tputRatio32: 0.8, // gateway / bare Worker requests/s at c=32
  ttfbMs: 2, // streaming first byte, gateway − bare Worker
  workerGzBytes: 400_000, // worker/build/index_bg.wasm + index.js, gzip -9 (400 KB = 400,000 bytes)
};

const STREAM_PATH = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";
const DIRECT_KEY = fakeKey("BENCHDIRECT");
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
const wranglerCli = path.join(root, "node_modules", "wrangler", "wrangler-dist", "cli.js");
const log = (...a) => console.error("[bench]", ...a);
const tempDirs = [];
/** A fresh state directory, removed at the end of the run. */
const tempDir = (parent, prefix) => { const d = mkdtempSync(path.join(parent, prefix)); tempDirs.push(d); return d; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// /proc helpers: process tree, CPU ticks, RSS, and CPU used by processes that are not ours.

/** Busy ticks of the whole machine (all CPUs) from /proc/stat. */
function systemBusy() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return user + nice + system + irq + softirq + (steal || 0);
}
/** Our own CPU: this process (incl. reaped children such as wrk) plus every live descendant. */
function ourTicks() {
  const table = procTable();
  const self = table.get(process.pid);
  const live = new Map(descendants(process.pid, table).map((s) => [s.pid, s.ticks]));
  return { self: self.ticks + self.childTicks, live };
}
function foreignMeter() {
  const t0 = { sys: systemBusy(), ours: ourTicks(), at: performance.now() };
  return () => {
    const sys = systemBusy() - t0.sys;
    const o1 = ourTicks();
    let ours = o1.self - t0.ours.self;
    for (const [pid, ticks] of o1.live) ours += ticks - (t0.ours.live.get(pid) ?? 0);
    const secs = (performance.now() - t0.at) / 1000;
    return Math.max(0, (sys - ours) / CLK_TCK / secs); // CPU cores used by other processes
  };
}

/** The wrangler dev (node) process serving `port` and its workerd children. */
function wranglerProcs(port) {
  const table = procTable();
  const mine = descendants(process.pid, table);
  const node = mine.find((s) => { const c = cmdline(s.pid); const i = c.indexOf("--port"); return s.comm === "node" && i >= 0 && c[i + 1] === String(port); });
  if (!node) throw new Error(`no wrangler (node) process for port ${port}`);
  const workerd = descendants(node.pid, table).filter((s) => s.comm === "workerd");
  const proxy = workerd.find((s) => cmdline(s.pid).some((a) => a.includes(`entry=127.0.0.1:${port}`)));
  const runtime = workerd.find((s) => s !== proxy);
  return { node: node.pid, proxy: proxy?.pid, runtime: runtime?.pid, workerd: workerd.map((s) => s.pid) };
}

/** Runs `fn` while sampling CPU ticks and RSS of `procs` (wranglerProcs), and foreign load. */
async function sampled(procs, fn) {
  const pids = procs ? procs.workerd : [];
  const ticks0 = new Map(pids.map((p) => [p, readStat(p)?.ticks ?? 0]));
  const node0 = procs ? readStat(procs.node)?.ticks ?? 0 : 0;
  const peak = new Map(pids.map((p) => [p, rssKb(p)]));
  const timer = setInterval(() => { for (const p of pids) peak.set(p, Math.max(peak.get(p), rssKb(p))); }, 200);
  const foreign = foreignMeter();
  try {
    const result = await fn();
    const cpu = {};
    if (procs) {
      const d = (p) => ((readStat(p)?.ticks ?? 0) - ticks0.get(p)) / CLK_TCK * 1000;
      cpu.workerd_ms = pids.reduce((a, p) => a + d(p), 0);
      cpu.runtime_ms = procs.runtime ? d(procs.runtime) : null;
      cpu.proxy_ms = procs.proxy ? d(procs.proxy) : null;
      cpu.wrangler_node_ms = ((readStat(procs.node)?.ticks ?? 0) - node0) / CLK_TCK * 1000;
      cpu.rss_peak_kb = { runtime: peak.get(procs.runtime) ?? null, proxy: peak.get(procs.proxy) ?? null,
        total: pids.reduce((a, p) => a + peak.get(p), 0) };
    }
    return { ...result, ...cpu, foreign_cores: round(foreign(), 2) };
  } finally { clearInterval(timer); }
}

/** Waits (bounded) until other processes leave the machine mostly idle. */
async function waitQuiet() {
  const deadline = Date.now() + QUIET_WAIT_S * 1000;
  for (;;) {
    const m = foreignMeter();
    await sleep(1000);
    const f = m();
    if (f < 0.2) return f;
    if (Date.now() >= deadline) {
      if (QUIET_WAIT_S > 0) log(`machine still busy (${f.toFixed(2)} cores used by other processes); measuring anyway`);
      return f;
    }
    log(`waiting for a quiet machine: ${f.toFixed(2)} cores used by other processes`);
  }
}

// ---------------------------------------------------------------------------------------------
// Targets.

async function startBaseline(upstream) {
  const port = await freePort();
  const persist = tempDir(os.tmpdir(), "poise-bench-baseline-");
  const child = spawn(process.execPath, [wranglerCli, "dev", "--config", path.join(root, "bench", "baseline", "wrangler.toml"),
    "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), "--persist-to", persist,
    "--show-interactive-dev-session=false", "--log-level", "warn", "--var", `UPSTREAM:${upstream}`], {
    cwd: root, stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  let output = "";
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((_, rej) => child.once("exit", (c) => rej(new Error(`baseline wrangler dev exited (${c}):\n${output}`))));
  const deadline = Date.now() + 60_000;
  await Promise.race([exited, (async () => {
    for (;;) {
      try { if ((await fetch(`${url}/__bench/local`)).status === 200) return; } catch { /* not yet */ }
      if (Date.now() > deadline) throw new Error(`baseline did not start:\n${output}`);
      await sleep(100);
    }
  })()]);
  return {
    url, port, logs: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once("exit", r));
      child.kill("SIGINT");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}

/**
 * Starts a Worker through wrangler's dev API with the DevTools inspector off
 * (bench/start-worker.mjs). `persist` is the state directory (migrated here when `migrateDb`).
 */
async function startNoInspector({ config, vars, persist, migrateDb }) {
  if (migrateDb) migrate(persist);
  const port = await freePort();
  const a = [path.join(root, "bench", "start-worker.mjs"), "--config", config, "--port", String(port), "--persist", persist];
  for (const [k, v] of Object.entries(vars)) a.push("--var", `${k}:${v}`);
  const child = spawn(process.execPath, a, {
    cwd: root, stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true", POISE_SKIP_BUILD: "1", WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  let output = "";
  child.stderr.on("data", (d) => { output += d; });
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`start-worker did not start:\n${output}`)), 60_000);
    createInterface({ input: child.stdout }).on("line", (l) => {
      output += `${l}\n`;
      const m = l.match(/^READY (http:\/\/\S+?)\/?$/);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
    child.once("exit", (c) => { clearTimeout(t); reject(new Error(`start-worker exited (${c}):\n${output}`)); });
  });
  return {
    url, port, logs: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once("exit", r));
      child.kill("SIGINT");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}


// ---------------------------------------------------------------------------------------------
// Load: wrk, and a sequential Node client for streaming.

function wrk({ url, conns, secs, key, method = "POST", body = BODY, pauseMs = 0 }) {
  const threads = conns === 1 ? 1 : 2;
  const a = ["-t", String(threads), "-c", String(conns), "-d", `${secs}s`, "--timeout", "5s", "-s", path.join(root, "bench", "wrk.lua"), url];
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", a, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, BENCH_METHOD: method, BENCH_BODY: method === "GET" ? "" : body, BENCH_KEY: key ?? "", BENCH_DELAY_MS: String(pauseMs) },
    });
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { out += d; });
    const kill = setTimeout(() => child.kill("SIGKILL"), (secs + 15) * 1000);
    child.once("exit", (code) => {
      clearTimeout(kill);
      const line = out.split("\n").find((l) => l.startsWith("BENCH_JSON "));
      if (!line) return reject(new Error(`wrk failed (${code}):\n${out}`));
      const r = JSON.parse(line.slice("BENCH_JSON ".length));
      const secsRun = r.duration_us / 1e6;
      const errors = Object.values(r.errors).reduce((x, y) => x + y, 0);
      resolve({
        conns, requests: r.requests, errors: r.errors, error_total: errors,
        rps: round(r.requests / secsRun, 1), ok_rps: round((r.requests - r.errors.status) / secsRun, 1),
        latency_ms: Object.fromEntries(Object.entries(r.latency_us).map(([k, v]) => [k, round(v / 1000, 3)])),
      });
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function timedRequest(url, key) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let headers = null;
    let first = null;
    let bytes = 0;
    let text = "";
    const req = http.request(url, {
      method: "POST", agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(BODY), ...(key ? { "x-goog-api-key": key } : {}) },
    }, (res) => {
      headers = performance.now() - t0;
      res.on("data", (d) => { first ??= performance.now() - t0; bytes += d.length; text += d; });
      res.on("end", () => resolve({ status: res.statusCode, headers, first, total: performance.now() - t0, bytes, events: (text.match(/^data: /gm) ?? []).length }));
      res.on("error", reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(BODY);
  });
}
async function streaming(url, key) {
  for (let i = 0; i < 3; i++) await timedRequest(url, key); // warm-up
  const runs = [];
  for (let i = 0; i < STREAM_N; i++) runs.push(await timedRequest(url, key));
  const ok = runs.filter((r) => r.status === 200 && r.events === STREAM_EVENTS);
  return {
    n: runs.length, errors: runs.length - ok.length,
    headers_ms: round(median(ok.map((r) => r.headers)), 2),
    ttfb_ms: round(median(ok.map((r) => r.first)), 2),
    total_ms: round(median(ok.map((r) => r.total)), 2),
    ttfb_p90_ms: round(quantile(ok.map((r) => r.first), 0.9), 2),
  };
}

function sseRule() {
  const chunks = Array.from({ length: STREAM_EVENTS }, (_, i) => {
    const last = i === STREAM_EVENTS - 1;
    const ev = { candidates: [{ content: { parts: [{ text: `word${i} ` }], role: "model" }, index: 0, ...(last ? { finishReason: "STOP" } : {}) }],
      usageMetadata: { promptTokenCount: 11, candidatesTokenCount: i + 1, totalTokenCount: 12 + i }, modelVersion: "gemini-2.5-flash", responseId: "bench" };
    return { data: `data: ${JSON.stringify(ev)}\r\n\r\n`, delay_ms: STREAM_GAP_MS };
  });
  return { name: "bench-sse", match: { path: ":streamGenerateContent", query: "alt=sse" },
    reply: { status: 200, headers: { "content-type": "text/event-stream" }, chunks } };
}

// ---------------------------------------------------------------------------------------------
// Small utilities.

function quantile(xs, q) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
}
const median = (xs) => quantile(xs, 0.5);
const gzSize = (f) => execFileSync("gzip", ["-9", "-c", f], { maxBuffer: 64 << 20 }).length;


/** Sizes of a wasm file's sections, raw and gzip -9 (what the bundle's bytes are spent on). */
function wasmSections(file) {
  const b = readFileSync(file);
  const names = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount", "tag"];
  let i = 8;
  const leb = () => { let r = 0, sh = 0, x; do { x = b[i++]; r |= (x & 0x7f) << sh; sh += 7; } while (x & 0x80); return r >>> 0; };
  const out = {};
  while (i < b.length) {
    const id = b[i++];
    const size = leb();
    const start = i;
    let name = names[id] ?? `section${id}`;
    if (id === 0) { const n = leb(); name = `custom:${b.subarray(i, i + n).toString()}`; }
    out[name] = { raw: size, gzip9: zlib.gzipSync(b.subarray(start, start + size), { level: 9 }).length };
    i = start + size;
  }
  return out;
}

function sizes() {
  const f = (p) => path.join(root, p);
  const wasm = f("worker/build/index_bg.wasm");
  const js = f("worker/build/index.js");
  const ui = f("admin-ui/dist/admin-ui_bg.wasm");
  const raw = (p) => (existsSync(p) ? readFileSync(p).length : null);
  const gz = (p) => (existsSync(p) ? gzSize(p) : null);
  return {
    worker_wasm: { raw: raw(wasm), gzip9: gz(wasm) },
    worker_js: { raw: raw(js), gzip9: gz(js) },
    worker_total_gzip9: existsSync(wasm) && existsSync(js) ? gz(wasm) + gz(js) : null,
    admin_ui_wasm: { raw: raw(ui), gzip9: gz(ui) },
    worker_wasm_sections: existsSync(wasm) ? wasmSections(wasm) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// The run.

async function main() {
  mkdirSync(path.join(root, "build-output"), { recursive: true });
  const started = new Date();
  const res = { started_at: started.toISOString(), quick: QUICK, machine: machine(), sizes: sizes(), config: {
    durations_s: SEC, stream: { requests: STREAM_N, events: STREAM_EVENTS, gap_ms: STREAM_GAP_MS }, goals: GOALS,
    request: { path: MODEL_PATH, body_bytes: BODY.length }, pool_keys: POOL_KEYS.length, clk_tck: CLK_TCK } };
  const stops = [];
  try {
    log("starting the fake upstream (release profile) …");
    const up = await startFastUpstream();
    stops.push(async () => up.stop());
    await up.config({ record: false });
    await up.rules([sseRule()]);

    log("starting the bare Worker and the gateway under wrangler dev …");
    const base = await startBaseline(up.url);
    stops.push(base.stop);
    const gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN } });
    stops.push(gw.stop);
    tempDirs.push(gw.persistTo);
    const gwPort = Number(new URL(gw.url).port);

    log("provisioning keys and a client token through the admin API …");
    const { admin, token } = await provision(gw.url);
    const cfg = await admin.get("/api/v1/config");
    const cfgValues = cfg.body?.values ?? cfg.body ?? {};
    const logField = ["log_enabled", "log_requests"].find((k) => typeof cfgValues[k] === "boolean") ?? null;
    res.config.log_switch = logField ? { field: logField, default: cfgValues[logField] } : null;

    const targets = {
      direct: { url: up.url, key: DIRECT_KEY, procs: null },
      bare: { url: base.url, key: DIRECT_KEY, procs: wranglerProcs(base.port) },
      gateway: { url: gw.url, key: token, procs: wranglerProcs(gwPort) },
    };
    res.processes = { bare: targets.bare.procs, gateway: targets.gateway.procs };

    // Sanity: every target answers the benchmark request correctly.
    for (const [name, t] of Object.entries(targets)) await preflight(name, t);

    res.background_before = round(await waitQuiet(), 2);
    const idleRss = { bare: rssKb(targets.bare.procs.runtime), gateway: rssKb(targets.gateway.procs.runtime) };

    const load = (t, conns, secs, extra = {}) => sampled(t.procs, () => wrk({ url: t.url + (extra.path ?? MODEL_PATH), conns, secs, key: t.key, ...extra }));

    // Each kind of measurement runs on every target back to back, so that background load
    // (other processes on the box) hits them alike. With a logging switch, the gateway runs twice
    // per kind: logging on, then off.
    const variants = [["direct", targets.direct], ["bare", targets.bare]];
    const setLogging = async (on) => {
      const p = await admin.patch("/api/v1/config", { [logField]: on });
      if (p.status !== 200) throw new Error(`PATCH /api/v1/config ${logField}: ${p.status} ${p.text}`);
    };
    if (logField) {
      variants.push(["gateway_log_on", targets.gateway, () => setLogging(true)], ["gateway_log_off", targets.gateway, () => setLogging(false)]);
    } else {
      variants.push(["gateway", targets.gateway]);
    }
    const kinds = [
      ["lat1", (t) => load(t, 1, SEC.lat)],
      ["c32", (t) => load(t, 32, SEC.tput)],
      ["c128", (t) => load(t, 128, SEC.tput)],
      ["stream", (t) => sampled(t.procs, () => streaming(t.url + STREAM_PATH, t.key))],
    ];
    res.runs = Object.fromEntries(variants.map(([n]) => [n, {}]));
    for (const [name, t] of [["direct", targets.direct], ["bare", targets.bare], ["gateway", targets.gateway]]) {
      log(`warming up ${name} …`);
      await load(t, 32, SEC.warm);
    }
    for (const [kind, measure] of kinds) {
      for (const [name, t, prepare] of variants) {
        log(`${kind}: ${name} …`);
        if (prepare) await prepare();
        res.runs[name][kind] = await measure(t);
      }
    }
    if (logField) {
      await setLogging(cfgValues[logField]);
      res.runs.gateway = res.runs.gateway_log_on;
    }

    // Where the time goes, at c=1: the plumbing floor (JS, no I/O), the gateway's wasm with no
    // I/O (/healthz), with one D1 batch (an unknown token → 401), and the full proxy.
    log("diagnostics: per-stage latency at c=1 …");
    res.diagnostics = {
      bare_local_reply: await load(targets.bare, 1, SEC.diag, { path: "/__bench/local", method: "GET" }),
      gateway_healthz: await load(targets.gateway, 1, SEC.diag, { path: "/healthz", method: "GET" }),
      gateway_bad_token_401: await load({ ...targets.gateway, key: "gp_bench_unknown_token_0000000000000000000000000" }, 1, SEC.diag),
      // One request at a time with 30 ms between them: each request's own path, without the
      // after-response work (log write) of the one before it.
      bare_paced: await load(targets.bare, 1, SEC.diag, { pauseMs: PAUSE_MS }),
      gateway_paced: await load(targets.gateway, 1, SEC.diag, { pauseMs: PAUSE_MS }),
    };

    // What a request costs the platform (Server-Timing, the request log's cost columns).
    log("per-request cost …");
    res.cost = await costProbe({ url: targets.gateway.url, key: token, query: gw.query });

    // After the load: is every key still active, and did the gateway log errors?
    const keys = await admin.get("/api/v1/keys?per_page=100");
    const list = Array.isArray(keys.body) ? keys.body : keys.body?.items ?? keys.body?.keys ?? [];
    res.after = {
      key_status: list.reduce((m, k) => ({ ...m, [k.status]: (m[k.status] ?? 0) + 1 }), {}),
      ...logErrors(gw.logs()),
      background_after: null,
    };
    res.idle_rss_kb = idleRss;

    // The same bare Worker and gateway through wrangler's dev API with the DevTools inspector
    // off (which the `wrangler dev` command cannot do), then the gateway again with its local
    // D1/DO state on tmpfs (no fsync): how much of the overhead is dev tooling and local disk.
    log("stopping wrangler dev; inspector-off setups …");
    await gw.stop();
    await base.stop();
    const ni = {};
    const niBase = await startNoInspector({ config: path.join(root, "bench", "baseline", "wrangler.toml"), vars: { UPSTREAM: up.url },
      persist: tempDir(os.tmpdir(), "poise-bench-ni-baseline-") });
    stops.push(niBase.stop);
    const niGw = await startNoInspector({ config: path.join(root, "wrangler.toml"), vars: { UPSTREAM_BASE_URL: up.url, ADMIN_SETUP_TOKEN: SETUP_TOKEN },
      persist: tempDir(os.tmpdir(), "poise-bench-ni-gateway-"), migrateDb: true });
    stops.push(niGw.stop);
    const niTargets = {
      bare: { url: niBase.url, key: DIRECT_KEY, procs: wranglerProcs(niBase.port) },
      gateway: { url: niGw.url, key: (await provision(niGw.url)).token, procs: wranglerProcs(niGw.port) },
    };
    for (const [name, t] of Object.entries(niTargets)) { await preflight(`${name} (inspector off)`, t); await load(t, 32, SEC.warm); }
    for (const [kind, conns, secs] of [["lat1", 1, SEC.lat], ["c32", 32, SEC.tput]]) {
      for (const [name, t] of Object.entries(niTargets)) {
        log(`inspector off, ${kind}: ${name} …`);
        (ni[name] ??= {})[kind] = await load(t, conns, secs);
      }
    }
    for (const [name, t] of Object.entries(niTargets)) {
      log(`inspector off, stream: ${name} …`);
      ni[name].stream = await sampled(t.procs, () => streaming(t.url + STREAM_PATH, t.key));
    }
    await niGw.stop();
    const shm = "/dev/shm";
    if (existsSync(shm)) {
      const tmpGw = await startNoInspector({ config: path.join(root, "wrangler.toml"), vars: { UPSTREAM_BASE_URL: up.url, ADMIN_SETUP_TOKEN: SETUP_TOKEN },
        persist: tempDir(shm, "poise-bench-ni-tmpfs-"), migrateDb: true });
      stops.push(tmpGw.stop);
      const t = { url: tmpGw.url, key: (await provision(tmpGw.url)).token, procs: wranglerProcs(tmpGw.port) };
      await preflight("gateway (inspector off, tmpfs)", t);
      await load(t, 32, SEC.warm);
      ni.gateway_tmpfs = {};
      for (const [kind, conns, secs] of [["lat1", 1, SEC.lat], ["c32", 32, SEC.tput]]) {
        log(`inspector off, state on tmpfs, ${kind}: gateway …`);
        ni.gateway_tmpfs[kind] = await load(t, conns, secs);
      }
      await tmpGw.stop();
    }
    res.inspector_off = ni;
    res.after.background_after = round(await (async () => { const m = foreignMeter(); await sleep(1000); return m(); })(), 2);
  } finally {
    for (const stop of stops.reverse()) { try { await stop(); } catch { /* best effort */ } }
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  }
  // A concurrent UI build can leave admin-ui/dist without its wasm for a while: wait (bounded)
  // and measure again.
  for (let i = 0; i < 60 && (res.sizes.admin_ui_wasm.raw == null || res.sizes.worker_wasm.raw == null); i++) {
    if (i === 0) log("admin-ui/dist or worker/build has no wasm right now (a concurrent build?); waiting up to 60 s …");
    await sleep(1000);
    res.sizes = sizes();
  }
  res.finished_at = new Date().toISOString();
  res.elapsed_s = round((Date.now() - started.getTime()) / 1000, 1);
  res.summary = summarise(res);
  const md = renderMarkdown(res);
  writeFileSync(path.join(root, "build-output", "bench.json"), JSON.stringify(res, null, 2) + "\n");
  writeFileSync(path.join(root, "build-output", "bench.md"), md);
  if (WRITE_DOC) writeDoc(md);
  console.log(md);
  log(`wrote build-output/bench.json and build-output/bench.md${WRITE_DOC ? " and BENCHMARKS.md" : ""} (${res.elapsed_s} s)`);
}

// ---------------------------------------------------------------------------------------------
// Summary, table, BENCHMARKS.md.

/** Error lines in wrangler's output; "Broken pipe" ones are wrk closing its connections with
 *  requests still in flight at the end of a run (benign), counted apart. */
function logErrors(text) {
  const lines = text.replace(/\x1b\[[0-9;]*m/g, "").split("\n").filter((l) => /error|panic|exception|uncaught/i.test(l));
  const disconnect = (l) => /Broken pipe|disconnected|Connection reset/i.test(l);
  return {
    gateway_log_error_lines: lines.filter((l) => !disconnect(l)).slice(0, 20),
    gateway_log_client_disconnects: lines.filter(disconnect).length,
  };
}

function cpuPerReq(run) {
  if (!run || run.workerd_ms == null || !run.requests) return null;
  return { total_ms: round(run.workerd_ms / run.requests, 3), runtime_ms: round(run.runtime_ms / run.requests, 3), proxy_ms: round(run.proxy_ms / run.requests, 3) };
}

function summarise(r) {
  const d = r.runs.direct, b = r.runs.bare, g = r.runs.gateway;
  const s = {
    added_p50_vs_bare_ms: round(g.lat1.latency_ms.p50 - b.lat1.latency_ms.p50, 3),
    added_p99_vs_bare_ms: round(g.lat1.latency_ms.p99 - b.lat1.latency_ms.p99, 3),
    added_p50_vs_direct_ms: round(g.lat1.latency_ms.p50 - d.lat1.latency_ms.p50, 3),
    added_p99_vs_direct_ms: round(g.lat1.latency_ms.p99 - d.lat1.latency_ms.p99, 3),
    tput_ratio_c32: round(g.c32.ok_rps / b.c32.ok_rps, 3),
    tput_ratio_c128: round(g.c128.ok_rps / b.c128.ok_rps, 3),
    ttfb_vs_bare_ms: round(g.stream.ttfb_ms - b.stream.ttfb_ms, 2),
    total_vs_bare_ms: round(g.stream.total_ms - b.stream.total_ms, 2),
    cpu_per_req: { bare_c32: cpuPerReq(b.c32), gateway_c32: cpuPerReq(g.c32), bare_c128: cpuPerReq(b.c128), gateway_c128: cpuPerReq(g.c128) },
    rss_c128_kb: { bare: b.c128.rss_peak_kb, gateway: g.c128.rss_peak_kb },
    worker_gzip9: r.sizes.worker_total_gzip9,
  };
  s.goals = {
    added_p50: { goal: `≤ ${GOALS.addedP50Ms} ms`, value: s.added_p50_vs_bare_ms, met: s.added_p50_vs_bare_ms <= GOALS.addedP50Ms },
    tput_c32: { goal: `≥ ${GOALS.tputRatio32 * 100} %`, value: s.tput_ratio_c32, met: s.tput_ratio_c32 >= GOALS.tputRatio32 },
    stream_ttfb: { goal: `≤ ${GOALS.ttfbMs} ms`, value: s.ttfb_vs_bare_ms, met: s.ttfb_vs_bare_ms <= GOALS.ttfbMs },
    worker_size: { goal: `≤ ${GOALS.workerGzBytes / 1000} KB`, value: s.worker_gzip9, met: s.worker_gzip9 <= GOALS.workerGzBytes },
  };
  return s;
}

const ms = (x) => (x == null ? "–" : `${x.toFixed(x < 10 ? 2 : 1)} ms`);
const signed = (x) => (x == null ? "–" : `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)} ms`);
const kb = (b) => (b == null ? "–" : `${(b / 1000).toFixed(1)} KB`);
const mb = (k) => (k == null ? "–" : `${(k / 1024).toFixed(0)} MiB`);
const met = (g) => (g.met ? "**met**" : "**not met**");
const errs = (run) => {
  const e = run.errors;
  const parts = Object.entries(e).filter(([, v]) => v > 0).map(([k, v]) => `${v} ${k}`);
  return parts.length ? parts.join(", ") : "0";
};

function renderMarkdown(r) {
  const d = r.runs.direct, b = r.runs.bare, g = r.runs.gateway, s = r.summary, G = s.goals;
  const lines = [];
  const row = (...c) => lines.push(`| ${c.join(" | ")} |`);
  lines.push(`Run ${r.started_at} (${r.elapsed_s} s${r.quick ? ", --quick: noisy" : ""}).`);
  lines.push("");
  row("Metric", "Direct upstream", "Bare Worker", "Gateway", "Gateway − bare", "Gateway − direct", "Goal");
  row("---", "---:", "---:", "---:", "---:", "---:", "---");
  row("Latency p50, c=1", ms(d.lat1.latency_ms.p50), ms(b.lat1.latency_ms.p50), ms(g.lat1.latency_ms.p50), signed(s.added_p50_vs_bare_ms), signed(s.added_p50_vs_direct_ms), `${G.added_p50.goal} over bare: ${met(G.added_p50)}`);
  row("Latency p99, c=1", ms(d.lat1.latency_ms.p99), ms(b.lat1.latency_ms.p99), ms(g.lat1.latency_ms.p99), signed(s.added_p99_vs_bare_ms), signed(s.added_p99_vs_direct_ms), "");
  for (const c of ["c32", "c128"]) {
    const n = c.slice(1);
    const ratio = s[`tput_ratio_${c}`];
    row(`Throughput, c=${n}`, `${d[c].ok_rps} req/s`, `${b[c].ok_rps} req/s`, `${g[c].ok_rps} req/s`, `${(ratio * 100).toFixed(0)} % of bare`, `${((g[c].ok_rps / d[c].ok_rps) * 100).toFixed(1)} % of direct`,
      c === "c32" ? `${G.tput_c32.goal} of bare: ${met(G.tput_c32)}` : "");
    row(`Errors, c=${n}`, errs(d[c]), errs(b[c]), errs(g[c]), "", "", "");
    row(`Latency p50 / p99, c=${n}`, `${ms(d[c].latency_ms.p50)} / ${ms(d[c].latency_ms.p99)}`, `${ms(b[c].latency_ms.p50)} / ${ms(b[c].latency_ms.p99)}`, `${ms(g[c].latency_ms.p50)} / ${ms(g[c].latency_ms.p99)}`, "", "", "");
  }
  row(`Streaming first byte (median of ${r.config.stream.requests})`, ms(d.stream.ttfb_ms), ms(b.stream.ttfb_ms), ms(g.stream.ttfb_ms), signed(s.ttfb_vs_bare_ms), signed(g.stream.ttfb_ms - d.stream.ttfb_ms), `${G.stream_ttfb.goal} over bare: ${met(G.stream_ttfb)}`);
  row(`Streaming total (${r.config.stream.events} events ${r.config.stream.gap_ms} ms apart)`, ms(d.stream.total_ms), ms(b.stream.total_ms), ms(g.stream.total_ms), signed(s.total_vs_bare_ms), signed(g.stream.total_ms - d.stream.total_ms), "");
  row("Streaming errors", String(d.stream.errors), String(b.stream.errors), String(g.stream.errors), "", "", "");
  const cpu = (x) => (x ? `${x.total_ms.toFixed(2)} ms (worker ${x.runtime_ms.toFixed(2)} + dev proxy ${x.proxy_ms.toFixed(2)})` : "–");
  row("workerd CPU per request, c=32", "–", cpu(s.cpu_per_req.bare_c32), cpu(s.cpu_per_req.gateway_c32), s.cpu_per_req.gateway_c32 && s.cpu_per_req.bare_c32 ? `+${(s.cpu_per_req.gateway_c32.total_ms - s.cpu_per_req.bare_c32.total_ms).toFixed(2)} ms` : "–", "", "");
  row("workerd CPU per request, c=128", "–", cpu(s.cpu_per_req.bare_c128), cpu(s.cpu_per_req.gateway_c128), s.cpu_per_req.gateway_c128 && s.cpu_per_req.bare_c128 ? `+${(s.cpu_per_req.gateway_c128.total_ms - s.cpu_per_req.bare_c128.total_ms).toFixed(2)} ms` : "–", "", "");
  const nodeCpu = (x) => (x && x.requests ? `${(x.wrangler_node_ms / x.requests).toFixed(2)} ms` : "–");
  row("wrangler (node) CPU per request, c=32 (dev inspector relay)", "–", nodeCpu(b.c32), nodeCpu(g.c32), "", "", "");
  row("workerd RSS, peak during c=128 (worker process; both workerd)", "–", `${mb(b.c128.rss_peak_kb.runtime)}; ${mb(b.c128.rss_peak_kb.total)}`, `${mb(g.c128.rss_peak_kb.runtime)}; ${mb(g.c128.rss_peak_kb.total)}`, "", "", "");
  row("workerd RSS, idle after start-up (worker process)", "–", mb(r.idle_rss_kb.bare), mb(r.idle_rss_kb.gateway), "", "", "");
  const sz = r.sizes;
  row("Worker bundle, gzip -9 (index_bg.wasm + index.js)", "", "", `${kb(sz.worker_total_gzip9)} (${kb(sz.worker_wasm.gzip9)} + ${kb(sz.worker_js.gzip9)}; raw ${kb(sz.worker_wasm.raw)} + ${kb(sz.worker_js.raw)})`, "", "", `${G.worker_size.goal}: ${met(G.worker_size)}`);
  const secs = sz.worker_wasm_sections ?? {};
  const big = Object.entries(secs).filter(([, v]) => v.gzip9 > 2000).sort((a, b) => b[1].gzip9 - a[1].gzip9).map(([k, v]) => `${k} ${kb(v.gzip9)}`).join(", ");
  row("Worker wasm by section, gzip -9 each", "", "", big || "–", "", "", "");
  row("Admin UI wasm, gzip -9 (admin-ui_bg.wasm)", "", "", `${kb(sz.admin_ui_wasm.gzip9)} (raw ${kb(sz.admin_ui_wasm.raw)})`, "", "", "");
  if (r.config.log_switch) {
    const on = r.runs.gateway_log_on, off = r.runs.gateway_log_off;
    row(`Logging on / off (\`${r.config.log_switch.field}\`): p50 c=1`, "", "", `${ms(on.lat1.latency_ms.p50)} / ${ms(off.lat1.latency_ms.p50)}`, `${signed(on.lat1.latency_ms.p50 - b.lat1.latency_ms.p50)} / ${signed(off.lat1.latency_ms.p50 - b.lat1.latency_ms.p50)}`, "", "");
    row("Logging on / off: throughput c=32", "", "", `${on.c32.ok_rps} / ${off.c32.ok_rps} req/s`, `${((on.c32.ok_rps / b.c32.ok_rps) * 100).toFixed(0)} % / ${((off.c32.ok_rps / b.c32.ok_rps) * 100).toFixed(0)} %`, "", "");
    row("Logging on / off: throughput c=128", "", "", `${on.c128.ok_rps} / ${off.c128.ok_rps} req/s`, `${((on.c128.ok_rps / b.c128.ok_rps) * 100).toFixed(0)} % / ${((off.c128.ok_rps / b.c128.ok_rps) * 100).toFixed(0)} %`, "", "");
    row("Logging on / off: streaming first byte", "", "", `${ms(on.stream.ttfb_ms)} / ${ms(off.stream.ttfb_ms)}`, `${signed(on.stream.ttfb_ms - b.stream.ttfb_ms)} / ${signed(off.stream.ttfb_ms - b.stream.ttfb_ms)}`, "", "");
  } else {
    row("Logging on/off", "", "", "**pending (config switch not yet available)**", "", "", "measured once, with the gateway's default logging");
  }
  lines.push("");
  if (r.cost) lines.push(...renderCost(r.cost));
  const dg = r.diagnostics;
  lines.push("Where the time goes (p50 at c=1, each probe alone):");
  lines.push("");
  row("Probe", "p50", "p99", "CPU / request: worker workerd", "dev-proxy workerd", "wrangler (node)");
  row("---", "---:", "---:", "---:", "---:", "---:");
  const per = (v, x) => (v != null && x.requests ? `${(v / x.requests).toFixed(2)} ms` : "–");
  const probe = (name, x) => row(name, ms(x.latency_ms.p50), ms(x.latency_ms.p99), per(x.runtime_ms, x), per(x.proxy_ms, x), per(x.wrangler_node_ms, x));
  probe("Bare Worker, local reply (wrangler dev plumbing, no upstream)", dg.bare_local_reply);
  probe("Bare Worker, pass-through to the upstream", b.lat1);
  probe("Gateway `/healthz` (wasm, no I/O)", dg.gateway_healthz);
  probe("Gateway, unknown token → 401 (one D1 batch)", dg.gateway_bad_token_401);
  probe(`Gateway, proxied request${r.config.log_switch ? ", logging on" : ""}`, g.lat1);
  if (r.config.log_switch) probe("Gateway, proxied request, logging off", r.runs.gateway_log_off.lat1);
  if (dg.bare_paced) {
    probe(`Bare Worker, paced (${PAUSE_MS} ms between requests)`, dg.bare_paced);
    probe(`Gateway, paced (${PAUSE_MS} ms between requests)`, dg.gateway_paced);
  }
  lines.push("");
  if (r.inspector_off) {
    const ni = r.inspector_off;
    const cpuAll = (x) => (x && x.requests ? (x.workerd_ms + x.wrangler_node_ms) / x.requests : null);
    lines.push("Dev tooling and local disk: the same Workers without the DevTools inspector (wrangler's `unstable_startWorker` with `inspector: false`; `wrangler dev` itself cannot turn it off), and the gateway's local D1/DO state on tmpfs:");
    lines.push("");
    row("Setup", "Bare p50, c=1", "Gateway p50, c=1", "Gateway − bare", "Bare req/s, c=32", "Gateway req/s, c=32", "Gateway / bare", "Streaming first byte, gateway − bare", "CPU / request, c=32 (workerd + node): bare / gateway");
    row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:");
    const setup = (name, bb, gg) => row(name, ms(bb.lat1.latency_ms.p50), ms(gg.lat1.latency_ms.p50), signed(gg.lat1.latency_ms.p50 - bb.lat1.latency_ms.p50),
      String(bb.c32.ok_rps), String(gg.c32.ok_rps), `${((gg.c32.ok_rps / bb.c32.ok_rps) * 100).toFixed(0)} %`,
      bb.stream && gg.stream ? signed(gg.stream.ttfb_ms - bb.stream.ttfb_ms) : "–",
      `${cpuAll(bb.c32)?.toFixed(2) ?? "–"} / ${cpuAll(gg.c32)?.toFixed(2) ?? "–"} ms`);
    setup("`wrangler dev` (inspector on; the table above)", b, g);
    setup("Inspector off", ni.bare, ni.gateway);
    if (ni.gateway_tmpfs) setup("Inspector off, gateway state on tmpfs", ni.bare, ni.gateway_tmpfs);
    lines.push("");
  }
  const fg = [["direct c=1", d.lat1], ["bare c=1", b.lat1], ["gateway c=1", g.lat1], ["bare c=32", b.c32], ["gateway c=32", g.c32], ["bare c=128", b.c128], ["gateway c=128", g.c128]]
    .map(([n, x]) => `${n} ${x.foreign_cores}`).join(", ");
  lines.push(`Background load (CPU cores used by processes outside the benchmark, per measurement): ${fg}.`);
  const worst = Math.max(...Object.values(r.runs).flatMap((v) => Object.values(v).map((x) => x.foreign_cores ?? 0)));
  if (worst > 0.3) lines.push(`**Warning:** other processes used up to ${worst.toFixed(2)} of the ${r.machine.cores} cores during a measurement; these numbers are disturbed.`);
  if (r.after) {
    lines.push(`After the load: pool key status ${JSON.stringify(r.after.key_status)}; gateway log lines mentioning errors: ${r.after.gateway_log_error_lines.length} (plus ${r.after.gateway_log_client_disconnects} "Broken pipe" lines from wrk closing connections at the end of a run).`);
  }
  const m = r.machine;
  lines.push("");
  lines.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GiB RAM; ${m.os}; Node ${m.node}, wrangler ${m.wrangler}, ${m.workerd}; ${m.wrk}. Load average at start ${m.load_avg_at_start.join(" / ")}.`);
  return lines.join("\n") + "\n";
}

function writeDoc(md) {
  const file = path.join(root, "BENCHMARKS.md");
  const begin = "<!-- bench:begin (generated by `npm run bench -- --write-doc`) -->";
  const end = "<!-- bench:end -->";
  const text = existsSync(file) ? readFileSync(file, "utf8") : `# Benchmarks\n\n${begin}\n${end}\n`;
  const i = text.indexOf(begin), j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error("BENCHMARKS.md: generated-section markers not found");
  writeFileSync(file, `${text.slice(0, i + begin.length)}\n${md}${text.slice(j)}`);
}

if (args.has("--soak")) {
  import("./soak.mjs").then((m) => m.runSoak(process.argv.slice(2))).then((passed) => process.exit(passed ? 0 : 1), (e) => { console.error("[soak] failed:", e); process.exit(1); });
} else {
  main().then(() => process.exit(0), (e) => { console.error("[bench] failed:", e); process.exit(1); });
}
