-- apid schema, PostgreSQL dialect. Append-only: change the schema with a new
-- file (0002_...sql), never by editing this one.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT        NOT NULL UNIQUE,
    password_hash TEXT        NOT NULL,
    disabled      BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per answered /predict or /predict/shot request. "timestamp" keeps
-- the original system's column name, which its Grafana panels query.
CREATE TABLE predictions (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id           BIGINT           NOT NULL REFERENCES users (id),
    prediction        SMALLINT         NOT NULL CHECK (prediction IN (0, 1)),
    probability       DOUBLE PRECISION NOT NULL CHECK (probability >= 0 AND probability <= 1),
    model_version     TEXT             NOT NULL,
    input_parameters  JSONB            NOT NULL,
    raw_shot          JSONB,
    user_verification SMALLINT CHECK (user_verification IN (0, 1)),
    verified_by       BIGINT REFERENCES users (id),
    verified_at       TIMESTAMPTZ,
    "timestamp"       TIMESTAMPTZ      NOT NULL DEFAULT now(),
    -- (Game ID, Game Event ID) given to the row the first time
    -- `apid export-feedback` wrote it, so every later export repeats them and
    -- ingest's de-duplication makes re-exports idempotent.
    export_game_id    INTEGER,
    export_event_id   INTEGER,
    CHECK ((user_verification IS NULL) = (verified_at IS NULL)),
    CHECK ((export_game_id IS NULL) = (export_event_id IS NULL))
);

-- GET /verify_random_prediction probes this index at a random id: it holds
-- only unverified rows, so the probe costs O(log n) however many rows are
-- verified, and never scans the table.
CREATE INDEX predictions_unverified ON predictions (id) WHERE user_verification IS NULL;

-- nba_online_accuracy reads the last N verifications.
CREATE INDEX predictions_verified_at ON predictions (verified_at DESC, id DESC) WHERE user_verification IS NOT NULL;

CREATE UNIQUE INDEX predictions_export_key ON predictions (export_game_id, export_event_id) WHERE export_game_id IS NOT NULL;

CREATE INDEX predictions_user_id ON predictions (user_id);
