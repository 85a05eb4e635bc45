// Long-running operations and media downloads through the gateway: a Veo-style operation is
// polled on the key that created it, and its video is downloaded (whole and with Range) from the
// gateway's own origin with that key, which the client never sees.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { setupAdmin, SETUP_TOKEN } from "../support/admin.mjs";
import { fakeKey } from "../support/keys.mjs";

const KEYS = ["MA1", "MB1", "MC1"];
const VIDEO_LEN = 200_000;
/** The fake's generated video bytes (fake-upstream/src/operations.rs). */
const video = (() => {
  const v = Buffer.alloc(VIDEO_LEN);
  for (let i = 0; i < VIDEO_LEN; i++) v[i] = (i * 31 + 7) % 251;
  v.write("FAKEVIDEO", 0, "latin1");
  return v;
})();

let up;
let gw;
let token;

before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN } });
  const admin = await setupAdmin(gw.url);
  for (const [i, name] of KEYS.entries()) await admin.post("/api/v1/keys", { key: fakeKey(name), project: `proj-${i}` });
  token = (await admin.post("/api/v1/tokens", { name: "media tests" })).body.token;
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

const call = (path, init = {}) =>
  fetch(`${gw.url}${path}`, { ...init, headers: { "x-goog-api-key": token, ...(init.headers ?? {}) } });

test("a Veo operation is polled on its key and its video is downloaded through the gateway with Range", async () => {
  const created = await call("/v1beta/models/veo-3.0-generate-001:predictLongRunning", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ instances: [{ prompt: "a cat" }] }),
  });
  assert.equal(created.status, 200);
  const { name } = await created.json();
  assert.match(name, /^models\/veo-3\.0-generate-001\/operations\//);

  let op;
  for (let i = 0; i < 5 && !op?.done; i++) {
    const r = await call(`/v1beta/${name}`);
    assert.equal(r.status, 200);
    op = await r.json();
  }
  assert.equal(op.done, true);
  const uri = op.response.generateVideoResponse.generatedSamples[0].video.uri;
  assert.ok(uri.startsWith(`${gw.url}/v1beta/files/`), `rewritten to the gateway: ${uri}`);
  assert.ok(uri.endsWith(":download?alt=media"), uri);
  assert.ok(!uri.includes(up.url) && !uri.includes("key="), uri);

  // Every upstream call of this operation used the key that created it.
  const ownerKey = (await up.requests(":predictLongRunning"))[0].key;
  for (const r of await up.requests("/operations/")) assert.equal(r.key, ownerKey, "polls go to the owner");

  const whole = await fetch(uri, { headers: { "x-goog-api-key": token } });
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get("content-type"), "video/mp4");
  assert.ok(Buffer.from(await whole.arrayBuffer()).equals(video), "the whole video");
  const part = await fetch(uri, { headers: { "x-goog-api-key": token, range: "bytes=1000-1999" } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), `bytes 1000-1999/${VIDEO_LEN}`);
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(video.subarray(1000, 2000)), "the range");
  const downloads = await up.requests(":download");
  assert.equal(downloads.length, 2);
  for (const d of downloads) {
    assert.equal(d.key, ownerKey, "downloaded with the owning key");
    assert.equal(d.headers["x-goog-api-key"], ownerKey);
    assert.ok(!JSON.stringify(d).includes(token), "the client token never goes upstream");
  }
  assert.equal(downloads[1].headers.range, "bytes=1000-1999");

  // The file's own downloadUri (the /download/… form) is rewritten too.
  const id = uri.split("/files/")[1].split(":")[0];
  const file = await (await call(`/v1beta/files/${id}`)).json();
  assert.ok(file.downloadUri.startsWith(`${gw.url}/download/v1beta/files/${id}:download`), file.downloadUri);
  assert.equal(file.uri, `${up.url}/v1beta/files/${id}`, "the model-facing file URI is left alone");
  const tail = await fetch(file.downloadUri, { headers: { "x-goog-api-key": token, range: "bytes=-16" } });
  assert.equal(tail.status, 206);
  assert.ok(Buffer.from(await tail.arrayBuffer()).equals(video.subarray(VIDEO_LEN - 16)));
});

test("lists across keys: caches and files created through the gateway, merged and paginated by the gateway", async () => {
  const created = [];
  for (let i = 0; i < 7; i++) {
    const r = await call("/v1beta/cachedContents", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "models/gemini-2.5-flash", displayName: `c${i}` }),
    });
    assert.equal(r.status, 200);
    created.push((await r.json()).name);
  }
  const owners = new Set((await up.requests("/v1beta/cachedContents")).filter((r) => r.method === "POST").map((r) => r.key));
  assert.ok(owners.size >= 2, "the creates were spread over several keys");
  // A cache made outside the gateway (straight at the upstream with a pool key) is not listed.
  await fetch(`${up.url}/v1beta/cachedContents`, {
    method: "POST", headers: { "x-goog-api-key": fakeKey(KEYS[0]), "content-type": "application/json" }, body: JSON.stringify({ model: "m" }),
  });

  const seen = [];
  let pageToken = "";
  for (let pages = 0; pages < 10; pages++) {
    const r = await call(`/v1beta/cachedContents?pageSize=3${pageToken ? `&pageToken=${pageToken}` : ""}`);
    assert.equal(r.status, 200);
    const text = await r.text();
    for (const k of KEYS) assert.ok(!text.includes(fakeKey(k)), "no pool key in the list");
    const body = JSON.parse(text);
    assert.ok((body.cachedContents ?? []).length <= 3);
    seen.push(...(body.cachedContents ?? []).map((c) => c.name));
    if (!body.nextPageToken) break;
    pageToken = body.nextPageToken;
  }
  assert.deepEqual(seen, [...created].sort(), "every cache once, sorted, across pages");
  // The same first page twice: stable.
  const a = await (await call("/v1beta/cachedContents?pageSize=3")).json();
  const b = await (await call("/v1beta/cachedContents?pageSize=3")).json();
  assert.deepEqual(a, b);
  // A page token the gateway did not issue is a 400 in Gemini's shape.
  const bad = await call("/v1beta/cachedContents?pageToken=fake-page-3");
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.status, "INVALID_ARGUMENT");

  // Files: the video generated above is listed (its owner was learned from the operation).
  const files = await (await call("/v1beta/files")).json();
  assert.equal(files.files.length, 1);
  assert.match(files.files[0].name, /^files\/fake-video-/);
});
