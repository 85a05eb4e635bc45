-- wrk script for bench/run.mjs. The request comes from the environment (BENCH_METHOD,
-- BENCH_BODY, BENCH_KEY → x-goog-api-key, BENCH_DELAY_MS); at the end one line `BENCH_JSON {...}` carries the
-- summary (latencies in microseconds) for the orchestrator to parse.
wrk.method = os.getenv("BENCH_METHOD") or "POST"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["content-type"] = "application/json"
end
local key = os.getenv("BENCH_KEY")
if key and key ~= "" then wrk.headers["x-goog-api-key"] = key end

-- BENCH_DELAY_MS: a pause before each request (a client with think time), so background work
-- a request leaves behind (waitUntil) does not land on the next one.
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  function delay() return pause end
end

function done(summary, latency, requests)
  local e = summary.errors
  local p = function(q) if summary.requests > 0 then return latency:percentile(q) else return 0 end end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, p(50), p(90), p(99), p(99.9)))
end
