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
				Brier: (0.01 + 0.04 + 0.04 + 0.01) / 4, BaseRate: 0.5, Rows: 4, CalibrationError: 0.15}},
		{"all ties", []float64{0.5, 0.5, 0.5}, []int8{1, 0, 0},
			Metrics{Accuracy: 1.0 / 3, ROCAUC: 0.5, LogLoss: math.Log(2), Brier: 0.25, BaseRate: 1.0 / 3, Rows: 3, CalibrationError: 0.5}},
		{"certain and wrong", []float64{0, 1}, []int8{1, 0},
			Metrics{Accuracy: 0, ROCAUC: 0, LogLoss: -(math.Log(1e-15) + math.Log1p(-(1 - 1e-15))) / 2, Brier: 1, BaseRate: 0.5, Rows: 2, CalibrationError: 1}},
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
		c(a.Brier, b.Brier) && c(a.BaseRate, b.BaseRate) && c(a.CalibrationError, b.CalibrationError) && a.Rows == b.Rows
}

// TestReliability checks the equal-count bins on a case worked by hand: 25
// rows make bins of 2 and 3 rows, and a perfectly calibrated bin adds
// nothing to the error.
func TestReliability(t *testing.T) {
	t.Parallel()
	var p []float64
	var y []int8
	for i := range 25 {
		p = append(p, float64(i)/100)
		y = append(y, int8(i%2))
	}
	bins := Reliability(p, y)
	if len(bins) != ReliabilityBins {
		t.Fatalf("%d bins, want %d", len(bins), ReliabilityBins)
	}
	total := int64(0)
	for k, b := range bins {
		lo, hi := k*25/10, (k+1)*25/10
		var sp, sy float64
		for i := lo; i < hi; i++ {
			sp += p[i]
			sy += float64(y[i])
		}
		want := ReliabilityBin{Bin: k + 1, MeanPredicted: sp / float64(hi-lo), ObservedRate: sy / float64(hi-lo), Count: int64(hi - lo)}
		if math.Abs(b.MeanPredicted-want.MeanPredicted) > 1e-12 || b.ObservedRate != want.ObservedRate || b.Count != want.Count || b.Bin != want.Bin {
			t.Errorf("bin %d = %+v, want %+v", k, b, want)
		}
		total += b.Count
	}
	if total != 25 {
		t.Errorf("bins hold %d rows, want 25", total)
	}
	// Calibrated by construction: bin k holds 10 shots at probability
	// k/10, k of them made, so the error is 0; moving every probability
	// up by 0.05 makes it 0.05.
	var q, qUp []float64
	var yy []int8
	for k := range 10 {
		for i := range 10 {
			q = append(q, float64(k)/10)
			qUp = append(qUp, float64(k)/10+0.05)
			yy = append(yy, int8(b2i(i < k)))
		}
	}
	if e := Evaluate(q, yy, 0.5).CalibrationError; math.Abs(e) > 1e-12 {
		t.Errorf("calibrated probabilities: calibration error %v, want 0", e)
	}
	if e := Evaluate(qUp, yy, 0.5).CalibrationError; math.Abs(e-0.05) > 1e-12 {
		t.Errorf("probabilities 0.05 too high: calibration error %v, want 0.05", e)
	}
	if names := MetricNames(); names[len(names)-1] != MetricCalibrationError {
		t.Errorf("MetricNames() = %v, want calibration_error accepted", names)
	}
	names := MetricNames()
	names[0] = "changed"
	if MetricNames()[0] != MetricROCAUC {
		t.Error("a caller changed the list MetricNames returns")
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
