package postgres

import (
	"context"
	"testing"
	"time"
)

// fillMillion inserts 1M predictions, of which every tenth (or only the last
// hundred, when sparse) is unverified, and analyzes the table.
func fillMillion(b *testing.B, db *DB, sparse bool) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	unverified := `g % 10 = 0`
	if sparse {
		unverified = `g > 999900`
	}
	for _, q := range []string{
		`INSERT INTO users (username, password_hash) VALUES ('bench', 'x')`,
		`INSERT INTO predictions (user_id, prediction, probability, model_version, input_parameters,
			user_verification, verified_by, verified_at)
		 SELECT (SELECT id FROM users), g % 2, 0.5, 'v1', '{"Period": 1}'::jsonb,
			CASE WHEN ` + unverified + ` THEN NULL ELSE 1 END,
			CASE WHEN ` + unverified + ` THEN NULL ELSE (SELECT id FROM users) END,
			CASE WHEN ` + unverified + ` THEN NULL ELSE now() END
		 FROM generate_series(1, 1000000) g`,
		`ANALYZE predictions`,
	} {
		if _, err := db.pool.Exec(ctx, q); err != nil {
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
		if err := db.pool.QueryRow(ctx, `SELECT id FROM predictions WHERE user_verification IS NULL ORDER BY random() LIMIT 1`).Scan(&id); err != nil {
			b.Fatal(err)
		}
	}
}
