-- Sessions end everywhere at once: every session records its admin's generation, and a
-- password change or "sign out everywhere" bumps it (checked against D1 on each request).
ALTER TABLE admins ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;
