// The admin audit trail (issue 12 item 4): every admin mutation is recorded with actor, time,
// target and details (config changes old → new), GET /api/v1/audit filters and pages them, a
// failed change records nothing, and no secret (pool key, client token, password) ever appears.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { SETUP_TOKEN, ADMIN, setupAdmin } from "../support/admin.mjs";
import { fakeKey } from "../support/keys.mjs";

let up;
let gw;
let admin;
const secrets = [];
before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN, PASSWORD_HASH_ITERATIONS: "1000" } });
  admin = await setupAdmin(gw.url);
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

async function audit(query = "") {
  const r = await admin.get(`/api/v1/audit${query ? `?${query}` : ""}`);
  assert.equal(r.status, 200, r.text);
  for (const s of secrets) assert.ok(!r.text.includes(s), "a secret in the audit trail");
  return r.body;
}

test("every admin mutation is recorded with actor, target and details", async () => {
  const keys = [fakeKey("AUDIT1"), fakeKey("AUDIT2")];
  secrets.push(...keys, ADMIN.password, "second admin password");
  let r = await admin.post("/api/v1/keys/import", { text: keys.join("\n") });
  assert.equal(r.status, 200);
  r = await admin.post("/api/v1/keys/export", { password: ADMIN.password });
  assert.equal(r.status, 200);
  const ids = (await admin.get("/api/v1/keys")).body.items.map((k) => k.id);
  assert.equal((await admin.post("/api/v1/keys/bulk", { ids, action: "disable" })).status, 200);
  assert.equal((await admin.post("/api/v1/keys/checks", { ids })).status, 202);
  r = await admin.post("/api/v1/tokens", { name: "audited app" });
  assert.equal(r.status, 201);
  const token = r.body;
  secrets.push(token.token);
  assert.equal((await admin.patch(`/api/v1/tokens/${token.id}`, { rpm_limit: 5 })).status, 200);
  r = await admin.post(`/api/v1/tokens/${token.id}/rotate`);
  secrets.push(r.body.token);
  assert.equal((await admin.del(`/api/v1/tokens/${token.id}`)).status, 204);
  assert.equal((await admin.patch("/api/v1/config", { max_attempts: 5 })).status, 200);
  r = await admin.post("/api/v1/admins", { username: "second-admin", password: "second admin password" });
  assert.equal(r.status, 201);
  const second = r.body.id;
  assert.equal((await admin.del(`/api/v1/admins/${second}`)).status, 204);

  const page = await audit("limit=200");
  const actions = page.items.map((e) => e.action);
  assert.deepEqual(actions, [
    "admin_deleted", "admin_created", "config_updated", "token_deleted", "token_rotated", "token_updated",
    "token_created", "checks_started", "keys_bulk", "keys_exported", "keys_imported", "setup_done",
  ]);
  const by = Object.fromEntries(page.items.map((e) => [e.action, e]));
  for (const e of page.items) {
    assert.ok(e.at > 0 && Number.isInteger(e.id));
    assert.equal(e.actor, e.action === "setup_done" ? "setup" : `admin:${ADMIN.username}`);
  }
  assert.deepEqual(by.config_updated.details, { max_attempts: { old: 3, new: 5 } });
  assert.equal(by.config_updated.target, "config");
  assert.deepEqual(by.keys_imported.details, { added: 2, duplicate: 0, not_a_key: 0 });
  assert.deepEqual(by.keys_exported.details, { count: 2 });
  assert.deepEqual(by.keys_bulk.details, { action: "disable", requested: 2, affected: 2 });
  assert.equal(by.checks_started.details.keys, 2);
  assert.equal(by.token_created.target, `token:${token.id}`);
  assert.equal(by.token_created.details.name, "audited app");
  for (const a of ["token_updated", "token_rotated", "token_deleted"]) assert.equal(by[a].target, `token:${token.id}`);
  assert.equal(by.admin_created.target, `admin:${second}`);
  assert.equal(by.admin_created.details.username, "second-admin");
  assert.equal(by.admin_deleted.target, `admin:${second}`);
  assert.equal(by.setup_done.details.username, ADMIN.username);
});

test("a refused change records nothing", async () => {
  const before = (await audit("limit=1")).items[0].id;
  assert.equal((await admin.patch("/api/v1/config", { max_attempts: 0 })).status, 400);
  assert.equal((await admin.post("/api/v1/keys/export", { password: "wrong password here" })).status, 403);
  assert.equal((await audit("limit=1")).items[0].id, before);
});

test("filters and cursor paging", async () => {
  let page = await audit("action=token_created");
  assert.ok(page.items.length >= 1 && page.items.every((e) => e.action === "token_created"));
  page = await audit("target=token:");
  assert.ok(page.items.length >= 4 && page.items.every((e) => e.target.startsWith("token:")));
  page = await audit(`actor=${encodeURIComponent("admin:" + ADMIN.username)}&limit=3`);
  assert.equal(page.items.length, 3);
  assert.ok(page.next_before);
  const seen = new Set(page.items.map((e) => e.id));
  let all = [...page.items];
  while (page.next_before) {
    page = await audit(`actor=${encodeURIComponent("admin:" + ADMIN.username)}&limit=3&before=${page.next_before}`);
    for (const e of page.items) assert.ok(!seen.has(e.id), "pages do not overlap");
    page.items.forEach((e) => seen.add(e.id));
    all = all.concat(page.items);
  }
  assert.ok(all.every((e, i) => i === 0 || e.id < all[i - 1].id), "newest first");
  assert.equal(all.length, (await audit("limit=200")).items.filter((e) => e.actor !== "setup").length);
  for (const bad of ["limit=0", "limit=201", "action=nope", "before=abc"]) {
    const r = await admin.get(`/api/v1/audit?${bad}`);
    assert.equal(r.status, 400, bad);
    assert.equal(r.body.error.code, "validation_failed");
  }
});
