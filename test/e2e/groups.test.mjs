// Key groups, tiers and routes (issue 13): the admin API (groups CRUD with live capacity, key
// group/tier/weight, filters, bulk move, import into a group, token groups, the routing config).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { setupAdmin, SETUP_TOKEN } from "../support/admin.mjs";
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

const groupNamed = async (name) => (await admin.get("/api/v1/groups")).body.find((g) => g.name === name);

test("the default group exists, holds new keys and tokens, and cannot be deleted", async () => {
  const d = await groupNamed("default");
  assert.deepEqual(d.tiers, ["free", "paid"]);
  const k = await admin.post("/api/v1/keys", { key: fakeKey("GDEF1") });
  assert.equal(k.status, 201);
  assert.deepEqual([k.body.group, k.body.tier, k.body.weight], ["default", "free", 1]);
  const t = await admin.post("/api/v1/tokens", { name: "default-bound" });
  assert.deepEqual(t.body.groups, ["default"]);
  const after = await groupNamed("default");
  assert.equal(after.keys_by_tier.free, 1);
  assert.equal(after.tokens, 1);
  const del = await admin.del("/api/v1/groups/default");
  assert.equal(del.status, 409);
  assert.equal(del.body.error.code, "conflict");
});

test("groups: create, validate, update tiers and note, delete only when empty", async () => {
  let r = await admin.post("/api/v1/groups", { name: "team-a", note: "Team A", tiers: ["free", "paid"] });
  assert.equal(r.status, 201);
  assert.deepEqual([r.body.name, r.body.note, r.body.tiers, r.body.tokens], ["team-a", "Team A", ["free", "paid"], 0]);
  assert.equal((await admin.post("/api/v1/groups", { name: "team-a" })).status, 409);
  r = await admin.post("/api/v1/groups", { name: "bad name", tiers: ["x", "x"] });
  assert.equal(r.status, 400);
  assert.deepEqual(Object.keys(r.body.error.fields).sort(), ["name", "tiers"]);
  assert.equal((await admin.post("/api/v1/groups", { name: "t", colour: "red" })).status, 400);
  r = await admin.patch("/api/v1/groups/team-a", { tiers: ["paid", "free", "trial"], note: "" });
  assert.equal(r.status, 200);
  assert.deepEqual([r.body.tiers, r.body.note], [["paid", "free", "trial"], ""]);
  assert.equal((await admin.patch("/api/v1/groups/team-a", { tiers: [] })).status, 400);
  assert.equal((await admin.patch("/api/v1/groups/nope", { note: "x" })).status, 404);
  assert.equal((await admin.get("/api/v1/groups/nope")).status, 404);
  // A group with a key or a bound token is not deleted.
  const k = await admin.post("/api/v1/keys", { key: fakeKey("GDEL1"), group: "team-a", tier: "trial" });
  assert.deepEqual([k.body.group, k.body.tier], ["team-a", "trial"]);
  assert.equal((await admin.del("/api/v1/groups/team-a")).status, 409);
  await admin.patch(`/api/v1/keys/${k.body.id}`, { group: "default" });
  const tok = await admin.post("/api/v1/tokens", { name: "team-a-bound", groups: ["team-a"] });
  assert.equal((await admin.del("/api/v1/groups/team-a")).status, 409);
  await admin.del(`/api/v1/tokens/${tok.body.id}`);
  assert.equal((await admin.del("/api/v1/groups/team-a")).status, 204);
  assert.equal(await groupNamed("team-a"), undefined);
});

