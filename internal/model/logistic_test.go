package model

import (
	"math"
	"testing"
)

// rawGradient is scikit-learn's objective C·Σ logloss + ½‖w‖² (intercept
// unpenalised) differentiated directly, independently of objective.eval.
func rawGradient(X *Matrix, y []int8, C float64, params []float64) []float64 {
	g := make([]float64, len(params))
	for i := range X.Rows {
		z := params[0]
		for j, v := range X.Row(i) {
			z += params[j+1] * float64(v)
		}
		r := 1/(1+math.Exp(-z)) - float64(y[i])
		g[0] += C * r
		for j, v := range X.Row(i) {
			g[j+1] += C * r * float64(v)
		}
	}
	for j := 1; j < len(g); j++ {
		g[j] += params[j]
	}
	return g
}

func TestFitLogisticConverges(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 11, 2000)
	// With C·N up to 2e5, a gradient of 1e-6 on this scale is far below
	// what the objective's rounding lets a line search see: the Newton
	// polish after L-BFGS is what gets there.
	for _, C := range []float64{0.01, 1, 100} {
		fit, err := FitLogistic(t.Context(), fx.X, fx.y, LogisticOptions{C: C, GradTol: 1e-12})
		if err != nil {
			t.Fatal(err)
		}
		g := rawGradient(fx.X, fx.y, C, fit.Params())
		norm := 0.0
		for _, v := range g {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		t.Logf("C=%v: ‖∇‖ = %.3g, status %s, %d iterations", C, norm, fit.Status, fit.Iterations)
		if norm >= 1e-6 {
			t.Errorf("C=%v: ‖∇‖ = %.3g at the fitted weights (status %s, %d iterations), want < 1e-6", C, norm, fit.Status, fit.Iterations)
		}
	}
}

func TestFitLogisticDeterministic(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 12, 3000)
	a, err := FitLogistic(t.Context(), fx.X, fx.y, LogisticOptions{C: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{2, 2, 1, 3} {
		b, err := FitLogistic(t.Context(), fx.X, fx.y, LogisticOptions{C: 1, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if workers == 2 {
			if b.Intercept != a.Intercept || !equalFloats(a.Weights, b.Weights) {
				t.Errorf("two fits with the same data and options differ")
			}
			continue
		}
		// Another split of the rows only changes rounding.
		if d := maxAbsDiff(a.Params(), b.Params()); d > 1e-5 {
			t.Errorf("workers=%d: weights differ by %g from 2 workers", workers, d)
		}
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func maxAbsDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}
