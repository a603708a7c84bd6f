package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// CreateUser inserts u and sets its ID and CreatedAt (and TokenVersion 0).
// Errors: conflict when the username is taken; unavailable.
func (db *DB) CreateUser(ctx context.Context, u *store.User) error {
	err := db.pool.QueryRow(ctx,
		`INSERT INTO users (username, password_hash, disabled, labeler) VALUES ($1, $2, $3, $4) RETURNING id, created_at, token_version`,
		u.Username, u.PasswordHash, u.Disabled, u.Labeler).Scan(&u.ID, &u.CreatedAt, &u.TokenVersion)
	if err != nil {
		err = translate("create user", err)
		if nba.ErrorCode(err) == nba.EConflict {
			return nba.Errorf(nba.EConflict, "username %q is taken", u.Username)
		}
		return err
	}
	return nil
}

// UserByName returns the user called name.
// Errors: not_found; unavailable.
func (db *DB) UserByName(ctx context.Context, name string) (store.User, error) {
	var u store.User
	err := db.pool.QueryRow(ctx,
		`SELECT id, username, password_hash, disabled, created_at, token_version, labeler
		FROM users WHERE username = $1 AND deleted_at IS NULL`, name).
		Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Disabled, &u.CreatedAt, &u.TokenVersion, &u.Labeler)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, nba.Errorf(nba.ENotFound, "user not found")
	}
	return u, translate("user by name", err)
}

// execOne runs a statement that must change exactly one live account.
func (db *DB) execOne(ctx context.Context, op, sql string, args ...any) error {
	tag, err := db.pool.Exec(ctx, sql, args...)
	if err != nil {
		return translate(op, err)
	}
	if tag.RowsAffected() != 1 {
		return nba.Errorf(nba.ENotFound, "user not found")
	}
	return nil
}

// RevokeTokens increments the token version of user id, so that every token
// issued to it before is refused (logout).
// Errors: not_found; unavailable.
func (db *DB) RevokeTokens(ctx context.Context, id int64) error {
	return db.execOne(ctx, "revoke tokens",
		`UPDATE users SET token_version = token_version + 1 WHERE id = $1 AND deleted_at IS NULL`, id)
}

// SetPassword replaces the password hash of user id and revokes its tokens.
// Errors: not_found; unavailable.
func (db *DB) SetPassword(ctx context.Context, id int64, hash string) error {
	return db.execOne(ctx, "set password",
		`UPDATE users SET password_hash = $2, token_version = token_version + 1 WHERE id = $1 AND deleted_at IS NULL`, id, hash)
}

// DeleteUser deletes the account id: its name is freed (the row is renamed
// to store.DeletedName(id), which the username rule never allows), its
// password hash emptied (no password matches it), its tokens revoked. Its
// predictions and verifications stay, tied to an id nobody can log in as.
// Errors: not_found; unavailable.
func (db *DB) DeleteUser(ctx context.Context, id int64) error {
	return db.execOne(ctx, "delete user",
		`UPDATE users SET username = $2, password_hash = '', disabled = TRUE, labeler = FALSE,
		token_version = token_version + 1, deleted_at = now() WHERE id = $1 AND deleted_at IS NULL`, id, store.DeletedName(id))
}

// SetLabeler makes the account called name a labeler, or not.
// Errors: not_found; unavailable.
func (db *DB) SetLabeler(ctx context.Context, name string, labeler bool) error {
	return db.execOne(ctx, "set labeler",
		`UPDATE users SET labeler = $2 WHERE username = $1 AND deleted_at IS NULL`, name, labeler)
}

// lockBuckets reads the buckets' rows (creating missing ones full) in key
// order, locking them until the transaction ends: concurrent attempts on a
// key queue here, so check and charge are one step, on every replica. The
// order of keys avoids deadlocks between attempts sharing two keys.
func lockBuckets(ctx context.Context, tx pgx.Tx, buckets []store.Bucket, now float64) ([]store.Bucket, []float64, error) {
	sorted := slices.Clone(buckets)
	slices.SortFunc(sorted, func(a, b store.Bucket) int { return strings.Compare(a.Key, b.Key) })
	tokens := make([]float64, len(sorted))
	for i, b := range sorted {
		var st store.BucketState
		// DO UPDATE (a no-op) rather than DO NOTHING: it locks the row and
		// returns it whether it was just inserted or already there.
		err := tx.QueryRow(ctx, `INSERT INTO login_buckets (key, tokens, updated_unix, full_unix) VALUES ($1, $2, $3, $3)
			ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key RETURNING tokens, updated_unix`,
			b.Key, b.Burst, now).Scan(&st.Tokens, &st.Updated)
		if err != nil {
			return nil, nil, err
		}
		tokens[i] = b.Refill(st, now)
	}
	return sorted, tokens, nil
}

func saveBuckets(ctx context.Context, tx pgx.Tx, buckets []store.Bucket, tokens []float64, now float64) error {
	for i, b := range buckets {
		if _, err := tx.Exec(ctx,
			`UPDATE login_buckets SET tokens = $2, updated_unix = greatest(updated_unix, $3), full_unix = $4 WHERE key = $1`,
			b.Key, tokens[i], now, b.FullAt(tokens[i], now)); err != nil {
			return err
		}
	}
	return nil
}

// TakeLogin charges one attempt to every bucket, atomically: when each holds
// a token, each gives one and wait is 0; otherwise none is charged and wait
// says how long until the emptiest has one (store.Charge).
// Errors: unavailable.
func (db *DB) TakeLogin(ctx context.Context, at time.Time, buckets []store.Bucket) (time.Duration, error) {
	now := store.UnixSeconds(at)
	var wait time.Duration
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
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
	return wait, translate("take login", err)
}

// RefundLogin gives back the token TakeLogin charged to each bucket (a login
// that succeeded does not count against the limits).
// Errors: unavailable.
func (db *DB) RefundLogin(ctx context.Context, at time.Time, buckets []store.Bucket) error {
	now := store.UnixSeconds(at)
	return translate("refund login", pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		sorted, tokens, err := lockBuckets(ctx, tx, buckets, now)
		if err != nil {
			return err
		}
		for i, b := range sorted {
			tokens[i] = min(b.Burst, tokens[i]+1)
		}
		return saveBuckets(ctx, tx, sorted, tokens, now)
	}))
}

// PruneLogin deletes the buckets that are full again at time at (their rows
// say nothing a missing row does not) and returns how many it deleted.
// Errors: unavailable.
func (db *DB) PruneLogin(ctx context.Context, at time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM login_buckets WHERE full_unix <= $1`, store.UnixSeconds(at))
	if err != nil {
		return 0, translate("prune login", err)
	}
	return tag.RowsAffected(), nil
}
