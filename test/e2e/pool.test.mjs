// Pool intelligence end to end: classification drives key state; cooldowns per quota window
// (with an injected clock, no waiting); RPM caps under concurrency; pool exhaustion.
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
const ids = {};

before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN }, testScheduled: true });
  admin = await setupAdmin(gw.url);
  // Two projects with two keys each, plus one unlabelled key.
  for (const [name, project] of [["PA1", "proj-a"], ["PA2", "proj-a"], ["PB1", "proj-b"], ["PB2", "proj-b"], ["N1", null]]) {
    const r = await admin.post("/api/v1/keys", { key: fakeKey(name), project });
    ids[name] = r.body.id;
  }
  token = (await admin.post("/api/v1/tokens", { name: "pool tests" })).body.token;
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

const call = (model, init = {}) =>
  fetch(`${gw.url}/v1beta/models/${model}:generateContent`, {
    method: "POST", headers: { "x-goog-api-key": token, "content-type": "application/json" }, body: "{}", ...init,
  });
const keyIdOf = (key) => Object.entries(ids).find(([name]) => fakeKey(name) === key)?.[1];
const state = async (id) => (await admin.get(`/api/v1/keys/${id}/state`)).body;
const view = async (id) => (await admin.get(`/api/v1/keys/${id}`)).body;

test("a client's bad request changes no key's state and is not retried", async () => {
  await up.rules([{ match: { path: "m-bad" }, reply: { preset: "bad_request" } }]);
  for (let i = 0; i < 3; i++) assert.equal((await call("m-bad")).status, 400);
  assert.equal((await up.requests("m-bad")).length, 3, "one upstream call per client call");
  for (const id of Object.values(ids)) {
    assert.equal((await view(id)).status, "active");
    const s = await state(id);
    assert.equal(s.failures, 0);
    assert.deepEqual(s.cooldowns, []);
  }
});

test("a 503 storm disables and cools nothing", async () => {
  await up.rules([{ match: { path: "m-storm" }, reply: { preset: "overloaded" } }]);
  for (let i = 0; i < 4; i++) assert.equal((await call("m-storm")).status, 503);
  for (const id of Object.values(ids)) {
    assert.equal((await view(id)).status, "active");
    assert.deepEqual((await state(id)).cooldowns, []);
  }
  // Still serving once the model recovers.
  assert.equal((await call("m-after-storm")).status, 200);
});

test("an invalid key is disabled on first sight, with its reason in the audit trail", async () => {
  const dead = (await admin.post("/api/v1/keys", { key: fakeKey("DEADINVALID") })).body.id;
  // Make sure the dead key is tried: the fake answers API_KEY_INVALID for keys containing INVALID.
  // Requests start at a random shard, so the dead key's turn comes within a few calls
  // (a miss in 40 calls is negligible).
  for (let i = 0; i < 40 && (await view(dead)).status === "active"; i++) assert.equal((await call("m-dead")).status, 200);
  const v = await view(dead);
  assert.equal(v.status, "disabled");
  assert.equal(v.disabled_reason, "API_KEY_INVALID");
  const ev = (await admin.get(`/api/v1/keys/${dead}/events`)).body;
  assert.equal(ev[0].kind, "auto_disabled");
  assert.equal(ev[0].actor, "pool");
  assert.match(ev[0].message, /API key not valid/);
  const tried = (await up.requests("m-dead")).filter((r) => r.key === fakeKey("DEADINVALID"));
  assert.equal(tried.length, 1, "never used again after being found dead");
});

