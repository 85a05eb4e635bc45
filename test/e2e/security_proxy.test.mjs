// Proxy-side hardening (issue 12 items 2 and 7): a model allow-list fails closed when the
// model cannot be read (a chunked or unparseable OpenAI body), and proxied responses, relayed
// errors and the gateway's own errors are all `nosniff` (the proxy shares the UI's origin).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { setupAdmin, SETUP_TOKEN } from "../support/admin.mjs";
import { fakeKey } from "../support/keys.mjs";

let up;
let gw;
let admin;
let restricted;
let open;

before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN, PASSWORD_HASH_ITERATIONS: "1000" } });
  admin = await setupAdmin(gw.url);
  await admin.post("/api/v1/keys/import", { text: [fakeKey("SP1"), fakeKey("SP2")].join("\n") });
  restricted = (await admin.post("/api/v1/tokens", { name: "flash only", allowed_models: ["gemini-2.5-flash"] })).body.token;
  open = (await admin.post("/api/v1/tokens", { name: "any model" })).body.token;
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

/** An OpenAI chat call whose body is streamed (chunked, no Content-Length). */
function chunkedChat(token, text) {
  const body = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      c.close();
    },
  });
  return fetch(`${gw.url}/v1beta/openai/chat/completions`, {
    method: "POST", body, duplex: "half",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
}

test("a model allow-list fails closed when the model cannot be read", async () => {
  const pro = JSON.stringify({ model: "gemini-2.5-pro", messages: [{ role: "user", content: "hi" }] });
  await up.reset();
  // Chunked: no Content-Length, so the body streams and its model is not read.
  let r = await chunkedChat(restricted, pro);
  assert.equal(r.status, 403);
  const body = await r.json();
  assert.match(body.error.message, /model could not be read/);
  assert.equal(body.error.status, undefined, "OpenAI's error shape on the OpenAI surface");
  // Unparseable JSON and a body without "model".
  for (const text of ["{not json", JSON.stringify({ messages: [] })]) {
    r = await fetch(`${gw.url}/v1beta/openai/chat/completions`, {
      method: "POST", body: text, headers: { authorization: `Bearer ${restricted}`, "content-type": "application/json" },
    });
    assert.equal(r.status, 403, text);
  }
  assert.equal((await up.requests("/chat/completions")).length, 0, "nothing reached the upstream");
  // The allowed model still works, and an unrestricted token may stream its body.
  r = await fetch(`${gw.url}/v1beta/openai/chat/completions`, {
    method: "POST", body: JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] }),
    headers: { authorization: `Bearer ${restricted}`, "content-type": "application/json" },
  });
  assert.equal(r.status, 200);
  r = await chunkedChat(open, pro);
  assert.equal(r.status, 200);
  // Requests that name no model by nature are not affected.
  r = await fetch(`${gw.url}/v1beta/models`, { headers: { "x-goog-api-key": restricted } });
  assert.equal(r.status, 200);
});

test("proxied responses, relayed errors and gateway errors are nosniff", async () => {
  let r = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: "POST", body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] }),
    headers: { "x-goog-api-key": open, "content-type": "application/json" },
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("x-content-type-options"), "nosniff");
  await up.rules([{ match: { path: "gemini-2.5-flash:generateContent" }, times: 1, reply: { preset: "bad_request" } }]);
  r = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: "POST", body: "{}", headers: { "x-goog-api-key": open, "content-type": "application/json" },
  });
  assert.equal(r.status, 400);
  assert.equal(r.headers.get("x-content-type-options"), "nosniff");
  r = await fetch(`${gw.url}/v1beta/models`, { headers: { "x-goog-api-key": "not-a-token" } });
  assert.equal(r.status, 401);
  assert.equal(r.headers.get("x-content-type-options"), "nosniff");
});

test("credential-minting endpoints (auth_tokens) are off by default and never for restricted tokens", async () => {
  const mint = (token) => fetch(`${gw.url}/v1alpha/auth_tokens`, {
    method: "POST", body: JSON.stringify({ uses: 1 }), headers: { "x-goog-api-key": token, "content-type": "application/json" },
  });
  await up.reset();
  let r = await mint(open);
  assert.equal(r.status, 403);
  const body = await r.json();
  assert.equal(body.error.status, "PERMISSION_DENIED");
  assert.match(body.error.message, /ALLOW_CREDENTIAL_ENDPOINTS/);
  assert.equal((await up.requests("auth_tokens")).length, 0, "nothing reached Google");
  // Turned on by the operator: unrestricted tokens pass, restricted ones never do.
  await gw.restart({ ALLOW_CREDENTIAL_ENDPOINTS: "true" });
  r = await mint(open);
  assert.notEqual(r.status, 403);
  assert.equal((await up.requests("auth_tokens")).length, 1);
  r = await mint(restricted);
  assert.equal(r.status, 403);
  assert.match((await r.json()).error.message, /allow-list or limits/);
  await gw.restart({ ALLOW_CREDENTIAL_ENDPOINTS: undefined });
});
