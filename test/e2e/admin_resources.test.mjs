// Admin API: pool keys (import, masking, export, bulk, checks, audit), client tokens as the
// proxy sees them, config validation, and bad input of every kind.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { setupAdmin, SETUP_TOKEN, ADMIN } from "../support/admin.mjs";
import { fakeKey } from "../support/keys.mjs";

let up;
let gw;
let admin;
before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN } });
  admin = await setupAdmin(gw.url);
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

const K1 = fakeKey("IMP1");
const K2 = fakeKey("IMP2");
const K3 = fakeKey("IMP3");
const AQ = "AQ.Ab8RN6FAKEfakeFAKEfake0123456789-_xyz";

test("import from messy text: added / duplicate / not-a-key, then masked everywhere", async () => {
  const text = `name,key,notes\r\nprod,"${K1}",main\n${K1}\nkey=${K2}; ${AQ}\n- AIzaTRUNCATEDkey\n{"k":"${K3}"}`;
  let r = await admin.post("/api/v1/keys/import", { text });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { added: 4, duplicate: 1, not_a_key: 1 });
  r = await admin.post("/api/v1/keys/import", { text: `${K1} ${K2}` });
  assert.deepEqual(r.body, { added: 0, duplicate: 2, not_a_key: 0 });
  const list = await admin.get("/api/v1/keys?per_page=100");
  assert.equal(list.body.total, 4);
  for (const k of [K1, K2, K3, AQ]) assert.ok(!list.text.includes(k), "full key must not appear in the list");
  assert.ok(list.body.items.some((i) => i.key_masked === `AIza…${K1.slice(-4)}`));
  assert.ok(list.body.items.some((i) => i.key_masked.startsWith("AQ.…")));
  const one = await admin.get(`/api/v1/keys/${list.body.items[0].id}`);
  assert.ok(!JSON.stringify(one.body).match(/AIza[0-9A-Za-z_-]{35}/));
});

test("export needs the password again, returns full keys and is recorded", async () => {
  // GET no longer exports (the path reads as a key id now: 404).
  const get = await admin.get("/api/v1/keys/export");
  assert.equal(get.status, 404);
  assert.ok(!get.text.includes("AIza"));
  let r = await admin.post("/api/v1/keys/export", {});
  assert.equal(r.status, 400);
  r = await admin.post("/api/v1/keys/export", { password: "not the admin password" });
  assert.equal(r.status, 403);
  assert.ok(!r.text.includes("AIza"));
  r = await admin.post("/api/v1/keys/export", { password: ADMIN.password });
  assert.equal(r.status, 200);
  assert.deepEqual(new Set(r.body.map((k) => k.key)), new Set([K1, K2, K3, AQ]));
  const audit = await admin.get("/api/v1/audit?limit=5");
  assert.equal(audit.body.items[0].action, "keys_exported");
  assert.equal(audit.body.items[0].actor, "admin:root-admin");
  assert.deepEqual(audit.body.items[0].details, { count: 4 });
  // The key's own trail records the export too.
  const events = await admin.get(`/api/v1/keys/${(await admin.get("/api/v1/keys?per_page=1")).body.items[0].id}/events`);
  assert.equal(events.status, 200);
});

test("create one, duplicate 409, not-a-key 400, update, audit trail", async () => {
  const key = fakeKey("ONE");
  let r = await admin.post("/api/v1/keys", { key, note: "primary", project: "proj-a" });
  assert.equal(r.status, 201);
  assert.equal(r.body.key_masked, `AIza…${key.slice(-4)}`);
  assert.ok(!r.text.includes(key));
  const id = r.body.id;
  assert.equal((await admin.post("/api/v1/keys", { key })).status, 409);
  r = await admin.post("/api/v1/keys", { key: "sk-not-a-gemini-key" });
  assert.equal(r.status, 400);
  assert.ok(r.body.error.fields.key);
  r = await admin.patch(`/api/v1/keys/${id}`, { enabled: false, note: "paused", project: null });
  assert.equal(r.status, 200);
  assert.equal(r.body.enabled, false);
  assert.equal(r.body.project, null);
  const events = (await admin.get(`/api/v1/keys/${id}/events`)).body;
  assert.deepEqual(events.map((e) => e.kind), ["disabled", "created"]);
  assert.equal(events[0].actor, "admin:root-admin");
  assert.equal((await admin.patch("/api/v1/keys/999999", { note: "x" })).status, 404);
});

