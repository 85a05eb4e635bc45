// The Live API through the gateway: a WebSocket relayed to the fake upstream with a pool key.
// Raw `ws` clients (Node 20 has no WebSocket client) and @google/genai's live client.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { GoogleGenAI, Modality } from "@google/genai";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { setupAdmin, SETUP_TOKEN } from "../support/admin.mjs";
import { fakeKey } from "../support/keys.mjs";

const LIVE = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";
const SETUP = JSON.stringify({ setup: { model: "models/gemini-live-2.5-flash" } });
const TURN = JSON.stringify({ clientContent: { turns: [{ role: "user", parts: [{ text: "hi" }] }], turnComplete: true } });
const KEYS = ["LA1", "LB1", "LC1"];

let up;
let gw;
let admin;
let token;
const ids = {};

before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN } });
  admin = await setupAdmin(gw.url);
  for (const [i, name] of KEYS.entries()) {
    ids[name] = (await admin.post("/api/v1/keys", { key: fakeKey(name), project: `proj-${i}` })).body.id;
  }
  token = (await admin.post("/api/v1/tokens", { name: "live tests" })).body.token;
});
after(async () => {
  await gw?.stop();
  up?.stop();
});
const wsUrl = (path) => gw.url.replace(/^http/, "ws") + path;

/** Opens a socket; resolves once open. `next()` yields frames in order, `closed` the close. */
function connect(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const frames = [];
    const waiting = [];
    let requestId = null;
    const deliver = () => {
      while (waiting.length && (frames.length || client.closeInfo)) {
        const w = waiting.shift();
        if (frames.length) w.resolve(frames.shift());
        else w.reject(new Error(`socket closed ${JSON.stringify(client.closeInfo)}`));
      }
    };
    const client = {
      ws,
      closeInfo: null,
      get requestId() { return requestId; },
      next: () => new Promise((res, rej) => { waiting.push({ resolve: res, reject: rej }); deliver(); }),
      json: async () => {
        const f = await client.next();
        return JSON.parse(f.isBinary ? f.data.toString() : f.data);
      },
      closed: new Promise((res) => ws.on("close", (code, reason) => {
        client.closeInfo = { code, reason: reason.toString() };
        deliver();
        res(client.closeInfo);
      })),
    };
    ws.on("upgrade", (res) => { requestId = res.headers["x-request-id"]; });
    ws.on("message", (data, isBinary) => {
      frames.push({ isBinary, data: isBinary ? Buffer.from(data) : data.toString() });
      deliver();
    });
    ws.on("open", () => resolve(client));
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c) => { body += c; });
      res.on("end", () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })));
    });
    ws.on("error", reject);
  });
}

