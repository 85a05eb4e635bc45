// `npm run bench -- --soak`: does the local mode last? N proxied requests (200,000 by default)
// at a fixed concurrency through the gateway as `npm start` runs it (scripts/serve.mjs: wrangler's
// dev engine without the DevTools inspector), against the release-profile fake upstream.
//
//   npm run bench -- --soak [--soak-requests N] [--soak-concurrency C] [--soak-target serve|wrangler-dev] [--soak-bare] [--write-doc]
//
// Reports: client errors (any non-200 or socket error; must be 0), the RSS of every process
// (the serving node process, its workerd process(es), the fake upstream, this load generator) at
// start (after a warm-up of 10 % of the run), middle and end (flat = middle and end within 10 % of start), the request-log row
// count (must equal the proxied requests), /api/v1/logs/health, and a clean restart on the same
// state (SIGTERM, start again, the same client token still works, no log row lost).
// `--soak-target wrangler-dev` runs the same load through plain `wrangler dev` (inspector on) to
// show the leak that serve.mjs avoids; expect it to fail the memory check. `--soak-bare` runs the
// bare pass-through Worker (bench/baseline) instead of the gateway: what the engine itself does.
// Results: printed, written to build-output/soak.json and .md; --write-doc also replaces the
// generated soak section of BENCHMARKS.md.
import { spawn, execFile } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { promisify } from "node:util";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { root } from "../test/support/paths.mjs";
import { freePort, migrate } from "../test/support/gateway.mjs";
import { SETUP_TOKEN } from "../test/support/admin.mjs";
import { fakeKey } from "../test/support/keys.mjs";
import { MODEL_PATH, BODY, cmdline, rssKb, procTable, descendants, startFastUpstream, provision, preflight, round, machine } from "./common.mjs";

const execFileAsync = promisify(execFile);
const wranglerCli = path.join(root, "node_modules", "wrangler", "wrangler-dist", "cli.js");
const log = (...a) => console.error("[soak]", ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quietEnv = {
  ...process.env, CI: "true", POISE_SKIP_BUILD: "1", POISE_LOG_LEVEL: "warn",
  WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false",
};
const LOADGEN = "load generator (node)";
/** Memory may grow at most this much between the start and the end sample. */
const FLAT = 0.1;

function options(argv) {
  const opt = { requests: 200_000, concurrency: 16, target: "serve", bare: argv.includes("--soak-bare"), writeDoc: argv.includes("--write-doc") };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === "--soak-requests") opt.requests = Number(v);
    if (argv[i] === "--soak-concurrency") opt.concurrency = Number(v);
    if (argv[i] === "--soak-target") opt.target = v;
  }
  if (!Number.isInteger(opt.requests) || opt.requests < 100) throw new Error("--soak-requests: an integer ≥ 100");
  if (!Number.isInteger(opt.concurrency) || opt.concurrency < 1) throw new Error("--soak-concurrency: an integer ≥ 1");
  if (!["serve", "wrangler-dev"].includes(opt.target)) throw new Error("--soak-target: serve or wrangler-dev");
  // Warm-up before the "start" memory sample. workerd's RSS climbs for the first ~15,000
  // requests (V8 heaps of the Worker's and the simulators' isolates sizing up) and then holds
  // (measured: ~500 MiB for the gateway, the same shape for the bare Worker), so the start sample
  // comes after 10 % of the run (at least 500 requests). The warm-up's own figures are reported.
  opt.warmup = Math.max(500, Math.round(opt.requests * 0.1));
  return opt;
}

