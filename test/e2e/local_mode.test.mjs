// The local mode behind `npm start` (scripts/serve.mjs): one workerd serving the port directly
// with no DevTools inspector, a clean stop on SIGTERM, and a restart that keeps every key, token
// and log row (.wrangler/state layout, shared with `wrangler d1 ... --local`). Its memory under
// sustained load is the soak benchmark's job (`npm run bench -- --soak`), not a timed test's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { root } from "../support/paths.mjs";
import { freePort, migrate } from "../support/gateway.mjs";
import { startUpstream } from "../support/upstream.mjs";
import { setupAdmin, SETUP_TOKEN } from "../support/admin.mjs";
import { fakeKey } from "../support/keys.mjs";

const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", POISE_CRON: "0" };
delete env.POISE_INSPECTOR;

/** Starts serve.mjs; resolves once it printed READY. */
async function serve(port, persist, upstream) {
  const child = spawn(process.execPath, [path.join(root, "scripts", "serve.mjs"), "--port", String(port), "--persist", persist,
    "--var", `UPSTREAM_BASE_URL:${upstream}`, "--var", `ADMIN_SETUP_TOKEN:${SETUP_TOKEN}`], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr.on("data", (d) => { output += d; });
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (l) => { output += `${l}\n`; const m = /^READY (\S+)$/.exec(l); if (m) resolve(m[1]); });
    child.once("exit", (c) => reject(new Error(`serve.mjs exited (${c}):\n${output}`)));
  });
  return { child, url, logs: () => output };
}
const stopped = (child) => new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
/** Child processes of `pid` by command name, from /proc. */
function children(pid) {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      return Number(stat.slice(close + 2).split(" ")[1]) === pid ? [{ pid: Number(d), comm: stat.slice(stat.indexOf("(") + 1, close) }] : [];
    } catch { return []; }
  });
}
const cmdline = (pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");

test("npm start's server: no inspector, one workerd, clean stop, state kept across a restart", async () => {
  const upstream = await startUpstream();
  const persist = mkdtempSync(path.join(os.tmpdir(), "poise-local-"));
  migrate(persist);
  const port = await freePort();
  let s = await serve(port, persist, upstream.url);
  try {
    assert.equal(s.url, `http://127.0.0.1:${port}`);
    assert.match(s.logs(), /inspector: off/);
    const workerd = children(s.child.pid).filter((p) => p.comm === "workerd");
    assert.equal(workerd.length, 1, "one workerd: no dev proxy in front");
    assert.ok(!cmdline(workerd[0].pid).some((a) => a.startsWith("--inspector-addr")), "workerd runs without an inspector");

    const admin = await setupAdmin(s.url);
    assert.equal((await admin.post("/api/v1/keys/import", { text: fakeKey("LOCALMODE1") })).status < 300, true);
    const tok = await admin.post("/api/v1/tokens", { name: "local" });
    assert.equal(tok.status, 201);
    const call = async (url) => {
      const r = await fetch(`${url}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: "POST", headers: { "content-type": "application/json", "x-goog-api-key": tok.body.token },
        body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
      });
      return { status: r.status, text: await r.text() };
    };
    const first = await call(s.url);
    assert.equal(first.status, 200, first.text);
    assert.equal((await admin.get("/")).status, 200, "the admin UI is served");

    // SIGTERM: workerd goes with it, exit 0.
    const exit = stopped(s.child);
    s.child.kill("SIGTERM");
    assert.deepEqual(await exit, { code: 0, signal: null });
    assert.equal(children(s.child.pid).length, 0);

    // Same state: the admin, the key, the token and the log row are all still there.
    s = await serve(port, persist, upstream.url);
    const again = await call(s.url);
    assert.equal(again.status, 200, again.text);
    // The session cookie from before the restart still works: KV kept it.
    const keys = await admin.get("/api/v1/keys?per_page=10");
    const list = Array.isArray(keys.body) ? keys.body : keys.body?.items ?? keys.body?.keys ?? [];
    assert.equal(keys.status, 200, keys.text);
    assert.equal(list.length, 1);
  } finally {
    const exit = stopped(s.child);
    s.child.kill("SIGTERM");
    await exit;
    upstream.stop();
  }
});
