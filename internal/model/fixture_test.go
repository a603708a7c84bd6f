package model

import (
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// fixture is a fitted transform and the design matrix of n synthetic shots.
type fixture struct {
	tr    *features.Transform
	shots []nba.Shot
	X     *Matrix
	y     []int8
}

func newFixture(tb testing.TB, seed uint64, n int) *fixture {
	tb.Helper()
	shots := featuretest.Shots(seed, n)
	f := features.NewFitter()
	for i := range shots {
		f.Add(&shots[i])
	}
	tr, err := f.Transform()
	if err != nil {
		tb.Fatal(err)
	}
	sf := tr.NewScalerFitter()
	for i := range shots {
		s := features.Seed(tr, &shots[i])
		sf.Add(&s)
	}
	if err := tr.SetScaler(sf); err != nil {
		tb.Fatal(err)
	}
	X := NewMatrix(n, tr.NumFeatures())
	y := make([]int8, n)
	v := make([]float64, tr.NumFeatures())
	for i := range shots {
		s := features.Seed(tr, &shots[i])
		X.SetRow(i, tr.VectorOf(&s, shots[i].ActionType, v))
		y[i] = shots[i].ShotMadeFlag
	}
	return &fixture{tr: tr, shots: shots, X: X, y: y}
}