test("a per-minute 429 cools that project for the model; the retry goes to another project", async () => {
  await up.rules([{ match: { path: "m-rpm", key: fakeKey("PA1") }, reply: { preset: "quota_rpm", retry_delay: "30s" } },
    { match: { path: "m-rpm", key: fakeKey("PA2") }, reply: { preset: "quota_rpm", retry_delay: "30s" } }]);
  // Call until a proj-a key is hit first (requests start at a random shard).
  let hit;
  for (let i = 0; i < 40 && !hit; i++) {
    await up.reset();
    await up.rules([{ match: { path: "m-rpm", key: fakeKey("PA1") }, reply: { preset: "quota_rpm", retry_delay: "30s" } },
      { match: { path: "m-rpm", key: fakeKey("PA2") }, reply: { preset: "quota_rpm", retry_delay: "30s" } }]);
    const r = await call("m-rpm");
    assert.equal(r.status, 200);
    const reqs = await up.requests("m-rpm");
    if (reqs.length === 2) {
      hit = reqs;
    }
  }
  assert.ok(hit, "a proj-a key was tried first within 40 calls");
  assert.ok([fakeKey("PA1"), fakeKey("PA2")].includes(hit[0].key));
  assert.ok(![fakeKey("PA1"), fakeKey("PA2")].includes(hit[1].key), "retried on another project");
  const s = await state(keyIdOf(hit[0].key));
  const cd = s.cooldowns.find((c) => c.model === "m-rpm");
  assert.equal(cd.scope, "project:proj-a");
  // Both proj-a keys are skipped for this model now, and only for this model.
  await up.reset();
  for (let i = 0; i < 6; i++) assert.equal((await call("m-rpm")).status, 200);
  const used = new Set((await up.requests("m-rpm")).map((r) => r.key));
  assert.ok(!used.has(fakeKey("PA1")) && !used.has(fakeKey("PA2")));
  assert.ok(cd.until_ms - Date.now() <= 31_000 && cd.until_ms - Date.now() > 20_000, "cooldown is the retryDelay");
});

test("a per-day 429 keeps the key out until midnight America/Los_Angeles", async () => {
  await up.rules([{ match: { path: "m-rpd", key: fakeKey("N1") }, reply: { preset: "quota_rpd" } }]);
  for (let i = 0; i < 10; i++) {
    await call("m-rpd");
    if ((await up.requests("m-rpd")).some((r) => r.key === fakeKey("N1"))) break;
  }
  const cd = (await state(ids.N1)).cooldowns.find((c) => c.model === "m-rpd");
  assert.ok(cd, "cooled for the day");
  assert.equal(cd.scope, `key:${ids.N1}`);
  assert.equal(cd.until_ms, nextPacificMidnight(Date.now()));
});

