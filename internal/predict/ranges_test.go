package predict

import (
	"os"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/sampledata"
)

// checkSeeds fits the frequency encodings on shots and checks that the 39
// features of every shot are within the ranges: the ranges allow what the
// data produces, and a /predict body made of them is accepted.
func checkSeeds(t *testing.T, shots []nba.Shot) {
	t.Helper()
	fit := features.NewFitter()
	for i := range shots {
		fit.Add(&shots[i])
	}
	tr, err := fit.Transform()
	if err != nil {
		t.Fatal(err)
	}
	for i := range shots {
		f := Features(features.Seed(tr, &shots[i]))
		if err := f.Check(); err != nil {
			t.Fatalf("shot %+v: its features are out of range: %v", shots[i], err)
		}
		if _, err := DecodeFeatures(f.AppendJSON(nil)); err != nil {
			t.Fatalf("shot %+v: its /predict body is refused: %v", shots[i], err)
		}
	}
}

func TestRangesAllowSyntheticShots(t *testing.T) {
	checkSeeds(t, featuretest.Shots(7, 5000))
}

// TestRangesAllowSampleShots checks the ranges against the real sample (it
// needs NBA_SAMPLE_CSV).
func TestRangesAllowSampleShots(t *testing.T) {
	path := sampledata.Path(t)
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	rd, err := dataset.NewReader(file, path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		shots []nba.Shot
		rep   dataset.Report
	)
	for {
		rec, err := rd.Read()
		if err != nil {
			break
		}
		var s nba.Shot
		if dataset.Check(rec.Fields, &s, &rep) {
			shots = append(shots, s)
		}
	}
	if len(shots) < 900 {
		t.Fatalf("only %d sample rows validated", len(shots))
	}
	checkSeeds(t, shots)
}
