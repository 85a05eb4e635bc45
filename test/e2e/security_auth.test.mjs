// Sign-in hardening (issue 12 items 1, 6, 9; issue 11 item 5): throttling counted inside the
// guard call that admits an attempt (so concurrency gains an attacker nothing), limits per
// account, client IP, IPv6 /64 and a global ceiling on unknown usernames, setup throttling, a
// minimum setup-token length, bodies capped whatever their framing, and the password hash cost
// as a deployment setting with weaker hashes upgraded at the next sign-in.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { randomBytes } from "node:crypto";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { AdminClient, SETUP_TOKEN, ADMIN } from "../support/admin.mjs";

// The guard's limits (core/src/admin/throttle.rs).
const ACCOUNT_MAX = 5;
const IP_MAX = 20;
const NET_MAX = 40;
const UNKNOWN_MAX = 100;
const HOUR = 3600 * 1000;

let up;
let gw;
before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN, PASSWORD_HASH_ITERATIONS: "1000" } });
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

/** A sign-in from the given client address. */
function login(creds, ip) {
  return new AdminClient(gw.url).post("/api/v1/auth/login", creds, { headers: { "cf-connecting-ip": ip } });
}

function tally(results) {
  const counts = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

const randomName = () => `nobody-${randomBytes(6).toString("hex")}`;

async function storedHash() {
  const [row] = await gw.query(`SELECT password_hash FROM admins WHERE username = '${ADMIN.username}'`);
  return row.password_hash;
}

test("setup attempts are throttled like sign-ins", async () => {
  const c = new AdminClient(gw.url);
  const ip = "198.51.100.1";
  const wrong = { setup_token: "wrong-token-wrong-token-wrong", ...ADMIN };
  for (let i = 0; i < ACCOUNT_MAX; i++) {
    assert.equal((await c.post("/api/v1/setup", wrong, { headers: { "cf-connecting-ip": ip } })).status, 403);
  }
  // Locked now, even for the right token and from another address.
  const r = await c.post("/api/v1/setup", { setup_token: SETUP_TOKEN, ...ADMIN }, { headers: { "cf-connecting-ip": "198.51.100.2" } });
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers.get("retry-after")) > 0);
  // An hour later the lock is over; setup works and stores a hash at the configured cost.
  await gw.restart({ CLOCK_SKEW_MS: String(HOUR) });
  const ok = await c.post("/api/v1/setup", { setup_token: SETUP_TOKEN, ...ADMIN }, { headers: { "cf-connecting-ip": ip } });
  assert.equal(ok.status, 201, ok.text);
  assert.match(await storedHash(), /^pbkdf2-sha256\$1000\$/);
});

test("40 concurrent wrong passwords: at most the account limit is evaluated, the rest get 429", async () => {
  const ip = "198.51.100.3";
  const wrong = { username: ADMIN.username, password: "not the password at all" };
  const results = await Promise.all(Array.from({ length: 40 }, () => login(wrong, ip)));
  const counts = tally(results);
  assert.ok((counts[401] ?? 0) >= 1 && (counts[401] ?? 0) <= ACCOUNT_MAX, JSON.stringify(counts));
  assert.equal((counts[401] ?? 0) + (counts[429] ?? 0), 40, JSON.stringify(counts));
  // The account stays locked for every client, even with the right password.
  assert.equal((await login(ADMIN, "203.0.113.9")).status, 429);
});

