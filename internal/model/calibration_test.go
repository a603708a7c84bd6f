package model

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/features"
)

// miscalibrated draws n shots whose true probability is p and whose model
// says σ(2·logit(p) + 0.4): overconfident and biased upward, the two faults
// a calibration must undo.
func miscalibrated(seed uint64, n int) (raw []float64, y []int8, fold []int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range n {
		p := 0.15 + 0.7*rng.Float64()
		raw = append(raw, sigmoid(2*logit(p)+0.4))
		y = append(y, int8(b2i(rng.Float64() < p)))
		fold = append(fold, i%5)
	}
	return raw, y, fold
}

func TestPlattRecoversTheMap(t *testing.T) {
	t.Parallel()
	raw, y, _ := miscalibrated(1, 40000)
	c, err := FitCalibration(CalibrationPlatt, raw, y)
	if err != nil {
		t.Fatal(err)
	}
	// The inverse of z = 2·logit(p) + 0.4 is logit(p) = 0.5·z − 0.2.
	if math.Abs(c.A-0.5) > 0.03 || math.Abs(c.B+0.2) > 0.03 {
		t.Errorf("Platt a=%v b=%v, want about 0.5 and -0.2", c.A, c.B)
	}
}

// TestChooseCalibration: on miscalibrated scores the choice is not "none",
// the held-out calibrated probabilities beat the raw ones, and on fresh
// shots the fitted map does too.
func TestChooseCalibration(t *testing.T) {
	t.Parallel()
	raw, y, fold := miscalibrated(2, 5000)
	ch, err := ChooseCalibration(raw, y, fold, 5, CalibrationMethods())
	if err != nil {
		t.Fatal(err)
	}
	if ch.Calibration.Method == CalibrationNone || len(ch.Trials) != 3 {
		t.Fatalf("chose %s among %+v, want a calibration among 3 trials", ch.Calibration, ch.Trials)
	}
	before, after := Evaluate(raw, y, 0.5), Evaluate(ch.Calibrated, y, 0.5)
	if !(after.LogLoss < before.LogLoss && after.CalibrationError < before.CalibrationError/2) {
		t.Errorf("held out: log loss %.4f → %.4f, calibration error %.4f → %.4f; want both lower, the error halved",
			before.LogLoss, after.LogLoss, before.CalibrationError, after.CalibrationError)
	}
	fresh, fy, _ := miscalibrated(3, 5000)
	before = Evaluate(fresh, fy, 0.5)
	ch.Calibration.Apply(fresh)
	after = Evaluate(fresh, fy, 0.5)
	if !(after.LogLoss < before.LogLoss && after.CalibrationError < 0.03) {
		t.Errorf("fresh shots: log loss %.4f → %.4f, calibration error %.4f → %.4f; want lower and under 0.03",
			before.LogLoss, after.LogLoss, before.CalibrationError, after.CalibrationError)
	}
	// Well calibrated scores need no calibration: "none" is listed first
	// and wins ties, and a method must earn its place.
	var good []float64
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range y {
		good = append(good, 0.3)
		y[i] = int8(b2i(rng.Float64() < 0.3))
	}
	ch, err = ChooseCalibration(good, y, fold, 5, CalibrationMethods())
	if err != nil {
		t.Fatal(err)
	}
	if ch.Trials[0].Method != CalibrationNone {
		t.Errorf("trials %+v: want none first", ch.Trials)
	}
}

func TestIsotonic(t *testing.T) {
	t.Parallel()
	raw, y, _ := miscalibrated(5, 3000)
	c, err := FitCalibration(CalibrationIsotonic, raw, y)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.validate(); err != nil {
		t.Fatalf("fitted isotonic does not validate: %v", err)
	}
	prev := -1.0
	for p := 0.0; p <= 1; p += 0.001 {
		q := c.apply(p, math.NaN())
		if q < prev-1e-15 || q < isotonicClip || q > 1-isotonicClip {
			t.Fatalf("isotonic(%v) = %v after %v: want non-decreasing within [%v, %v]", p, q, prev, isotonicClip, 1-isotonicClip)
		}
		prev = q
	}
	// Pool-adjacent-violators on a hand case: 0.1→1, 0.2→0, 0.3→1, 0.4→1
	// pools the first two.
	c, _ = FitCalibration(CalibrationIsotonic, []float64{0.1, 0.2, 0.3, 0.4}, []int8{1, 0, 1, 1})
	want := Calibration{Method: CalibrationIsotonic, X: []float64{0.15, 0.35}, Y: []float64{0.5, 1 - isotonicClip}}
	if len(c.X) != 2 || math.Abs(c.X[0]-want.X[0]) > 1e-12 || math.Abs(c.X[1]-want.X[1]) > 1e-12 || c.Y[0] != want.Y[0] || c.Y[1] != want.Y[1] {
		t.Errorf("isotonic = %+v, want %+v", c, want)
	}
	if got := c.apply(0.25, math.NaN()); math.Abs(got-(0.5+0.5*(1-isotonicClip-0.5))) > 1e-12 {
		t.Errorf("isotonic(0.25) = %v, want the midpoint of the knots", got)
	}
}

