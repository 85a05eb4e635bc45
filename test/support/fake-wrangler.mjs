// A stand-in for the wrangler CLI's Cloudflare commands, for the deploy tests (scripts/deploy.mjs
// runs it when POISE_DEPLOY_WRANGLER points here). It keeps a pretend account in the JSON file
// FAKE_WRANGLER_STATE (D1 databases, KV namespaces, Workers with their secrets) and records every
// call, so a test can check what a deploy created, uploaded and skipped. Output shapes follow
// wrangler 4.86 (`d1 list --json`, `kv namespace list`, `secret list --format json`, the
// WRANGLER_OUTPUT_FILE_PATH deploy entry).
import { readFileSync, writeFileSync, existsSync, appendFileSync } from "node:fs";

const file = process.env.FAKE_WRANGLER_STATE;
const state = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { d1: [], kv: [], workers: {}, calls: [] };
const args = process.argv.slice(2);
state.calls.push(args.join(" "));
const save = () => writeFileSync(file, JSON.stringify(state, null, 2));
const flag = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const workerName = () => {
  const cfg = readFileSync(flag("--config"), "utf8").replace(/^\s*\/\/.*$/gm, "");
  return JSON.parse(cfg).name;
};
const id = (n) => Array.from({ length: n }, (_, i) => "0123456789abcdef"[(state.calls.length * 7 + i * 3) % 16]).join("");
const cmd = args.slice(0, 3).join(" ");

if (cmd.startsWith("d1 list")) {
  console.log(JSON.stringify(state.d1));
} else if (cmd.startsWith("d1 create")) {
  state.d1.push({ uuid: `${id(8)}-${id(4)}-${id(4)}-${id(4)}-${id(12)}`, name: args[2] });
  console.log(`✅ Successfully created DB '${args[2]}'`);
} else if (cmd === "kv namespace list") {
  console.log(JSON.stringify(state.kv));
} else if (cmd === "kv namespace create") {
  state.kv.push({ id: id(32), title: args[3] });
  console.log(`🌀 Creating namespace with title "${args[3]}"`);
} else if (cmd.startsWith("d1 migrations apply")) {
  console.log("✅ Migrations applied (fake)");
} else if (cmd.startsWith("secret list")) {
  const w = state.workers[workerName()];
  if (!w) {
    console.error(`✘ [ERROR] Worker "${workerName()}" not found.\n\nIf this is a new Worker, run \`wrangler deploy\` first to create it.`);
    save();
    process.exit(1);
  }
  console.log(JSON.stringify(Object.keys(w.secrets).map((name) => ({ name, type: "secret_text" }))));
} else if (cmd.startsWith("deploy")) {
  const name = workerName();
  const w = (state.workers[name] ??= { secrets: {}, deploys: 0 });
  w.deploys++;
  const secretsFile = flag("--secrets-file");
  if (secretsFile) Object.assign(w.secrets, JSON.parse(readFileSync(secretsFile, "utf8")));
  const url = `${name}.fake-account.workers.dev`;
  if (process.env.WRANGLER_OUTPUT_FILE_PATH) {
    appendFileSync(process.env.WRANGLER_OUTPUT_FILE_PATH, JSON.stringify({ type: "deploy", version: 1, worker_name: name, targets: [url] }) + "\n");
  }
  console.log(`Deployed ${name} triggers\n  https://${url}`);
} else {
  console.error(`fake wrangler: unsupported command: ${args.join(" ")}`);
  save();
  process.exit(2);
}
save();
