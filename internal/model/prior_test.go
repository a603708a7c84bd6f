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

// TestTimeSplit: whole dates on each side, the later ones held out, about
// the asked share of rows; one date cannot be split.
func TestTimeSplit(t *testing.T) {
	t.Parallel()
	d := &Data{}
	for i := range 1000 {
		d.Dates = append(d.Dates, int32(20190101+i/10)) // 10 shots a day over 100 days
	}
	tr, va, cutoff, err := TimeSplit(d, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if len(va) != 200 || len(tr) != 800 || cutoff != 20190181 {
		t.Errorf("split %d/%d at %d, want 800/200 at 20190181", len(tr), len(va), cutoff)
	}
	for _, i := range tr {
		if d.Dates[i] >= cutoff {
			t.Fatalf("training row %d on %d, at or after the cutoff %d", i, d.Dates[i], cutoff)
		}
	}
	for _, i := range va {
		if d.Dates[i] < cutoff {
			t.Fatalf("validation row %d on %d, before the cutoff %d", i, d.Dates[i], cutoff)
		}
	}
	if _, _, _, err := TimeSplit(&Data{Dates: []int32{20200101, 20200101}}, 0.5); err == nil {
		t.Error("one date: split, want an error")
	}
}

// TestValidateTimeSplit reruns the procedure on the earlier games and
// scores every step on the later ones.
func TestValidateTimeSplit(t *testing.T) {
	t.Parallel()
	fx, _ := playerFixture(t, 44, 6000)
	d := dataOf(fx)
	rep, err := ValidateTimeSplit(t.Context(), d, 0.25, TrainOptions{Search: SearchOptions{Seed: 2, Trials: 2}, Effects: true,
		Calibrations: CalibrationMethods(), Transform: fx.tr})
	if err != nil {
		t.Fatal(err)
	}
	if rep.TrainRows+rep.ValidRows != 6000 || math.Abs(float64(rep.ValidRows)/6000-0.25) > 0.05 || len(rep.Steps) != 3 {
		t.Fatalf("report %+v", rep)
	}
	for _, s := range rep.Steps {
		if s.Metrics.Rows != int64(rep.ValidRows) || !(s.Metrics.ROCAUC > 0.55) {
			t.Errorf("step %s: %d rows, AUC %.3f; want %d rows and signal", s.Step, s.Metrics.Rows, s.Metrics.ROCAUC, rep.ValidRows)
		}
	}
}
