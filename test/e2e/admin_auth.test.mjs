// Admin API: first-run setup, sign-in, sessions, throttling, admins, the Origin rule.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { AdminClient, SETUP_TOKEN, ADMIN } from "../support/admin.mjs";

let up;
let gw;
before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN } });
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

test("first-run setup: no default admin, token required, strong password, then 409", async () => {
  const c = new AdminClient(gw.url);
  assert.deepEqual((await c.get("/api/v1/setup")).body, { needs_setup: true });
  // Nobody can sign in before setup: there is no default account.
  for (const creds of [{ username: "admin", password: "password123" }, { username: "admin", password: "admin" }]) {
    assert.equal((await c.post("/api/v1/auth/login", creds)).status, 401);
  }
  let r = await c.post("/api/v1/setup", { setup_token: "wrong", ...ADMIN });
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, "forbidden");
  r = await c.post("/api/v1/setup", { setup_token: SETUP_TOKEN, username: "root-admin", password: "short" });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, "validation_failed");
  assert.match(r.body.error.fields.password, /12/);
  r = await c.post("/api/v1/setup", { setup_token: SETUP_TOKEN, ...ADMIN });
  assert.equal(r.status, 201);
  assert.equal(r.body.username, ADMIN.username);
  // The session cookie: HttpOnly, SameSite=Strict; Secure is dropped only on plain-http dev.
  assert.match(c.lastSetCookie, /^poise_session=\d+\.[A-Za-z0-9_-]{43};/);
  assert.match(c.lastSetCookie, /HttpOnly/);
  assert.match(c.lastSetCookie, /SameSite=Strict/);
  assert.match(c.lastSetCookie, /Max-Age=43200/);
  assert.doesNotMatch(c.lastSetCookie, /Secure/);
  assert.equal((await c.get("/api/v1/auth/me")).body.username, ADMIN.username);
  r = await new AdminClient(gw.url).post("/api/v1/setup", { setup_token: SETUP_TOKEN, username: "second", password: "another long password" });
  assert.equal(r.status, 409);
  assert.deepEqual((await c.get("/api/v1/setup")).body, { needs_setup: false });
});

test("sign-in, me, sign-out (the session is deleted server-side)", async () => {
  const c = new AdminClient(gw.url);
  assert.equal((await c.get("/api/v1/auth/me")).status, 401);
  const t0 = performance.now();
  const r = await c.post("/api/v1/auth/login", ADMIN);
  const loginMs = performance.now() - t0;
  assert.equal(r.status, 200, r.text);
  console.log(`# sign-in round trip incl. PBKDF2: ${loginMs.toFixed(0)} ms`);
  const stolen = c.cookie;
  assert.equal((await c.get("/api/v1/auth/me")).status, 200);
  assert.equal((await c.post("/api/v1/auth/logout")).status, 204);
  assert.equal(c.cookie, null, "cookie cleared");
  // Replaying the old cookie fails: the session is gone, not just the browser's copy.
  const replay = new AdminClient(gw.url);
  replay.cookie = stolen;
  assert.equal((await replay.get("/api/v1/auth/me")).status, 401);
});

test("unknown user and wrong password get the same answer", async () => {
  const a = await new AdminClient(gw.url).post("/api/v1/auth/login", { username: "nobody-here", password: "whatever it is 123" });
  const b = await new AdminClient(gw.url).post("/api/v1/auth/login", { username: ADMIN.username, password: "wrong password 123" });
  assert.equal(a.status, 401);
  assert.equal(b.status, 401);
  assert.deepEqual(a.body, b.body);
});

test("sign-in is throttled after 5 failures, with a growing Retry-After", async () => {
  const c = new AdminClient(gw.url);
  const user = { username: "throttle-target", password: "not the password!" };
  for (let i = 0; i < 5; i++) assert.equal((await c.post("/api/v1/auth/login", user)).status, 401);
  const first = await c.post("/api/v1/auth/login", user);
  assert.equal(first.status, 429);
  assert.equal(first.body.error.code, "too_many_requests");
  const second = await c.post("/api/v1/auth/login", user);
  assert.equal(second.status, 429);
  assert.ok(Number(second.headers.get("retry-after")) > Number(first.headers.get("retry-after")), "lock grows");
  // Other users are unaffected.
  assert.equal((await new AdminClient(gw.url).post("/api/v1/auth/login", ADMIN)).status, 200);
});

