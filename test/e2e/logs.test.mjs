// The request log end to end: the admin API over realistic rows (filters, cursor pages, CSV,
// series, percentiles, totals, bad input), retention by the cron job with an injected clock
// (rollups outlive raw rows, the row cap), and records the proxy writes itself.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { setupAdmin, AdminClient, ADMIN, SETUP_TOKEN } from "../support/admin.mjs";
import { fakeKey } from "../support/keys.mjs";

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const WEIRD = 'weird,"model"';
const FORMULA_NAME = '=HYPERLINK("http://x")';
const K1 = fakeKey("LOG1");
const K2 = fakeKey("LOG2");

let up;
let gw;
let admin;
const ids = {};
/** The rows inserted by `seedRows`, with their ids once stored. */
let rows = [];
let NOW;

before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN }, testScheduled: true });
  admin = await setupAdmin(gw.url);
  for (const [name, key] of [["k1", K1], ["k2", K2]]) ids[name] = (await admin.post("/api/v1/keys", { key })).body.id;
  for (const name of ["app-one", "app-two"]) {
    const r = await admin.post("/api/v1/tokens", { name });
    ids[name] = r.body.id;
    ids[`${name}-secret`] = r.body.token;
  }
  await seedRows();
});
after(async () => {
  await gw?.stop();
  up?.stop();
});

const sqlText = (s) => (s === null || s === undefined ? "NULL" : `'${String(s).replaceAll("'", "''")}'`);
const masked = (k) => `AIza…${k.slice(-4)}`;

/**
 * Realistic rows: 60 over the last ~47 minutes (tokens, keys, models, 2xx/4xx/5xx, streams,
 * retries; five share one `at`), 100 latency samples two hours ago, five rows 40 days old.
 * Hourly rollups are built from them the way `store::logs::write` keeps them.
 */