/** Starts the local mode (or plain `wrangler dev`) on `persist`; resolves to { url, port, child, stop }. */
async function startLocal({ target, bare, upstream, persist, port }) {
  const vars = bare ? { UPSTREAM: upstream } : { UPSTREAM_BASE_URL: upstream, ADMIN_SETUP_TOKEN: SETUP_TOKEN };
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const config = path.join(root, ...(bare ? ["bench", "baseline", "wrangler.toml"] : ["wrangler.toml"]));
  const health = bare ? "/__bench/local" : "/healthz";
  const args = target === "serve"
    ? [path.join(root, "scripts", "serve.mjs"), "--config", config, "--port", String(port), "--persist", persist, ...varArgs]
    : [wranglerCli, "dev", "--config", config, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), "--persist-to", persist,
      "--show-interactive-dev-session=false", "--log-level", "warn", ...varArgs];
  // The bare Worker has no /healthz for serve.mjs's watchdog.
  const env = bare ? { ...quietEnv, POISE_WATCHDOG: "0" } : quietEnv;
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr.on("data", (d) => { output += d; });
  createInterface({ input: child.stdout }).on("line", (l) => { output += `${l}\n`; });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((_, rej) => child.once("exit", (c) => rej(new Error(`${target} exited (${c}):\n${output}`))));
  const deadline = Date.now() + 90_000;
  await Promise.race([exited, (async () => {
    for (;;) {
      try { if ((await fetch(url + health)).status === 200) return; } catch { /* not yet */ }
      if (Date.now() > deadline) throw new Error(`${target} did not start:\n${output}`);
      await sleep(100);
    }
  })()]);
  exited.catch(() => {});
  return {
    url, port, child, logs: () => output,
    /** SIGTERM (serve) / SIGINT (wrangler dev); resolves to { code, seconds }. */
    stop: async () => {
      if (child.exitCode !== null) return { code: child.exitCode, seconds: 0 };
      const t0 = performance.now();
      const done = new Promise((r) => child.once("exit", (code, signal) => r(code ?? signal)));
      child.kill(target === "serve" ? "SIGTERM" : "SIGINT");
      const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await done;
      clearTimeout(kill);
      return { code, seconds: round((performance.now() - t0) / 1000, 2) };
    },
  };
}

/** Every process whose memory matters, labelled. */
function processes(gw, upstreamPid) {
  const table = procTable();
  const workerd = descendants(gw.child.pid, table).filter((s) => s.comm === "workerd");
  const proxy = workerd.find((s) => cmdline(s.pid).some((a) => a.includes(`entry=127.0.0.1:${gw.port}`)));
  const out = { "node (serving)": gw.child.pid };
  // serve.mjs runs one workerd; `wrangler dev` two (its dev proxy in front of the Worker's).
  for (const w of workerd) out[w === proxy && workerd.length > 1 ? "workerd (dev proxy)" : "workerd (Worker + local D1/KV/DO)"] = w.pid;
  out["fake upstream"] = upstreamPid;
  out[LOADGEN] = process.pid;
  return out;
}
/** RSS of each process, found again by role (a restarted workerd has a new pid; it is reported). */
function memory(gw, upstreamPid, seen) {
  const now = processes(gw, upstreamPid);
  for (const [name, pid] of Object.entries(now)) {
    if (seen[name] !== undefined && seen[name] !== pid) log(`${name}: pid ${seen[name]} → ${pid} (restarted)`);
    (seen.pids ??= {})[name] = [...new Set([...(seen.pids[name] ?? []), pid])];
    seen[name] = pid;
  }
  return Object.fromEntries(Object.entries(now).map(([name, pid]) => [name, rssKb(pid)]));
}

/**
 * Sends `total` requests with `concurrency` connections (keep-alive); calls `at(n)` (awaited,
 * with the load paused) when n requests have completed, for each n in `marks`.
 */
