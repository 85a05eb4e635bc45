-- Gemini Poise: initial schema. Times are Unix milliseconds (UTC).

-- The pool: Gemini API keys. `key` is needed to call Google, so it is stored as is; it is
-- never returned unmasked except by the explicit export action.
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
);
CREATE INDEX pool_keys_usable ON pool_keys (enabled, status);

-- Client tokens issued to apps. Only the SHA-256 of the token is stored.
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
);

-- Administrators of the admin UI/API. Passwords are PBKDF2-HMAC-SHA256 strings.
CREATE TABLE admins (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
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
