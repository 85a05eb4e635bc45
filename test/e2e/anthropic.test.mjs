// The Anthropic Messages surface: Claude clients (the official @anthropic-ai/sdk, and raw
// requests shaped like Claude Code's) served by the native Gemini API through the key pool.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { setupAdmin, SETUP_TOKEN } from "../support/admin.mjs";
import { fakeKey } from "../support/keys.mjs";

let up;
let gw;
let admin;
let token;
const KEYS = [fakeKey("AN1"), fakeKey("AN2")];

before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN } });
  admin = await setupAdmin(gw.url);
  await admin.post("/api/v1/keys/import", { text: KEYS.join("\n") });
  token = (await admin.post("/api/v1/tokens", { name: "claude" })).body.token;
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

const sdk = (opts = {}) => new Anthropic({ apiKey: token, baseURL: gw.url, maxRetries: 0, ...opts });

/** What the upstream must see on every call: a native path, the pool key, no client secret. */
function assertNative(reqs, method) {
  assert.ok(reqs.length > 0, "the upstream was called");
  for (const r of reqs) {
    assert.match(r.path, new RegExp(`^/v1beta/models/[\\w.-]+:${method}$`));
    assert.ok(KEYS.includes(r.headers["x-goog-api-key"]), "pool key in x-goog-api-key");
    assert.equal(r.headers.authorization, undefined);
    assert.equal(r.headers["x-api-key"], undefined);
    assert.equal(r.headers["anthropic-version"], undefined);
    assert.ok(!JSON.stringify(r).includes(token), "no client token upstream");
    assert.ok(!(r.query ?? "").includes("key="), "no key in the URL");
  }
}

