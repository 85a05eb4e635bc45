-- Gemini Poise: the request log, its hourly rollups and the log's health counters.

-- One row per client request, written after the response. No prompt or answer text unless
-- body logging is on; never a pool key or client token in clear (keys appear masked).
-- `attempts` is the JSON array of upstream attempts. Pruned by the cron job (age and row cap).
CREATE TABLE request_logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL UNIQUE,
  at INTEGER NOT NULL,
  token_id INTEGER,
  token_name TEXT,
  route TEXT NOT NULL,
  model TEXT,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  stream INTEGER NOT NULL DEFAULT 0 CHECK (stream IN (0, 1)),
  status INTEGER NOT NULL,
  error_class TEXT NOT NULL DEFAULT '',
  ttfb_ms INTEGER NOT NULL DEFAULT 0,
  total_ms INTEGER NOT NULL DEFAULT 0,
  attempts TEXT NOT NULL DEFAULT '[]',
  attempt_count INTEGER NOT NULL DEFAULT 0,
  key_id INTEGER,
  key_masked TEXT,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  thought_tokens INTEGER NOT NULL DEFAULT 0,
  cached_tokens INTEGER NOT NULL DEFAULT 0,
  total_tokens INTEGER NOT NULL DEFAULT 0,
  request_body TEXT,
  response_body TEXT
);
-- Every index ends in the rowid, so each also serves the (at, id) order of cursor pages.
CREATE INDEX request_logs_at ON request_logs (at);
CREATE INDEX request_logs_token ON request_logs (token_id, at);
CREATE INDEX request_logs_key ON request_logs (key_id, at);
CREATE INDEX request_logs_model ON request_logs (model, at);
CREATE INDEX request_logs_status ON request_logs (status, at);

-- Per-hour usage, upserted in the same batch as the raw rows and kept 400 days. "None" is
-- 0 / '' (not NULL) so it takes part in the primary key.
CREATE TABLE usage_hourly (
  hour_start INTEGER NOT NULL,
  token_id INTEGER NOT NULL DEFAULT 0,
  model TEXT NOT NULL DEFAULT '',
  key_id INTEGER NOT NULL DEFAULT 0,
  requests INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  thought_tokens INTEGER NOT NULL DEFAULT 0,
  cached_tokens INTEGER NOT NULL DEFAULT 0,
  total_tokens INTEGER NOT NULL DEFAULT 0,
  latency_sum_ms INTEGER NOT NULL DEFAULT 0,
  latency_max_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (hour_start, token_id, model, key_id)
);
CREATE INDEX usage_hourly_token ON usage_hourly (token_id, hour_start);

-- The log's own health: one row (id = 1). Failed log writes (their records are lost) and
-- the last retention run.
CREATE TABLE log_health (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  write_failures INTEGER NOT NULL DEFAULT 0,
  last_failure_at INTEGER,
  last_error TEXT,
  last_prune_at INTEGER,
  last_pruned INTEGER NOT NULL DEFAULT 0
);
