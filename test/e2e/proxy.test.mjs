// End-to-end tests of the native Gemini proxy: the built Worker in workerd (wrangler dev)
// against the project's fake upstream on loopback.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { fakeKey } from "../support/keys.mjs";

const TOKEN = "gp_e2e_proxy_token_0123456789abcdefghijklmnopqrstu";
const KEYS = [fakeKey("A"), fakeKey("B"), fakeKey("C")];
let up;
let gw;

before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url });
  gw.seed({ keys: KEYS, token: TOKEN });
  // Tests here change settings and keys straight in D1 (set-up, not the admin API), which an
  // isolate's cache would see only within its staleness bound: the cache is off in this file
  // (edge_cache.test.mjs covers it).
  gw.sql(`INSERT INTO settings (name, value, updated_at) VALUES ('cache_bound_ms', '0', 0)`);
});
after(async () => {
  await gw?.stop();
  up?.stop();
});
beforeEach(() => up.reset());

const gen = (path = "/v1beta/models/gemini-2.5-flash:generateContent", init = {}) =>
  fetch(gw.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": TOKEN, ...init.headers },
    body: init.body ?? JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] }),
  });

/** Asserts the upstream never saw the client token and saw a pool key only in the header. */
function assertCleanForwarding(req) {
  const all = JSON.stringify(req);
  assert.ok(!all.includes(TOKEN), "client token must not reach the upstream");
  assert.ok(KEYS.includes(req.headers["x-goog-api-key"]), "pool key in x-goog-api-key");
  for (const k of KEYS) assert.ok(!(req.query ?? "").includes(k) && !req.path.includes(k), "pool key never in the URL");
  assert.equal(req.headers.authorization, undefined);
}

test("generateContent on /v1 and /v1beta is forwarded with a pool key", async () => {
  for (const v of ["v1", "v1beta"]) {
    const r = await gen(`/${v}/models/gemini-2.5-flash:generateContent`);
    assert.equal(r.status, 200);
    const body = await r.json();
    assert.equal(body.candidates[0].content.parts[0].text, "Hello from fake upstream");
  }
  const reqs = await up.requests();
  assert.deepEqual(reqs.map((r) => r.path), ["/v1/models/gemini-2.5-flash:generateContent", "/v1beta/models/gemini-2.5-flash:generateContent"]);
  reqs.forEach(assertCleanForwarding);
  assert.match(reqs[0].body, /"text":"hi"/);
});

test("all three credential forms are accepted; the credential is stripped", async () => {
  const viaQuery = await fetch(`${gw.url}/v1beta/models?pageSize=5&key=${TOKEN}`);
  assert.equal(viaQuery.status, 200);
  const viaBearer = await fetch(`${gw.url}/v1beta/models`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(viaBearer.status, 200);
  const viaHeader = await fetch(`${gw.url}/v1beta/models`, { headers: { "x-goog-api-key": TOKEN } });
  assert.equal(viaHeader.status, 200);
  assert.equal((await viaHeader.json()).models.length > 0, true);
  const reqs = await up.requests();
  assert.equal(reqs.length, 3);
  assert.equal(reqs[0].query, "pageSize=5");
  reqs.forEach(assertCleanForwarding);
});

test("missing or wrong credentials get 401 in Gemini's shape and never reach the upstream", async () => {
  for (const headers of [{}, { "x-goog-api-key": "gp_wrong" }, { authorization: "Bearer nope" }, { authorization: "Basic abc" }]) {
    const r = await fetch(`${gw.url}/v1beta/models`, { headers });
    assert.equal(r.status, 401);
    const body = await r.json();
    assert.equal(body.error.code, 401);
    assert.equal(body.error.status, "UNAUTHENTICATED");
    assert.match(body.error.message, /client token/);
  }
  const r = await fetch(`${gw.url}/v1beta/models?key=${TOKEN}x`);
  assert.equal(r.status, 401);
  assert.equal((await up.requests()).length, 0);
});

test("query strings are forwarded byte for byte without the key parameter", async () => {
  const r = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?%24alt=json%3Benum-encoding%3Dint&key=${TOKEN}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: "{}",
  });
  assert.equal(r.status, 200);
  await r.text();
  const [req] = await up.requests();
  assert.equal(req.query, "%24alt=json%3Benum-encoding%3Dint");
});