test("list filters, search, sort and pagination", async () => {
  let r = await admin.get("/api/v1/keys?enabled=false");
  assert.ok(r.body.items.every((k) => !k.enabled));
  assert.ok(r.body.total >= 1);
  r = await admin.get("/api/v1/keys?q=paused");
  assert.equal(r.body.total, 1);
  r = await admin.get(`/api/v1/keys?q=${K2.slice(-4)}`);
  assert.equal(r.body.total, 1);
  const p1 = await admin.get("/api/v1/keys?per_page=2&page=1&sort=id&order=asc");
  const p2 = await admin.get("/api/v1/keys?per_page=2&page=2&sort=id&order=asc");
  assert.equal(p1.body.items.length, 2);
  assert.ok(p1.body.items[1].id < p2.body.items[0].id);
  r = await admin.get("/api/v1/keys?status=weird&per_page=0&bogus=1");
  assert.equal(r.status, 400);
  assert.deepEqual(Object.keys(r.body.error.fields).sort(), ["bogus", "per_page", "status"]);
});

test("checks: a dead key is disabled with its reason; bulk check reports progress to the end", async () => {
  const dead = fakeKey("INVALIDx");
  const id = (await admin.post("/api/v1/keys", { key: dead })).body.id;
  let r = await admin.post(`/api/v1/keys/${id}/check`);
  assert.equal(r.status, 200);
  assert.equal(r.body.result, "key_invalid");
  const view = (await admin.get(`/api/v1/keys/${id}`)).body;
  assert.equal(view.status, "disabled");
  assert.equal(view.disabled_reason, "API_KEY_INVALID");
  const kinds = (await admin.get(`/api/v1/keys/${id}/events`)).body.map((e) => e.kind);
  assert.ok(kinds.includes("auto_disabled"));
  const checks = await up.requests("/v1beta/models");
  assert.ok(checks.every((q) => q.query === "pageSize=1" && !q.path.includes("AIza")), "cheap call, key only in header");

  r = await admin.post("/api/v1/keys/checks", {});
  assert.equal(r.status, 202);
  const job = r.body.job;
  assert.ok(r.body.total >= 5);
  let progress;
  for (let i = 0; i < 200; i++) {
    progress = (await admin.get(`/api/v1/keys/checks/${job}`)).body;
    if (progress.finished) break;
  }
  assert.equal(progress.finished, true);
  assert.equal(progress.done, progress.total);
  assert.equal(progress.failed, 1);
  assert.equal((await admin.get("/api/v1/keys/checks/unknown-job")).status, 404);
});

test("bulk enable / disable / delete", async () => {
  const ids = (await admin.get("/api/v1/keys?per_page=100&sort=id&order=asc")).body.items.slice(0, 2).map((k) => k.id);
  let r = await admin.post("/api/v1/keys/bulk", { ids, action: "disable" });
  assert.deepEqual(r.body, { affected: 2 });
  r = await admin.post("/api/v1/keys/bulk", { ids, action: "enable" });
  assert.deepEqual(r.body, { affected: 2 });
  r = await admin.post("/api/v1/keys/bulk", { ids, action: "explode" });
  assert.equal(r.status, 400);
  r = await admin.post("/api/v1/keys/bulk", { ids: [ids[0], 999999], action: "delete" });
  assert.deepEqual(r.body, { affected: 1 });
  assert.equal((await admin.get(`/api/v1/keys/${ids[0]}`)).status, 404);
  assert.equal((await admin.del(`/api/v1/keys/${ids[1]}`)).status, 204);
  assert.equal((await admin.del(`/api/v1/keys/${ids[1]}`)).status, 404);
});

const proxyCall = (token) =>
  fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: "POST", headers: { "x-goog-api-key": token, "content-type": "application/json" }, body: "{}",
  });

test("client tokens: shown once, work at once, disabling/rotating/deleting take effect at once", async () => {
  let r = await admin.post("/api/v1/tokens", { name: "ci bot" });
  assert.equal(r.status, 201);
  const { token, id, prefix } = r.body;
  assert.match(token, /^gp_[A-Za-z0-9_-]{43}$/);
  assert.equal(prefix, token.slice(0, 9));
  const list = await admin.get("/api/v1/tokens");
  assert.ok(!list.text.includes(token), "never listed again");
  assert.equal((await proxyCall(token)).status, 200);

  assert.equal((await admin.patch(`/api/v1/tokens/${id}`, { enabled: false })).status, 200);
  assert.equal((await proxyCall(token)).status, 401);
  await admin.patch(`/api/v1/tokens/${id}`, { enabled: true });
  assert.equal((await proxyCall(token)).status, 200);

  r = await admin.post(`/api/v1/tokens/${id}/rotate`);
  assert.equal(r.status, 200);
  assert.notEqual(r.body.token, token);
  assert.equal((await proxyCall(token)).status, 401, "old token dead");
  assert.equal((await proxyCall(r.body.token)).status, 200, "new token live");

  assert.equal((await admin.del(`/api/v1/tokens/${id}`)).status, 204);
  assert.equal((await proxyCall(r.body.token)).status, 401);
  assert.equal((await admin.post("/api/v1/tokens", { name: "" })).status, 400);
  assert.equal((await admin.post("/api/v1/tokens", { name: "old", expires_at: 1000 })).status, 400);
});