// withCalibration returns a copy of the trained model carrying c.
func withCalibration(tb testing.TB, m *Model, c Calibration, e *Effects) *Model {
	tb.Helper()
	b, w := m.Weights()
	out, err := New(Spec{Algorithm: m.algorithm, Transform: m.tr, Intercept: b, Weights: w, Calibration: c, Effects: e,
		Metrics: m.metrics, Lineage: m.lineage})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestScoreCalibrated: the one scoring function applies the calibration,
// for raw shots and /predict bodies alike, and the file keeps it.
func TestScoreCalibrated(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 31, 1000)
	m := trained(t, fx)
	c := Calibration{Method: CalibrationPlatt, A: 0.7, B: -0.3}
	mc := withCalibration(t, m, c, nil)
	b, w := m.Weights()
	for i := range 50 {
		z := b + dot(w, fx.X.Row(i))
		want := sigmoid(0.7*z - 0.3)
		if got := mc.ScoreShot(&fx.shots[i]); math.Abs(got-want) > 1e-5 {
			t.Fatalf("row %d: ScoreShot %v, want σ(0.7z−0.3) = %v", i, got, want)
		}
		seed := features.Seed(fx.tr, &fx.shots[i])
		var v [features.MaxFeatures]float64
		zs := b
		for j, x := range fx.tr.Vector(&seed, v[:]) {
			zs += w[j] * x
		}
		if got := mc.ScoreSeed(&seed); math.Abs(got-sigmoid(0.7*zs-0.3)) > 1e-12 {
			t.Fatalf("row %d: ScoreSeed %v, want σ(0.7z−0.3) = %v", i, got, sigmoid(0.7*zs-0.3))
		}
	}
	path, err := NewRegistry(t.TempDir()).Promote(mc, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), `"calibration": {`) || !strings.Contains(string(raw), `"method": "platt"`) {
		t.Error("the model file does not say which calibration it carries")
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Calibration().Method != CalibrationPlatt || back.ScoreShot(&fx.shots[0]) != mc.ScoreShot(&fx.shots[0]) {
		t.Errorf("after loading: calibration %v, score %v, want platt and %v", back.Calibration(), back.ScoreShot(&fx.shots[0]), mc.ScoreShot(&fx.shots[0]))
	}
	// An uncalibrated model says so too.
	if m.Calibration().Method != CalibrationNone {
		t.Errorf("uncalibrated model: calibration %q, want none", m.Calibration().Method)
	}
}

// TestLoadVersion1: a model file from before calibration and effects
// (format_version 1, neither key) loads and scores with the identity: the
// champions trained before keep serving what they served.
func TestLoadVersion1(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 32, 500)
	m := trained(t, fx)
	dir := t.TempDir()
	path, err := NewRegistry(dir).Promote(m, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	v["format_version"] = 1
	delete(v, "calibration")
	delete(v, "effects")
	metrics := v["metrics"].(map[string]any)
	delete(metrics, "calibration_error")
	delete(metrics, "reliability")
	old := filepath.Join(dir, "v1.json")
	b, _ = json.Marshal(v)
	os.WriteFile(old, b, 0o644)
	back, err := Load(old)
	if err != nil {
		t.Fatalf("a version 1 file: %v", err)
	}
	if back.Calibration().Method != CalibrationNone || back.Effects() != nil {
		t.Errorf("version 1 file: calibration %v, effects %v; want none and nil", back.Calibration(), back.Effects())
	}
	bb, w := m.Weights()
	for i := range 20 {
		if got, want := back.ScoreShot(&fx.shots[i]), sigmoid(bb+dot(w, fx.X.Row(i))); math.Abs(got-want) > 1e-5 {
			t.Fatalf("row %d: %v, want the uncalibrated %v", i, got, want)
		}
	}
	for name, edit := range map[string]func(map[string]any){
		"platt slope": func(v map[string]any) {
			v["calibration"] = map[string]any{"method": "platt", "a": -1, "b": 0}
		},
		"isotonic order": func(v map[string]any) {
			v["calibration"] = map[string]any{"method": "isotonic", "x": []float64{0.2, 0.1}, "y": []float64{0.1, 0.2}}
		},
		"method": func(v map[string]any) { v["calibration"] = map[string]any{"method": "beta"} },
		"effects off with values": func(v map[string]any) {
			v["effects"] = map[string]any{"player_l2": 0, "player": map[string]float64{"12": 0.1}}
		},
	} {
		v["format_version"] = 2
		delete(v, "effects")
		edit(v)
		b, _ := json.Marshal(v)
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: a broken file decoded", name)
		}
	}
}