test("keys: group, tier and weight on create and PATCH, list filters, audit trail", async () => {
  await admin.post("/api/v1/groups", { name: "paidonly", tiers: ["paid"] });
  let r = await admin.post("/api/v1/keys", { key: fakeKey("GKEY1"), group: "paidonly", weight: 5 });
  assert.deepEqual([r.body.group, r.body.tier, r.body.weight], ["paidonly", "paid", 5]);
  const id = r.body.id;
  r = await admin.post("/api/v1/keys", { key: fakeKey("GKEY2"), group: "missing" });
  assert.equal(r.status, 400);
  assert.ok(r.body.error.fields.group);
  r = await admin.post("/api/v1/keys", { key: fakeKey("GKEY2"), group: "paidonly", tier: "free" });
  assert.equal(r.status, 400);
  assert.match(r.body.error.fields.tier, /paid/);
  r = await admin.post("/api/v1/keys", { key: fakeKey("GKEY2"), weight: 0 });
  assert.equal(r.status, 400);
  assert.ok(r.body.error.fields.weight);
  // Moving to a group that lists the key's tier keeps it; else the first tier.
  r = await admin.patch(`/api/v1/keys/${id}`, { group: "default" });
  assert.deepEqual([r.body.group, r.body.tier], ["default", "paid"]);
  r = await admin.patch(`/api/v1/keys/${id}`, { tier: "free", weight: 1000 });
  assert.deepEqual([r.body.tier, r.body.weight], ["free", 1000]);
  assert.equal((await admin.patch(`/api/v1/keys/${id}`, { tier: "gold" })).status, 400);
  assert.equal((await admin.patch(`/api/v1/keys/${id}`, { weight: 1001 })).status, 400);
  r = await admin.patch(`/api/v1/keys/${id}`, { group: "paidonly" });
  assert.deepEqual([r.body.group, r.body.tier], ["paidonly", "paid"]);
  const events = (await admin.get(`/api/v1/keys/${id}/events`)).body;
  assert.ok(events.some((e) => e.kind === "moved" && e.message === "default/free → paidonly/paid"));
  let list = (await admin.get("/api/v1/keys?group=paidonly&per_page=100")).body;
  assert.deepEqual(list.items.map((k) => k.id), [id]);
  list = (await admin.get("/api/v1/keys?group=default&tier=paid")).body;
  assert.ok(list.items.every((k) => k.group === "default" && k.tier === "paid"));
  assert.equal((await admin.get("/api/v1/keys?group=a%20b")).status, 400);
});

test("bulk move_to_group and import into a group", async () => {
  await admin.post("/api/v1/groups", { name: "mover", tiers: ["free", "paid"] });
  let r = await admin.post("/api/v1/keys/import", { text: `${fakeKey("GIMP1")}\n${fakeKey("GIMP2")}`, group: "mover", tier: "paid" });
  assert.deepEqual(r.body, { added: 2, duplicate: 0, not_a_key: 0 });
  const imported = (await admin.get("/api/v1/keys?group=mover")).body.items;
  assert.deepEqual(imported.map((k) => k.tier), ["paid", "paid"]);
  assert.equal((await admin.post("/api/v1/keys/import", { text: fakeKey("GIMP3"), group: "nope" })).status, 400);
  const ids = imported.map((k) => k.id);
  r = await admin.post("/api/v1/keys/bulk", { ids, action: "move_to_group" });
  assert.equal(r.status, 400);
  assert.ok(r.body.error.fields.group);
  r = await admin.post("/api/v1/keys/bulk", { ids, action: "disable", group: "mover" });
  assert.equal(r.status, 400);
  r = await admin.post("/api/v1/keys/bulk", { ids, action: "move_to_group", group: "paidonly" });
  assert.deepEqual(r.body, { affected: 2 });
  const moved = (await admin.get("/api/v1/keys?group=paidonly&per_page=100")).body.items.filter((k) => ids.includes(k.id));
  assert.deepEqual(moved.map((k) => k.tier), ["paid", "paid"]);
  r = await admin.post("/api/v1/keys/bulk", { ids, action: "move_to_group", group: "paidonly" });
  assert.deepEqual(r.body, { affected: 0 }, "moving where a key already is changes nothing");
  r = await admin.post("/api/v1/keys/bulk", { ids: [ids[0]], action: "move_to_group", group: "mover", tier: "free" });
  assert.deepEqual(r.body, { affected: 1 });
  assert.equal((await admin.get(`/api/v1/keys/${ids[0]}`)).body.tier, "free");
  const events = (await admin.get(`/api/v1/keys/${ids[0]}/events`)).body;
  assert.equal(events.filter((e) => e.kind === "moved").length, 2);
});

