-- Accounts and login limits.
--
-- token_version is written into every access token; logout, a password
-- change and deletion increment it, so tokens issued before are refused.
-- deleted_at marks a deleted account: its name is freed (renamed to a form
-- the username rule never allows) and its password hash emptied, while its
-- predictions and verifications stay, tied to an id nobody can log in as.
-- labeler marks the accounts whose verifications export-feedback sends into
-- training; self-registered accounts are not labelers.
ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN labeler BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMPTZ;

-- Token buckets of the login limits, shared by every apid replica. A row
-- holds the tokens left at updated_unix (seconds since 1970); full_unix is
-- when the bucket will have refilled to its burst: from then on the row says
-- nothing a missing row does not, and the periodic prune deletes it. Storage
-- is therefore bounded by the keys seen within one refill period.
CREATE TABLE login_buckets (
    key          TEXT             PRIMARY KEY,
    tokens       DOUBLE PRECISION NOT NULL,
    updated_unix DOUBLE PRECISION NOT NULL,
    full_unix    DOUBLE PRECISION NOT NULL
);
CREATE INDEX login_buckets_full ON login_buckets (full_unix);
