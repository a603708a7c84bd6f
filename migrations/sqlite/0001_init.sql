-- apid schema, SQLite dialect (the same tables as postgres/0001_init.sql).
-- Append-only: change the schema with a new file, never by editing this one.
-- Times are TEXT in the fixed-width UTC form 2006-01-02T15:04:05.000000Z, so
-- they sort as text; JSON columns are TEXT checked with json_valid.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT    NOT NULL
) STRICT;

-- AUTOINCREMENT: a prediction id is handed to clients, who verify by it, so
-- it must never be reused.
CREATE TABLE predictions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL REFERENCES users (id),
    prediction        INTEGER NOT NULL CHECK (prediction IN (0, 1)),
    probability       REAL    NOT NULL CHECK (probability >= 0 AND probability <= 1),
    model_version     TEXT    NOT NULL,
    input_parameters  TEXT    NOT NULL CHECK (json_valid(input_parameters)),
    raw_shot          TEXT CHECK (raw_shot IS NULL OR json_valid(raw_shot)),
    user_verification INTEGER CHECK (user_verification IN (0, 1)),
    verified_by       INTEGER REFERENCES users (id),
    verified_at       TEXT,
    "timestamp"       TEXT    NOT NULL,
    export_game_id    INTEGER,
    export_event_id   INTEGER,
    CHECK ((user_verification IS NULL) = (verified_at IS NULL)),
    CHECK ((export_game_id IS NULL) = (export_event_id IS NULL))
) STRICT;

CREATE INDEX predictions_unverified ON predictions (id) WHERE user_verification IS NULL;
CREATE INDEX predictions_verified_at ON predictions (verified_at DESC, id DESC) WHERE user_verification IS NOT NULL;
CREATE UNIQUE INDEX predictions_export_key ON predictions (export_game_id, export_event_id) WHERE export_game_id IS NOT NULL;
CREATE INDEX predictions_user_id ON predictions (user_id);
