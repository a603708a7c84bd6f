package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// CreatePrediction inserts p and sets its ID and CreatedAt. p.Input and
// p.RawShot must be JSON (RawShot may be nil).
// Errors: unavailable.
func (db *DB) CreatePrediction(ctx context.Context, p *store.Prediction) error {
	// JSON goes over the wire as text; pgx passes string arguments for jsonb
	// through unchanged.
	var raw *string
	if p.RawShot != nil {
		s := string(p.RawShot)
		raw = &s
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO predictions
		(user_id, prediction, probability, model_version, input_parameters, raw_shot)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, "timestamp"`,
		p.UserID, p.Prediction, p.Probability, p.ModelVersion, string(p.Input), raw).Scan(&p.ID, &p.CreatedAt)
	return translate("create prediction", err)
}

// insertPredictionsSQL inserts a batch with one statement. The ids are drawn
// in the first CTE, beside each row's position in the arrays (ord), and the
// answer joins them back, so each row gets its own id whatever order
// RETURNING uses. The CTE calls nextval, a volatile function, so PostgreSQL
// evaluates it exactly once per row.
const insertPredictionsSQL = `WITH r AS (
		SELECT nextval('predictions_id_seq') AS id, t.*
		FROM unnest($1::bigint[], $2::smallint[], $3::float8[], $4::text[], $5::text[], $6::text[])
			WITH ORDINALITY AS t(user_id, prediction, probability, model_version, input, raw, ord)
	), ins AS (
		INSERT INTO predictions (id, user_id, prediction, probability, model_version, input_parameters, raw_shot)
		OVERRIDING SYSTEM VALUE
		SELECT id, user_id, prediction, probability, model_version, input::jsonb, raw::jsonb FROM r
		RETURNING id, "timestamp"
	)
	SELECT r.ord, ins.id, ins."timestamp" FROM r JOIN ins USING (id)`

// CreatePredictions inserts ps in one statement, so in one transaction (all
// or none, one commit), and sets each one's ID and CreatedAt. It is the
// batch insert of the group commit (store.Writer).
// Errors: unavailable.
func (db *DB) CreatePredictions(ctx context.Context, ps []*store.Prediction) error {
	if len(ps) == 0 {
		return nil
	}
	var (
		users    = make([]int64, len(ps))
		preds    = make([]int16, len(ps))
		probs    = make([]float64, len(ps))
		versions = make([]string, len(ps))
		inputs   = make([]string, len(ps))
		raws     = make([]*string, len(ps))
	)
	for i, p := range ps {
		users[i], preds[i], probs[i], versions[i], inputs[i] = p.UserID, int16(p.Prediction), p.Probability, p.ModelVersion, string(p.Input)
		if p.RawShot != nil {
			s := string(p.RawShot)
			raws[i] = &s
		}
	}
	rows, err := db.pool.Query(ctx, insertPredictionsSQL, users, preds, probs, versions, inputs, raws)
	if err != nil {
		return translate("create predictions", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			ord int64
			id  int64
			at  time.Time
		)
		if err := rows.Scan(&ord, &id, &at); err != nil {
			return translate("create predictions", err)
		}
		if ord < 1 || ord > int64(len(ps)) {
			return fmt.Errorf("postgres: create predictions: row %d of %d came back", ord, len(ps))
		}
		ps[ord-1].ID, ps[ord-1].CreatedAt = id, at
		n++
	}
	if err := rows.Err(); err != nil {
		return translate("create predictions", err)
	}
	if n != len(ps) {
		return fmt.Errorf("postgres: create predictions: %d ids for %d rows", n, len(ps))
	}
	return nil
}

const predictionColumns = `id, user_id, prediction, probability, model_version, input_parameters::text,
	raw_shot::text, user_verification, verified_by, verified_at, "timestamp"`

func scanPrediction(row pgx.Row) (store.Prediction, error) {
	var (
		p        store.Prediction
		in       string
		raw      *string
		verified *int16
		pred     int16
	)
	err := row.Scan(&p.ID, &p.UserID, &pred, &p.Probability, &p.ModelVersion, &in, &raw,
		&verified, &p.VerifiedBy, &p.VerifiedAt, &p.CreatedAt)
	if err != nil {
		return store.Prediction{}, err
	}
	p.Prediction = int(pred)
	p.Input = []byte(in)
	if raw != nil {
		p.RawShot = []byte(*raw)
	}
	if verified != nil {
		v := int(*verified)
		p.Verification = &v
	}
	return p, nil
}

// Prediction returns the prediction with the given id.
// Errors: not_found; unavailable.
func (db *DB) Prediction(ctx context.Context, id int64) (store.Prediction, error) {
	p, err := scanPrediction(db.pool.QueryRow(ctx, `SELECT `+predictionColumns+` FROM predictions WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Prediction{}, nba.Errorf(nba.ENotFound, "Prediction_id:%d not found", id)
	}
	return p, translate("prediction", err)
}