async function load({ url, key, total, concurrency, marks = [], at = async () => {} }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = {};
  const errors = {};
  const lat = new Float64Array(total);
  let issued = 0;
  let done = 0;
  const pending = [...marks].sort((a, b) => a - b);
  let gate = null; // a promise while a mark's callback runs
  const one = () => new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(url + MODEL_PATH, {
      method: "POST", agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(BODY), "x-goog-api-key": key },
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => { text += d; });
      res.on("end", () => {
        const ok = res.statusCode === 200 && text.includes("Hello from fake upstream");
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (!ok) { errors[`http ${res.statusCode}`] = (errors[`http ${res.statusCode}`] ?? 0) + 1; if (!errors.first) errors.first = text.slice(0, 300); }
        resolve(performance.now() - t0);
      });
      res.on("error", (e) => { errors[e.code ?? e.message] = (errors[e.code ?? e.message] ?? 0) + 1; resolve(performance.now() - t0); });
    });
    req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
    req.on("error", (e) => { errors[e.code ?? e.message] = (errors[e.code ?? e.message] ?? 0) + 1; resolve(performance.now() - t0); });
    req.end(BODY);
  });
  const t0 = performance.now();
  let paused = 0;
  const worker = async () => {
    for (;;) {
      while (gate) await gate;
      if (issued >= total) return;
      // Do not run past the next mark: the sample is taken with exactly `mark` requests done.
      if (pending.length && issued >= pending[0]) { await sleep(1); continue; }
      issued++;
      lat[done] = await one();
      done++;
      if (pending.length && done === pending[0]) {
        const mark = pending.shift();
        const p0 = performance.now();
        gate = at(mark).finally(() => { gate = null; paused += performance.now() - p0; });
        await gate;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  const secs = (performance.now() - t0 - paused) / 1000;
  const sorted = Array.from(lat.subarray(0, done)).sort((a, b) => a - b);
  const q = (p) => round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))], 2);
  const errorTotal = Object.entries(errors).filter(([k]) => k !== "first").reduce((a, [, v]) => a + v, 0);
  return { requests: done, seconds: round(secs, 1), rps: round(done / secs, 1), statuses, errors, error_total: errorTotal,
    latency_ms: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: round(sorted[sorted.length - 1], 1) } };
}

/** COUNT(*) of the request log, read from the local D1 the gateway writes. */
async function logRows(persist) {
  const { stdout } = await execFileAsync(process.execPath, [wranglerCli, "d1", "execute", "DB", "--local", "--persist-to", persist, "--json",
    "--command", "SELECT COUNT(*) AS n, SUM(CASE WHEN status = 200 THEN 1 ELSE 0 END) AS ok FROM request_logs"], { cwd: root, env: quietEnv, encoding: "utf8" });
  const row = JSON.parse(stdout)[0].results[0];
  return { rows: row.n, ok_rows: row.ok ?? 0 };
}

/** Waits (≤ 60 s) for the log to reach `expected` rows (batched writes may trail the replies). */
async function settledLogRows(persist, expected) {
  const deadline = Date.now() + 60_000;
  let last = await logRows(persist);
  while (last.rows < expected && Date.now() < deadline) {
    await sleep(2000);
    last = await logRows(persist);
  }
  return last;
}

