package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/store/storetest"
	"github.com/nba-mlops/nba-mlops/migrations"
)

func mustOpenDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "apid.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return mustOpenDB(t) })
}

func TestMigrateTwiceAndWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "apid.db")
	for range 2 {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		var n int
		if err := db.db.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != wantMigrations(t) {
			t.Errorf("schema_migrations has %d rows (%v), want %d", n, err, wantMigrations(t))
		}
		var mode string
		if err := db.db.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q (%v), want wal", mode, err)
		}
		db.Close()
	}
}

func TestMigrateRefusesEditedMigration(t *testing.T) {
	db := mustOpenDB(t)
	if _, err := db.db.ExecContext(t.Context(), `UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context()); err == nil {
		t.Error("Migrate accepted a database whose recorded checksum differs from the file")
	}
}

// TestRandomUnverifiedUsesIndex pins the query plan: a plan that walks the
// table would make GET /verify_random_prediction a scan.
func TestRandomUnverifiedUsesIndex(t *testing.T) {
	db := mustOpenDB(t)
	rows, err := db.db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN SELECT `+predictionColumns+`
		FROM predictions INDEXED BY predictions_unverified WHERE user_verification IS NULL AND id >= 5 ORDER BY id LIMIT 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "\n"
	}
	if !strings.Contains(plan, "USING INDEX predictions_unverified") && !strings.Contains(plan, "USING COVERING INDEX predictions_unverified") {
		t.Errorf("plan does not use the partial index:\n%s", plan)
	}
	if strings.Contains(plan, "SCAN predictions\n") {
		t.Errorf("plan scans the table:\n%s", plan)
	}
}

// wantMigrations is the number of embedded migrations, each recorded once.
func wantMigrations(t *testing.T) int {
	t.Helper()
	all, err := migrations.Load(migrations.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}