/** Next 00:00 in America/Los_Angeles, computed with the platform's time-zone database. */
function nextPacificMidnight(now) {
  const fmt = new Intl.DateTimeFormat("en-US", { timeZone: "America/Los_Angeles", hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  // Walk forward minute by minute from the next whole minute until the local clock reads 00:00.
  let t = Math.ceil((now + 1) / 60000) * 60000;
  for (;;) {
    const parts = Object.fromEntries(fmt.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
    if (parts.hour === "00" && parts.minute === "00") return t;
    t += 60000;
  }
}

test("all keys cooling: the gateway's own 429 with Retry-After, until the cooldown ends", async () => {
  await up.rules([{ match: { path: "m-all" }, reply: { preset: "quota_rpm", retry_delay: "40s" } }]);
  const first = await call("m-all");
  assert.equal(first.status, 429, "upstream 429s relayed when every attempt failed");
  // Keep going until every active key is cooling for this model.
  let r;
  for (let i = 0; i < 10; i++) {
    r = await call("m-all");
    if (r.headers.get("x-gateway-limit") === "pool") break;
  }
  assert.equal(r.status, 429);
  assert.equal(r.headers.get("x-gateway-limit"), "pool");
  const retryAfter = Number(r.headers.get("retry-after"));
  assert.ok(retryAfter > 0 && retryAfter <= 40, `Retry-After ${retryAfter}`);
  const body = await r.json();
  assert.equal(body.error.status, "RESOURCE_EXHAUSTED");
  assert.match(body.error.message, /gateway's key pool, not a Google quota/);
  const pool = (await admin.get("/api/v1/pool")).body;
  const m = pool.models.find((x) => x.model === "m-all");
  assert.equal(m.available_now, 0);
  assert.ok(m.next_free_at > Date.now());
  // Other models are unaffected.
  assert.equal((await call("m-other")).status, 200);
  // After the cooldown (clock moved 41 s forward) the keys serve the model again.
  await up.reset();
  await gw.restart({ CLOCK_SKEW_MS: "41000" });
  assert.equal((await call("m-all")).status, 200);
  await gw.restart({ CLOCK_SKEW_MS: undefined });
});

test("a region block penalises no key and is surfaced to the admin", async () => {
  await up.rules([{ match: { path: "m-region" }, reply: { preset: "location" } }]);
  const r = await call("m-region");
  assert.equal(r.status, 400);
  assert.equal((await up.requests("m-region")).length, 1, "no retry: every key would fail");
  for (const id of Object.values(ids)) assert.deepEqual((await state(id)).cooldowns.filter((c) => c.model === "m-region"), []);
  const pool = (await admin.get("/api/v1/pool")).body;
  assert.ok(pool.alerts.some((a) => a.kind === "region_blocked"), "alert in the pool view");
});

test("concurrent requests never exceed a key's RPM cap", async () => {
  // One key with a cap of 3 per minute; the others disabled for this test.
  const capped = (await admin.post("/api/v1/keys", { key: fakeKey("CAP3"), rpm_cap: 3 })).body.id;
  const others = Object.values(ids);
  await admin.post("/api/v1/keys/bulk", { ids: others, action: "disable" });
  try {
    await up.reset();
    const results = await Promise.all(Array.from({ length: 12 }, () => call("m-cap")));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 3, statuses.join(","));
    assert.equal(statuses.filter((s) => s === 429).length, 9);
    assert.ok(results.filter((r) => r.status === 429).every((r) => r.headers.get("x-gateway-limit") === "pool"));
    assert.equal((await up.requests("m-cap")).length, 3, "the upstream saw exactly the cap");
    assert.equal((await state(capped)).tokens_left, 0);
  } finally {
    await admin.post("/api/v1/keys/bulk", { ids: others, action: "enable" });
    await admin.del(`/api/v1/keys/${capped}`);
  }
});

test("empty replies are retried on another key (plain and streaming, before the first content)", async () => {
  await up.reset();
  await up.rules([{ match: { path: "m-empty:generateContent" }, times: 1, reply: { preset: "empty_candidates" } }]);
  const r = await call("m-empty");
  assert.equal(r.status, 200);
  assert.equal((await r.json()).candidates[0].content.parts[0].text, "Hello from fake upstream");
  const reqs = await up.requests("m-empty");
  assert.equal(reqs.length, 2);
  assert.notEqual(reqs[0].key, reqs[1].key);

  const usageOnly = 'data: {"usageMetadata":{"promptTokenCount":3,"totalTokenCount":3}}\r\n\r\n';
  await up.rules([{ match: { path: "m-empty-s:streamGenerateContent" }, times: 1, reply: {
    status: 200, headers: { "content-type": "text/event-stream" }, chunks: [{ data: usageOnly, delay_ms: 0 }],
  } }]);
  const s = await fetch(`${gw.url}/v1beta/models/m-empty-s:streamGenerateContent?alt=sse`, { method: "POST", headers: { "x-goog-api-key": token }, body: "{}" });
  assert.equal(s.status, 200);
  const text = await s.text();
  assert.match(text, /fake upstream/);
  assert.equal((await up.requests("m-empty-s")).length, 2);
});

test("a committed stream that breaks ends with a well-formed error event, never a restart", async () => {
  await up.reset();
  const ev = 'data: {"candidates":[{"content":{"parts":[{"text":"partial"}]}}]}\r\n\r\n';
  await up.rules([{ match: { path: "m-broken" }, times: 1, reply: {
    status: 200, headers: { "content-type": "text/event-stream" }, chunks: [{ data: ev, delay_ms: 0 }], drop: "after_chunks",
  } }]);
  const r = await fetch(`${gw.url}/v1beta/models/m-broken:streamGenerateContent?alt=sse`, { method: "POST", headers: { "x-goog-api-key": token }, body: "{}" });
  assert.equal(r.status, 200);
  const text = await r.text();
  const events = text.split(/\r?\n\r?\n/).filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, "")));
  assert.equal(events[0].candidates[0].content.parts[0].text, "partial");
  assert.equal(events.at(-1).error.status, "UNAVAILABLE");
  assert.equal((await up.requests("m-broken")).length, 1, "no second attempt after commit");
});