async function logOf(requestId) {
  for (let i = 0; i < 100; i++) {
    const r = await admin.get(`/api/v1/logs?request_id=${requestId}`);
    if (r.body.items.length) return (await admin.get(`/api/v1/logs/${r.body.items[0].id}`)).body;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no log row for ${requestId}`);
}

const liveSessions = async () => (await (await fetch(`${up.url}/__fake/live`)).json()).sessions;
const poolKeys = () => KEYS.map(fakeKey);

test("a Live session is relayed both ways: text and binary frames, close code and reason, usage logged", async () => {
  await up.reset();
  const c = await connect(wsUrl(LIVE), { "x-goog-api-key": token });
  c.ws.send(SETUP);
  assert.deepEqual(await c.json(), { setupComplete: {} });
  c.ws.send(TURN);
  const content = await c.json();
  assert.equal(content.serverContent.modelTurn.parts[0].text, "Hello from fake upstream");
  const done = await c.json();
  assert.equal(done.serverContent.turnComplete, true);
  assert.equal(done.usageMetadata.totalTokenCount, 18);
  c.ws.send(Buffer.from([0, 1, 2, 254, 255]), { binary: true });
  const echoed = await c.next();
  assert.equal(echoed.isBinary, true, "binary stays binary");
  assert.deepEqual([...echoed.data], [0, 1, 2, 254, 255]);
  c.ws.send(TURN);
  await c.json();
  await c.json();
  c.ws.close(4000, "client done");
  assert.deepEqual(await c.closed, { code: 4000, reason: "client done" });

  // Upstream: the pool key only in x-goog-api-key; nothing of the client's credential.
  const [hs] = await up.requests("/ws/");
  assert.ok(poolKeys().includes(hs.headers["x-goog-api-key"]), "a pool key in the header");
  assert.equal(hs.query, null, "nothing in the URL");
  assert.equal(hs.headers.authorization, undefined);
  assert.ok(!JSON.stringify(hs).includes(token), "client token absent upstream");
  const [s] = await liveSessions();
  assert.equal(s.received[0].text, SETUP, "setup relayed verbatim");
  assert.equal(s.received[2].binary_hex, "000102feff");
  assert.deepEqual(s.client_close, { code: 4000, reason: "client done" });

  const log = await logOf(c.requestId);
  assert.equal(log.route, "live");
  assert.equal(log.model, "gemini-live-2.5-flash");
  assert.equal(log.status, 200);
  assert.equal(log.key_id, ids[KEYS[poolKeys().indexOf(hs.headers["x-goog-api-key"])]]);
  assert.equal(log.prompt_tokens, 22, "two turns of 11 prompt tokens");
  assert.equal(log.output_tokens, 14);
  assert.equal(log.total_tokens, 36);
  assert.equal(log.attempts.length, 1);
  assert.equal(log.attempts[0].reason, "ws_close_4000");
});

test("the token in ?key= (as @google/genai sends it) and //ws paths work; the key is removed upstream", async () => {
  await up.reset();
  const c = await connect(wsUrl(`/${LIVE}?key=${encodeURIComponent(token)}&alt=x`));
  c.ws.send(SETUP);
  assert.deepEqual(await c.json(), { setupComplete: {} });
  c.ws.close(1000);
  await c.closed;
  const [hs] = await up.requests("/ws/");
  assert.equal(hs.path, LIVE, "//ws normalised");
  assert.equal(hs.query, "alt=x", "other parameters kept, key removed");
  assert.ok(!JSON.stringify(hs).includes(token));
});

test("the upstream's close after setup ends the session with its code and reason", async () => {
  await up.reset();
  await up.rules([{ match: { path: "BidiGenerateContent" }, reply: { live: { go_away: "1s", close_after_setup: { code: 1011, reason: "Internal error encountered." }, after_turns: 1 } } }]);
  const c = await connect(wsUrl(LIVE), { "x-goog-api-key": token });
  c.ws.send(SETUP);
  assert.deepEqual(await c.json(), { setupComplete: {} });
  assert.deepEqual(await c.json(), { goAway: { timeLeft: "1s" } });
  c.ws.send(TURN);
  await c.json();
  await c.json();
  assert.deepEqual(await c.closed, { code: 1011, reason: "Internal error encountered." });
  assert.equal((await up.requests("/ws/")).length, 1, "no retry once the session was set up");
});

test("bad credentials are refused before the upgrade; a model outside the token's list is closed with 1008", async () => {
  await up.reset();
  await assert.rejects(connect(wsUrl(LIVE)), (e) => e.status === 401 && /missing client token/.test(e.body));
  await assert.rejects(connect(wsUrl(LIVE), { "x-goog-api-key": "gp_wrong" }), (e) => e.status === 401);
  const limited = (await admin.post("/api/v1/tokens", { name: "live limited", allowed_models: ["gemini-2.5-flash"] })).body.token;
  const c = await connect(wsUrl(`${LIVE}?access_token=${encodeURIComponent(limited)}`));
  c.ws.send(SETUP);
  const closed = await c.closed;
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /may not use model gemini-live-2.5-flash/);
  assert.equal((await up.requests("/ws/")).length, 0, "nothing reached the upstream");
});

test("a key refused before setup is retried on another key; a dead key is disabled", async () => {
  await up.reset();
  await up.rules([
    { match: { path: "BidiGenerateContent" }, times: 1, reply: { live: { close_before_setup: { code: 1007, reason: "API key not valid. Please pass a valid API key." } } } },
  ]);
  const c = await connect(wsUrl(LIVE), { "x-goog-api-key": token });
  c.ws.send(SETUP);
  assert.deepEqual(await c.json(), { setupComplete: {} });
  c.ws.send(TURN);
  await c.json();
  await c.json();
  c.ws.close(1000, "bye");
  await c.closed;
  const handshakes = await up.requests("/ws/");
  assert.equal(handshakes.length, 2);
  const [dead, good] = handshakes.map((h) => h.headers["x-goog-api-key"]);
  assert.notEqual(dead, good, "the retry used another key");
  const sessions = await liveSessions();
  assert.equal(sessions[1].received[0].text, SETUP, "setup replayed on the second key");
  const deadId = ids[KEYS[poolKeys().indexOf(dead)]];
  const view = (await admin.get(`/api/v1/keys/${deadId}`)).body;
  assert.equal(view.status, "disabled");
  assert.equal(view.disabled_reason, "API_KEY_INVALID");
  const log = await logOf(c.requestId);
  assert.deepEqual(log.attempts.map((a) => a.class), ["key_invalid", ""]);
  assert.equal(log.status, 200);
  assert.equal(log.total_tokens, 18);
  // Back in service for the next tests.
  assert.equal((await admin.patch(`/api/v1/keys/${deadId}`, { enabled: true })).status, 200);
});

test("@google/genai's live client works through the gateway", async () => {
  await up.reset();
  const ai = new GoogleGenAI({ apiKey: token, httpOptions: { baseUrl: gw.url, apiVersion: "v1beta" } });
  const messages = [];
  let closed;
  const done = new Promise((resolve) => { closed = resolve; });
  const turnDone = [];
  const session = await ai.live.connect({
    model: "gemini-live-2.5-flash",
    config: { responseModalities: [Modality.TEXT] },
    callbacks: {
      onmessage: (m) => {
        messages.push(m);
        if (m.serverContent?.turnComplete) turnDone.shift()?.();
      },
      onclose: (e) => closed(e),
      onerror: () => {},
    },
  });
  const turn = new Promise((resolve) => turnDone.push(resolve));
  session.sendClientContent({ turns: [{ role: "user", parts: [{ text: "hello" }] }], turnComplete: true });
  await turn;
  session.close();
  await done;
  assert.ok(messages.some((m) => m.setupComplete), "setupComplete seen");
  const text = messages.map((m) => m.serverContent?.modelTurn?.parts?.[0]?.text).filter(Boolean).join("");
  assert.equal(text, "Hello from fake upstream");
  const [hs] = await up.requests("/ws/");
  assert.ok(poolKeys().includes(hs.headers["x-goog-api-key"]));
  assert.ok(!JSON.stringify(hs).includes(token));
});
