// The hot path with a warm isolate cache: Server-Timing on proxied responses, and admin
// changes taking effect at once in the isolate that made them.
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
let tokenId;
let firstKey;

before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN } });
  admin = await setupAdmin(gw.url);
  firstKey = (await admin.post("/api/v1/keys", { key: fakeKey("EDGE1") })).body.id;
  const t = (await admin.post("/api/v1/tokens", { name: "edge tests" })).body;
  token = t.token;
  tokenId = t.id;
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

const gen = (headers = {}) =>
  fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": token, ...headers },
    body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] }),
  });

/** `Server-Timing` as { name: ms }. */
const timings = (r) =>
  Object.fromEntries(
    (r.headers.get("server-timing") ?? "")
      .split(",")
      .filter((m) => m.trim())
      .map((m) => {
        const [name, dur] = m.trim().split(";dur=");
        return [name, Number(dur)];
      }),
  );

test("proxied responses carry Server-Timing (auth, pool, upstream, total); the setting turns it off", async () => {
  const r = await gen();
  assert.equal(r.status, 200);
  await r.arrayBuffer();
  const t = timings(r);
  assert.deepEqual(Object.keys(t).sort(), ["auth", "pool", "total", "upstream"]);
  for (const [name, ms] of Object.entries(t)) assert.ok(Number.isFinite(ms) && ms >= 0, `${name}: ${ms}`);
  assert.ok(t.total >= t.upstream, "total covers the upstream wait");
  // Gateway errors carry it too (here: the client's missing token).
  const bare = await fetch(`${gw.url}/v1beta/models`);
  assert.equal(bare.status, 401);
  assert.ok(bare.headers.get("server-timing")?.includes("total;dur="));

  assert.equal((await admin.patch("/api/v1/config", { server_timing: false })).status, 200);
  const off = await gen();
  assert.equal(off.status, 200);
  assert.equal(off.headers.get("server-timing"), null, "off at once in the isolate that changed it");
  assert.equal((await admin.patch("/api/v1/config", { server_timing: null })).status, 200);
  assert.ok((await gen()).headers.get("server-timing"));
});

test("a warm cache still sees admin changes at once: a disabled token, a new key, a deleted key", async () => {
  for (let i = 0; i < 3; i++) assert.equal((await gen()).status, 200, "warm");
  assert.equal((await admin.patch(`/api/v1/tokens/${tokenId}`, { enabled: false })).status, 200);
  const refused = await gen();
  assert.equal(refused.status, 401);
  assert.match((await refused.json()).error.message, /disabled/);
  assert.equal((await admin.patch(`/api/v1/tokens/${tokenId}`, { enabled: true })).status, 200);
  assert.equal((await gen()).status, 200);

  assert.equal((await admin.post("/api/v1/keys", { key: fakeKey("EDGE2") })).status, 201);
  assert.equal((await admin.del(`/api/v1/keys/${firstKey}`)).status, 204);
  await up.reset();
  for (let i = 0; i < 4; i++) assert.equal((await gen()).status, 200);
  const used = new Set((await up.requests("generateContent")).map((r) => r.key));
  assert.deepEqual([...used], [fakeKey("EDGE2")], "only the remaining key, at once");
});
