// Bounded, redacted request handling (issue 12 items 6 and 9): affinity reads only the fields
// that can name a resource and caps how many (a clear 400, never a 500), and logged bodies are
// redacted before they are cut, so a key straddling the cut leaves no readable prefix.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { setupAdmin, SETUP_TOKEN } from "../support/admin.mjs";
import { fakeKey } from "../support/keys.mjs";

let up;
let gw;
let admin;
let token;

before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN, PASSWORD_HASH_ITERATIONS: "1000" } });
  admin = await setupAdmin(gw.url);
  await admin.post("/api/v1/keys/import", { text: [fakeKey("SB1"), fakeKey("SB2")].join("\n") });
  token = (await admin.post("/api/v1/tokens", { name: "bodies" })).body.token;
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

const generate = (body) => fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
  method: "POST", body: JSON.stringify(body), headers: { "x-goog-api-key": token, "content-type": "application/json" },
});

test("prompt text that mentions many files/… names is not a resource lookup", async () => {
  const text = Array.from({ length: 300 }, (_, i) => `see files/doc${i} and cachedContents/c${i}`).join("; ");
  const r = await generate({ contents: [{ parts: [{ text }] }] });
  assert.equal(r.status, 200, await r.text());
});

test("more resource references than the cap is a clear 400 in the caller's dialect", async () => {
  const parts = Array.from({ length: 70 }, (_, i) => ({ fileData: { fileUri: `files/f${i}`, mimeType: "text/plain" } }));
  const r = await generate({ contents: [{ parts }] });
  assert.equal(r.status, 400);
  const body = await r.json();
  assert.equal(body.error.status, "INVALID_ARGUMENT");
  assert.match(body.error.message, /names more than 64 files or cached contents; the gateway routes at most 64 per request/);
});

test("a key straddling the log cut is redacted before the cut", async () => {
  assert.equal((await admin.patch("/api/v1/config", { log_bodies: true, log_body_cap_bytes: 256 })).status, 200);
  const secret = "AIzaSyFAKEstraddle0123456789abcdefghijk";
  assert.equal(secret.length, 39);
  const prefix = '{"contents":[{"parts":[{"text":"';
  const pad = "p".repeat(256 - prefix.length - 10);
  const r = await generate({ contents: [{ parts: [{ text: `${pad}${secret} end` }] }] });
  assert.equal(r.status, 200);
  let entry;
  for (let i = 0; i < 80 && !entry; i++) {
    const list = await admin.get("/api/v1/logs?limit=5");
    entry = list.body.items.find((e) => e.status === 200 && e.path.includes("generateContent"));
    if (!entry) await new Promise((res) => setTimeout(res, 250));
  }
  assert.ok(entry, "the request was logged");
  const detail = await admin.get(`/api/v1/logs/${entry.id}`);
  const logged = detail.body.request_body;
  assert.ok(logged.length <= 256, `${logged.length}`);
  assert.ok(logged.startsWith(prefix + "ppp"));
  assert.ok(!logged.includes(secret.slice(0, 10)), `a readable prefix of the key survived: …${logged.slice(-30)}`);
  assert.ok(!detail.text.includes(secret.slice(0, 10)));
});