test("unknown usernames: per-IP, per-/64 and global ceilings; the real admin is not locked out", async () => {
  await gw.restart({ CLOCK_SKEW_MS: String(2 * HOUR) });
  assert.equal((await login(ADMIN, "203.0.113.10")).status, 200, "the lock expired");

  // One IPv4 address, a new username every time.
  let counts = tally(await Promise.all(Array.from({ length: IP_MAX + 5 }, () => login({ username: randomName(), password: "guess guess guess" }, "192.0.2.50"))));
  assert.deepEqual(counts, { 401: IP_MAX, 429: 5 });
  // A fresh IPv6 address for every attempt, all in one /64.
  counts = tally(await Promise.all(Array.from({ length: NET_MAX + 5 }, (_, i) =>
    login({ username: randomName(), password: "guess guess guess" }, `2001:db8:aa:bb:${(i + 1).toString(16)}::1`))));
  assert.deepEqual(counts, { 401: NET_MAX, 429: 5 });
  // Everywhere at once: the global ceiling on unknown usernames.
  const left = UNKNOWN_MAX - IP_MAX - NET_MAX;
  counts = tally(await Promise.all(Array.from({ length: left + 10 }, (_, i) =>
    login({ username: randomName(), password: "guess guess guess" }, `10.${i >> 8}.${i & 255}.7`))));
  assert.deepEqual(counts, { 401: left, 429: 10 });
  // Known accounts are not behind the unknown-username ceiling.
  assert.equal((await login(ADMIN, "10.200.0.1")).status, 200);
  const wrongKnown = await login({ username: ADMIN.username, password: "wrong password 123" }, "10.200.0.2");
  assert.equal(wrongKnown.status, 401);
});

test("the hash cost is a setting: a weaker stored hash is upgraded at the next sign-in", async () => {
  await gw.restart({ CLOCK_SKEW_MS: String(3 * HOUR), PASSWORD_HASH_ITERATIONS: "5000" });
  assert.match(await storedHash(), /^pbkdf2-sha256\$1000\$/);
  assert.equal((await login({ username: ADMIN.username, password: "wrong password 123" }, "192.0.2.99")).status, 401);
  assert.match(await storedHash(), /^pbkdf2-sha256\$1000\$/, "a failed sign-in changes nothing");
  assert.equal((await login(ADMIN, "192.0.2.99")).status, 200);
  assert.match(await storedHash(), /^pbkdf2-sha256\$5000\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
  assert.equal((await login(ADMIN, "192.0.2.99")).status, 200, "the upgraded hash verifies");
  // Lowering the setting does not weaken stored hashes.
  await gw.restart({ PASSWORD_HASH_ITERATIONS: "2000" });
  assert.equal((await login(ADMIN, "192.0.2.99")).status, 200);
  assert.match(await storedHash(), /^pbkdf2-sha256\$5000\$/);
});

test("a short ADMIN_SETUP_TOKEN disables setup with a clear reason", async () => {
  await gw.restart({ ADMIN_SETUP_TOKEN: "too-short-token" });
  const r = await new AdminClient(gw.url).post("/api/v1/setup", { setup_token: "too-short-token", username: "x-admin", password: "long enough password" });
  assert.equal(r.status, 403);
  assert.match(r.body.error.message, /ADMIN_SETUP_TOKEN is shorter than 24 characters/);
  await gw.restart({ ADMIN_SETUP_TOKEN: SETUP_TOKEN });
});

/**
 * Sends a chunked body of `bytes` bytes to `path` and then keeps the request open without
 * ending it. Resolves to the status of the response, which must come without the body ending.
 */
function chunkedWithoutEnd(path, bytes) {
  return new Promise((resolve, reject) => {
    const u = new URL(gw.url + path);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } });
    const timer = setTimeout(() => { req.destroy(); reject(new Error("no answer while the body was still open")); }, 20000);
    req.on("response", (res) => { clearTimeout(timer); res.resume(); resolve(res.statusCode); req.end(); });
    req.on("error", () => {});
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let sent = 0; sent < bytes; sent += chunk.length) req.write(chunk);
  });
}

test("sign-in and setup bodies are capped whatever the framing (413 before the body ends)", async () => {
  for (const path of ["/api/v1/auth/login", "/api/v1/setup"]) {
    assert.equal(await chunkedWithoutEnd(path, 2 * 1024 * 1024), 413, path);
    // wrangler dev (not the Worker) fails the next request after a client abandons a body
    // mid-stream ("worker restarted mid-request"); a restart gives each path a clean start.
    await gw.restart();
  }
});
