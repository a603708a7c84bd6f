package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
	"github.com/nba-mlops/nba-mlops/migrations"
)

// pragmas are applied by the driver to every new connection.
const pragmas = "_txlock=immediate&_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=1"

// maxConns bounds the pool: readers run in parallel under WAL, and writers
// queue on the file lock whatever the pool size.
const maxConns = 8

// DB is a SQLite-backed store. It is safe for concurrent use.
type DB struct {
	db *sql.DB
	// Statements of the per-request path, prepared once: preparing costs
	// SQLite more than running these small statements.
	insertPrediction *sql.Stmt
	userByName       *sql.Stmt
}

// Open opens (creating if needed) the database file at path and applies
// pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	// Driver "sqlite" is registered by package msqlite, imported by name
	// for its error type (no blank import).
	db, err := sql.Open("sqlite", path+"?"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	s := &DB{db: db}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if s.insertPrediction, err = db.PrepareContext(ctx, insertPredictionSQL); err == nil {
		s.userByName, err = db.PrepareContext(ctx, userByNameSQL)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	return s, nil
}

// Close closes the database.
func (s *DB) Close() error {
	s.insertPrediction.Close()
	s.userByName.Close()
	return s.db.Close()
}

// Ping checks that the file can be read.
func (s *DB) Ping(ctx context.Context) error {
	return translate("ping", s.db.PingContext(ctx))
}

// Migrate applies the embedded migrations that are not recorded yet, all in
// one IMMEDIATE transaction, which holds the write lock from the start so
// two processes cannot apply them twice.
func (s *DB) Migrate(ctx context.Context) error {
	all, err := migrations.Load(migrations.SQLite)
	if err != nil {
		return err
	}
	return inTx(ctx, s.db, "migrate", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			checksum   TEXT NOT NULL,
			applied_at TEXT NOT NULL) STRICT`); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT version, name, checksum FROM schema_migrations ORDER BY version`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var applied []migrations.Applied
		for rows.Next() {
			var a migrations.Applied
			if err := rows.Scan(&a.Version, &a.Name, &a.Checksum); err != nil {
				return err
			}
			applied = append(applied, a)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		pending, err := migrations.Pending(all, applied)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
				m.Version, m.Name, m.Checksum, formatTime(time.Now())); err != nil {
				return err
			}
		}
		return nil
	})
}

func inTx(ctx context.Context, db *sql.DB, op string, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return translate(op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error that matters is fn's
		return translate(op, err)
	}
	return translate(op, tx.Commit())
}

func formatTime(t time.Time) string { return t.UTC().Format(store.TimeFormat) }

func parseTime(s string) (time.Time, error) { return time.Parse(store.TimeFormat, s) }

// translate wraps err with the operation and maps it to an nba.Error code.
// sql.ErrNoRows passes through for the caller to name what was not found.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var ne *nba.Error
	if errors.As(err, &ne) {
		return err
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("sqlite: %s: %w: %w", op, &nba.Error{Code: nba.EConflict, Message: "already exists"}, err)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			// Another writer held the lock past busy_timeout.
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrUnavailable, err)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
