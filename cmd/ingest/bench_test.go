package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/stage"
)

// BenchmarkIngest measures one ingest of a 50,000-row batch of new keys into
// a 200,000-row raw dataset: key scan, copy, validation, deduplication and
// the atomic commit. ns/op divided by 50,000 is the cost per batch row.
func BenchmarkIngest(b *testing.B) {
	dir := b.TempDir()
	raw := filepath.Join(dir, "raw", "shots.csv")
	writeCSV(b, raw, fixture(200000, 21200001))
	batch := filepath.Join(dir, "batch.csv")
	writeCSV(b, batch, fixture(50000, 21200401))
	old, err := os.ReadFile(raw)
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := &config{In: batch, Raw: raw, QuarantineDir: filepath.Join(dir, "q")}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if err := os.WriteFile(raw, old, 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		in := &ingester{cfg: cfg, logger: logger, progress: stage.NewProgress(&bytes.Buffer{}, "", 0)}
		rep, err := in.run(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if rep.Accepted != 50000 {
			b.Fatalf("accepted %d, want 50000", rep.Accepted)
		}
	}
}
