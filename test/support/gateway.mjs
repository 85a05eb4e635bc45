// Runs the built Worker under `wrangler dev` (workerd, local D1/KV/DO) with its own state
// directory, pointed at a fake upstream. Stopping and starting again keeps the state, which
// is how the restart tests work.
import { spawn, execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { root } from "./paths.mjs";
import { execLocal, seedSql } from "../../scripts/seed.mjs";

const execFileAsync = promisify(execFile);
const wranglerCli = path.join(root, "node_modules", "wrangler", "wrangler-dist", "cli.js");
const quietEnv = {
  ...process.env,
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  // The suite built the Worker already; `wrangler dev` must not rebuild it mid-run.
  POISE_SKIP_BUILD: "1",
};

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

/** Process ids of every descendant of `pid` (wrangler's workerd and its helpers). */
function descendants(pid) {
  let out;
  try {
    out = execFileSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" });
  } catch {
    return [];
  }
  const children = new Map();
  for (const line of out.trim().split("\n")) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (!children.has(pp)) children.set(pp, []);
    children.get(pp).push(p);
  }
  const found = [];
  const walk = (p) => (children.get(p) ?? []).forEach((c) => { found.push(c); walk(c); });
  walk(pid);
  return found;
}

/** Whether process `pid` still exists. */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Applies the D1 migrations to a local state directory. */
export function migrate(persistTo) {
  execFileSync(process.execPath, [wranglerCli, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], {
    cwd: root, env: quietEnv, stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * Starts a gateway. `vars` are extra Worker vars (e.g. ADMIN_SETUP_TOKEN). `testScheduled`
 * passes `--test-scheduled`, so `GET /__scheduled` runs the cron handler (wrangler 4.86's
 * `/cdn-cgi/handler/scheduled` fails for Workers with static assets).
 * Returns { url, persistTo, seed(), sql(), query(), stop(), restart() }.
 */
export async function startGateway({ upstream, vars = {}, persistTo, testScheduled = false } = {}) {
  persistTo ??= mkdtempSync(path.join(os.tmpdir(), "poise-state-"));
  migrate(persistTo);
  let allVars = { UPSTREAM_BASE_URL: upstream, ...vars };
  let child;
  let url;
  let port;
  let output = "";

  const start = async () => {
    // The same port across restarts, so clients keep talking to "the same" gateway.
    port ??= await freePort();
    const args = [wranglerCli, "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()),
      "--persist-to", persistTo, "--show-interactive-dev-session=false", "--log-level", process.env.POISE_LOG_LEVEL ?? "warn"];
    for (const [k, v] of Object.entries(allVars)) if (v !== undefined) args.push("--var", `${k}:${v}`);
    if (testScheduled) args.push("--test-scheduled");
    child = spawn(process.execPath, args, { cwd: root, env: quietEnv, stdio: ["ignore", "pipe", "pipe"] });
    output = "";
    child.stderr.on("data", (d) => { output += d; });
    child.stdout.on("data", (d) => { output += d; });
    url = `http://127.0.0.1:${port}`;
    const exited = new Promise((_, reject) => child.once("exit", (c) => reject(new Error(`wrangler dev exited (${c}):\n${output}`))));
    // Ready when the Worker answers its liveness route.
    const ready = (async () => {
      for (;;) {
        try {
          const r = await fetch(`${url}/healthz`);
          if (r.status === 200) return;
        } catch { /* not listening yet */ }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await Promise.race([ready, exited]);
  };

  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const runtime = descendants(child.pid);
    const done = new Promise((r) => child.once("exit", r));
    child.kill("SIGINT");
    const t = setTimeout(() => child.kill("SIGKILL"), 10000);
    await done;
    clearTimeout(t);
    // workerd may outlive wrangler by a moment, still holding the port and the local state; a
    // restart must wait until the old runtime processes are gone.
    for (let i = 0; i < 200 && (runtime.some(alive) || (await listening(port))); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  await start();
  return {
    get url() { return url; },
    persistTo,
    logs: () => output,
    /** Seeds pool keys and (optionally) a known client token directly into D1. */
    seed: (opts) => execLocal(seedSql(opts), persistTo),
    /** Runs SQL against the gateway's local D1 (for test set-up only). */
    sql: (text) => execLocal(text, persistTo),
    /**
     * Runs SQL against the gateway's local D1 and resolves to the rows of its last statement.
     * Asynchronous on purpose: a blocked event loop makes fetch reuse keep-alive sockets the
     * server has closed meanwhile ("other side closed").
     */
    query: async (text) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "poise-sql-"));
      const file = path.join(dir, "q.sql");
      writeFileSync(file, text);
      try {
        const { stdout } = await execFileAsync(process.execPath, [wranglerCli, "d1", "execute", "DB", "--local", "--persist-to", persistTo, "--json", "--file", file], {
          cwd: root, env: quietEnv, encoding: "utf8", maxBuffer: 256 * 1024 * 1024,
        });
        const results = JSON.parse(stdout);
        return results[results.length - 1]?.results ?? [];
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    stop,
    /** Stops and starts again on the same state; `vars` are merged (undefined removes one). */
    restart: async (vars = {}) => {
      await stop();
      allVars = { ...allVars, ...vars };
      await start();
    },
  };
}
