// Shared by the benchmarks (bench/run.mjs, bench/soak.mjs): the benchmark request, the
// release-profile fake upstream, provisioning through the admin API, /proc readings.
import { spawn, execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { root } from "../test/support/paths.mjs";
import { setupAdmin } from "../test/support/admin.mjs";
import { fakeKey } from "../test/support/keys.mjs";

export const POOL_KEYS = Array.from({ length: 8 }, (_, i) => fakeKey(`BENCH${i + 1}`));
export const BODY = JSON.stringify({ contents: [{ role: "user", parts: [{ text: "Write one sentence about benchmarks." }] }] });
export const MODEL_PATH = "/v1beta/models/gemini-2.5-flash:generateContent";

// /proc readings: process tree, CPU ticks, RSS.

export function readStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = s.lastIndexOf(")");
    const rest = s.slice(close + 2).split(" ");
    return {
      pid: Number(pid), comm: s.slice(s.indexOf("(") + 1, close), ppid: Number(rest[1]),
      ticks: Number(rest[11]) + Number(rest[12]), childTicks: Number(rest[13]) + Number(rest[14]),
    };
  } catch { return null; }
}
export const cmdline = (pid) => { try { return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"); } catch { return []; } };
export const rssKb = (pid) => {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]); } catch { return 0; }
};
export function procTable() {
  const t = new Map();
  for (const d of readdirSync("/proc")) if (/^\d+$/.test(d)) { const s = readStat(d); if (s) t.set(s.pid, s); }
  return t;
}
export function descendants(pid, table = procTable()) {
  const out = [];
  const walk = (p) => { for (const s of table.values()) if (s.ppid === p) { out.push(s); walk(s.pid); } };
  walk(pid);
  return out;
}

export async function startFastUpstream() {
  const bin = path.join(root, "target", "fast", "fake-upstream");
  if (!existsSync(bin)) throw new Error(`${bin} missing: cargo build -p fake-upstream --profile fast`);
  const child = spawn(bin, ["--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (l) => { const m = l.match(/listening on (http:\/\/\S+)/); if (m) resolve(m[1]); });
    child.once("exit", (c) => reject(new Error(`fake-upstream exited with ${c}`)));
  });
  const control = async (method, p, body) => {
    const r = await fetch(url + p, { method, body: body && JSON.stringify(body), headers: { "content-type": "application/json" } });
    if (!r.ok) throw new Error(`fake-upstream ${p}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return {
    url, pid: child.pid,
    rules: (rules) => control("POST", "/__fake/rules", { rules }),
    config: (c) => control("POST", "/__fake/config", c),
    stop: () => child.kill("SIGTERM"),
  };
}

/** Signs in, imports the pool keys, issues a client token; returns { admin, token }. */
export async function provision(url) {
  const admin = await setupAdmin(url);
  const imp = await admin.post("/api/v1/keys/import", { text: POOL_KEYS.join("\n") });
  if (imp.status >= 300) throw new Error(`key import failed: ${imp.status} ${imp.text}`);
  const tok = await admin.post("/api/v1/tokens", { name: "bench" });
  if (tok.status !== 201 || !tok.body?.token) throw new Error(`token create failed: ${tok.status} ${tok.text}`);
  return { admin, token: tok.body.token };
}

export async function preflight(name, t) {
  const r = await fetch(t.url + MODEL_PATH, { method: "POST", headers: { "content-type": "application/json", "x-goog-api-key": t.key }, body: BODY });
  const text = await r.text();
  if (r.status !== 200 || !text.includes("Hello from fake upstream")) throw new Error(`${name}: preflight got ${r.status} ${text.slice(0, 300)}`);
}

export function round(x, d) { return x == null || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d; }

export const sh = (cmd, a) => { try { return execFileSync(cmd, a, { stdio: ["ignore", "pipe", "pipe"] }).toString().trim(); } catch (e) { return (e.stdout?.toString() || e.stderr?.toString() || "").trim() || null; } };

export function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const osRel = Object.fromEntries(readFileSync("/etc/os-release", "utf8").split("\n").filter(Boolean).map((l) => { const [k, ...v] = l.split("="); return [k, v.join("=").replace(/^"|"$/g, "")]; }));
  const workerdBin = path.join(root, "node_modules", "@cloudflare", "workerd-linux-64", "bin", "workerd");
  return {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
    cores: os.cpus().length,
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
    os: `${osRel.PRETTY_NAME ?? "Linux"}, kernel ${os.release()}`,
    node: process.version,
    wrangler: JSON.parse(readFileSync(path.join(root, "node_modules", "wrangler", "package.json"), "utf8")).version,
    workerd: sh(workerdBin, ["--version"]),
    wrk: sh("wrk", ["-v"])?.split("\n")[0]?.replace(/\s*Copyright.*$/, "") ?? null,
    load_avg_at_start: os.loadavg().map((x) => round(x, 2)),
  };
}
