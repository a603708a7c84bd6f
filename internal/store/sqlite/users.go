package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// CreateUser inserts u and sets its ID and CreatedAt.
// Errors: conflict when the username is taken; unavailable.
func (s *DB) CreateUser(ctx context.Context, u *store.User) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO users (username, password_hash, disabled, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		u.Username, u.PasswordHash, u.Disabled, formatTime(now)).Scan(&u.ID)
	if err != nil {
		err = translate("create user", err)
		if nba.ErrorCode(err) == nba.EConflict {
			return nba.Errorf(nba.EConflict, "username %q is taken", u.Username)
		}
		return err
	}
	u.CreatedAt = now
	return nil
}

const userByNameSQL = `SELECT id, username, password_hash, disabled, created_at FROM users WHERE username = ?`

// UserByName returns the user called name.
// Errors: not_found; unavailable.
func (s *DB) UserByName(ctx context.Context, name string) (store.User, error) {
	var (
		u       store.User
		created string
	)
	err := s.userByName.QueryRowContext(ctx, name).Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Disabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, nba.Errorf(nba.ENotFound, "user not found")
	}
	if err != nil {
		return store.User{}, translate("user by name", err)
	}
	u.CreatedAt, err = parseTime(created)
	return u, translate("user by name", err)
}
