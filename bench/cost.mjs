// What one proxied request costs the platform (issue 11), for `npm run bench`: the phase timings
// of the gateway's `Server-Timing` header, and per-request storage from the cost columns of the
// request log (D1 queries, rows read and written, Durable Object calls, KV reads and writes,
// storage round trips before the upstream fetch), with the Workers Free plan ceiling they imply.
// Whatever the gateway does not expose yet is reported as missing, never guessed.
import { MODEL_PATH, BODY, round } from "./common.mjs";

/** Free-plan allowances per day (the same figures and sources as core/src/cost.rs). */
const FREE_PER_DAY = {
  worker_requests: [100_000, "Workers requests (100,000/day)"],
  d1_rows_read: [5_000_000, "D1 rows read (5,000,000/day)"],
  d1_rows_written: [100_000, "D1 rows written (100,000/day)"],
  do_calls: [100_000, "Durable Object requests (100,000/day)"],
  kv_reads: [100_000, "KV reads (100,000/day)"],
  kv_writes: [1_000, "KV writes (1,000/day)"],
};
/** Counter names as in core's `cost::Counters`; a log column named so (or ending in `_<name>`) is read. */
const COUNTERS = ["d1_queries", "d1_rows_read", "d1_rows_written", "do_calls", "kv_reads", "kv_writes"];
const BEFORE_UPSTREAM = /round_trips?_before_upstream|pre_upstream_round_trips?/;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : null; };

/**
 * `n` sequential proxied requests (a warm cache), then the request log's cost columns averaged
 * over every row the bench wrote. `query(sql)` runs SQL on the gateway's local D1.
 */
export async function costProbe({ url, key, query, n = 30 }) {
  const timings = {};
  let withHeader = 0;
  for (let i = 0; i < n; i++) {
    const r = await fetch(url + MODEL_PATH, { method: "POST", headers: { "content-type": "application/json", "x-goog-api-key": key }, body: BODY });
    const h = r.headers.get("server-timing");
    await r.arrayBuffer();
    if (!h) continue;
    withHeader++;
    for (const part of h.split(",")) {
      const m = /^\s*([\w-]+)\s*;(?:.*;)?\s*dur=([\d.]+)/.exec(part);
      if (m) (timings[m[1]] ??= []).push(Number(m[2]));
    }
  }
  const serverTiming = withHeader ? Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, round(median(v), 2)])) : null;

  const cols = (await query("PRAGMA table_info(request_logs)")).map((c) => c.name);
  const columns = {};
  for (const k of COUNTERS) { const c = cols.find((x) => x === k || x.endsWith(`_${k}`)); if (c) columns[k] = c; }
  const before = cols.find((x) => BEFORE_UPSTREAM.test(x));
  if (before) columns.round_trips_before_upstream = before;
  let storage = null;
  if (Object.keys(columns).length) {
    const select = Object.entries(columns).map(([k, c]) => `AVG(${c}) AS ${k}`).join(", ");
    const [row] = await query(`SELECT COUNT(*) AS rows_, ${select} FROM request_logs`);
    storage = { rows: row.rows_, columns, per_request: Object.fromEntries(Object.keys(columns).map((k) => [k, round(row[k], 3)])) };
    // The Free-plan ceiling: the limit that runs out first at these per-request figures.
    const per = { worker_requests: 1, ...storage.per_request };
    const limits = Object.entries(FREE_PER_DAY).filter(([k]) => per[k] != null && per[k] > 0)
      .map(([k, [allow, name]]) => ({ limit: name, requests_per_day: Math.floor(allow / per[k]) }))
      .sort((a, b) => a.requests_per_day - b.requests_per_day);
    storage.free_plan = limits;
    storage.missing = COUNTERS.filter((k) => !columns[k]).concat(before ? [] : ["round_trips_before_upstream"]);
  }
  return { requests: n, server_timing: serverTiming, server_timing_seen: withHeader, storage };
}

/** Markdown lines for the bench report. */
export function renderCost(c) {
  const L = [];
  const row = (...x) => L.push(`| ${x.join(" | ")} |`);
  L.push(`Per-request platform cost (issue 11), ${c.requests} sequential requests with a warm cache, and the request log:`);
  L.push("");
  row("Figure", "Value", "Goal");
  row("---", "---:", "---");
  if (c.server_timing) {
    for (const [k, v] of Object.entries(c.server_timing)) row(`\`Server-Timing\` ${k} (median)`, `${v} ms`, "");
  } else {
    row("`Server-Timing`", "not sent by this build", "");
  }
  if (!c.storage) {
    row("Storage per request", "**not measured: the request log has no cost columns in this build**", "");
  } else {
    const p = c.storage.per_request;
    const show = (k, label, goal = "") => row(label, p[k] == null ? "not logged" : String(p[k]), goal);
    show("round_trips_before_upstream", "Storage round trips before the upstream fetch", "0 with a warm cache");
    show("d1_queries", "D1 queries");
    show("d1_rows_read", "D1 rows read", "≤ 0.05");
    show("d1_rows_written", "D1 rows written (indexes included)", "≤ 1.5");
    show("do_calls", "Durable Object calls");
    show("kv_reads", "KV reads");
    show("kv_writes", "KV writes");
    const [first, ...rest] = c.storage.free_plan;
    if (first) row("Free-plan ceiling", `${first.requests_per_day.toLocaleString("en-US")} proxied requests/day (${first.limit} runs out first)`,
      rest.map((x) => `then ${x.limit}: ${x.requests_per_day.toLocaleString("en-US")}`).join("; "));
    L.push("");
    L.push(`Averaged over the ${c.storage.rows} request-log rows of the run (columns ${Object.values(c.storage.columns).join(", ")}).`);
  }
  L.push("");
  return L;
}
