package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// pairwiseAUC is the definition: P(score of a positive > score of a
// negative) + ½ P(tie).
func pairwiseAUC(p []float64, y []int8) float64 {
	var num, den float64
	for i := range p {
		for j := range p {
			if y[i] == 1 && y[j] == 0 {
				den++
				switch {
				case p[i] > p[j]:
					num++
				case p[i] == p[j]:
					num += 0.5
				}
			}
		}
	}
	return num / den
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    []float64
		y    []int8
		want Metrics
	}{
		{"perfect", []float64{0.9, 0.8, 0.2, 0.1}, []int8{1, 1, 0, 0},
			Metrics{Accuracy: 1, ROCAUC: 1, LogLoss: -(math.Log(0.9) + math.Log(0.8) + math.Log(0.8) + math.Log(0.9)) / 4,
				Brier: (0.01 + 0.04 + 0.04 + 0.01) / 4, BaseRate: 0.5, Rows: 4}},
		{"all ties", []float64{0.5, 0.5, 0.5}, []int8{1, 0, 0},
			Metrics{Accuracy: 1.0 / 3, ROCAUC: 0.5, LogLoss: math.Log(2), Brier: 0.25, BaseRate: 1.0 / 3, Rows: 3}},
		{"certain and wrong", []float64{0, 1}, []int8{1, 0},
			Metrics{Accuracy: 0, ROCAUC: 0, LogLoss: -(math.Log(1e-15) + math.Log1p(-(1 - 1e-15))) / 2, Brier: 1, BaseRate: 0.5, Rows: 2}},
	}
	for _, tt := range tests {
		got := Evaluate(tt.p, tt.y, 0.5)
		if !closeMetrics(got, tt.want, 1e-9) {
			t.Errorf("%s: Evaluate = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if m := Evaluate([]float64{0.3, 0.6}, []int8{1, 1}, 0.5); !math.IsNaN(m.ROCAUC) {
		t.Errorf("one class: AUC = %v, want NaN", m.ROCAUC)
	}
}

func TestAUCMatchesDefinition(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		n := 2 + rng.IntN(60)
		p, y := make([]float64, n), make([]int8, n)
		for i := range p {
			p[i] = float64(rng.IntN(7)) / 6 // many ties
			y[i] = int8(rng.IntN(2))
		}
		y[0], y[1] = 0, 1
		if got, want := AUC(p, y), pairwiseAUC(p, y); math.Abs(got-want) > 1e-12 {
			t.Fatalf("AUC(%v, %v) = %v, want %v", p, y, got, want)
		}
	}
}

func TestImprovement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		metric       string
		chal, champ  float64
		wantPositive bool
	}{
		{MetricROCAUC, 0.62, 0.61, true},
		{MetricAccuracy, 0.60, 0.61, false},
		{MetricLogLoss, 0.66, 0.67, true},
		{MetricBrier, 0.24, 0.23, false},
	}
	for _, tt := range tests {
		if got := Improvement(tt.metric, tt.chal, tt.champ); (got > 0) != tt.wantPositive {
			t.Errorf("Improvement(%s, %v, %v) = %v, want positive %v", tt.metric, tt.chal, tt.champ, got, tt.wantPositive)
		}
	}
	if _, err := (Metrics{}).Get("f1"); err == nil {
		t.Error(`Get("f1") succeeded, want an error naming the metrics`)
	}
}

func closeMetrics(a, b Metrics, tol float64) bool {
	c := func(x, y float64) bool { return math.Abs(x-y) <= tol || (math.IsNaN(x) && math.IsNaN(y)) }
	return c(a.Accuracy, b.Accuracy) && c(a.ROCAUC, b.ROCAUC) && c(a.LogLoss, b.LogLoss) &&
		c(a.Brier, b.Brier) && c(a.BaseRate, b.BaseRate) && a.Rows == b.Rows
}