test("group detail: live capacity per tier and model", async () => {
  await admin.post("/api/v1/groups", { name: "cap", tiers: ["free", "paid"] });
  const free = (await admin.post("/api/v1/keys", { key: fakeKey("GCAP1"), group: "cap" })).body.id;
  await admin.post("/api/v1/keys", { key: fakeKey("GCAP2"), group: "cap" });
  const off = (await admin.post("/api/v1/keys", { key: fakeKey("GCAP3"), group: "cap", tier: "paid" })).body.id;
  await admin.patch(`/api/v1/keys/${off}`, { enabled: false });
  const d = (await admin.get("/api/v1/groups/cap")).body;
  assert.deepEqual(d.keys_by_tier, { free: 2, paid: 1 });
  assert.deepEqual(d.capacity.map((c) => [c.tier, c.keys, c.active_keys]), [["free", 2, 2], ["paid", 1, 0]]);
  assert.deepEqual(d.capacity[0].models, [{ model: "*", available_now: 2, cooling: 0, next_free_at: null }]);
  assert.ok(free > 0);
});

test("tokens: groups must exist and can be changed", async () => {
  await admin.post("/api/v1/groups", { name: "tok-g" });
  let r = await admin.post("/api/v1/tokens", { name: "grouped", groups: ["tok-g", "default"] });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body.groups, ["tok-g", "default"]);
  const id = r.body.id;
  assert.equal((await admin.post("/api/v1/tokens", { name: "x", groups: [] })).status, 400);
  r = await admin.post("/api/v1/tokens", { name: "x", groups: ["ghost"] });
  assert.equal(r.status, 400);
  assert.match(r.body.error.fields.groups, /ghost/);
  r = await admin.patch(`/api/v1/tokens/${id}`, { groups: ["tok-g"] });
  assert.deepEqual(r.body.groups, ["tok-g"]);
  const listed = (await admin.get("/api/v1/tokens")).body.find((t) => t.id === id);
  assert.deepEqual(listed.groups, ["tok-g"]);
  assert.equal((await groupNamed("tok-g")).tokens, 1);
});

test("the routing config is validated and stored", async () => {
  const routing = {
    routes: [{ model: "fast", upstream: "gemini-2.5-flash", fallback: "gemini-2.5-flash-lite" }],
    derived_models: true,
    default_rules: { safety_settings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }] },
  };
  let r = await admin.patch("/api/v1/config", { routing });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.values.routing.routes[0], { ...routing.routes[0], rewrite_response_model: false });
  assert.ok(r.body.overridden.includes("routing"));
  r = await admin.patch("/api/v1/config", { routing: { routes: [{ model: "x y" }] } });
  assert.equal(r.status, 400);
  assert.match(r.body.error.fields.routing, /route 1/);
  r = await admin.patch("/api/v1/config", { routing: null });
  assert.deepEqual(r.body.values.routing, { routes: [], derived_models: true, default_rules: {} });
});

test("proxy: a token bound to one group never uses another group's keys", async () => {
  await admin.post("/api/v1/groups", { name: "iso-a", tiers: ["free"] });
  await admin.post("/api/v1/groups", { name: "iso-b", tiers: ["free"] });
  for (const n of ["ISOA1", "ISOA2"]) await admin.post("/api/v1/keys", { key: fakeKey(n), group: "iso-a" });
  for (const n of ["ISOB1", "ISOB2"]) await admin.post("/api/v1/keys", { key: fakeKey(n), group: "iso-b" });
  const token = (await admin.post("/api/v1/tokens", { name: "iso-a only", groups: ["iso-a"] })).body.token;
  const call = () =>
    fetch(`${gw.url}/v1beta/models/m-iso:generateContent`, {
      method: "POST", headers: { "x-goog-api-key": token, "content-type": "application/json" }, body: "{}",
    });
  for (let i = 0; i < 8; i++) assert.equal((await call()).status, 200);
  const used = new Set((await up.requests("m-iso")).map((r) => r.key));
  assert.ok(used.size >= 1);
  for (const k of used) assert.ok([fakeKey("ISOA1"), fakeKey("ISOA2")].includes(k), "only group iso-a keys serve");
  // With every iso-a key failing, the token still never reaches iso-b.
  await up.rules([{ match: { path: "m-iso-dead" }, reply: { preset: "overloaded" } }]);
  const r = await fetch(`${gw.url}/v1beta/models/m-iso-dead:generateContent`, {
    method: "POST", headers: { "x-goog-api-key": token, "content-type": "application/json" }, body: "{}",
  });
  assert.equal(r.status, 503);
  for (const q of await up.requests("m-iso-dead")) assert.ok(q.key.includes("ISOA"), "no iso-b key tried");
});
