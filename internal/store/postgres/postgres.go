package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
	"github.com/nba-mlops/nba-mlops/migrations"
)

// DefaultMaxConns is the pool size when the DSN has no pool_max_conns. pgx's
// own default (max(4, cores): 4 on a 2-core machine) queues requests under load; each
// request holds a connection for well under a millisecond, so 16 is plenty
// and far below PostgreSQL's default max_connections of 100.
const DefaultMaxConns = 16

// DB is a PostgreSQL-backed store. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to dsn, checks the connection and applies pending migrations.
// Errors: unavailable when the server cannot be reached.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error can quote the DSN, password included: keep it out.
		return nil, errors.New("postgres: the database URL is not a valid PostgreSQL connection string")
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, translate("connect", err)
	}
	db := &DB{pool: pool}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the pool.
func (db *DB) Close() { db.pool.Close() }

// Ping checks that the server answers. Errors: unavailable.
func (db *DB) Ping(ctx context.Context) error {
	return translate("ping", db.pool.Ping(ctx))
}

// Migrate applies the embedded migrations that are not recorded yet, all in
// one transaction, under an exclusive lock on schema_migrations so that two
// apid processes starting together apply them once.
func (db *DB) Migrate(ctx context.Context) error {
	all, err := migrations.Load(migrations.Postgres)
	if err != nil {
		return err
	}
	// CREATE TABLE IF NOT EXISTS can race with itself on a fresh database
	// (a unique violation on pg_type); the advisory lock serialises it.
	return translate("migrate", pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7263543)`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			checksum   TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT version, name, checksum FROM schema_migrations ORDER BY version`)
		if err != nil {
			return err
		}
		applied, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (migrations.Applied, error) {
			var a migrations.Applied
			err := r.Scan(&a.Version, &a.Name, &a.Checksum)
			return a, err
		})
		if err != nil {
			return err
		}
		pending, err := migrations.Pending(all, applied)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
				m.Version, m.Name, m.Checksum); err != nil {
				return err
			}
		}
		return nil
	}))
}

// translate wraps err with the operation and maps it to an nba.Error code:
// unique violations are conflicts; failures to reach the server are
// unavailable; other server errors stay internal. pgx.ErrNoRows passes
// through for the caller to name what was not found.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	var ne *nba.Error
	if errors.As(err, &ne) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return fmt.Errorf("postgres: %s: %w: %w", op, &nba.Error{Code: nba.EConflict, Message: "already exists"}, err)
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "57P"), pe.Code == "53300":
			// connection exception, admin/crash shutdown, cannot connect now,
			// too many connections: the server is (going) away.
			return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrUnavailable, err)
		}
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	if connectionLost(err) {
		return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// connectionLost reports whether err says the server could not be reached or
// the connection broke (refused, reset, EOF, timeout), as opposed to a bug on
// our side such as a failed Scan.
func connectionLost(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		strings.Contains(err.Error(), "conn closed")
}