/** Waits for the log row of `requestId` (written after the response). */
async function logOf(requestId) {
  for (let i = 0; i < 100; i++) {
    const r = await admin.get(`/api/v1/logs?request_id=${requestId}`);
    if (r.body.items?.length) return r.body.items[0];
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no log row for ${requestId}`);
}

const sse = (events) => events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join("");

test("messages.create: a native generateContent call on a mapped model, answered in Anthropic's shape", async () => {
  await up.reset();
  const msg = await sdk().messages.create({
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
    messages: [{ role: "user", content: "Hi" }],
    metadata: { user_id: "u1" },
  });
  assert.equal(msg.type, "message");
  assert.equal(msg.role, "assistant");
  assert.equal(msg.model, "claude-sonnet-4-5");
  assert.match(msg.id, /^msg_/);
  assert.deepEqual(msg.content, [{ type: "text", text: "Hello from fake upstream" }]);
  assert.equal(msg.stop_reason, "end_turn");
  assert.equal(msg.usage.input_tokens, 11);
  assert.equal(msg.usage.output_tokens, 7);
  const reqs = await up.requests();
  assertNative(reqs, "generateContent");
  assert.equal(reqs[0].path, "/v1beta/models/gemini-2.5-pro:generateContent", "sonnet maps to the pro model");
  const body = JSON.parse(reqs[0].body);
  assert.deepEqual(body.systemInstruction, { parts: [{ text: "Be brief." }] });
  assert.deepEqual(body.contents, [{ role: "user", parts: [{ text: "Hi" }] }]);
  assert.equal(body.generationConfig.maxOutputTokens, 1024);
});

test("the token is accepted as x-api-key and as Bearer, under /v1 and /anthropic/v1, and stripped", async () => {
  await up.reset();
  const body = JSON.stringify({ model: "claude-haiku-4-5", max_tokens: 128000, messages: [{ role: "user", content: "x" }] });
  for (const [path, auth] of [
    ["/v1/messages", { "x-api-key": token }],
    ["/anthropic/v1/messages?beta=true", { "x-api-key": token }],
    ["/v1/messages", { authorization: `Bearer ${token}` }],
  ]) {
    const r = await fetch(gw.url + path, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "anthropic-beta": "x,y", ...auth },
      body,
    });
    assert.equal(r.status, 200, `${path} ${Object.keys(auth)}`);
    assert.equal((await r.json()).content[0].text, "Hello from fake upstream");
  }
  const reqs = await up.requests();
  assert.equal(reqs.length, 3);
  assertNative(reqs, "generateContent");
  assert.ok(reqs.every((r) => r.path === "/v1beta/models/gemini-2.5-flash:generateContent"), "haiku maps to flash");
  assert.ok(reqs.every((r) => JSON.parse(r.body).generationConfig.maxOutputTokens === 65536), "clamped to the cap");
  const anon = await fetch(gw.url + "/v1/messages", { method: "POST", headers: { "content-type": "application/json" }, body });
  assert.equal(anon.status, 401);
  assert.deepEqual(Object.keys(await anon.json()).sort(), ["error", "type"]);
});

test("streaming through the SDK's stream helper: a native streamGenerateContent?alt=sse call", async () => {
  await up.reset();
  const stream = sdk().messages.stream({ model: "claude-haiku-4-5", max_tokens: 100, messages: [{ role: "user", content: "Hi" }] });
  const texts = [];
  stream.on("text", (t) => texts.push(t));
  const msg = await stream.finalMessage();
  assert.deepEqual(texts, ["Hello", " from", " fake upstream"]);
  assert.deepEqual(msg.content.map((b) => [b.type, b.text]), [["text", "Hello from fake upstream"]]);
  assert.equal(msg.stop_reason, "end_turn");
  assert.equal(msg.usage.output_tokens, 10, "candidates + thoughts");
  const reqs = await up.requests();
  assertNative(reqs, "streamGenerateContent");
  assert.equal(reqs[0].query, "alt=sse");
});

test("tool use round trip: thinking, two calls with Gemini ids and signatures, results back as functionResponse", async () => {
  await up.reset();
  const parts = [
    { text: "I need both.", thought: true, thoughtSignature: "VFNJRw==" },
    { text: "Checking." },
    { functionCall: { id: "call-1", name: "get_weather", args: { city: "Paris" } }, thoughtSignature: "RlNJRzE=" },
    { functionCall: { name: "get_time", args: { tz: "Europe/Paris" } } },
  ];
  await up.rules([{ match: { path: ":streamGenerateContent" }, times: 1, reply: {
    status: 200, headers: { "content-type": "text/event-stream" },
    chunks: [
      { data: sse([{ candidates: [{ content: { role: "model", parts: parts.slice(0, 2) } }] }]) },
      { data: sse([{ candidates: [{ content: { role: "model", parts: parts.slice(2) }, finishReason: "STOP" }],
        usageMetadata: { promptTokenCount: 30, candidatesTokenCount: 9, thoughtsTokenCount: 4, cachedContentTokenCount: 10 } }]), delay_ms: 50 },
    ],
  } }]);
  const tools = [
    { name: "get_weather", description: "Weather", input_schema: { $schema: "http://json-schema.org/draft-07/schema#", type: "object",
      additionalProperties: false, properties: { city: { type: "string", format: "uri-reference" } }, required: ["city"] } },
    { name: "get_time", input_schema: { type: "object", properties: { tz: { type: ["string", "null"] } } } },
  ];
  const client = sdk();
  const first = await client.messages.stream({
    model: "claude-opus-4-5", max_tokens: 2000, thinking: { type: "enabled", budget_tokens: 1024 },
    tools, tool_choice: { type: "auto" }, messages: [{ role: "user", content: "Weather and time in Paris?" }],
  }).finalMessage();
  assert.deepEqual(first.content.map((b) => b.type), ["thinking", "text", "tool_use", "tool_use"]);
  assert.equal(first.content[0].thinking, "I need both.");
  assert.equal(first.content[0].signature, "VFNJRw==");
  assert.deepEqual(first.content[2].input, { city: "Paris" });
  assert.deepEqual(first.content[3].input, { tz: "Europe/Paris" });
  assert.equal(first.stop_reason, "tool_use");
  assert.equal(first.usage.cache_read_input_tokens, 10);
  assert.equal(first.usage.input_tokens, 20);
  let reqs = await up.requests();
  const sent = JSON.parse(reqs[0].body);
  assert.equal(sent.tools[0].functionDeclarations[0].parameters.additionalProperties, undefined, "schema cleaned");
  assert.equal(sent.tools[0].functionDeclarations[0].parameters.$schema, undefined);
  assert.deepEqual(sent.tools[0].functionDeclarations[1].parameters.properties.tz, { type: "string", nullable: true });
  assert.deepEqual(sent.generationConfig.thinkingConfig, { includeThoughts: true, thinkingBudget: 1024 });
  assert.deepEqual(sent.toolConfig, { functionCallingConfig: { mode: "AUTO" } });

  await up.reset();
  const second = await client.messages.create({
    model: "claude-opus-4-5", max_tokens: 2000, thinking: { type: "enabled", budget_tokens: 1024 }, tools,
    messages: [
      { role: "user", content: "Weather and time in Paris?" },
      { role: "assistant", content: first.content },
      { role: "user", content: [
        { type: "tool_result", tool_use_id: first.content[2].id, content: "18C" },
        { type: "tool_result", tool_use_id: first.content[3].id, content: [{ type: "text", text: "timeout" }], is_error: true },
      ] },
    ],
  });
  assert.equal(second.content[0].text, "Hello from fake upstream");
  reqs = await up.requests();
  assertNative(reqs, "generateContent");
  const replay = JSON.parse(reqs[0].body).contents;
  assert.deepEqual(replay[1], { role: "model", parts: parts });
  assert.deepEqual(replay[2].parts, [
    { functionResponse: { id: "call-1", name: "get_weather", response: { content: "18C" } } },
    { functionResponse: { name: "get_time", response: { error: "timeout" } } },
  ]);
});

test("count_tokens: a native countTokens call", async () => {
  await up.reset();
  const r = await sdk().messages.countTokens({ model: "claude-sonnet-4-5", system: "S", messages: [{ role: "user", content: "count me" }] });
  assert.deepEqual(r, { input_tokens: 11 });
  const reqs = await up.requests();
  assertNative(reqs, "countTokens");
  assert.equal(JSON.parse(reqs[0].body).generateContentRequest.model, "models/gemini-2.5-pro");
});

test("errors reach the SDK as its typed exceptions, in Anthropic's shape", async () => {
  await up.reset();
  await up.rules([{ match: { path: ":generateContent" }, times: 1, reply: { preset: "bad_request" } }]);
  const params = { model: "claude-haiku-4-5", max_tokens: 10, messages: [{ role: "user", content: "x" }] };
  await assert.rejects(sdk().messages.create(params), (e) => {
    assert.ok(e instanceof Anthropic.BadRequestError, e.constructor.name);
    assert.equal(e.status, 400);
    assert.equal(e.error.type, "error");
    assert.equal(e.error.error.type, "invalid_request_error");
    return true;
  });
  await assert.rejects(sdk({ apiKey: "gp_not_a_token" }).messages.create(params), Anthropic.AuthenticationError);
  await assert.rejects(sdk().messages.create({ ...params, max_tokens: undefined }), (e) => {
    assert.ok(e instanceof Anthropic.BadRequestError);
    assert.match(e.error.error.message, /max_tokens/);
    return true;
  });
  assert.equal((await up.requests()).length, 1, "bad input never goes upstream");
});

test("the pool retries on another key before the first event: a 429 and an empty reply are never seen", async () => {
  await up.reset();
  await up.rules([{ match: { path: ":streamGenerateContent" }, times: 1, reply: { preset: "quota_rpm" } }]);
  const r = await fetch(gw.url + "/v1/messages", {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": token, "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-haiku-4-5", max_tokens: 10, stream: true, messages: [{ role: "user", content: "x" }] }),
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^text\/event-stream/);
  const text = await r.text();
  const names = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
  assert.equal(names[0], "message_start");
  assert.equal(names.at(-1), "message_stop");
  assert.ok(!names.includes("error"));
  const reqs = await up.requests();
  assert.equal(reqs.length, 2);
  assertNative(reqs, "streamGenerateContent");
  assert.notEqual(reqs[0].headers["x-goog-api-key"], reqs[1].headers["x-goog-api-key"], "another key");

  const log = await logOf(r.headers.get("x-request-id"));
  assert.equal(log.route, "anthropic");
  assert.equal(log.model, "gemini-2.5-flash");
  assert.equal(log.client_model, "claude-haiku-4-5");
  assert.equal(log.stream, true);
  assert.equal(log.attempt_count, 2);
  assert.deepEqual([log.prompt_tokens, log.output_tokens, log.thought_tokens], [11, 7, 3]);

  await up.reset();
  await up.rules([{ match: { path: ":generateContent" }, times: 1, reply: { preset: "empty_candidates" } }]);
  // Another model: the 429 above cooled one key for gemini-2.5-flash.
  const msg = await sdk().messages.create({ model: "claude-opus-4-5", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
  assert.equal(msg.content[0].text, "Hello from fake upstream");
  const retried = await up.requests();
  assert.equal(retried.length, 2, "the empty reply was retried");
  assert.notEqual(retried[0].headers["x-goog-api-key"], retried[1].headers["x-goog-api-key"]);
});

test("a stream broken after it started ends with an Anthropic error event", async () => {
  await up.reset();
  await up.rules([{ match: { path: ":streamGenerateContent" }, times: 1, reply: {
    status: 200, headers: { "content-type": "text/event-stream" },
    chunks: [{ data: sse([{ candidates: [{ content: { parts: [{ text: "partial" }] } }] }]) }],
    drop: "after_chunks",
  } }]);
  const stream = sdk().messages.stream({ model: "claude-haiku-4-5", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
  await assert.rejects(stream.finalMessage(), (e) => {
    assert.match(String(e.message ?? e), /broke off|ended before/);
    return true;
  });
});

test("models: Anthropic's list when anthropic-version is sent; Gemini's otherwise", async () => {
  const page = await sdk().models.list();
  const ids = page.data.map((m) => m.id);
  assert.ok(ids.includes("claude-sonnet-4-5"));
  assert.equal(page.data[0].type, "model");
  const one = await sdk().models.retrieve("claude-haiku-4-5");
  assert.match(one.display_name, /gemini-2\.5-flash/);
  const native = await fetch(`${gw.url}/v1beta/models`, { headers: { "x-goog-api-key": token } });
  assert.ok((await native.json()).models, "the native list is untouched");
  const prefixed = await fetch(`${gw.url}/anthropic/v1/models`, { headers: { "x-api-key": token } });
  assert.equal(prefixed.status, 200);
  assert.ok((await prefixed.json()).data.length > 0);
});

test("the model mapping is a setting", async () => {
  const r = await admin.patch("/api/v1/config", { anthropic_model_map: ["claude-*=gemini-2.5-flash-lite"] });
  assert.equal(r.status, 200, r.text);
  const bad = await admin.patch("/api/v1/config", { anthropic_model_map: ["nonsense"] });
  assert.equal(bad.status, 400);
  await up.reset();
  await sdk().messages.create({ model: "claude-opus-4-5", max_tokens: 5, messages: [{ role: "user", content: "x" }] });
  assert.equal((await up.requests())[0].path, "/v1beta/models/gemini-2.5-flash-lite:generateContent");
  await admin.patch("/api/v1/config", { anthropic_model_map: null });
});

test("a Claude Code shaped request: ?beta=true, system message inside messages, adaptive thinking, rich tool schemas", async () => {
  await up.reset();
  const body = {
    model: "claude-sonnet-4-5-20250929", max_tokens: 32000, stream: true,
    system: [{ type: "text", text: "You are Claude Code." }],
    thinking: { type: "adaptive" }, context_management: { edits: [] }, output_config: { effort: "high" },
    metadata: { user_id: "user_abc" },
    messages: [
      { role: "user", content: [{ type: "text", text: "List files", cache_control: { type: "ephemeral" } }] },
      { role: "system", content: "Reminder: be careful." },
      { role: "user", content: "Go." },
    ],
    tools: [{
      name: "Bash", description: "Run a command", defer_loading: false,
      input_schema: { $schema: "http://json-schema.org/draft-07/schema#", type: "object", additionalProperties: false,
        properties: { command: { type: "string" }, timeout: { type: "number", exclusiveMinimum: 0 } }, required: ["command"] },
    }],
  };
  const r = await fetch(gw.url + "/v1/messages?beta=true", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "anthropic-version": "2023-06-01",
      "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27" },
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.match(text, /event: message_stop/);
  const [req] = await up.requests();
  assertNative([req], "streamGenerateContent");
  const sent = JSON.parse(req.body);
  assert.deepEqual(sent.systemInstruction, { parts: [{ text: "You are Claude Code." }, { text: "Reminder: be careful." }] });
  assert.deepEqual(sent.contents, [{ role: "user", parts: [{ text: "List files" }, { text: "Go." }] }]);
  assert.deepEqual(sent.generationConfig, { maxOutputTokens: 32000, thinkingConfig: { includeThoughts: true } });
  assert.deepEqual(sent.tools[0].functionDeclarations[0], {
    name: "Bash", description: "Run a command",
    parameters: { type: "object", properties: { command: { type: "string" }, timeout: { type: "number", minimum: 0 } }, required: ["command"] },
  });
  assert.ok(!req.body.includes("context_management") && !req.body.includes("user_abc"));
});

test("unknown /anthropic paths are a 404 in Anthropic's shape, never forwarded", async () => {
  await up.reset();
  const r = await fetch(`${gw.url}/anthropic/v1/complete`, { method: "POST", headers: { "x-api-key": token, accept: "text/html" }, body: "{}" });
  assert.equal(r.status, 404);
  const body = await r.json();
  assert.equal(body.type, "error");
  assert.equal(body.error.type, "not_found_error");
  assert.equal((await up.requests()).length, 0);
});

test("browser preflights may send Anthropic's headers", async () => {
  assert.equal((await admin.patch("/api/v1/config", { cors_allowed_origins: ["https://app.example.com"] })).status, 200);
  const r = await fetch(`${gw.url}/v1/messages`, {
    method: "OPTIONS",
    headers: { origin: "https://app.example.com", "access-control-request-method": "POST",
      "access-control-request-headers": "x-api-key, anthropic-version, anthropic-dangerous-direct-browser-access" },
  });
  assert.ok(r.status < 300, String(r.status));
  const allowed = r.headers.get("access-control-allow-headers");
  for (const h of ["x-api-key", "anthropic-version", "anthropic-beta", "anthropic-dangerous-direct-browser-access"]) {
    assert.ok(allowed.includes(h), h);
  }
  await admin.patch("/api/v1/config", { cors_allowed_origins: null });
});