test("files and caches created through the gateway are used with the key that owns them", async () => {
  await up.reset();
  const start = await fetch(`${gw.url}/upload/v1beta/files`, {
    method: "POST",
    headers: { "x-goog-api-key": token, "x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start", "x-goog-upload-header-content-type": "text/plain", "content-type": "application/json" },
    body: JSON.stringify({ file: { displayName: "a.txt" } }),
  });
  const url = start.headers.get("x-goog-upload-url");
  const fin = await fetch(url, { method: "POST", headers: { "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0" }, body: "hello" });
  const file = (await fin.json()).file;
  const owner = (await up.requests("/upload/"))[0].key;
  const cache = await fetch(`${gw.url}/v1beta/cachedContents`, { method: "POST", headers: { "x-goog-api-key": token, "content-type": "application/json" }, body: JSON.stringify({ model: "models/gemini-2.5-flash" }) });
  assert.equal(cache.status, 200);
  const cacheName = (await cache.json()).name;
  const cacheOwner = (await up.requests("/cachedContents")).at(-1).key;
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${gw.url}/v1beta/models/m-files:generateContent`, {
      method: "POST", headers: { "x-goog-api-key": token, "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ parts: [{ fileData: { fileUri: file.uri, mimeType: "text/plain" } }] }] }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    const g = await fetch(`${gw.url}/v1beta/${file.name}`, { headers: { "x-goog-api-key": token } });
    assert.equal(g.status, 200);
    const c = await fetch(`${gw.url}/v1beta/models/m-cache:generateContent`, {
      method: "POST", headers: { "x-goog-api-key": token, "content-type": "application/json" }, body: JSON.stringify({ cachedContent: cacheName, contents: [] }),
    });
    assert.equal(c.status, 200);
  }
  assert.ok((await up.requests("m-files")).every((r) => r.key === owner), "file calls pinned to the uploading key");
  assert.ok((await up.requests("m-cache")).every((r) => r.key === cacheOwner), "cache calls pinned to the creating key");
});

test("a create that got a 5xx is never sent again (file search stores, caches, batches)", async () => {
  await up.reset();
  const creates = ["fileSearchStores", "cachedContents", "batches"];
  await up.rules(creates.map((c) => ({ match: { path: `/v1beta/${c}` }, reply: { preset: "overloaded" } })));
  for (const c of creates) {
    const r = await fetch(`${gw.url}/v1beta/${c}`, {
      method: "POST", headers: { "x-goog-api-key": token, "content-type": "application/json" }, body: "{}",
    });
    assert.equal(r.status, 503, c);
    assert.equal((await up.requests(`/v1beta/${c}`)).length, 1, `${c}: one upstream call, it may have run`);
  }
  await up.rules([]);
});

test("the cron brings back pool-disabled keys that work again, never admin-disabled ones", async () => {
  const revived = (await admin.post("/api/v1/keys", { key: fakeKey("REVIVEINVALID") })).body.id;
  const parked = (await admin.post("/api/v1/keys", { key: fakeKey("PARKEDINVALID") })).body.id;
  // Both are found dead by a check; one is also switched off by the admin.
  for (const id of [revived, parked]) assert.equal((await admin.post(`/api/v1/keys/${id}/check`)).body.result, "key_invalid");
  await admin.patch(`/api/v1/keys/${parked}`, { enabled: false });
  // Google now accepts both keys again.
  await up.reset();
  await up.rules([{ match: { path: "/v1beta/models" }, reply: { status: 200, body: { models: [] } } }]);
  // An hour later the cron re-checks keys the pool disabled.
  await gw.restart({ CLOCK_SKEW_MS: String(61 * 60 * 1000) });
  const cron = await fetch(`${gw.url}/__scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
  assert.equal(cron.status, 200);
  const v = (await admin.get(`/api/v1/keys/${revived}`)).body;
  assert.equal(v.status, "active");
  assert.equal(v.disabled_reason, null);
  const ev = (await admin.get(`/api/v1/keys/${revived}/events`)).body.map((e) => `${e.kind}:${e.actor}`);
  assert.ok(ev.includes("recovered:pool"), ev.join(","));
  const p = (await admin.get(`/api/v1/keys/${parked}`)).body;
  assert.equal(p.enabled, false, "an admin's switch is never overridden");
  assert.ok(!(await up.requests()).some((r) => r.key === fakeKey("PARKEDINVALID")), "admin-disabled keys are not even checked");
  await gw.restart({ CLOCK_SKEW_MS: undefined });
});