test("hop-by-hop, cookie, cf-* and forwarding headers are dropped; others kept", async () => {
  const r = await gen(undefined, {
    headers: {
      cookie: "session=1", "x-forwarded-for": "1.2.3.4", "cf-connecting-ip": "1.2.3.4", "x-goog-user-project": "p",
      "x-goog-api-client": "google-genai-sdk/3.6.1", "x-server-timeout": "30", "user-agent": "e2e",
    },
  });
  assert.equal(r.status, 200);
  const [req] = await up.requests();
  for (const h of ["cookie", "x-forwarded-for", "cf-connecting-ip", "x-goog-user-project"]) assert.equal(req.headers[h], undefined, h);
  assert.equal(req.headers["x-goog-api-client"], "google-genai-sdk/3.6.1");
  assert.equal(req.headers["x-server-timeout"], "30");
  assert.equal(req.headers["user-agent"], "e2e");
});

test("SSE streams through unbuffered: the first event arrives while the upstream is still sending", async () => {
  const ev = (t) => `data: {"candidates":[{"content":{"parts":[{"text":"${t}"}]}}]}\r\n\r\n`;
  await up.rules([{ match: { path: ":streamGenerateContent" }, times: 1, reply: {
    status: 200, headers: { "content-type": "text/event-stream" },
    chunks: [{ data: ev("one"), delay_ms: 0 }, { data: ev("two"), delay_ms: 700 }, { data: ev("three"), delay_ms: 300 }],
  } }]);
  const t0 = performance.now();
  const r = await gen("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /text\/event-stream/);
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let text = "";
  let firstAt;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
    if (firstAt === undefined && text.includes('"one"')) firstAt = performance.now() - t0;
  }
  const total = performance.now() - t0;
  assert.ok(text.includes('"three"'));
  // The upstream sends the last event ≥1000 ms after the first; a buffering proxy would
  // deliver the first event only at the end.
  assert.ok(firstAt < total - 600, `first event at ${firstAt.toFixed(0)} ms, stream done at ${total.toFixed(0)} ms`);
  const [req] = await up.requests();
  assert.equal(req.query, "alt=sse");
});

test("the JSON-array stream passes through intact", async () => {
  const r = await gen("/v1beta/models/gemini-2.5-flash:streamGenerateContent");
  assert.equal(r.status, 200);
  const items = JSON.parse(await r.text());
  assert.equal(items.length, 3);
  assert.equal(items.at(-1).usageMetadata.totalTokenCount > 0, true);
});

