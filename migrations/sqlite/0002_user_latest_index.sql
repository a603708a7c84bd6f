-- The web UI lists a user's latest predictions (WHERE user_id = $1 ORDER BY id
-- DESC LIMIT n). An index on (user_id, id) answers that with one range read
-- instead of sorting every prediction of a heavy user; it also serves every
-- lookup by user_id alone, so the old single-column index goes.
CREATE INDEX predictions_user_latest ON predictions (user_id, id DESC);
DROP INDEX predictions_user_id;
