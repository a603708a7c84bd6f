package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// CreateUser inserts u and sets its ID and CreatedAt (and TokenVersion 0).
// Errors: conflict when the username is taken; unavailable.
func (s *DB) CreateUser(ctx context.Context, u *store.User) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO users (username, password_hash, disabled, labeler, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		u.Username, u.PasswordHash, u.Disabled, u.Labeler, formatTime(now)).Scan(&u.ID)
	if err != nil {
		err = translate("create user", err)
		if nba.ErrorCode(err) == nba.EConflict {
			return nba.Errorf(nba.EConflict, "username %q is taken", u.Username)
		}
		return err
	}
	u.CreatedAt, u.TokenVersion = now, 0
	return nil
}

const userByNameSQL = `SELECT id, username, password_hash, disabled, created_at, token_version, labeler
	FROM users WHERE username = ? AND deleted_at IS NULL`

// UserByName returns the user called name.
// Errors: not_found; unavailable.
func (s *DB) UserByName(ctx context.Context, name string) (store.User, error) {
	var (
		u       store.User
		created string
	)
	err := s.userByName.QueryRowContext(ctx, name).Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Disabled, &created, &u.TokenVersion, &u.Labeler)
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, nba.Errorf(nba.ENotFound, "user not found")
	}
	if err != nil {
		return store.User{}, translate("user by name", err)
	}
	u.CreatedAt, err = parseTime(created)
	return u, translate("user by name", err)
}

// execOne runs a statement that must change exactly one live account.
func (s *DB) execOne(ctx context.Context, op, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return translate(op, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nba.Errorf(nba.ENotFound, "user not found")
	}
	return nil
}

// RevokeTokens increments the token version of user id, so that every token
// issued to it before is refused (logout).
// Errors: not_found; unavailable.
func (s *DB) RevokeTokens(ctx context.Context, id int64) error {
	return s.execOne(ctx, "revoke tokens",
		`UPDATE users SET token_version = token_version + 1 WHERE id = ? AND deleted_at IS NULL`, id)
}

// SetPassword replaces the password hash of user id and revokes its tokens.
// Errors: not_found; unavailable.
func (s *DB) SetPassword(ctx context.Context, id int64, hash string) error {
	return s.execOne(ctx, "set password",
		`UPDATE users SET password_hash = ?, token_version = token_version + 1 WHERE id = ? AND deleted_at IS NULL`, hash, id)
}

// DeleteUser deletes the account id: its name is freed (the row is renamed
// to store.DeletedName(id)), its password hash emptied, its tokens revoked;
// its predictions and verifications stay.
// Errors: not_found; unavailable.
func (s *DB) DeleteUser(ctx context.Context, id int64) error {
	return s.execOne(ctx, "delete user",
		`UPDATE users SET username = ?, password_hash = '', disabled = 1, labeler = 0,
		token_version = token_version + 1, deleted_at = ? WHERE id = ? AND deleted_at IS NULL`,
		store.DeletedName(id), formatTime(time.Now()), id)
}

// SetLabeler makes the account called name a labeler, or not.
// Errors: not_found; unavailable.
func (s *DB) SetLabeler(ctx context.Context, name string, labeler bool) error {
	return s.execOne(ctx, "set labeler",
		`UPDATE users SET labeler = ? WHERE username = ? AND deleted_at IS NULL`, labeler, name)
}

// lockBuckets reads the buckets' rows, creating missing ones full. The
// transaction is IMMEDIATE (it holds the write lock from its start), so
// check and charge are one step for every process on the file.
func lockBuckets(ctx context.Context, tx *sql.Tx, buckets []store.Bucket, now float64) ([]store.Bucket, []float64, error) {
	sorted := slices.Clone(buckets)
	slices.SortFunc(sorted, func(a, b store.Bucket) int { return strings.Compare(a.Key, b.Key) })
	tokens := make([]float64, len(sorted))
	for i, b := range sorted {
		var st store.BucketState
		err := tx.QueryRowContext(ctx, `INSERT INTO login_buckets (key, tokens, updated_unix, full_unix) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING tokens, updated_unix`,
			b.Key, b.Burst, now, now).Scan(&st.Tokens, &st.Updated)
		if err != nil {
			return nil, nil, err
		}
		tokens[i] = b.Refill(st, now)
	}
	return sorted, tokens, nil
}

func saveBuckets(ctx context.Context, tx *sql.Tx, buckets []store.Bucket, tokens []float64, now float64) error {
	for i, b := range buckets {
		if _, err := tx.ExecContext(ctx,
			`UPDATE login_buckets SET tokens = ?, updated_unix = max(updated_unix, ?), full_unix = ? WHERE key = ?`,
			tokens[i], now, b.FullAt(tokens[i], now), b.Key); err != nil {
			return err
		}
	}
	return nil
}

// TakeLogin charges one attempt to every bucket, atomically: when each holds
// a token, each gives one and wait is 0; otherwise none is charged and wait
// says how long until the emptiest has one (store.Charge).
// Errors: unavailable.
func (s *DB) TakeLogin(ctx context.Context, at time.Time, buckets []store.Bucket) (time.Duration, error) {
	now := store.UnixSeconds(at)
	var wait time.Duration
	err := inTx(ctx, s.db, "take login", func(tx *sql.Tx) error {
		sorted, tokens, err := lockBuckets(ctx, tx, buckets, now)
		if err != nil {
			return err
		}
		var after []float64
		if after, wait = store.Charge(sorted, tokens); wait > 0 {
			return nil
		}
		return saveBuckets(ctx, tx, sorted, after, now)
	})
	return wait, err
}

// RefundLogin gives back the token TakeLogin charged to each bucket.
// Errors: unavailable.
func (s *DB) RefundLogin(ctx context.Context, at time.Time, buckets []store.Bucket) error {
	now := store.UnixSeconds(at)
	return inTx(ctx, s.db, "refund login", func(tx *sql.Tx) error {
		sorted, tokens, err := lockBuckets(ctx, tx, buckets, now)
		if err != nil {
			return err
		}
		for i, b := range sorted {
			tokens[i] = min(b.Burst, tokens[i]+1)
		}
		return saveBuckets(ctx, tx, sorted, tokens, now)
	})
}

// PruneLogin deletes the buckets that are full again at time at and
// returns how many it deleted.
// Errors: unavailable.
func (s *DB) PruneLogin(ctx context.Context, at time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM login_buckets WHERE full_unix <= ?`, store.UnixSeconds(at))
	if err != nil {
		return 0, translate("prune login", err)
	}
	n, err := res.RowsAffected()
	return n, translate("prune login", err)
}
