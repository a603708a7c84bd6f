package synth

import (
	"io"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// BenchmarkSynthetic measures generation and CSV formatting of 100,000
// shots per iteration, and reports rows per second.
func BenchmarkSynthetic(b *testing.B) {
	const rows = 100_000
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		g, err := New(Config{Rows: rows, Seed: 7})
		if err != nil {
			b.Fatal(err)
		}
		if err := g.Run(b.Context(), func(s *nba.Shot) error {
			buf = dataset.AppendShot(buf[:0], s)
			_, err := io.Discard.Write(buf)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkNew measures building the universe's tables, paid once a run.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(Config{Rows: 1, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