export async function runSoak(argv) {
  const opt = options(argv);
  mkdirSync(path.join(root, "build-output"), { recursive: true });
  const started = new Date();
  const res = { started_at: started.toISOString(), target: opt.target, bare: opt.bare, machine: machine(),
    config: { requests: opt.requests, concurrency: opt.concurrency, warmup: opt.warmup, request: MODEL_PATH, flat_within: FLAT } };
  const persist = mkdtempSync(path.join(os.tmpdir(), "poise-soak-"));
  const stops = [];
  try {
    const up = await startFastUpstream();
    stops.push(async () => up.stop());
    await up.config({ record: false });
    migrate(persist);
    const port = await freePort();
    log(`starting the gateway (${opt.target}) …`);
    let gw = await startLocal({ target: opt.target, bare: opt.bare, upstream: up.url, persist, port });
    stops.push(() => gw.stop());
    const { admin, token } = opt.bare ? { admin: null, token: fakeKey("SOAKBARE") } : await provision(gw.url);
    await preflight("gateway", { url: gw.url, key: token });
    const procs = processes(gw, up.pid);
    const seen = {};

    const beforeWarmup = memory(gw, up.pid, seen);
    log(`warm-up: ${opt.warmup} requests at c=${opt.concurrency} …`);
    const warm = await load({ url: gw.url, key: token, total: opt.warmup, concurrency: opt.concurrency });
    const samples = { before_warmup: { at: -opt.warmup, rss_kb: beforeWarmup }, start: { at: 0, rss_kb: memory(gw, up.pid, seen) } };
    log(`start RSS (MiB): ${fmtMem(samples.start.rss_kb)}`);
    const mid = Math.floor(opt.requests / 2);
    const progressEvery = Math.max(1000, Math.round(opt.requests / 20));
    const marks = [];
    for (let n = progressEvery; n < opt.requests; n += progressEvery) marks.push(n);
    if (!marks.includes(mid)) marks.push(mid);
    const trace = [];
    const t0 = performance.now();
    log(`soak: ${opt.requests} requests at c=${opt.concurrency} …`);
    const run = await load({
      url: gw.url, key: token, total: opt.requests, concurrency: opt.concurrency, marks,
      at: async (n) => {
        const m = memory(gw, up.pid, seen);
        trace.push({ at: n, elapsed_s: round((performance.now() - t0) / 1000, 1), rss_kb: m });
        if (n === mid) samples.middle = { at: n, rss_kb: m };
        log(`${n} done (${((performance.now() - t0) / 1000).toFixed(0)} s); RSS (MiB): ${fmtMem(m)}`);
      },
    });
    samples.end = { at: opt.requests, rss_kb: memory(gw, up.pid, seen) };
    res.processes = seen.pids;
    res.watchdog_restarts = (gw.logs().match(/restarting the Worker/g) ?? []).length;
    log(`end RSS (MiB): ${fmtMem(samples.end.rss_kb)}`);
    res.warmup = warm;
    res.run = run;
    res.memory = samples;
    res.memory_trace = trace;
    res.memory_growth = Object.fromEntries(Object.keys(procs).map((name) => {
      const s = samples.start.rss_kb[name], m = samples.middle?.rss_kb[name], e = samples.end.rss_kb[name];
      // The load generator is reported but not judged: it is the measuring tool, not the gateway.
      const judged = name !== LOADGEN;
      return [name, { start_to_end: round(e / s - 1, 4), middle_to_end: m ? round(e / m - 1, 4) : null,
        flat: judged ? Math.max(e, m ?? 0) <= s * (1 + FLAT) : null }];
    }));

    if (opt.bare) return finish(res, opt, started);
    // Every proxied request (preflight, warm-up, soak) must have its log row.
    const expected = 1 + opt.warmup + opt.requests;
    log(`waiting for the request log to reach ${expected} rows …`);
    res.log = { expected, ...(await settledLogRows(persist, expected)) };
    const health = await admin.get("/api/v1/logs/health");
    res.log.health = health.body;

    // A restart on the same state: clean exit, the same token works, no row lost.
    log("restart on the same state …");
    res.restart = { stop: await gw.stop() };
    const t1 = performance.now();
    gw = await startLocal({ target: opt.target, bare: opt.bare, upstream: up.url, persist, port });
    res.restart.start_s = round((performance.now() - t1) / 1000, 2);
    const after = await fetch(gw.url + MODEL_PATH, { method: "POST", headers: { "content-type": "application/json", "x-goog-api-key": token }, body: BODY });
    res.restart.token_status_after = after.status;
    await after.arrayBuffer();
    res.restart.log = await settledLogRows(persist, expected + 1);
    res.restart.ok = (res.restart.stop.code === 0 || opt.target !== "serve") && after.status === 200 && res.restart.log.rows === expected + 1;
    res.gateway_log_errors = gw.logs().split("\n").filter((l) => /error|panic|uncaught|heap/i.test(l)).slice(0, 20);
  } finally {
    for (const stop of stops.reverse()) { try { await stop(); } catch { /* best effort */ } }
    rmSync(persist, { recursive: true, force: true });
  }
  return finish(res, opt, started);
}

/** Verdict, table, files. */
function finish(res, opt, started) {
  res.verdict = {
    errors_zero: res.run.error_total === 0 && res.warmup.error_total === 0,
    memory_flat: Object.values(res.memory_growth).every((g) => g.flat !== false),
    no_restarts: res.watchdog_restarts === 0,
    ...(opt.bare ? {} : { log_rows_equal: res.log.rows === res.log.expected, restart_ok: res.restart.ok }),
  };
  res.passed = Object.values(res.verdict).every(Boolean);
  res.finished_at = new Date().toISOString();
  res.elapsed_s = round((Date.now() - started.getTime()) / 1000, 1);
  const md = render(res);
  writeFileSync(path.join(root, "build-output", "soak.json"), JSON.stringify(res, null, 2) + "\n");
  writeFileSync(path.join(root, "build-output", "soak.md"), md);
  if (opt.writeDoc) writeDoc(md);
  console.log(md);
  log(`wrote build-output/soak.json and soak.md${opt.writeDoc ? " and BENCHMARKS.md" : ""}; ${res.passed ? "PASSED" : "FAILED"}`);
  return res.passed;
}

