// Starts the project's fake Gemini upstream (crate fake-upstream) on an ephemeral loopback
// port and wraps its control API (/__fake/*).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { root } from "./paths.mjs";

export async function startUpstream() {
  const bin = path.join(root, "target", "debug", "fake-upstream");
  const child = spawn(bin, ["--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = line.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`fake-upstream exited with ${code}`)));
  });
  const control = async (method, p, body) => {
    const r = await fetch(url + p, { method, body: body && JSON.stringify(body), headers: { "content-type": "application/json" } });
    if (!r.ok) throw new Error(`fake-upstream ${p}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return {
    url,
    /** Appends scripted replies (see fake-upstream/src/main.rs). */
    rules: (rules) => control("POST", "/__fake/rules", { rules }),
    /** Recorded requests, optionally those whose path contains `filter`. */
    requests: async (filter) => (await control("GET", `/__fake/requests${filter ? `?path=${encodeURIComponent(filter)}` : ""}`)).requests,
    reset: () => control("POST", "/__fake/reset"),
    stop: () => child.kill("SIGTERM"),
  };
}
