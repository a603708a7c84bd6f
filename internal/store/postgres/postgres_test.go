package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/store/storetest"
	"github.com/nba-mlops/nba-mlops/migrations"
)

func mustOpenDB(t testing.TB) *DB {
	t.Helper()
	dsn := storetest.PostgresDSN(t)
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return mustOpenDB(t) })
}

func TestMigrateTwice(t *testing.T) {
	db := mustOpenDB(t)
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	var n int
	if err := db.pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != wantMigrations(t) {
		t.Errorf("schema_migrations has %d rows (%v), want %d", n, err, wantMigrations(t))
	}
}

func TestMigrateRefusesEditedMigration(t *testing.T) {
	db := mustOpenDB(t)
	if _, err := db.pool.Exec(t.Context(), `UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context()); err == nil {
		t.Error("Migrate accepted a database whose recorded checksum differs from the file")
	}
}

func TestOpenUnreachable(t *testing.T) {
	// Port 1 on loopback refuses connections.
	_, err := Open(t.Context(), "postgres://u:secretpw@127.0.0.1:1/db?connect_timeout=2")
	if err == nil {
		t.Fatal("Open on a closed port succeeded")
	}
	if got := err.Error(); strings.Contains(got, "secretpw") {
		t.Errorf("error leaks the password: %s", got)
	}
}

// wantMigrations is the number of embedded migrations, each recorded once.
func wantMigrations(t *testing.T) int {
	t.Helper()
	all, err := migrations.Load(migrations.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}
