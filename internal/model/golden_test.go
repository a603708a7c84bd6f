package model

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/features"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// TestCoefficientsGolden pins the coefficients of one fit at a fixed seed:
// a change to the optimiser, the features or the synthetic fixture shows up
// here. Regenerate with `go test ./internal/model -update` after a
// deliberate change. The tolerance allows for a compiler fusing
// multiply-adds on another architecture.
func TestCoefficientsGolden(t *testing.T) {
	fx := newFixture(t, 29, 3000)
	// A tight tolerance pins the optimum itself, not where the optimiser
	// happened to stop.
	fit, err := FitLogistic(t.Context(), fx.X, fx.y, LogisticOptions{C: 0.5, GradTol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{"(intercept)": fit.Intercept}
	for i, name := range fx.tr.Features() {
		got[name] = fit.Weights[i]
	}
	const path = "testdata/coefficients.golden.json"
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]float64
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(got) {
		t.Errorf("%d coefficients, golden has %d", len(got), len(want))
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || math.Abs(g-w) > 1e-6 {
			t.Errorf("%s = %v, golden %v", k, g, w)
		}
	}
}

// FuzzDecode feeds model files to Decode, which predictd runs on every
// reload: it must never panic, and a file it accepts must score the same
// after a round trip through its own encoding.
func FuzzDecode(f *testing.F) {
	fx := newFixture(f, 30, 300)
	m := trained(f, fx)
	m.version = 1
	good, err := json.Marshal(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	// A file with effects of every group and an isotonic calibration.
	iso, _ := FitCalibration(CalibrationIsotonic, []float64{0.2, 0.4, 0.6, 0.8}, []int8{0, 1, 0, 1})
	full := withCalibration(f, m, iso, FitEffects(make([]float64, len(fx.shots)), fx.y, dataOf(fx).IDs, EffectOptions{L2: [numGroups]float64{10, 10, 10}}))
	full.version = 1
	if b, err := json.Marshal(full); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"format":"nba-mlops/model","format_version":1}`))
	f.Add([]byte(`{}`))
	seed := features.Seed(fx.tr, &fx.shots[0])
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encoding an accepted model: %v", err)
		}
		m2, err := Decode(again)
		if err != nil {
			t.Fatalf("decoding a re-encoded model: %v", err)
		}
		p1, p2 := m.ScoreSeed(&seed), m2.ScoreSeed(&seed)
		if p1 != p2 && !(math.IsNaN(p1) && math.IsNaN(p2)) {
			t.Fatalf("score %v before the round trip, %v after", p1, p2)
		}
	})
}