async function seedRows() {
  NOW = Date.now();
  const keyOf = { k1: [ids.k1, masked(K1)], k2: [ids.k2, masked(K2)] };
  const models = ["gemini-2.5-flash", "gemini-2.5-pro", WEIRD];
  for (let i = 0; i < 60; i++) {
    const unauth = i % 17 === 0;
    const status = unauth ? 401 : i % 10 === 7 ? 429 : i % 10 === 9 ? 500 : 200;
    const errorClass = { 401: "unauthenticated", 429: "quota_minute", 500: "transient", 200: "" }[status];
    const tok = unauth ? null : ["app-one", "app-two", null][i % 3];
    const [keyId, keyMasked] = unauth ? [null, null] : keyOf[i % 2 === 0 ? "k1" : "k2"];
    const thoughts = i % 4 === 0 ? 3 : 0;
    const ok = status === 200;
    const attempts = unauth ? [] : [{ key_id: keyId, key_masked: keyMasked, status, class: errorClass, reason: ok ? "" : "x", latency_ms: 90 + i }];
    if (status === 429) attempts.unshift({ key_id: ids.k2, key_masked: masked(K2), status: 429, class: "quota_minute", reason: "RATE_LIMIT_EXCEEDED", latency_ms: 40 });
    rows.push({
      request_id: `seed-${i}`, at: i >= 10 && i < 15 ? NOW - 10 * MIN : NOW - i * 47_000 - 1000,
      token_id: tok && ids[tok], token_name: tok === "app-two" ? FORMULA_NAME : tok,
      route: i % 5 === 0 ? "openai" : "native", model: unauth ? null : models[Math.floor(i / 3) % 3], method: "POST",
      path: `/v1beta/models/m:${i % 4 === 0 ? "streamGenerateContent" : "generateContent"}`, stream: i % 4 === 0 ? 1 : 0,
      status, error_class: errorClass, ttfb_ms: 20 + i, total_ms: 100 + i * 10, attempts: JSON.stringify(attempts), attempt_count: attempts.length,
      key_id: keyId, key_masked: keyMasked, prompt_tokens: ok ? 11 : 0, output_tokens: ok ? 7 : 0, thought_tokens: ok ? thoughts : 0,
      cached_tokens: ok && i % 6 === 0 ? 5 : 0, total_tokens: ok ? 18 + thoughts : 0,
      request_body: i === 1 ? '{"contents":[]}' : null, response_body: i === 1 ? '{"candidates":[]}' : null,
    });
  }
  const latBase = NOW - 2 * HOUR - ((NOW - 2 * HOUR) % MIN) + 1000;
  for (let j = 0; j < 100; j++) {
    rows.push({
      request_id: `lat-${j}`, at: latBase + j * 100, token_id: ids["app-one"], token_name: "app-one", route: "native", model: "lat-model",
      method: "POST", path: "/v1beta/models/lat-model:generateContent", stream: 0, status: 200, error_class: "", ttfb_ms: j + 1,
      total_ms: (j + 1) * 10, attempts: "[]", attempt_count: 1, key_id: ids.k1, key_masked: masked(K1), prompt_tokens: 1,
      output_tokens: 1, thought_tokens: 0, cached_tokens: 0, total_tokens: 2, request_body: null, response_body: null,
    });
  }
  for (let j = 0; j < 5; j++) {
    rows.push({
      request_id: `old-${j}`, at: NOW - 40 * DAY - j * 1000, token_id: ids["app-one"], token_name: "app-one", route: "native",
      model: "gemini-2.5-flash", method: "POST", path: "/v1beta/models/gemini-2.5-flash:generateContent", stream: 0, status: 200,
      error_class: "", ttfb_ms: 30, total_ms: 300, attempts: "[]", attempt_count: 1, key_id: ids.k1, key_masked: masked(K1),
      prompt_tokens: 11, output_tokens: 7, thought_tokens: 0, cached_tokens: 0, total_tokens: 18, request_body: null, response_body: null,
    });
  }
  const cols = Object.keys(rows[0]);
  const values = rows.map((r) => `(${cols.map((c) => (typeof r[c] === "number" ? r[c] : sqlText(r[c]))).join(", ")})`);
  await gw.query(`INSERT INTO request_logs (${cols.join(", ")}) VALUES ${values.join(",\n")};
INSERT INTO usage_hourly (hour_start, token_id, model, key_id, requests, errors, prompt_tokens, output_tokens, thought_tokens,
  cached_tokens, total_tokens, latency_sum_ms, latency_max_ms)
SELECT (at / 3600000) * 3600000, COALESCE(token_id, 0), COALESCE(model, ''), COALESCE(key_id, 0), COUNT(*),
  SUM(status < 200 OR status >= 400), SUM(prompt_tokens), SUM(output_tokens), SUM(thought_tokens), SUM(cached_tokens),
  SUM(total_tokens), SUM(total_ms), MAX(total_ms) FROM request_logs GROUP BY 1, 2, 3, 4;`);
  const stored = await gw.query("SELECT id, request_id FROM request_logs");
  const idOf = new Map(stored.map((r) => [r.request_id, r.id]));
  for (const r of rows) r.id = idOf.get(r.request_id);
  assert.equal(stored.length, rows.length);
}

/** Expected order of the list: newest first, ties by id. */
const newestFirst = (a, b) => b.at - a.at || b.id - a.id;
const expectIds = (pred) => rows.filter(pred).sort(newestFirst).map((r) => r.id);