const mib = (k) => (k == null ? "–" : `${(k / 1024).toFixed(0)} MiB`);
const pct = (x) => (x == null ? "–" : `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)} %`);
function fmtMem(m) { return Object.entries(m).map(([k, v]) => `${k} ${(v / 1024).toFixed(0)}`).join(", "); }

function render(r) {
  const L = [];
  const row = (...c) => L.push(`| ${c.join(" | ")} |`);
  const yes = (b) => (b ? "**yes**" : "**NO**");
  L.push(`Run ${r.started_at} (${r.elapsed_s} s), ${r.bare ? "the bare pass-through Worker (bench/baseline)" : "the gateway"} under \`${r.target === "serve" ? "npm start (scripts/serve.mjs, inspector off)" : "wrangler dev (inspector on)"}\`: `
    + `${r.run.requests} proxied requests at c=${r.config.concurrency} after a ${r.config.warmup}-request warm-up; ${r.passed ? "**passed**" : "**FAILED**"}.`);
  L.push("");
  row("Check", "Result", "Pass");
  row("---", "---", "---");
  const errs = Object.entries(r.run.errors).filter(([k]) => k !== "first").map(([k, v]) => `${v} ${k}`).join(", ") || "0";
  row("Client errors (non-200 or socket)", `${errs} (warm-up: ${r.warmup.error_total})`, yes(r.verdict.errors_zero));
  row("Watchdog restarts of the Worker", String(r.watchdog_restarts), yes(r.verdict.no_restarts));
  row("Throughput / latency", `${r.run.rps} req/s over ${r.run.seconds} s; p50 ${r.run.latency_ms.p50} ms, p99 ${r.run.latency_ms.p99} ms, max ${r.run.latency_ms.max} ms`, "");
  if (!r.bare) row("Request-log rows / proxied requests", `${r.log.rows} / ${r.log.expected} (status 200: ${r.log.ok_rows})`, yes(r.verdict.log_rows_equal));
  if (!r.bare) row("Log write health", `\`${JSON.stringify(r.log.health)}\``, "");
  if (!r.bare) row("Restart on the same state", `stop: exit ${r.restart.stop.code} in ${r.restart.stop.seconds} s; start ${r.restart.start_s} s; same token → ${r.restart.token_status_after}; rows ${r.restart.log.rows}`, yes(r.verdict.restart_ok));
  L.push("");
  row("Process (RSS)", "before warm-up", "start", "middle", "end", "start → end", "middle → end", `flat (≤ ${r.config.flat_within * 100} %)`);
  row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---");
  for (const name of Object.keys(r.processes)) {
    const g = r.memory_growth[name];
    row(name, mib(r.memory.before_warmup?.rss_kb[name]), mib(r.memory.start.rss_kb[name]), mib(r.memory.middle?.rss_kb[name]), mib(r.memory.end.rss_kb[name]), pct(g.start_to_end), pct(g.middle_to_end), g.flat === null ? "(not judged)" : yes(g.flat));
  }
  L.push("");
  if (r.gateway_log_errors?.length) L.push(`Gateway log lines mentioning errors after the restart: ${r.gateway_log_errors.length}.`);
  const m = r.machine;
  L.push(`Machine: ${m.cpu}, ${m.cores} cores; Node ${m.node}, wrangler ${m.wrangler}, ${m.workerd}. Load average at start ${m.load_avg_at_start.join(" / ")}.`);
  return L.join("\n") + "\n";
}

function writeDoc(md) {
  const file = path.join(root, "BENCHMARKS.md");
  const begin = "<!-- soak:begin (generated by `npm run bench -- --soak --write-doc`) -->";
  const end = "<!-- soak:end -->";
  let text = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  if (!text.includes(begin)) text = `${text.trimEnd()}\n\n## Soak: the local mode under sustained load\n\n${begin}\n${end}\n`;
  const i = text.indexOf(begin), j = text.indexOf(end);
  writeFileSync(file, `${text.slice(0, i + begin.length)}\n${md}${text.slice(j)}`);
}
