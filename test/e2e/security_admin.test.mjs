// Admin-side hardening (issue 12 items 3, 7, 8, 9): sessions that end everywhere at once,
// the admin API refused over plain http off loopback, security headers, an upstream allow-list
// with re-authentication, key checks that never follow a redirect with a key, and unknown
// paths answered with a JSON 404 in the caller's dialect unless the client asks for HTML.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { AdminClient, SETUP_TOKEN, ADMIN, setupAdmin } from "../support/admin.mjs";
import { fakeKey } from "../support/keys.mjs";

let up;
let gw;
let admin;
before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN, PASSWORD_HASH_ITERATIONS: "1000" } });
  admin = await setupAdmin(gw.url);
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

async function signedIn() {
  const c = new AdminClient(gw.url);
  const r = await c.post("/api/v1/auth/login", ADMIN);
  assert.equal(r.status, 200, r.text);
  return c;
}

/** A raw request with a chosen Host header (fetch cannot set one). */
function withHost(host, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(gw.url);
    const req = http.request({ host: u.hostname, port: u.port, path, method: "GET", headers: { host, ...headers } }, (res) => {
      let body = "";
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("sign out everywhere ends every session of the admin at once, this one included", async () => {
  const a = await signedIn();
  const b = await signedIn();
  const stolen = b.cookie;
  assert.equal((await b.get("/api/v1/auth/me")).status, 200);
  const r = await a.post("/api/v1/auth/logout-all");
  assert.equal(r.status, 204);
  assert.equal(a.cookie, null, "the cookie is cleared");
  assert.equal((await b.get("/api/v1/auth/me")).status, 401, "another location's session ended");
  const replay = new AdminClient(gw.url);
  replay.cookie = stolen;
  assert.equal((await replay.get("/api/v1/auth/me")).status, 401);
  // Signing in again works and starts a session of the new generation.
  const c = await signedIn();
  assert.equal((await c.get("/api/v1/auth/me")).status, 200);
  admin = c;
});

test("a password change ends the other sessions at once; the changing one continues", async () => {
  const a = await signedIn();
  const b = await signedIn();
  const newPassword = "another long password 42";
  assert.equal((await a.post("/api/v1/auth/password", { current_password: ADMIN.password, new_password: newPassword })).status, 204);
  assert.equal((await a.get("/api/v1/auth/me")).status, 200);
  assert.equal((await b.get("/api/v1/auth/me")).status, 401);
  assert.equal((await admin.get("/api/v1/auth/me")).status, 401);
  assert.equal((await a.post("/api/v1/auth/password", { current_password: newPassword, new_password: ADMIN.password })).status, 204);
  admin = await signedIn();
});

test("the admin API refuses plain http off loopback, with a reason", async () => {
  const r = await withHost("gateway.example.com", "/api/v1/setup");
  assert.equal(r.status, 403, r.body);
  const body = JSON.parse(r.body);
  assert.equal(body.error.code, "https_required");
  assert.match(body.error.message, /https/);
  // Loopback stays usable for local development.
  assert.equal((await withHost("localhost", "/api/v1/setup")).status, 200);
});

test("security headers: the UI has a CSP with frame-ancestors 'none', nosniff and a referrer policy; the API is nosniff", async () => {
  for (const p of ["/", "/keys"]) {
    const r = await fetch(gw.url + p, { headers: { accept: "text/html", "sec-fetch-mode": "navigate" } });
    assert.equal(r.status, 200, p);
    assert.match(await r.text(), /<html/);
    const csp = r.headers.get("content-security-policy") ?? "";
    assert.match(csp, /frame-ancestors 'none'/, p);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/, p);
    assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/, p);
    assert.equal(r.headers.get("x-content-type-options"), "nosniff", p);
    assert.equal(r.headers.get("referrer-policy"), "no-referrer", p);
  }
  const boot = await fetch(`${gw.url}/boot.js`);
  assert.equal(boot.status, 200);
  assert.equal(boot.headers.get("x-content-type-options"), "nosniff");
  const api = await admin.get("/api/v1/auth/me");
  assert.equal(api.headers.get("x-content-type-options"), "nosniff");
  assert.match(api.headers.get("content-security-policy"), /frame-ancestors 'none'/);
});

test("unknown paths: JSON 404 in the caller's dialect, the UI only for HTML outside the API prefixes", async () => {
  // A common base-URL mistake: never the UI, whatever the client accepts.
  for (const headers of [{}, { accept: "application/json" }, { accept: "text/html", "sec-fetch-mode": "navigate" }]) {
    const r = await fetch(`${gw.url}/gemini/v1beta/models`, { headers });
    assert.equal(r.status, 404, JSON.stringify(headers));
    const body = await r.json();
    assert.equal(body.error.status, "NOT_FOUND");
    assert.equal(body.error.code, 404);
  }
  let r = await fetch(`${gw.url}/gemini/v1/chat/completions`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
  assert.equal(r.status, 404);
  const openai = await r.json();
  assert.equal(typeof openai.error.message, "string");
  assert.equal(openai.error.status, undefined, "OpenAI's shape");
  r = await fetch(`${gw.url}/no/such/thing`, { headers: { accept: "application/json" } });
  assert.equal(r.status, 404);
  assert.equal((await r.json()).error.status, "NOT_FOUND");
  r = await fetch(`${gw.url}/no/such/thing`, { headers: { accept: "text/html" } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /text\/html/);
  r = await fetch(`${gw.url}/api/v1/nope`, { headers: { accept: "text/html" } });
  assert.equal(r.status, 404);
  assert.equal((await r.json()).error.code, "not_found");
});

test("upstream_base_url: only allow-listed hosts, and only with the password again", async () => {
  const other = up.url.replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`);
  let r = await admin.patch("/api/v1/config", { upstream_base_url: "https://relay.example.com", current_password: ADMIN.password });
  assert.equal(r.status, 400);
  assert.match(r.body.error.fields.upstream_base_url, /allow-list/);
  r = await admin.patch("/api/v1/config", { upstream_base_url: other });
  assert.equal(r.status, 400);
  assert.ok(r.body.error.fields.current_password);
  r = await admin.patch("/api/v1/config", { upstream_base_url: other, current_password: "not my password at all" });
  assert.equal(r.status, 403);
  r = await admin.get("/api/v1/config");
  assert.equal(r.body.values.upstream_base_url, up.url, "nothing changed");
  // Same host as the deployment's UPSTREAM_BASE_URL (another port): allowed with the password.
  r = await admin.patch("/api/v1/config", { upstream_base_url: other, current_password: ADMIN.password });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.values.upstream_base_url, other);
  // Resetting it is a change of destination too.
  assert.equal((await admin.patch("/api/v1/config", { upstream_base_url: null })).status, 400);
  r = await admin.patch("/api/v1/config", { upstream_base_url: null, current_password: ADMIN.password });
  assert.equal(r.status, 200);
  assert.equal(r.body.values.upstream_base_url, up.url);
  // Other settings need no password.
  assert.equal((await admin.patch("/api/v1/config", { max_attempts: 4 })).status, 200);
  assert.equal((await admin.patch("/api/v1/config", { max_attempts: null })).status, 200);
});

test("a key check never follows a redirect with the key", async () => {
  const key = fakeKey("REDIRECT");
  const created = await admin.post("/api/v1/keys", { key });
  assert.equal(created.status, 201);
  await up.rules([{ match: { key, path: "/v1beta/models" }, times: 1, reply: { status: 302, headers: { location: `${up.url}/stolen?via=redirect` }, body: "" } }]);
  const r = await admin.post(`/api/v1/keys/${created.body.id}/check`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.result, "transient");
  assert.match(r.body.message, /redirect/);
  assert.equal((await up.requests("/stolen")).length, 0, "the redirect was not followed");
});