/** Every page of `GET /logs?query`, following cursors. */
async function allPages(query, limit) {
  const seen = [];
  let cursor = null;
  for (let n = 0; n < 1000; n++) {
    const r = await admin.get(`/api/v1/logs?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.items.length <= limit);
    seen.push(...r.body.items.map((i) => i.id));
    cursor = r.body.next_cursor;
    if (!cursor) return seen;
    assert.equal(r.body.items.length, limit, "only the last page is short");
  }
  throw new Error("too many pages");
}

test("the list is newest first and cursor pages neither repeat nor skip", async () => {
  const first = await admin.get("/api/v1/logs");
  assert.equal(first.body.items.length, 50, "default limit 50");
  assert.equal(first.body.items[0].request_id, "seed-0");
  assert.equal(first.body.items[0].attempts, undefined, "no attempts or bodies in lists");
  assert.equal(first.body.items[0].request_body, undefined);
  assert.deepEqual(await allPages("", 7), expectIds(() => true));
  // The five rows sharing one `at` split across pages of 2: the id breaks the tie.
  assert.deepEqual(await allPages(`from=${NOW - 10 * MIN}&to=${NOW - 10 * MIN + 1}`, 2), expectIds((r) => r.at === NOW - 10 * MIN));
  assert.deepEqual(await allPages(`token_id=${ids["app-one"]}`, 500), expectIds((r) => r.token_id === ids["app-one"]));
  const big = await admin.get("/api/v1/logs?limit=500");
  assert.equal(big.body.items.length, rows.length);
  assert.equal(big.body.next_cursor, null);
});

test("filters select exactly the matching rows", async () => {
  const cases = [
    [`token_id=${ids["app-two"]}`, (r) => r.token_id === ids["app-two"]],
    [`key_id=${ids.k2}`, (r) => r.key_id === ids.k2],
    [`model=${encodeURIComponent(WEIRD)}`, (r) => r.model === WEIRD],
    ["status=2xx", (r) => r.status >= 200 && r.status < 300],
    ["status=4xx", (r) => r.status >= 400 && r.status < 500],
    ["status=5xx", (r) => r.status >= 500],
    ["status=429", (r) => r.status === 429],
    ["error_class=quota_minute", (r) => r.error_class === "quota_minute"],
    ["stream=true", (r) => r.stream === 1],
    ["stream=false", (r) => r.stream === 0],
    ["route=openai", (r) => r.route === "openai"],
    ["request_id=seed-7", (r) => r.request_id === "seed-7"],
    [`from=${NOW - 30 * MIN}&to=${NOW - 10 * MIN}`, (r) => r.at >= NOW - 30 * MIN && r.at < NOW - 10 * MIN],
    [`key_id=${ids.k1}&status=2xx&stream=false&from=${NOW - HOUR}`, (r) => r.key_id === ids.k1 && r.status === 200 && r.stream === 0 && r.at >= NOW - HOUR],
    ["model=no-such-model", () => false],
    ["status=", () => true],
  ];
  for (const [q, pred] of cases) {
    const expected = expectIds(pred);
    assert.ok(expected.length > 0 || q.includes("no-such"), `fixture covers ${q}`);
    assert.deepEqual(await allPages(q, 500), expected, q);
  }
});

test("one entry in full: attempts and bodies; unknown ids are 404", async () => {
  const retried = rows.find((r) => r.request_id === "seed-7");
  let r = await admin.get(`/api/v1/logs/${retried.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 429);
  assert.equal(r.body.attempt_count, 2);
  assert.deepEqual(r.body.attempts.map((a) => [a.status, a.class]), [[429, "quota_minute"], [429, "quota_minute"]]);
  assert.equal(r.body.attempts[0].key_masked, masked(K2));
  assert.equal(r.body.request_body, null);
  const withBody = rows.find((x) => x.request_id === "seed-1");
  r = await admin.get(`/api/v1/logs/${withBody.id}`);
  assert.equal(r.body.request_body, '{"contents":[]}');
  assert.equal(r.body.response_body, '{"candidates":[]}');
  assert.equal(r.body.token_name, FORMULA_NAME);
  assert.equal((await admin.get("/api/v1/logs/99999999")).status, 404);
  assert.equal((await admin.get("/api/v1/logs/abc")).status, 404);
});

/** A small RFC 4180 reader: rows of cells. */
function parseCsv(text) {
  const out = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; } else if (c === "\r" && text[i + 1] === "\n") { row.push(cell); out.push(row); row = []; cell = ""; i++; } else cell += c;
  }
  assert.equal(cell, "", "the file ends with CRLF");
  return out;
}

test("CSV export: header, RFC 4180 escaping, formula-safe text, filters and limit", async () => {
  const r = await admin.get(`/api/v1/logs/export.csv?model=${encodeURIComponent(WEIRD)}`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^text\/csv/);
  assert.match(r.headers.get("content-disposition"), /attachment; filename="request-log\.csv"/);
  const [header, ...lines] = parseCsv(r.text);
  assert.deepEqual(header.slice(0, 4), ["id", "request_id", "at", "at_iso"]);
  const col = Object.fromEntries(header.map((h, i) => [h, i]));
  const expected = expectIds((x) => x.model === WEIRD);
  assert.deepEqual(lines.map((l) => Number(l[col.id])), expected);
  for (const l of lines) {
    assert.equal(l.length, header.length);
    assert.equal(l[col.model], WEIRD, "a comma and a quote survive the round trip");
    const row = rows.find((x) => x.id === Number(l[col.id]));
    assert.equal(l[col.at_iso], new Date(row.at).toISOString());
    assert.equal(l[col.token_name], row.token_name === FORMULA_NAME ? `'${FORMULA_NAME}` : row.token_name ?? "");
    assert.deepEqual(JSON.parse(l[col.attempts]), JSON.parse(row.attempts));
  }
  assert.ok(lines.some((l) => l[col.token_name].startsWith("'=")), "fixture has a formula-like token name");
  const all = parseCsv((await admin.get("/api/v1/logs/export.csv")).text);
  assert.equal(all.length, rows.length + 1);
  assert.equal(parseCsv((await admin.get("/api/v1/logs/export.csv?limit=3")).text).length, 4);
  const empty = await admin.get("/api/v1/logs/export.csv?model=none-such");
  assert.equal(parseCsv(empty.text).length, 1, "header only");
  const bad = await admin.get("/api/v1/logs/export.csv?cursor=1_1&limit=100001");
  assert.equal(bad.status, 400);
  assert.deepEqual(Object.keys(bad.body.error.fields).sort(), ["cursor", "limit"]);
});

