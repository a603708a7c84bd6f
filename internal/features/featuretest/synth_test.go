package featuretest

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// TestShotsValid checks that every generated row passes the validator and
// that the generator is deterministic and prefix-stable.
func TestShotsValid(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, 7, 5000); err != nil {
		t.Fatal(err)
	}
	rd, err := dataset.NewReader(&buf, "synthetic")
	if err != nil {
		t.Fatal(err)
	}
	var rep dataset.Report
	var s nba.Shot
	n, made := 0, 0
	keys := map[nba.Key]bool{}
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !dataset.Check(rec.Fields, &s, &rep) {
			t.Fatalf("line %d: %s", rec.Line, rep.Detail())
		}
		if keys[s.Key()] {
			t.Fatalf("line %d: key (%d, %d) repeated", rec.Line, s.GameID, s.GameEventID)
		}
		keys[s.Key()] = true
		n++
		made += int(s.ShotMadeFlag)
	}
	if n != 5000 {
		t.Fatalf("read %d rows, want 5000", n)
	}
	if rate := float64(made) / float64(n); rate < 0.38 || rate > 0.50 {
		t.Errorf("make rate %.3f, want about 0.43", rate)
	}
	a, b := Shots(7, 300), Shots(7, 300)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("row %d differs between two runs with the same seed", i)
		}
	}
}
