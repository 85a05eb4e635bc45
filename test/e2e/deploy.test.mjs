// `npm run deploy` (scripts/deploy.mjs). The dry run, from an empty checkout state and with no
// network or token, writes a configuration wrangler can bundle: wrangler.toml's bindings, the
// given resource IDs, paths that resolve from where the file is written, the committed
// wrangler.toml untouched. The real run, against a recording stand-in for wrangler's Cloudflare
// commands (test/support/fake-wrangler.mjs), creates the D1 database, the KV namespace and the
// setup-token secret on the first deploy only, and upgrades in place on the second.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { promisify } from "node:util";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { root } from "../support/paths.mjs";

const require = createRequire(import.meta.url);

const execFileAsync = promisify(execFile);
const script = path.join(root, "scripts", "deploy.mjs");
const baseEnv = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", POISE_SKIP_BUILD: "1" };
delete baseEnv.CLOUDFLARE_API_TOKEN;
delete baseEnv.CLOUDFLARE_ACCOUNT_ID;

async function deploy(args, env = {}) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [script, ...args], { cwd: root, env: { ...baseEnv, ...env }, encoding: "utf8" });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const readJsonc = (f) => JSON.parse(readFileSync(f, "utf8").replace(/^\s*\/\/.*$/gm, ""));
const wranglerToml = () => readFileSync(path.join(root, "wrangler.toml"), "utf8");

test("dry run from an empty checkout writes a deployable configuration, offline", async () => {
  const before = wranglerToml();
  const dir = mkdtempSync(path.join(os.tmpdir(), "poise-deploy-"));
  const out = path.join(dir, "wrangler.deploy.jsonc");
  assert.equal(existsSync(out), false);
  // Any network use would fail: no token, and every proxy points at a closed port.
  const offline = { HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", CLOUDFLARE_API_BASE_URL: "http://127.0.0.1:9/client/v4" };
  const r = await deploy(["--dry-run", "--config-out", out], offline);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /nothing was sent to Cloudflare/);
  assert.match(r.stderr, /bundled offline/);

  const cfg = readJsonc(out);
  assert.equal(cfg.name, "gemini-poise");
  assert.equal(cfg.workers_dev, true);
  const from = (p) => path.resolve(dir, p);
  assert.equal(from(cfg.main), path.join(root, "worker", "build", "index.js"));
  assert.equal(from(cfg.assets.directory), path.join(root, "admin-ui", "dist"));
  assert.equal(from(cfg.build.cwd), root);
  const [db] = cfg.d1_databases;
  assert.equal(db.binding, "DB");
  assert.equal(db.database_name, "gemini-poise");
  assert.equal(db.database_id, undefined, "no placeholder ID: unknown until the real run finds or creates it");
  assert.equal(from(db.migrations_dir), path.join(root, "migrations"));
  assert.equal(cfg.kv_namespaces[0].binding, "SESSIONS");
  assert.equal(cfg.kv_namespaces[0].id, undefined);
  // Everything else is wrangler.toml's, unchanged.
  const raw = require("wrangler").experimental_readRawConfig({ config: path.join(root, "wrangler.toml") }).rawConfig;
  for (const field of ["compatibility_date", "durable_objects", "migrations", "triggers", "vars"]) assert.deepEqual(cfg[field], raw[field], field);
  assert.deepEqual({ ...cfg.assets, directory: null }, { ...raw.assets, directory: null });
  assert.ok(cfg.durable_objects.bindings.length >= 3 && cfg.triggers.crons.length >= 1);
  assert.equal(wranglerToml(), before, "the committed wrangler.toml keeps its local placeholders");

  // Existing resources and a custom domain: the IDs land where wrangler reads them.
  const d1 = "11111111-2222-3333-4444-555555555555";
  const kv = "0123456789abcdef0123456789abcdef";
  const r2 = await deploy(["--dry-run", "--config-out", out, "--d1-id", d1, "--kv-id", kv, "--domain", "gw.example.com", "--name", "my-gateway", "--placement", "gcp:us-central1"], offline);
  assert.equal(r2.code, 0, r2.stderr);
  const cfg2 = readJsonc(out);
  assert.equal(cfg2.name, "my-gateway");
  assert.equal(cfg2.d1_databases[0].database_id, d1);
  assert.equal(cfg2.d1_databases[0].database_name, "my-gateway");
  assert.equal(cfg2.kv_namespaces[0].id, kv);
  assert.deepEqual(cfg2.routes, [{ pattern: "gw.example.com", custom_domain: true }]);
  assert.deepEqual(cfg2.placement, { region: "gcp:us-central1" });
  assert.equal(cfg.placement, undefined);
});

test("without a token the real run refuses before touching anything", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "poise-deploy-"));
  const r = await deploy(["--config-out", path.join(dir, "c.jsonc")]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /CLOUDFLARE_API_TOKEN is not set/);
  assert.equal(existsSync(path.join(dir, "c.jsonc")), false);
});

test("first deploy creates the resources and the setup token; the second upgrades in place", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "poise-deploy-"));
  const out = path.join(dir, "wrangler.deploy.jsonc");
  const stateFile = path.join(dir, "account.json");
  const env = { CLOUDFLARE_API_TOKEN: "fake-token", POISE_DEPLOY_WRANGLER: path.join(root, "test", "support", "fake-wrangler.mjs"), FAKE_WRANGLER_STATE: stateFile };
  const first = await deploy(["--config-out", out, "--skip-build"], env);
  assert.equal(first.code, 0, first.stderr);
  let account = JSON.parse(readFileSync(stateFile, "utf8"));
  assert.equal(account.d1.length, 1);
  assert.equal(account.d1[0].name, "gemini-poise");
  assert.deepEqual(account.kv.map((k) => k.title), ["gemini-poise-sessions"]);
  const secret = account.workers["gemini-poise"].secrets.ADMIN_SETUP_TOKEN;
  assert.match(secret, /^[A-Za-z0-9_-]{32}$/);
  assert.ok(first.stdout.includes(`Setup token:  ${secret}`), "printed once, on the first deploy");
  assert.match(first.stdout, /Admin UI:\s+https:\/\/gemini-poise\.fake-account\.workers\.dev/);
  const cfg = readJsonc(out);
  assert.equal(cfg.d1_databases[0].database_id, account.d1[0].uuid);
  assert.equal(cfg.kv_namespaces[0].id, account.kv[0].id);
  const order = account.calls.map((c) => c.split(" ").slice(0, 2).join(" "));
  assert.ok(order.indexOf("d1 migrations") < order.indexOf("deploy --config"), "migrations before the new code");

  const second = await deploy(["--config-out", out, "--skip-build"], env);
  assert.equal(second.code, 0, second.stderr);
  account = JSON.parse(readFileSync(stateFile, "utf8"));
  assert.equal(account.d1.length, 1, "no second database");
  assert.equal(account.kv.length, 1, "no second namespace");
  assert.equal(account.workers["gemini-poise"].deploys, 2);
  assert.equal(account.workers["gemini-poise"].secrets.ADMIN_SETUP_TOKEN, secret, "the setup token is kept");
  assert.doesNotMatch(second.stdout, /Setup token:/);
  assert.equal(account.calls.filter((c) => c.includes("create")).length, 2, "created once each");
  assert.equal(account.calls.filter((c) => c.includes("--secrets-file")).length, 1);
  assert.deepEqual(readJsonc(out), cfg, "the same configuration");
});