const sum = (list, f) => list.reduce((a, x) => a + f(x), 0);
const isErr = (r) => r.status < 200 || r.status >= 400;

test("series: minute buckets from raw rows, hour and day buckets from rollups", async () => {
  const from = NOW - HOUR;
  const to = NOW + MIN;
  const inRange = rows.filter((r) => r.at >= from - (from % MIN) && r.at < to);
  let r = await admin.get(`/api/v1/stats/series?metric=requests&resolution=minute&from=${from}&to=${to}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.from, from - (from % MIN));
  assert.equal(r.body.points.length, Math.ceil((to - r.body.from) / MIN));
  assert.ok(r.body.points.every((p, i) => p.t === r.body.from + i * MIN), "every bucket, in order");
  assert.equal(sum(r.body.points, (p) => p.requests), inRange.length);
  assert.equal(sum(r.body.points, (p) => p.errors), inRange.filter(isErr).length);

  r = await admin.get(`/api/v1/stats/series?metric=success_rate&resolution=minute&from=${from}&to=${to}`);
  const tenAgo = r.body.points.find((p) => p.t === NOW - 10 * MIN - ((NOW - 10 * MIN) % MIN));
  const tenRows = rows.filter((x) => x.at - (x.at % MIN) === tenAgo.t);
  assert.equal(tenAgo.requests, tenRows.length);
  assert.equal(tenAgo.success_rate, (tenRows.length - tenRows.filter(isErr).length) / tenRows.length);
  assert.ok(r.body.points.some((p) => p.requests === 0 && p.success_rate === undefined), "empty buckets have no rate");

  r = await admin.get(`/api/v1/stats/series?metric=tokens&resolution=hour&from=${NOW - 2 * DAY}&to=${to}&model=gemini-2.5-pro`);
  const pro = rows.filter((x) => x.model === "gemini-2.5-pro" && x.at >= NOW - 2 * DAY);
  assert.equal(r.body.points.length, Math.ceil((to - (NOW - 2 * DAY - ((NOW - 2 * DAY) % HOUR))) / HOUR));
  assert.equal(sum(r.body.points, (p) => p.total_tokens), sum(pro, (x) => x.total_tokens));
  assert.equal(sum(r.body.points, (p) => p.thought_tokens), sum(pro, (x) => x.thought_tokens));
  assert.equal(sum(r.body.points, (p) => p.cached_tokens), sum(pro, (x) => x.cached_tokens));

  r = await admin.get(`/api/v1/stats/series?metric=requests&resolution=day&from=${NOW - 60 * DAY}&to=${to}&token_id=${ids["app-one"]}`);
  const mine = rows.filter((x) => x.token_id === ids["app-one"]);
  assert.equal(sum(r.body.points, (p) => p.requests), mine.length, "day buckets include the 40-day-old rows");
  assert.equal(sum(r.body.points.filter((p) => p.t <= NOW - 39 * DAY), (p) => p.requests), 5);
});

test("latency percentiles per bucket (nearest rank), from raw rows", async () => {
  const base = rows.find((r) => r.request_id === "lat-0").at;
  const bucket = base - (base % MIN);
  const r = await admin.get(`/api/v1/stats/series?metric=latency&resolution=minute&model=lat-model&from=${bucket - 2 * MIN}&to=${bucket + 2 * MIN}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.sampled_every, undefined);
  assert.deepEqual(r.body.points.map((p) => p.count), [0, 0, 100, 0]);
  const p = r.body.points[2];
  assert.deepEqual([p.p50, p.p95, p.p99], [500, 950, 990]);
  assert.deepEqual([p.ttfb_p50, p.ttfb_p95, p.ttfb_p99], [50, 95, 99]);
  assert.equal(r.body.points[0].p50, undefined);
  const hourly = await admin.get(`/api/v1/stats/series?metric=latency&resolution=hour&from=${NOW - 3 * HOUR}&to=${NOW + MIN}&key_id=${ids.k1}`);
  const k1 = rows.filter((x) => x.key_id === ids.k1 && x.at >= NOW - 3 * HOUR - ((NOW - 3 * HOUR) % HOUR));
  assert.equal(sum(hourly.body.points, (q) => q.count), k1.length);
  const tooLong = await admin.get(`/api/v1/stats/series?metric=latency&resolution=hour&from=${NOW - 8 * DAY}&to=${NOW}`);
  assert.equal(tooLong.status, 400);
  assert.match(tooLong.body.error.fields.from, /7 days/);
});

