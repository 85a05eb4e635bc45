// Starts one Worker through wrangler's own dev API (`unstable_startWorker`, the engine behind
// `wrangler dev`) with the DevTools inspector turned off, which the `wrangler dev` command
// line cannot do. bench/run.mjs uses it for its "inspector off" rows: same wrangler, same
// workerd, same config and local D1/KV/DO simulators, minus the inspector relay.
//
//   node bench/start-worker.mjs --config FILE --port N --persist DIR [--var NAME:VALUE]...
//
// Prints `READY <url>` once the Worker answers, and stops cleanly on SIGINT/SIGTERM.
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { config: { type: "string" }, port: { type: "string" }, persist: { type: "string" }, var: { type: "string", multiple: true } },
});
const require = createRequire(import.meta.url);
const { unstable_startWorker } = require("wrangler");

const bindings = {};
for (const v of values.var ?? []) {
  const i = v.indexOf(":");
  bindings[v.slice(0, i)] = { type: "plain_text", value: v.slice(i + 1) };
}
const worker = await unstable_startWorker({
  config: values.config,
  bindings,
  build: { custom: { command: undefined } },
  dev: {
    server: { hostname: "127.0.0.1", port: Number(values.port) },
    inspector: false,
    persist: values.persist,
    logLevel: "warn",
    watch: false,
  },
});
await worker.ready;
console.log(`READY ${(await worker.url).href}`);
const stop = async () => {
  await worker.dispose();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
