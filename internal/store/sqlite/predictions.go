package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

const insertPredictionSQL = `INSERT INTO predictions
	(user_id, prediction, probability, model_version, input_parameters, raw_shot, "timestamp")
	VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`

// CreatePrediction inserts p and sets its ID and CreatedAt. p.Input and
// p.RawShot must be JSON (RawShot may be nil).
// Errors: unavailable.
func (s *DB) CreatePrediction(ctx context.Context, p *store.Prediction) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	var raw any
	if p.RawShot != nil {
		raw = string(p.RawShot)
	}
	err := s.insertPrediction.QueryRowContext(ctx,
		p.UserID, p.Prediction, p.Probability, p.ModelVersion, string(p.Input), raw, formatTime(now)).Scan(&p.ID)
	if err != nil {
		return translate("create prediction", err)
	}
	p.CreatedAt = now
	return nil
}

// CreatePredictions inserts ps in one transaction (all or none, one
// commit) and sets each one's ID and CreatedAt. It is the batch insert of the
// group commit (store.Writer). SQLite runs in-process, so one prepared
// statement per row costs little; the commit is what a batch saves.
// Errors: unavailable.
func (s *DB) CreatePredictions(ctx context.Context, ps []*store.Prediction) error {
	if len(ps) == 0 {
		return nil
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	at := formatTime(now)
	err := inTx(ctx, s.db, "create predictions", func(tx *sql.Tx) error {
		stmt := tx.StmtContext(ctx, s.insertPrediction)
		defer stmt.Close()
		for _, p := range ps {
			var raw any
			if p.RawShot != nil {
				raw = string(p.RawShot)
			}
			if err := stmt.QueryRowContext(ctx, p.UserID, p.Prediction, p.Probability, p.ModelVersion,
				string(p.Input), raw, at).Scan(&p.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range ps {
		p.CreatedAt = now
	}
	return nil
}

const predictionColumns = `id, user_id, prediction, probability, model_version, input_parameters,
	raw_shot, user_verification, verified_by, verified_at, "timestamp"`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanPrediction(row scanner) (store.Prediction, error) {
	var (
		p          store.Prediction
		in         string
		raw        sql.NullString
		verified   sql.NullInt64
		by         sql.NullInt64
		verifiedAt sql.NullString
		created    string
	)
	err := row.Scan(&p.ID, &p.UserID, &p.Prediction, &p.Probability, &p.ModelVersion, &in, &raw,
		&verified, &by, &verifiedAt, &created)
	if err != nil {
		return store.Prediction{}, err
	}
	p.Input = []byte(in)
	if raw.Valid {
		p.RawShot = []byte(raw.String)
	}
	if verified.Valid {
		v := int(verified.Int64)
		p.Verification = &v
	}
	if by.Valid {
		p.VerifiedBy = &by.Int64
	}
	if verifiedAt.Valid {
		t, err := parseTime(verifiedAt.String)
		if err != nil {
			return store.Prediction{}, err
		}
		p.VerifiedAt = &t
	}
	p.CreatedAt, err = parseTime(created)
	return p, err
}

// Prediction returns the prediction with the given id.
// Errors: not_found; unavailable.
func (s *DB) Prediction(ctx context.Context, id int64) (store.Prediction, error) {
	p, err := scanPrediction(s.db.QueryRowContext(ctx, `SELECT `+predictionColumns+` FROM predictions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Prediction{}, nba.Errorf(nba.ENotFound, "Prediction_id:%d not found", id)
	}
	return p, translate("prediction", err)
}

// RandomUnverified returns an unverified prediction picked at random, with
// three probes of the partial index on unverified ids (see the postgres
// adapter for the method and its bias). INDEXED BY pins the plan: without it
// SQLite may walk the table in rowid order to find min(id), which is a scan
// when the oldest rows are all verified.
// Errors: not_found when every prediction is verified; unavailable.
func (s *DB) RandomUnverified(ctx context.Context) (store.Prediction, error) {
	var lo, hi sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT min(id) FROM predictions INDEXED BY predictions_unverified WHERE user_verification IS NULL),
		(SELECT max(id) FROM predictions INDEXED BY predictions_unverified WHERE user_verification IS NULL)`).Scan(&lo, &hi)
	if err != nil {
		return store.Prediction{}, translate("random unverified bounds", err)
	}
	if !lo.Valid || !hi.Valid {
		return store.Prediction{}, nba.Errorf(nba.ENotFound, "No unverified predictions available")
	}
	for range 3 {
		at := lo.Int64 + rand.Int64N(hi.Int64-lo.Int64+1)
		p, err := scanPrediction(s.db.QueryRowContext(ctx, `SELECT `+predictionColumns+`
			FROM predictions INDEXED BY predictions_unverified
			WHERE user_verification IS NULL AND id >= ? ORDER BY id LIMIT 1`, at))
		if errors.Is(err, sql.ErrNoRows) {
			continue // verified by someone else since the bounds were read
		}
		return p, translate("random unverified", err)
	}
	return store.Prediction{}, nba.Errorf(nba.ENotFound, "No unverified predictions available")
}

// UserPredictions returns the last n predictions of a user, newest first
// (by id, which grows with time), whoever verified them. n must be positive.
// Errors: unavailable.
func (s *DB) UserPredictions(ctx context.Context, userID int64, n int) ([]store.Prediction, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+predictionColumns+` FROM predictions
		WHERE user_id = ? ORDER BY id DESC LIMIT ?`, userID, n)
	if err != nil {
		return nil, translate("user predictions", err)
	}
	defer rows.Close()
	var out []store.Prediction
	for rows.Next() {
		p, err := scanPrediction(rows)
		if err != nil {
			return nil, translate("user predictions", err)
		}
		out = append(out, p)
	}
	return out, translate("user predictions", rows.Err())
}

// Verify records the true outcome of a prediction. The first verification
// wins: a repeat with the same value succeeds with Changed false.
// Errors: not_found for an unknown id; conflict when the prediction was
// verified with the other value; unavailable.
func (s *DB) Verify(ctx context.Context, v store.Verify) (store.Verification, error) {
	var out store.Verification
	err := s.db.QueryRowContext(ctx, `UPDATE predictions SET user_verification = ?, verified_by = ?, verified_at = ?
		WHERE id = ? AND user_verification IS NULL RETURNING prediction, model_version`,
		v.Value, v.UserID, formatTime(v.At), v.PredictionID).Scan(&out.Prediction, &out.ModelVersion)
	if err == nil {
		out.Changed = true
		return out, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return out, translate("verify", err)
	}
	var have int
	err = s.db.QueryRowContext(ctx, `SELECT user_verification, prediction, model_version FROM predictions WHERE id = ?`,
		v.PredictionID).Scan(&have, &out.Prediction, &out.ModelVersion)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return out, nba.Errorf(nba.ENotFound, "Prediction_id:%d not found", v.PredictionID)
	case err != nil:
		return out, translate("verify", err)
	case have != v.Value:
		return out, nba.Errorf(nba.EConflict, "Prediction_id:%d was already verified with true_value %d", v.PredictionID, have)
	}
	return out, nil
}

// RecentFeedback returns the last n verifications, newest first.
// Errors: unavailable.
func (s *DB) RecentFeedback(ctx context.Context, n int) ([]store.Feedback, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT model_version, prediction = user_verification FROM predictions
		WHERE user_verification IS NOT NULL ORDER BY verified_at DESC, id DESC LIMIT ?`, n)
	if err != nil {
		return nil, translate("recent feedback", err)
	}
	defer rows.Close()
	var out []store.Feedback
	for rows.Next() {
		var f store.Feedback
		if err := rows.Scan(&f.ModelVersion, &f.Correct); err != nil {
			return nil, translate("recent feedback", err)
		}
		out = append(out, f)
	}
	return out, translate("recent feedback", rows.Err())
}

// Stats counts users and predictions.
// Errors: unavailable.
func (s *DB) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users WHERE deleted_at IS NULL), (SELECT count(*) FROM predictions),
		(SELECT count(*) FROM predictions INDEXED BY predictions_unverified WHERE user_verification IS NULL)`).
		Scan(&st.Users, &st.Predictions, &st.Unverified)
	return st, translate("stats", err)
}

// VerifiedShots returns every verified /predict/shot prediction, by id.
// Errors: unavailable.
func (s *DB) VerifiedShots(ctx context.Context) ([]store.VerifiedShot, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.id, p.raw_shot, p.user_verification,
		coalesce(p.export_game_id, 0), coalesce(p.export_event_id, 0), coalesce(u.labeler, 0)
		FROM predictions p LEFT JOIN users u ON u.id = p.verified_by
		WHERE p.user_verification IS NOT NULL AND p.raw_shot IS NOT NULL ORDER BY p.id`)
	if err != nil {
		return nil, translate("verified shots", err)
	}
	defer rows.Close()
	var out []store.VerifiedShot
	for rows.Next() {
		var (
			v   store.VerifiedShot
			raw string
		)
		if err := rows.Scan(&v.ID, &raw, &v.Value, &v.GameID, &v.EventID, &v.ByLabeler); err != nil {
			return nil, translate("verified shots", err)
		}
		v.RawShot = []byte(raw)
		out = append(out, v)
	}
	return out, translate("verified shots", rows.Err())
}

// SetExportKeys records the exported keys of predictions that have none yet,
// all or nothing. Errors: conflict when a key is already used (another export
// ran at the same time); unavailable.
func (s *DB) SetExportKeys(ctx context.Context, keys []store.ExportKey) error {
	return inTx(ctx, s.db, "set export keys", func(tx *sql.Tx) error {
		for _, k := range keys {
			res, err := tx.ExecContext(ctx, `UPDATE predictions SET export_game_id = ?, export_event_id = ?
				WHERE id = ? AND export_game_id IS NULL`, k.GameID, k.EventID, k.PredictionID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return nba.Errorf(nba.EConflict, "prediction %d already has export keys", k.PredictionID)
			}
		}
		return nil
	})
}