// RandomUnverified returns an unverified prediction picked at random.
//
// It never scans: the bounds of the partial index on unverified ids come
// from two index probes, then one more probe finds the first unverified id at
// or after a uniform random point between them. Rows after long runs of
// verified ids are picked more often than others; for choosing what to ask a
// user to verify, that bias does not matter, and the cost stays O(log n) at
// any table size.
// Errors: not_found when every prediction is verified; unavailable.
func (db *DB) RandomUnverified(ctx context.Context) (store.Prediction, error) {
	var lo, hi *int64
	err := db.pool.QueryRow(ctx, `SELECT
		(SELECT min(id) FROM predictions WHERE user_verification IS NULL),
		(SELECT max(id) FROM predictions WHERE user_verification IS NULL)`).Scan(&lo, &hi)
	if err != nil {
		return store.Prediction{}, translate("random unverified bounds", err)
	}
	if lo == nil || hi == nil {
		return store.Prediction{}, nba.Errorf(nba.ENotFound, "No unverified predictions available")
	}
	for range 3 {
		at := *lo + rand.Int64N(*hi-*lo+1)
		p, err := scanPrediction(db.pool.QueryRow(ctx, `SELECT `+predictionColumns+` FROM predictions
			WHERE user_verification IS NULL AND id >= $1 ORDER BY id LIMIT 1`, at))
		if errors.Is(err, pgx.ErrNoRows) {
			continue // verified by someone else since the bounds were read
		}
		return p, translate("random unverified", err)
	}
	return store.Prediction{}, nba.Errorf(nba.ENotFound, "No unverified predictions available")
}

// UserPredictions returns the last n predictions of a user, newest first
// (by id, which grows with time), whoever verified them. n must be positive.
// Errors: unavailable.
func (db *DB) UserPredictions(ctx context.Context, userID int64, n int) ([]store.Prediction, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+predictionColumns+` FROM predictions
		WHERE user_id = $1 ORDER BY id DESC LIMIT $2`, userID, n)
	if err != nil {
		return nil, translate("user predictions", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Prediction, error) { return scanPrediction(r) })
	return out, translate("user predictions", err)
}

// Verify records the true outcome of a prediction. The first verification
// wins: a repeat with the same value succeeds with Changed false.
// Errors: not_found for an unknown id; conflict when the prediction was
// verified with the other value; unavailable.
func (db *DB) Verify(ctx context.Context, v store.Verify) (store.Verification, error) {
	var (
		out  store.Verification
		pred int16
	)
	// The conditional UPDATE is atomic, so two concurrent verifications of
	// one prediction cannot both win.
	err := db.pool.QueryRow(ctx, `UPDATE predictions SET user_verification = $2, verified_by = $3, verified_at = $4
		WHERE id = $1 AND user_verification IS NULL RETURNING prediction, model_version`,
		v.PredictionID, v.Value, v.UserID, v.At).Scan(&pred, &out.ModelVersion)
	if err == nil {
		out.Prediction, out.Changed = int(pred), true
		return out, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return out, translate("verify", err)
	}
	var have int16
	err = db.pool.QueryRow(ctx, `SELECT user_verification, prediction, model_version FROM predictions WHERE id = $1`,
		v.PredictionID).Scan(&have, &pred, &out.ModelVersion)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return out, nba.Errorf(nba.ENotFound, "Prediction_id:%d not found", v.PredictionID)
	case err != nil:
		return out, translate("verify", err)
	case int(have) != v.Value:
		return out, nba.Errorf(nba.EConflict, "Prediction_id:%d was already verified with true_value %d", v.PredictionID, have)
	}
	out.Prediction = int(pred)
	return out, nil
}

// RecentFeedback returns the last n verifications, newest first.
// Errors: unavailable.
func (db *DB) RecentFeedback(ctx context.Context, n int) ([]store.Feedback, error) {
	rows, err := db.pool.Query(ctx, `SELECT model_version, prediction = user_verification FROM predictions
		WHERE user_verification IS NOT NULL ORDER BY verified_at DESC, id DESC LIMIT $1`, n)
	if err != nil {
		return nil, translate("recent feedback", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Feedback, error) {
		var f store.Feedback
		err := r.Scan(&f.ModelVersion, &f.Correct)
		return f, err
	})
	return out, translate("recent feedback", err)
}

// Stats counts users and predictions.
// Errors: unavailable.
func (db *DB) Stats(ctx context.Context) (store.Stats, error) {
	var s store.Stats
	err := db.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM users WHERE deleted_at IS NULL), (SELECT count(*) FROM predictions),
		(SELECT count(*) FROM predictions WHERE user_verification IS NULL)`).Scan(&s.Users, &s.Predictions, &s.Unverified)
	return s, translate("stats", err)
}

// VerifiedShots returns every verified /predict/shot prediction, by id.
// Errors: unavailable.
func (db *DB) VerifiedShots(ctx context.Context) ([]store.VerifiedShot, error) {
	rows, err := db.pool.Query(ctx, `SELECT p.id, p.raw_shot::text, p.user_verification,
		coalesce(p.export_game_id, 0), coalesce(p.export_event_id, 0), coalesce(u.labeler, FALSE)
		FROM predictions p LEFT JOIN users u ON u.id = p.verified_by
		WHERE p.user_verification IS NOT NULL AND p.raw_shot IS NOT NULL ORDER BY p.id`)
	if err != nil {
		return nil, translate("verified shots", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.VerifiedShot, error) {
		var (
			v   store.VerifiedShot
			raw string
			val int16
		)
		err := r.Scan(&v.ID, &raw, &val, &v.GameID, &v.EventID, &v.ByLabeler)
		v.RawShot, v.Value = []byte(raw), int(val)
		return v, err
	})
	return out, translate("verified shots", err)
}

// SetExportKeys records the exported keys of predictions that have none yet,
// all or nothing. Errors: conflict when a key is already used (another export
// ran at the same time); unavailable.
func (db *DB) SetExportKeys(ctx context.Context, keys []store.ExportKey) error {
	return translate("set export keys", pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, k := range keys {
			tag, err := tx.Exec(ctx, `UPDATE predictions SET export_game_id = $2, export_event_id = $3
				WHERE id = $1 AND export_game_id IS NULL`, k.PredictionID, k.GameID, k.EventID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return nba.Errorf(nba.EConflict, "prediction %d already has export keys", k.PredictionID)
			}
		}
		return nil
	}))
}
