// Client access: the OpenAI-compatible surface, per-token policies (models, limits), CORS,
// and the official SDKs (openai, @google/genai) pointed at the gateway.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { GoogleGenAI } from "@google/genai";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { setupAdmin, SETUP_TOKEN } from "../support/admin.mjs";
import { fakeKey } from "../support/keys.mjs";

let up;
let gw;
let admin;
let token;
const KEYS = [fakeKey("OA1"), fakeKey("OA2")];

before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN } });
  admin = await setupAdmin(gw.url);
  await admin.post("/api/v1/keys/import", { text: KEYS.join("\n") });
  token = (await admin.post("/api/v1/tokens", { name: "sdk" })).body.token;
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

const chat = (path, body, headers = {}) =>
  fetch(gw.url + path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

test("chat completions on all three mounts reach Gemini's OpenAI layer with the pool key as Bearer", async () => {
  await up.reset();
  for (const p of ["/v1/chat/completions", "/openai/v1/chat/completions", "/v1beta/openai/chat/completions"]) {
    const r = await chat(p, { model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], tools: [], reasoning_effort: "low" });
    assert.equal(r.status, 200, p);
    assert.equal((await r.json()).choices[0].message.content, "Hello from fake upstream");
  }
  const reqs = await up.requests();
  assert.deepEqual(reqs.map((r) => r.path), Array(3).fill("/v1beta/openai/chat/completions"));
  for (const r of reqs) {
    assert.ok(KEYS.includes(r.headers.authorization.replace("Bearer ", "")), "pool key as Bearer");
    assert.equal(r.headers["x-goog-api-key"], undefined);
    assert.ok(!JSON.stringify(r).includes(token));
    assert.match(r.body, /"reasoning_effort":"low"/, "extra fields pass through");
  }
});

test("streaming chat: chunks arrive unbuffered and [DONE] is last", async () => {
  const ev = (t) => `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${t}"}}]}\n\n`;
  await up.rules([{ match: { path: "chat/completions" }, times: 1, reply: {
    status: 200, headers: { "content-type": "text/event-stream" },
    chunks: [{ data: ev("a"), delay_ms: 0 }, { data: ev("b"), delay_ms: 600 }, { data: "data: [DONE]\n\n", delay_ms: 300 }],
  } }]);
  const t0 = performance.now();
  const r = await chat("/v1/chat/completions", { model: "gemini-2.5-flash", stream: true, messages: [] });
  assert.equal(r.status, 200);
  const reader = r.body.getReader();
  let text = "";
  let firstAt;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    firstAt ??= performance.now() - t0;
  }
  const total = performance.now() - t0;
  assert.ok(firstAt < total - 500, `first chunk ${firstAt} ms, total ${total} ms`);
  assert.ok(text.trimEnd().endsWith("data: [DONE]"));
});

test("embeddings, images and models (OpenAI shape with Bearer, Gemini shape otherwise)", async () => {
  const e = await chat("/v1/embeddings", { model: "text-embedding-004", input: "x" });
  assert.equal((await e.json()).data[0].object, "embedding");
  const i = await chat("/v1/images/generations", { model: "imagen-3", prompt: "cat", response_format: "b64_json" });
  assert.ok((await i.json()).data[0].b64_json);
  const m1 = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await m1.json()).object, "list");
  const m2 = await fetch(`${gw.url}/v1/models`, { headers: { "x-goog-api-key": token } });
  assert.ok(Array.isArray((await m2.json()).models), "Gemini shape for x-goog-api-key");
});

test("upstream errors come back in OpenAI's shape with the status kept", async () => {
  await up.rules([{ match: { path: "chat/completions" }, times: 1, reply: { preset: "openai_error" } }]);
  const r = await chat("/v1/chat/completions", { model: "gemini-2.5-flash", messages: [] });
  assert.equal(r.status, 400);
  const body = await r.json();
  assert.equal(typeof body.error.message, "string");
  assert.equal(body.error.type, "invalid_request_error");
  assert.ok(!Array.isArray(body));
  const unauth = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: "Bearer nope" }, body: "{}" });
  assert.equal(unauth.status, 401);
  assert.equal((await unauth.json()).error.type, "authentication_error");
});

