#!/usr/bin/env node
// Adds pool keys and a client token straight into the local D1 database — a shortcut for
// development and tests. (The admin API does the same for real deployments; see README.)
//
//   node scripts/seed.mjs [--persist-to DIR] --key AIza... [--key ...] [--token-name NAME] [--token gp_...]
//
// Prints the client token. With --token, that exact token is stored (tests use this).
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sha256 = (s) => createHash("sha256").update(s).digest("hex");
const sql = (s) => (s === null || s === undefined ? "NULL" : `'${String(s).replaceAll("'", "''")}'`);
const mask = (k) => (k.length < 12 ? "…" : `${k.startsWith("AQ.") ? "AQ." : k.slice(0, 4)}…${k.slice(-4)}`);

/** Builds the SQL that seeds `keys` and a token; exported for the tests. */
export function seedSql({ keys = [], token, tokenName = "seed", now = Date.now() }) {
  const stmts = keys.map(
    (k) =>
      `INSERT INTO pool_keys (key, key_hash, key_masked, created_at, updated_at) VALUES (${sql(k)}, ${sql(sha256(k))}, ${sql(mask(k))}, ${now}, ${now}) ON CONFLICT(key_hash) DO NOTHING;`,
  );
  if (token) {
    stmts.push(
      `INSERT INTO client_tokens (name, token_hash, prefix, created_at, updated_at) VALUES (${sql(tokenName)}, ${sql(sha256(token))}, ${sql(token.slice(0, 9))}, ${now}, ${now});`,
    );
  }
  return stmts.join("\n");
}

/** Runs SQL against the local D1 database through wrangler. */
export function execLocal(sqlText, persistTo) {
  const args = ["wrangler", "d1", "execute", "DB", "--local", "--command", sqlText];
  if (persistTo) args.push("--persist-to", persistTo);
  return execFileSync("npx", args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opts = { keys: [] };
  for (let i = 0; i < args.length; i++) {
    const v = args[i + 1];
    switch (args[i]) {
      case "--key": opts.keys.push(v); i++; break;
      case "--token": opts.token = v; i++; break;
      case "--token-name": opts.tokenName = v; i++; break;
      case "--persist-to": opts.persistTo = v; i++; break;
      default:
        console.error(`unknown argument ${args[i]}`);
        process.exit(2);
    }
  }
  opts.token ??= `gp_${randomBytes(32).toString("base64url")}`;
  execLocal(seedSql(opts), opts.persistTo);
  console.log(`added ${opts.keys.length} pool key(s); client token (shown once): ${opts.token}`);
}
