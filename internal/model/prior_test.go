package model

import (
	"math"
	"testing"
)

// TestCentre: a strong penalty centred on c gives parameters near c (the
// intercept too), a weak one the predictions of the unpenalised fit (the
// parameters themselves are not identified: family one-hots sum to the
// intercept).
func TestCentre(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 51, 2000)
	c := make([]float64, fx.X.Cols+1)
	for j := range c {
		c[j] = 0.1 * float64(j%5-2)
	}
	fit, err := FitLogistic(t.Context(), fx.X, fx.y, LogisticOptions{C: 1e-6, Centre: c})
	if err != nil {
		t.Fatal(err)
	}
	for j, w := range fit.Params() {
		if math.Abs(w-c[j]) > 1e-3 {
			t.Errorf("parameter %d = %v, want about the centre %v", j, w, c[j])
		}
	}
	// A weak penalty leaves the unpenalised fit: the centre no longer
	// matters.
	free, err := FitLogistic(t.Context(), fx.X, fx.y, LogisticOptions{C: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	weak, err := FitLogistic(t.Context(), fx.X, fx.y, LogisticOptions{C: 1e6, Centre: c})
	if err != nil {
		t.Fatal(err)
	}
	for i := range fx.X.Rows {
		a := sigmoid(weak.Intercept + dot(weak.Weights, fx.X.Row(i)))
		b := sigmoid(free.Intercept + dot(free.Weights, fx.X.Row(i)))
		if math.Abs(a-b) > 1e-3 {
			t.Fatalf("weak penalty: row %d scored %v, the free fit %v; want the same", i, a, b)
		}
	}
}
