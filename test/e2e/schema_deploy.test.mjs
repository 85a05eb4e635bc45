// The D1 schema: migrations/ applied in order give exactly schema.sql. And the deployable
// bundle: `wrangler deploy --dry-run` bundles offline; its gzipped size is reported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import os from "node:os";
import path from "node:path";
import { root } from "../support/paths.mjs";
import { migrate } from "../support/gateway.mjs";

const wrangler = path.join(root, "node_modules", "wrangler", "wrangler-dist", "cli.js");
const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", POISE_SKIP_BUILD: "1" };

function d1(persistTo, args) {
  const out = execFileSync(process.execPath, [wrangler, "d1", "execute", "DB", "--local", "--persist-to", persistTo, "--json", ...args], { cwd: root, env, encoding: "utf8" });
  return JSON.parse(out);
}

/** The schema objects of a database, normalised (whitespace) and sorted. */
function schemaOf(persistTo) {
  const [res] = d1(persistTo, ["--command", "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations' ORDER BY type, name"]);
  return res.results.map((r) => ({ ...r, sql: (r.sql ?? "").replace(/\s+/g, " ").replace(/\( /g, "(").replace(/ \)/g, ")").trim() }));
}

test("applying every migration gives exactly schema.sql", () => {
  const viaMigrations = mkdtempSync(path.join(os.tmpdir(), "poise-mig-"));
  migrate(viaMigrations);
  const viaSchema = mkdtempSync(path.join(os.tmpdir(), "poise-schema-"));
  d1(viaSchema, ["--file", path.join(root, "schema.sql")]);
  const a = schemaOf(viaMigrations);
  const b = schemaOf(viaSchema);
  assert.ok(a.length >= 8, "tables and indexes exist");
  assert.deepEqual(a, b);
  const migrations = readdirSync(path.join(root, "migrations")).filter((f) => f.endsWith(".sql"));
  assert.ok(migrations.every((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)), "migrations are numbered");
});

test("wrangler deploy --dry-run bundles offline", () => {
  const outdir = mkdtempSync(path.join(os.tmpdir(), "poise-dry-"));
  const log = execFileSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir], { cwd: root, env, encoding: "utf8" });
  assert.match(log, /--dry-run: exiting now/);
  const files = readdirSync(outdir).filter((f) => f.endsWith(".wasm") || f === "index.js");
  assert.ok(files.some((f) => f.endsWith(".wasm")) && files.includes("index.js"));
  const raw = files.reduce((n, f) => n + readFileSync(path.join(outdir, f)).length, 0);
  const gz = files.reduce((n, f) => n + gzipSync(readFileSync(path.join(outdir, f)), { level: 9 }).length, 0);
  console.log(`# worker bundle: ${raw} bytes, ${gz} bytes gzipped (Workers limit: 3 MB free, 10 MB paid)`);
  assert.ok(gz < 3 * 1024 * 1024, "fits the free plan");
  for (const binding of ["KEY_STATE", "LOGIN_GUARD", "TOKEN_LIMITER", "SESSIONS", "DB", "ASSETS"]) assert.match(log, new RegExp(binding));
});