test("countTokens, embedContent, batchEmbedContents and models.get", async () => {
  const c = await gen("/v1beta/models/gemini-2.5-flash:countTokens");
  assert.equal((await c.json()).totalTokens, 11);
  const e = await gen("/v1beta/models/text-embedding-004:embedContent", { body: JSON.stringify({ content: { parts: [{ text: "x" }] } }) });
  assert.deepEqual((await e.json()).embedding.values, [0.1, 0.2, 0.3]);
  const b = await gen("/v1/models/text-embedding-004:batchEmbedContents", { body: JSON.stringify({ requests: [{}, {}] }) });
  assert.equal((await b.json()).embeddings.length, 2);
  const m = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash`, { headers: { "x-goog-api-key": TOKEN } });
  assert.equal((await m.json()).name, "models/gemini-2.5-flash");
});

test("gzip-encoded upstream replies reach the client decoded and intact", async () => {
  await up.rules([{ times: 1, reply: { status: 200, body: { ok: "compressed" }, gzip: true } }]);
  const r = await gen();
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { ok: "compressed" });
});

test("resumable upload: the upload URL points at the gateway without key=, chunks use the same pool key", async () => {
  const start = await fetch(`${gw.url}/upload/v1beta/files?key=${TOKEN}`, {
    method: "POST",
    headers: {
      "x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start",
      "x-goog-upload-header-content-length": "5", "x-goog-upload-header-content-type": "text/plain",
      "content-type": "application/json",
    },
    body: JSON.stringify({ file: { displayName: "hello.txt" } }),
  });
  assert.equal(start.status, 200);
  const uploadUrl = start.headers.get("x-goog-upload-url");
  assert.ok(uploadUrl.startsWith(`${gw.url}/upload/v1beta/files?upload_id=`), uploadUrl);
  assert.ok(!/[?&]key=/.test(uploadUrl), "key= must be stripped");
  assert.equal(start.headers.get("x-goog-upload-status"), "active");
  // As the Python SDK does: no credential at all on the chunk request.
  const fin = await fetch(uploadUrl, { method: "POST", headers: { "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0" }, body: "hello" });
  assert.equal(fin.status, 200);
  const file = await fin.json();
  assert.equal(file.file.state, "ACTIVE");
  const reqs = await up.requests("/upload/");
  assert.equal(reqs.length, 2);
  assert.equal(reqs[1].headers["x-goog-api-key"], reqs[0].headers["x-goog-api-key"], "chunk sent with the key that started the upload");
  reqs.forEach(assertCleanForwarding);
  // An unknown upload id without a credential is rejected.
  const stray = await fetch(`${gw.url}/upload/v1beta/files?upload_id=nope&upload_protocol=resumable`, { method: "POST", body: "x" });
  assert.equal(stray.status, 401);
});

for (const [name, reply] of [
  ["429", { preset: "quota_rpm" }],
  ["503", { preset: "overloaded" }],
  ["a dropped connection", { drop: "before_headers" }],
]) {
  test(`retries on a different key after ${name}`, async () => {
    await up.rules([{ times: 1, reply }]);
    // Its own model, so the cooldown a 429 causes does not touch the other tests.
    const r = await gen(`/v1beta/models/retry-${name.replaceAll(" ", "-")}:generateContent`);
    assert.equal(r.status, 200);
    const reqs = await up.requests();
    assert.equal(reqs.length, 2);
    assert.notEqual(reqs[0].key, reqs[1].key, "second attempt uses another key");
  });
}

test("never retries once bytes were sent: a broken stream reaches the client as broken", async () => {
  await up.rules([{ times: 1, reply: { status: 200, headers: { "content-type": "text/event-stream" }, chunks: [{ data: "data: {\"x\":1}\r\n\r\n", delay_ms: 0 }], drop: "after_chunks" } }]);
  const r = await gen("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  assert.equal(r.status, 200);
  const text = await r.text().catch(() => "");
  assert.ok(!text.includes("Hello from fake upstream"), "no second attempt's output is spliced in");
  assert.equal((await up.requests()).length, 1);
});

test("when every attempt fails the client gets the last upstream error, with no pool key in it", async () => {
  await up.rules([{ reply: { preset: "overloaded" } }]);
  const r = await gen();
  assert.equal(r.status, 503);
  const body = await r.json();
  assert.equal(body.error.status, "UNAVAILABLE");
  assert.equal((await up.requests()).length, 3);
});

test("an upstream error that echoes the pool key is redacted", async () => {
  await up.rules([{ reply: { preset: "consumer_suspended" } }]);
  try {
    const r = await gen();
    const text = await r.text();
    assert.equal(r.status, 403);
    assert.match(text, /api_key:AIza…/);
    for (const k of KEYS) assert.ok(!text.includes(k), "pool key must be redacted");
  } finally {
    // A suspended consumer disables the key; bring the pool back for the other tests.
    gw.sql("UPDATE pool_keys SET status = 'active', disabled_reason = NULL");
  }
});

test("client errors are returned at once, without retry", async () => {
  await up.rules([{ reply: { preset: "bad_request" } }]);
  const r = await gen();
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.status, "INVALID_ARGUMENT");
  assert.equal((await up.requests()).length, 1);
});

test("unknown API and proxy paths get a JSON 404, never the admin UI's index page", async () => {
  for (const p of ["/api/nope", "/api/v1/nope", "/v1/", "/v1beta/nope"]) {
    const r = await fetch(gw.url + p, { headers: { "x-goog-api-key": TOKEN } });
    assert.equal(r.status, 404, p);
    assert.match(r.headers.get("content-type"), /application\/json/, p);
    assert.ok((await r.json()).error, p);
  }
  const h = await fetch(`${gw.url}/healthz`);
  assert.deepEqual(await h.json(), { status: "ok" });
});

test("a body above the replay cap is streamed once, with no retry", async () => {
  gw.sql(`INSERT INTO settings (name, value, updated_at) VALUES ('replay_cap_bytes', '1024', 0)`);
  try {
    await up.rules([{ times: 1, reply: { preset: "overloaded" } }]);
    const big = JSON.stringify({ contents: [{ parts: [{ text: "x".repeat(4000) }] }] });
    const r = await gen(undefined, { body: big });
    assert.equal(r.status, 503, "the single attempt's error is returned");
    const reqs = await up.requests();
    assert.equal(reqs.length, 1);
    assert.equal(reqs[0].body_len, big.length, "the streamed body arrived whole");
    const small = await gen();
    assert.equal(small.status, 200);
  } finally {
    gw.sql(`DELETE FROM settings WHERE name = 'replay_cap_bytes'`);
  }
});

test("keys and tokens survive a restart of the Worker", async () => {
  await gw.restart();
  const r = await gen();
  assert.equal(r.status, 200);
});
