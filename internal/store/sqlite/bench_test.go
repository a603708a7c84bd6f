package sqlite

import (
	"context"
	"testing"
	"time"
)

// fillMillion inserts 1M predictions, of which every tenth (or only the last
// hundred, when sparse) is unverified.
func fillMillion(b *testing.B, db *DB, sparse bool) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	unverified := `x % 10 = 0`
	if sparse {
		unverified = `x > 999900`
	}
	for _, q := range []string{
		`INSERT INTO users (username, password_hash, created_at) VALUES ('bench', 'x', '2026-01-01T00:00:00.000000Z')`,
		`WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 1000000)
		 INSERT INTO predictions (user_id, prediction, probability, model_version, input_parameters,
			user_verification, verified_by, verified_at, "timestamp")
		 SELECT 1, x % 2, 0.5, 'v1', '{"Period": 1}',
			CASE WHEN ` + unverified + ` THEN NULL ELSE 1 END,
			CASE WHEN ` + unverified + ` THEN NULL ELSE 1 END,
			CASE WHEN ` + unverified + ` THEN NULL ELSE '2026-01-01T00:00:00.000000Z' END,
			'2026-01-01T00:00:00.000000Z'
		 FROM g`,
		`ANALYZE`,
	} {
		if _, err := db.db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("filled 1M rows in %s", time.Since(start).Round(time.Millisecond))
}

// BenchmarkRandomUnverified measures GET /verify_random_prediction's query
// at 1M rows: 100k unverified spread out, and 100 unverified at the end
// (where a scan for unverified rows would read the whole table).
func BenchmarkRandomUnverified(b *testing.B) {
	for _, tc := range []struct {
		name   string
		sparse bool
	}{{"1M_rows_10pct_unverified", false}, {"1M_rows_100_unverified_at_end", true}} {
		b.Run(tc.name, func(b *testing.B) {
			db := mustOpenDB(b)
			fillMillion(b, db, tc.sparse)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := db.RandomUnverified(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRandomUnverifiedNaive is the query the obvious implementation
// would use, for comparison: ORDER BY random() reads every unverified row.
func BenchmarkRandomUnverifiedNaive(b *testing.B) {
	db := mustOpenDB(b)
	fillMillion(b, db, false)
	ctx := context.Background()
	for b.Loop() {
		var id int64
		if err := db.db.QueryRowContext(ctx, `SELECT id FROM predictions WHERE user_verification IS NULL ORDER BY random() LIMIT 1`).Scan(&id); err != nil {
			b.Fatal(err)
		}
	}
}