test("a 429 on the OpenAI surface cools the key exactly as on the native surface", async () => {
  await up.reset();
  await up.rules([{ match: { path: "chat/completions" }, times: 1, reply: { preset: "quota_rpm", retry_delay: "30s" } }]);
  const r = await chat("/v1/chat/completions", { model: "m-oa-quota", messages: [] });
  assert.equal(r.status, 200, "retried on the other key");
  const [first] = await up.requests("chat/completions");
  const keyId = (await admin.get("/api/v1/keys?per_page=10")).body.items.find((k) => k.key_masked.endsWith(first.key.slice(-4))).id;
  const state = (await admin.get(`/api/v1/keys/${keyId}/state`)).body;
  assert.ok(state.cooldowns.some((c) => c.model === "m-oa-quota"), JSON.stringify(state));
});

test("model allow-list: disallowed model → 403 with a clear message; prefixes work", async () => {
  const t = (await admin.post("/api/v1/tokens", { name: "flash only", allowed_models: ["gemini-2.5-flash*"] })).body;
  const ok = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash-lite:generateContent`, { method: "POST", headers: { "x-goog-api-key": t.token }, body: "{}" });
  assert.equal(ok.status, 200);
  const no = await fetch(`${gw.url}/v1beta/models/gemini-2.5-pro:generateContent`, { method: "POST", headers: { "x-goog-api-key": t.token }, body: "{}" });
  assert.equal(no.status, 403);
  assert.match((await no.json()).error.message, /may not use model gemini-2.5-pro/);
  const oa = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${t.token}` }, body: JSON.stringify({ model: "gemini-2.5-pro", messages: [] }) });
  assert.equal(oa.status, 403);
  assert.equal((await oa.json()).error.type, "permission_error");
  // Changes take effect at once.
  await admin.patch(`/api/v1/tokens/${t.id}`, { allowed_models: [] });
  const now = await fetch(`${gw.url}/v1beta/models/gemini-2.5-pro:generateContent`, { method: "POST", headers: { "x-goog-api-key": t.token }, body: "{}" });
  assert.equal(now.status, 200);
});

test("per-token RPM under concurrency: never over, and distinguishable from Google's 429", async () => {
  const t = (await admin.post("/api/v1/tokens", { name: "rpm 4", rpm_limit: 4 })).body;
  await up.reset();
  const rs = await Promise.all(Array.from({ length: 10 }, () =>
    fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: "POST", headers: { "x-goog-api-key": t.token }, body: "{}" })));
  const ok = rs.filter((r) => r.status === 200);
  const limited = rs.filter((r) => r.status === 429);
  assert.equal(ok.length, 4);
  assert.equal(limited.length, 6);
  for (const r of limited) {
    assert.equal(r.headers.get("x-gateway-limit"), "token-rpm");
    assert.ok(Number(r.headers.get("retry-after")) >= 1);
    assert.match((await r.json()).error.message, /this client token reached its token-rpm limit set by the gateway admin \(not a Google quota\)/);
  }
  assert.equal((await up.requests()).length, 4, "refused requests never reach the upstream");
});

