package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// CreateUser inserts u and sets its ID and CreatedAt.
// Errors: conflict when the username is taken; unavailable.
func (db *DB) CreateUser(ctx context.Context, u *store.User) error {
	err := db.pool.QueryRow(ctx,
		`INSERT INTO users (username, password_hash, disabled) VALUES ($1, $2, $3) RETURNING id, created_at`,
		u.Username, u.PasswordHash, u.Disabled).Scan(&u.ID, &u.CreatedAt)
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
		`SELECT id, username, password_hash, disabled, created_at FROM users WHERE username = $1`, name).
		Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Disabled, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, nba.Errorf(nba.ENotFound, "user not found")
	}
	return u, translate("user by name", err)
}