test("changing the password needs the current one and ends the other sessions", async () => {
  const a = new AdminClient(gw.url);
  const b = new AdminClient(gw.url);
  await a.post("/api/v1/auth/login", ADMIN);
  await b.post("/api/v1/auth/login", ADMIN);
  let r = await a.post("/api/v1/auth/password", { current_password: "wrong one here", new_password: "a brand new password" });
  assert.equal(r.status, 403);
  r = await a.post("/api/v1/auth/password", { current_password: ADMIN.password, new_password: "short" });
  assert.equal(r.status, 400);
  assert.ok(r.body.error.fields.new_password);
  r = await a.post("/api/v1/auth/password", { current_password: ADMIN.password, new_password: "a brand new password" });
  assert.equal(r.status, 204);
  assert.equal((await a.get("/api/v1/auth/me")).status, 200, "this session stays");
  assert.equal((await b.get("/api/v1/auth/me")).status, 401, "other sessions end");
  assert.equal((await new AdminClient(gw.url).post("/api/v1/auth/login", ADMIN)).status, 401);
  r = await a.post("/api/v1/auth/password", { current_password: "a brand new password", new_password: ADMIN.password });
  assert.equal(r.status, 204);
});

test("admins: create, list, delete, never the last one", async () => {
  const c = new AdminClient(gw.url);
  await c.post("/api/v1/auth/login", ADMIN);
  let r = await c.post("/api/v1/admins", { username: "second-admin", password: "second admin password" });
  assert.equal(r.status, 201);
  const second = r.body.id;
  assert.equal((await c.post("/api/v1/admins", { username: "second-admin", password: "second admin password" })).status, 409);
  assert.equal((await c.post("/api/v1/admins", { username: "x", password: "second admin password" })).status, 400);
  const other = new AdminClient(gw.url);
  assert.equal((await other.post("/api/v1/auth/login", { username: "second-admin", password: "second admin password" })).status, 200);
  r = await c.get("/api/v1/admins");
  assert.deepEqual(r.body.map((a) => a.username), [ADMIN.username, "second-admin"]);
  assert.ok(!r.text.includes("pbkdf2"), "no password hashes in the API");
  assert.equal((await c.del(`/api/v1/admins/${second}`)).status, 204);
  assert.equal((await other.get("/api/v1/auth/me")).status, 401, "a deleted admin's sessions end");
  const me = (await c.get("/api/v1/auth/me")).body;
  r = await c.del(`/api/v1/admins/${me.id}`);
  assert.equal(r.status, 409);
  assert.equal((await c.del("/api/v1/admins/999999")).status, 404);
});

// The routes that need no session, kept here rather than read from the document under test.
const PUBLIC_ROUTES = new Set(["get /api/v1/openapi.json", "get /api/v1/setup", "post /api/v1/setup", "post /api/v1/auth/login"]);

test("every route in the OpenAPI document: 401 without a session, 403 cross-origin", async () => {
  const c = new AdminClient(gw.url);
  const doc = (await c.get("/api/v1/openapi.json")).body;
  const documentedPublic = new Set();
  await c.post("/api/v1/auth/login", ADMIN);
  const anon = new AdminClient(gw.url);
  let checked = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const url = path.replace("{id}", "1").replace("{job}", "nojob");
      const isPublic = PUBLIC_ROUTES.has(`${method} ${path}`);
      if (Array.isArray(op.security) && op.security.length === 0) documentedPublic.add(`${method} ${path}`);
      const body = ["post", "patch"].includes(method) ? {} : undefined;
      if (!isPublic) {
        const r = await anon.call(method.toUpperCase(), url, body);
        assert.equal(r.status, 401, `${method} ${path} without a session`);
        assert.equal(r.body.error.code, "unauthenticated");
      }
      if (method !== "get") {
        const r = await c.call(method.toUpperCase(), url, body, { headers: { origin: "https://evil.example" } });
        assert.equal(r.status, 403, `${method} ${path} cross-origin`);
      }
      checked++;
    }
  }
  assert.ok(checked >= 29);
  assert.deepEqual([...documentedPublic].sort(), [...PUBLIC_ROUTES].sort(), "the document marks exactly these routes public");
  // The same request from our own origin is not refused for its origin.
  const own = await c.post("/api/v1/auth/logout", undefined, { headers: { origin: gw.url } });
  assert.equal(own.status, 204);
});

test("a session expires after 12 hours", async () => {
  const c = new AdminClient(gw.url);
  await c.post("/api/v1/auth/login", ADMIN);
  assert.equal((await c.get("/api/v1/auth/me")).status, 200);
  await gw.restart({ CLOCK_SKEW_MS: String(12 * 3600 * 1000 + 60_000) });
  assert.equal((await c.get("/api/v1/auth/me")).status, 401);
  await gw.restart({ CLOCK_SKEW_MS: undefined });
});