test("config: values and defaults; per-field validation; nothing half-written; null resets", async () => {
  let r = await admin.get("/api/v1/config");
  assert.equal(r.body.values.max_attempts, 3);
  assert.equal(r.body.defaults.upstream_base_url, up.url);
  r = await admin.patch("/api/v1/config", { max_attempts: 0, upstream_base_url: "http://example.com", log_retention_days: 7, nope: 1 });
  assert.equal(r.status, 400);
  assert.deepEqual(Object.keys(r.body.error.fields).sort(), ["max_attempts", "nope", "upstream_base_url"]);
  assert.match(r.body.error.fields.upstream_base_url, /https/);
  r = await admin.get("/api/v1/config");
  assert.equal(r.body.values.log_retention_days, 30, "no partial write");
  r = await admin.patch("/api/v1/config", { max_attempts: 5, cors_allowed_origins: ["https://app.example.com/"] });
  assert.equal(r.status, 200);
  assert.equal(r.body.values.max_attempts, 5);
  assert.deepEqual(r.body.values.cors_allowed_origins, ["https://app.example.com"]);
  assert.deepEqual(r.body.overridden.sort(), ["cors_allowed_origins", "max_attempts"]);
  r = await admin.patch("/api/v1/config", { max_attempts: null, cors_allowed_origins: null });
  assert.equal(r.body.values.max_attempts, 3);
  assert.deepEqual(r.body.overridden, []);
});

test("bad input: clear 4xx in one error shape, never a 500, nothing written", async () => {
  const before = (await admin.get("/api/v1/keys?per_page=1")).body.total;
  const cases = [
    ["malformed JSON", { raw: "{not json", headers: { "content-type": "application/json" } }, 400],
    ["wrong type", { body: { key: 42 } }, 400],
    ["unknown field", { body: { key: fakeKey("UNK"), color: "red" } }, 400],
    ["array instead of object", { body: [1, 2] }, 400],
    ["wrong content type", { raw: "key=x", headers: { "content-type": "application/x-www-form-urlencoded" } }, 415],
    ["no body", { headers: { "content-type": "application/json" }, raw: "" }, 400],
    ["huge body", { raw: JSON.stringify({ key: "x".repeat(2 * 1024 * 1024) }), headers: { "content-type": "application/json" } }, 413],
  ];
  for (const [name, opts, status] of cases) {
    const r = await admin.call("POST", "/api/v1/keys", opts.body, opts);
    assert.equal(r.status, status, name);
    assert.equal(typeof r.body.error.code, "string", name);
    assert.equal(typeof r.body.error.message, "string", name);
  }
  assert.equal((await admin.get("/api/v1/keys?per_page=1")).body.total, before, "nothing written");
  assert.equal((await admin.call("PUT", "/api/v1/keys")).status, 405);
  assert.equal((await admin.get("/api/v1/keys/abc")).status, 404);
  assert.equal((await admin.get("/api/v1/keys/-1")).status, 404);
});

test("SQL- and HTML-looking strings are stored verbatim and returned as JSON", async () => {
  const note = `'); DROP TABLE pool_keys; -- <script>alert("x")</script> ☃ 你好`;
  const r = await admin.post("/api/v1/keys", { key: fakeKey("SQLI"), note });
  assert.equal(r.status, 201);
  assert.equal(r.body.note, note);
  assert.match(r.headers.get("content-type"), /application\/json/);
  assert.equal(r.headers.get("x-content-type-options"), "nosniff");
  assert.equal((await admin.get(`/api/v1/keys?q=${encodeURIComponent("DROP TABLE")}`)).body.total, 1);
  assert.equal((await admin.get(`/api/v1/keys?q=${encodeURIComponent("%")}`)).body.total, 0, "LIKE wildcards are literal");
  const t = await admin.post("/api/v1/tokens", { name: `<img src=x onerror=alert(1)>` });
  assert.equal(t.body.name, `<img src=x onerror=alert(1)>`);
});