test("per-token daily requests and daily tokens", async () => {
  const t = (await admin.post("/api/v1/tokens", { name: "daily", rpd_limit: 3, tpd_limit: 30 })).body;
  const call = () => fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: "POST", headers: { "x-goog-api-key": t.token }, body: "{}" });
  // The fake reports 18 tokens per call: two calls use 36 ≥ 30.
  assert.equal((await call()).status, 200);
  assert.equal((await call()).status, 200);
  let r;
  for (let i = 0; i < 50; i++) {
    r = await call();
    if (r.status === 429) break;
  }
  assert.equal(r.status, 429);
  assert.equal(r.headers.get("x-gateway-limit"), "token-tpd");
  const t2 = (await admin.post("/api/v1/tokens", { name: "rpd", rpd_limit: 2 })).body;
  const call2 = () => fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: "POST", headers: { "x-goog-api-key": t2.token }, body: "{}" });
  assert.equal((await call2()).status, 200);
  assert.equal((await call2()).status, 200);
  const third = await call2();
  assert.equal(third.status, 429);
  assert.equal(third.headers.get("x-gateway-limit"), "token-rpd");
});

test("expired and disabled tokens are rejected", async () => {
  const t = (await admin.post("/api/v1/tokens", { name: "short-lived", expires_at: Date.now() + 3_600_000 })).body;
  const call = () => fetch(`${gw.url}/v1beta/models`, { headers: { "x-goog-api-key": t.token } });
  assert.equal((await call()).status, 200);
  await gw.restart({ CLOCK_SKEW_MS: String(2 * 3_600_000) });
  const r = await call();
  assert.equal(r.status, 401);
  assert.match((await r.json()).error.message, /expired/);
  await gw.restart({ CLOCK_SKEW_MS: undefined });
});

test("CORS: preflight answered without the pool; allowed origin reflected; others refused", async () => {
  await up.reset();
  const pre = (origin) => fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "x-goog-api-key, content-type" },
  });
  assert.equal((await pre("https://app.example.com")).status, 403, "no origins allowed by default");
  await admin.patch("/api/v1/config", { cors_allowed_origins: ["https://app.example.com"] });
  try {
    const ok = await pre("https://app.example.com");
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example.com");
    assert.match(ok.headers.get("access-control-allow-headers"), /x-goog-api-key/);
    assert.equal(ok.headers.get("access-control-allow-credentials"), null);
    const bad = await pre("https://evil.example");
    assert.equal(bad.status, 403);
    assert.equal(bad.headers.get("access-control-allow-origin"), null);
    const real = await fetch(`${gw.url}/v1beta/models`, { headers: { origin: "https://app.example.com", "x-goog-api-key": token } });
    assert.equal(real.headers.get("access-control-allow-origin"), "https://app.example.com");
    assert.match(real.headers.get("access-control-expose-headers"), /x-request-id/);
    const other = await fetch(`${gw.url}/v1beta/models`, { headers: { origin: "https://evil.example", "x-goog-api-key": token } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    assert.equal((await up.requests()).filter((r) => r.method === "OPTIONS").length, 0, "preflights never reach the upstream");
  } finally {
    await admin.patch("/api/v1/config", { cors_allowed_origins: null });
  }
});

test("the official openai SDK completes a chat call and a streaming call", async () => {
  const client = new OpenAI({ apiKey: token, baseURL: `${gw.url}/v1beta/openai/`, maxRetries: 0 });
  const done = await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] });
  assert.equal(done.choices[0].message.content, "Hello from fake upstream");
  const stream = await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], stream: true });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  assert.ok(text.length > 0, "streamed text");
});

test("the official @google/genai SDK works on the native surface (plain and streaming)", async () => {
  const ai = new GoogleGenAI({ apiKey: token, httpOptions: { baseUrl: gw.url, apiVersion: "v1beta" } });
  const r = await ai.models.generateContent({ model: "gemini-2.5-flash", contents: "hi" });
  assert.equal(r.text, "Hello from fake upstream");
  let text = "";
  for await (const chunk of await ai.models.generateContentStream({ model: "gemini-2.5-flash", contents: "hi" })) text += chunk.text ?? "";
  assert.equal(text, "Hello from fake upstream");
  const counted = await ai.models.countTokens({ model: "gemini-2.5-flash", contents: "hi" });
  assert.equal(counted.totalTokens, 11);
});
