-- Accounts and login limits (the same as postgres/0003_accounts_login_limits.sql).
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN labeler INTEGER NOT NULL DEFAULT 0 CHECK (labeler IN (0, 1));
ALTER TABLE users ADD COLUMN deleted_at TEXT;

CREATE TABLE login_buckets (
    key          TEXT PRIMARY KEY,
    tokens       REAL NOT NULL,
    updated_unix REAL NOT NULL,
    full_unix    REAL NOT NULL
) STRICT;
CREATE INDEX login_buckets_full ON login_buckets (full_unix);
