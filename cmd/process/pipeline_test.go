package main

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
	"github.com/nba-mlops/nba-mlops/internal/stage"
)

// newPipelineInput returns a reader over n synthetic rows.
func newPipelineInput(tb testing.TB, n int) *dataset.Reader {
	tb.Helper()
	var buf bytes.Buffer
	if err := featuretest.WriteCSV(&buf, 3, n); err != nil {
		tb.Fatal(err)
	}
	rd, err := dataset.NewReader(bytes.NewReader(buf.Bytes()), "shots.csv")
	if err != nil {
		tb.Fatal(err)
	}
	return rd
}

// TestPipelineInOrder: the chunks reach consume in file order, every row
// once, whatever order the validators finish in.
func TestPipelineInOrder(t *testing.T) {
	const rows = 5*chunkRows + 17
	p := &processor{cfg: &config{In: "shots.csv"}, logger: slog.New(slog.DiscardHandler), progress: stage.NewProgress(&bytes.Buffer{}, "", 0)}
	next, seen := 0, 0
	err := p.pipeline(t.Context(), newPipelineInput(t, rows), func(c *chunk) error {
		if c.seq != next {
			t.Fatalf("chunk %d consumed when %d was due", c.seq, next)
		}
		next++
		seen += len(c.lines)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != rows {
		t.Errorf("consumed %d rows, want %d", seen, rows)
	}
}

// TestPipelineStopsOnConsumeError: when consume fails, pipeline stops the
// reader and the validators, waits for them and returns that error.
func TestPipelineStopsOnConsumeError(t *testing.T) {
	p := &processor{cfg: &config{In: "shots.csv"}, logger: slog.New(slog.DiscardHandler), progress: stage.NewProgress(&bytes.Buffer{}, "", 0)}
	boom := errors.New("disk full")
	calls := 0
	err := p.pipeline(t.Context(), newPipelineInput(t, 20*chunkRows), func(c *chunk) error {
		calls++
		if calls == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("pipeline = %v, want the consume error", err)
	}
	if calls != 2 {
		t.Errorf("consume called %d times, want it to stop after the failing call", calls)
	}
}
