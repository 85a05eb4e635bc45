-- Gemini Poise: key groups, tiers and weights; client tokens bound to groups (issue 13).
-- Existing keys and tokens land in the `default` group (tier `free`, weight 1), so an
-- install keeps working unchanged.

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

ALTER TABLE pool_keys ADD COLUMN group_name TEXT NOT NULL DEFAULT 'default';
ALTER TABLE pool_keys ADD COLUMN tier TEXT NOT NULL DEFAULT 'free';
ALTER TABLE pool_keys ADD COLUMN weight INTEGER NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 1000);
CREATE INDEX pool_keys_group ON pool_keys (group_name, tier);

ALTER TABLE client_tokens ADD COLUMN groups TEXT NOT NULL DEFAULT '["default"]';