test("totals per key, token and model, from rollups", async () => {
  const from = NOW - 60 * DAY;
  const to = NOW + MIN;
  let r = await admin.get(`/api/v1/stats/totals?by=key&from=${from}&to=${to}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.overall.requests, rows.length);
  assert.equal(r.body.overall.total_tokens, sum(rows, (x) => x.total_tokens));
  const k1 = r.body.groups.find((g) => g.id === ids.k1);
  const k1Rows = rows.filter((x) => x.key_id === ids.k1);
  assert.equal(k1.name, masked(K1));
  assert.equal(k1.requests, k1Rows.length);
  assert.equal(k1.errors, k1Rows.filter(isErr).length);
  assert.equal(k1.success_rate, (k1Rows.length - k1.errors) / k1Rows.length);
  assert.equal(k1.max_latency_ms, Math.max(...k1Rows.map((x) => x.total_ms)));
  const none = r.body.groups.find((g) => g.id === null);
  assert.equal(none.requests, rows.filter((x) => x.key_id === null).length, "requests without a key form one group");
  assert.deepEqual(r.body.groups.map((g) => g.requests), [...r.body.groups.map((g) => g.requests)].sort((a, b) => b - a));

  r = await admin.get(`/api/v1/stats/totals?by=token&from=${from}&to=${to}`);
  assert.equal(r.body.groups.find((g) => g.id === ids["app-two"]).name, "app-two");
  assert.equal(r.body.groups.find((g) => g.id === ids["app-two"]).requests, rows.filter((x) => x.token_id === ids["app-two"]).length);

  r = await admin.get(`/api/v1/stats/totals?by=model&from=${from}&to=${to}&limit=2`);
  assert.equal(r.body.groups.length, 2);
  assert.equal(r.body.groups[0].name, "lat-model");
  r = await admin.get(`/api/v1/stats/totals?by=model&from=${from}&to=${to}`);
  assert.equal(r.body.groups.find((g) => g.name === WEIRD).requests, rows.filter((x) => x.model === WEIRD).length);
  // The default range is the last 24 hours: the 40-day-old rows are not in it.
  r = await admin.get("/api/v1/stats/totals?by=model");
  assert.equal(r.body.overall.requests, rows.filter((x) => x.at >= NOW - DAY - HOUR).length);
});

test("bad query parameters are 400 with the field named; no session is 401", async () => {
  const bad = [
    ["/api/v1/logs?limit=0", ["limit"]],
    ["/api/v1/logs?limit=501&status=6xx&stream=yes", ["limit", "status", "stream"]],
    ["/api/v1/logs?from=abc&to=-1&token_id=0&key_id=x", ["from", "key_id", "to", "token_id"]],
    ["/api/v1/logs?from=10&to=5", ["from"]],
    ["/api/v1/logs?cursor=bogus&sort=at", ["cursor", "sort"]],
    ["/api/v1/logs?model=a&model=b", ["model"]],
    ["/api/v1/logs?error_class=DROP%20TABLE", ["error_class"]],
    ["/api/v1/stats/series?metric=p99&resolution=second", ["metric", "resolution"]],
    [`/api/v1/stats/series?resolution=minute&from=${NOW - 2 * DAY}&to=${NOW}`, ["from"]],
    [`/api/v1/stats/series?resolution=day&from=${NOW - 500 * DAY}&to=${NOW}`, ["from"]],
    ["/api/v1/stats/totals", ["by"]],
    ["/api/v1/stats/totals?by=region&limit=0", ["by", "limit"]],
  ];
  for (const [path, fields] of bad) {
    const r = await admin.get(path);
    assert.equal(r.status, 400, path);
    assert.equal(r.body.error.code, "validation_failed");
    assert.deepEqual(Object.keys(r.body.error.fields).sort(), fields, path);
  }
  const anon = new AdminClient(gw.url);
  for (const path of ["/api/v1/logs", "/api/v1/logs/1", "/api/v1/logs/export.csv", "/api/v1/logs/health", "/api/v1/stats/series", "/api/v1/stats/totals?by=key"]) {
    const r = await anon.get(path);
    assert.equal(r.status, 401, path);
    assert.equal(r.body.error.code, "unauthenticated");
  }
  assert.equal((await admin.post("/api/v1/logs", {})).status, 405);
});

/** Runs the cron handler once (wrangler dev --test-scheduled). */
async function runCron() {
  const r = await fetch(`${gw.url}/__scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
  assert.equal(r.status, 200);
  assert.match(await r.text(), /Ran scheduled event/);
}

async function signIn() {
  admin = new AdminClient(gw.url);
  assert.equal((await admin.post("/api/v1/auth/login", ADMIN)).status, 200);
}

test("retention: the cron job prunes raw rows by age; rollups outlive them", async () => {
  const before = await admin.get("/api/v1/logs/health");
  assert.equal(before.body.last_prune_at, null);
  await runCron();
  let left = await gw.query("SELECT request_id FROM request_logs");
  assert.deepEqual(left.map((r) => r.request_id).sort(), rows.filter((r) => !r.request_id.startsWith("old-")).map((r) => r.request_id).sort());
  let health = (await admin.get("/api/v1/logs/health")).body;
  assert.equal(health.last_pruned, 5);
  assert.ok(Math.abs(health.last_prune_at - Date.now()) < 60_000);
  let totals = (await admin.get(`/api/v1/stats/totals?by=token&from=${NOW - 60 * DAY}&to=${NOW + MIN}`)).body;
  assert.equal(totals.overall.requests, rows.length, "rollups of pruned rows are kept");

  // 31 days later (injected clock) every raw row is past the 30-day retention.
  const skew = 31 * DAY;
  await gw.restart({ CLOCK_SKEW_MS: String(skew) });
  await signIn();
  await runCron();
  left = await gw.query("SELECT COUNT(*) AS n FROM request_logs");
  assert.equal(left[0].n, 0);
  health = (await admin.get("/api/v1/logs/health")).body;
  assert.equal(health.last_pruned, rows.length - 5);
  assert.ok(health.last_prune_at >= NOW + skew);
  totals = (await admin.get(`/api/v1/stats/totals?by=model&from=${NOW - 60 * DAY}&to=${NOW + MIN}`)).body;
  assert.equal(totals.overall.requests, rows.length);
  const day = (await admin.get(`/api/v1/stats/series?metric=requests&resolution=day&from=${NOW - 50 * DAY}&to=${NOW + MIN}`)).body;
  assert.equal(sum(day.points, (p) => p.requests), rows.length);
  const page = (await admin.get("/api/v1/logs")).body;
  assert.deepEqual(page.items, []);
  await gw.restart({ CLOCK_SKEW_MS: undefined });
  await signIn();
});

test("retention: log_max_rows keeps the newest rows", async () => {
  await gw.query(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
INSERT INTO request_logs (request_id, at, route, method, path, status) SELECT 'cap-' || i, ${Date.now()} - (1200 - i) * 10, 'native', 'POST', '/v1beta/models', 200 FROM n;`);
  const ids1200 = (await gw.query("SELECT id FROM request_logs ORDER BY id")).map((r) => r.id);
  assert.equal(ids1200.length, 1200);
  // The export reads several pages of 1000 while it streams.
  const csv = parseCsv((await admin.get("/api/v1/logs/export.csv")).text);
  assert.deepEqual(csv.slice(1).map((l) => Number(l[0])), [...ids1200].reverse());
  assert.equal(parseCsv((await admin.get("/api/v1/logs/export.csv?limit=1001")).text).length, 1002);
  const r = await admin.patch("/api/v1/config", { log_max_rows: 1000 });
  assert.equal(r.status, 200, r.text);
  await runCron();
  const kept = (await gw.query("SELECT id FROM request_logs ORDER BY id")).map((x) => x.id);
  assert.deepEqual(kept, ids1200.slice(200));
  assert.equal((await admin.get("/api/v1/logs/health")).body.last_pruned, 200);
  const newest = (await admin.get("/api/v1/logs?limit=1")).body.items[0];
  assert.equal(newest.request_id, "cap-1200");
  await gw.query("DELETE FROM request_logs");
  await admin.patch("/api/v1/config", { log_max_rows: null });
});

// ---- records written by the proxy ----------------------------------------------------------

/** Waits for the log row of `requestId` (written after the response). */
async function logOf(requestId) {
  for (let i = 0; i < 100; i++) {
    const r = await admin.get(`/api/v1/logs?request_id=${requestId}`);
    if (r.body.items.length) return r.body.items[0];
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no log row for ${requestId}`);
}

test("the proxy writes one row per request, with the upstream's usage", async () => {
  const created = (await admin.post("/api/v1/tokens", { name: "app-three" })).body;
  const token = created.token;
  const call = (path) => fetch(`${gw.url}${path}`, {
    method: "POST", headers: { "x-goog-api-key": token, "content-type": "application/json" }, body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] }),
  });
  const before = (await gw.query("SELECT COUNT(*) AS n FROM request_logs"))[0].n;
  const plain = await call("/v1beta/models/gemini-2.5-flash:generateContent");
  assert.equal(plain.status, 200);
  await plain.text();
  const plainId = plain.headers.get("x-request-id");
  assert.ok(plainId, "x-request-id on the answer");
  const p = await logOf(plainId);
  assert.deepEqual(
    [p.status, p.stream, p.route, p.model, p.token_id, p.token_name, p.prompt_tokens, p.output_tokens, p.thought_tokens, p.total_tokens],
    [200, false, "native", "gemini-2.5-flash", created.id, "app-three", 11, 7, 0, 18],
  );
  assert.ok([ids.k1, ids.k2].includes(p.key_id));
  assert.equal(p.attempt_count, 1);
  assert.ok(p.total_ms >= p.ttfb_ms);

  const streamed = await call("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  assert.equal(streamed.status, 200);
  await streamed.text();
  const s = await logOf(streamed.headers.get("x-request-id"));
  assert.deepEqual([s.status, s.stream, s.prompt_tokens, s.output_tokens, s.thought_tokens, s.total_tokens], [200, true, 11, 7, 3, 21]);
  // Exactly one row each, and rollups follow.
  await new Promise((res) => setTimeout(res, 300));
  assert.equal((await gw.query("SELECT COUNT(*) AS n FROM request_logs"))[0].n, before + 2);
  const detail = (await admin.get(`/api/v1/logs/${s.id}`)).body;
  assert.equal(detail.attempts.length, 1);
  assert.equal(detail.attempts[0].status, 200);
  const t = (await admin.get(`/api/v1/stats/totals?by=token&from=${Date.now() - HOUR}&to=${Date.now() + HOUR}`)).body;
  const mine = t.groups.find((g) => g.id === created.id);
  assert.equal(mine.requests, 2);
  assert.equal(mine.total_tokens, 39);

  // Nothing in the log carries a pool key or the client token in clear.
  const all = JSON.stringify(await gw.query("SELECT * FROM request_logs"));
  for (const secret of [K1, K2, token]) assert.ok(!all.includes(secret), "no secret in request_logs");
});

test("a failed log write is counted in the log's health", async () => {
  const before = (await admin.get("/api/v1/logs/health")).body.write_failures;
  await gw.query("ALTER TABLE request_logs RENAME TO request_logs_away");
  try {
    const r = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: "POST", headers: { "x-goog-api-key": ids["app-one-secret"], "content-type": "application/json" }, body: "{}",
    });
    assert.equal(r.status, 200, "the client never sees a log failure");
    await r.text();
    let health;
    for (let i = 0; i < 100; i++) {
      health = (await admin.get("/api/v1/logs/health")).body;
      if (health.write_failures > before) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(health.write_failures, before + 1);
    assert.match(health.last_error, /request_logs/);
    assert.ok(Math.abs(health.last_failure_at - Date.now()) < 60_000);
  } finally {
    await gw.query("ALTER TABLE request_logs_away RENAME TO request_logs");
  }
});
