-- Gemini Poise: the full current D1 schema (migrations/ upgrade existing databases to it; a test keeps them equal). Times are Unix milliseconds (UTC).

-- The pool: Gemini API keys. `key` is needed to call Google, so it is stored as is; it is
-- never returned unmasked except by the explicit export action. group_name, tier and weight
-- (migration 0003; ALTER TABLE appends after the last column, hence the comma's place) put a
-- key in a key group and tier, and bias selection inside the tier.
CREATE TABLE pool_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  key_masked TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  project TEXT,
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  disabled_reason TEXT,
  rpm_cap INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_used_at INTEGER,
  last_checked_at INTEGER,
  last_check_result TEXT
  , group_name TEXT NOT NULL DEFAULT 'default', tier TEXT NOT NULL DEFAULT 'free',
  weight INTEGER NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 1000)
);
CREATE INDEX pool_keys_usable ON pool_keys (enabled, status);
CREATE INDEX pool_keys_group ON pool_keys (group_name, tier);

-- Key groups: a name, a note and the order of their tiers (JSON list of tier names, first
-- used first). Keys name their group in `pool_keys.group_name`; tokens list theirs in
-- `client_tokens.groups`. The `default` group always exists (it cannot be deleted).
CREATE TABLE key_groups (
  name TEXT PRIMARY KEY,
  note TEXT NOT NULL DEFAULT '',
  tiers TEXT NOT NULL DEFAULT '["free","paid"]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
INSERT INTO key_groups (name, note, tiers, created_at, updated_at) VALUES ('default', '', '["free","paid"]', 0, 0);

-- Client tokens issued to apps. Only the SHA-256 of the token is stored. `groups` (migration
-- 0003): the key groups the token may draw from (JSON list).
CREATE TABLE client_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  expires_at INTEGER,
  allowed_models TEXT NOT NULL DEFAULT '[]',
  rpm_limit INTEGER,
  rpd_limit INTEGER,
  tpd_limit INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_used_at INTEGER
  , groups TEXT NOT NULL DEFAULT '["default"]'
);

-- Administrators of the admin UI/API. Passwords are PBKDF2-HMAC-SHA256 strings (the iteration
-- count is part of the string). A session is valid only while it carries the admin's current
-- session_generation; bumping it ends every session of that admin at once.
CREATE TABLE admins (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
  , session_generation INTEGER NOT NULL DEFAULT 0
);

-- Config overrides set by an admin, one row per setting (value is JSON).
CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Per-project resources created through the gateway and the pool key that owns them
-- (files, uploads in progress, cachedContents, batches, operations).
CREATE TABLE resource_owners (
  name TEXT PRIMARY KEY,
  key_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

-- Audit trail of pool-key state changes and admin actions on keys.
CREATE TABLE key_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key_id INTEGER,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  cause TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL
);
CREATE INDEX key_events_by_key ON key_events (key_id, at);

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
  , client_model TEXT
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

-- The admin audit trail: one row per successful admin mutation (GET /api/v1/audit). Secrets
-- are never stored here (config secrets masked; keys and tokens only masked or by id).
CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_action ON audit_events (action, id);
CREATE INDEX audit_events_target ON audit_events (target, id);
