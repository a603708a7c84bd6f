package model

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/features"
)

// trained fits a small logistic model on a fixture.
func trained(tb testing.TB, fx *fixture) *Model {
	tb.Helper()
	fit, err := FitLogistic(tb.Context(), fx.X, fx.y, LogisticOptions{C: 1})
	if err != nil {
		tb.Fatal(err)
	}
	p := make([]float64, fx.X.Rows)
	for i := range p {
		p[i] = sigmoid(fit.Intercept + dot(fit.Weights, fx.X.Row(i)))
	}
	m, err := New(Spec{Algorithm: AlgorithmLogistic, Transform: fx.tr, Intercept: fit.Intercept, Weights: fit.Weights,
		Metrics: Evaluate(p, fx.y, 0.5), Lineage: Lineage{CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Seed: 42}})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestScoreMatchesTraining: the serving path (raw shot → Seed → VectorOf →
// weights, in float64) gives the probabilities of the training path
// (float32 matrix), and ScoreShot is ScoreSeed of Seed whenever the 39
// values name the action type unambiguously (its training frequency is its
// own); they differ only for rare types that share a count, where the
// /predict body can name only their mix.
func TestScoreMatchesTraining(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 21, 3000)
	m := trained(t, fx)
	b, w := m.Weights()
	shared := map[float32]int{}
	for _, f := range fx.tr.ActionTypes() {
		shared[float32(f)]++
	}
	same := 0
	for i := range fx.shots {
		want := sigmoid(b + dot(w, fx.X.Row(i)))
		got := m.ScoreShot(&fx.shots[i])
		seed := features.Seed(fx.tr, &fx.shots[i])
		if math.Abs(got-want) > 1e-5 {
			t.Fatalf("row %d: ScoreShot %v, training path %v", i, got, want)
		}
		if shared[float32(seed[features.SeedActionTypeFrequency])] == 1 {
			same++
			if m.ScoreSeed(&seed) != got {
				t.Fatalf("row %d (%s): ScoreSeed %v, ScoreShot %v", i, fx.shots[i].ActionType, m.ScoreSeed(&seed), got)
			}
		}
	}
	if same < len(fx.shots)*9/10 {
		t.Errorf("only %d of %d shots have an action type of their own count", same, len(fx.shots))
	}
	if m.Predict(0.5) != 1 || m.Predict(0.4999) != 0 {
		t.Error("Predict: want 1 at the 0.5 threshold and 0 below")
	}
}

func TestScoreNoAllocations(t *testing.T) {
	fx := newFixture(t, 22, 500)
	m := trained(t, fx)
	seed := features.Seed(fx.tr, &fx.shots[0])
	if n := testing.AllocsPerRun(200, func() { m.ScoreSeed(&seed) }); n != 0 {
		t.Errorf("ScoreSeed allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(200, func() { m.ScoreShot(&fx.shots[1]) }); n != 0 {
		t.Errorf("ScoreShot allocates %v times, want 0", n)
	}
	// With effects of every group and each calibration.
	e := FitEffects(make([]float64, len(fx.shots)), fx.y, dataOf(fx).IDs, EffectOptions{L2: [numGroups]float64{10, 10, 10}})
	iso, _ := FitCalibration(CalibrationIsotonic, []float64{0.2, 0.4, 0.6, 0.8}, []int8{0, 1, 0, 1})
	for _, c := range []Calibration{{Method: CalibrationPlatt, A: 0.9, B: 0.1}, iso} {
		mc := withCalibration(t, m, c, e)
		if n := testing.AllocsPerRun(200, func() { mc.ScoreSeed(&seed) }); n != 0 {
			t.Errorf("%s: ScoreSeed allocates %v times, want 0", c, n)
		}
		if n := testing.AllocsPerRun(200, func() { mc.ScoreShot(&fx.shots[1]) }); n != 0 {
			t.Errorf("%s: ScoreShot allocates %v times, want 0", c, n)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 23, 1000)
	m := trained(t, fx)
	reg := NewRegistry(t.TempDir())
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	path, err := reg.Promote(m, now)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "model_best_lr-v1-20261128.json" || m.Version() != "v1" || m.File() != path {
		t.Errorf("promoted to %s as %s (file %s), want model_best_lr-v1-20261128.json as v1", path, m.Version(), m.File())
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Version() != "v1" || back.File() != path || back.Threshold() != 0.5 || back.Algorithm() != AlgorithmLogistic ||
		back.Lineage().Version != 1 || back.Lineage().Seed != 42 {
		t.Errorf("loaded %s %s %v %s lineage %+v", back.Version(), back.File(), back.Threshold(), back.Algorithm(), back.Lineage())
	}
	for i := range fx.shots {
		if a, b := m.ScoreShot(&fx.shots[i]), back.ScoreShot(&fx.shots[i]); a != b {
			t.Fatalf("row %d: %v before saving, %v after loading", i, a, b)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 24, 300)
	m := trained(t, fx)
	dir := t.TempDir()
	path, err := NewRegistry(dir).Promote(m, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	edit := func(f func(map[string]any)) []byte {
		var v map[string]any
		json.Unmarshal(good, &v)
		f(v)
		b, _ := json.Marshal(v)
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"not json", []byte("{"), "unexpected end of JSON"},
		{"format", edit(func(v map[string]any) { v["format"] = "sklearn" }), `format is "sklearn"`},
		{"format version", edit(func(v map[string]any) { v["format_version"] = 9 }), "format_version is 9"},
		{"version", edit(func(v map[string]any) { v["version"] = 0 }), "version is 0"},
		{"seed names", edit(func(v map[string]any) { v["seed_features"] = []string{"a"} }), "seed_features differ"},
		{"feature names", edit(func(v map[string]any) { v["features"] = []string{"Period"} }), "features differ from the transform"},
		{"dimensions", edit(func(v map[string]any) { v["weights"] = []float64{1, 2} }), "2 weights for"},
		{"non-finite", []byte(strings.Replace(string(edit(func(v map[string]any) { v["weights"].([]any)[3] = "INF" })), `"INF"`, "1e999", 1)), "1e999"},
		{"intercept string", edit(func(v map[string]any) { v["intercept"] = "NaN" }), "cannot unmarshal"},
		{"algorithm", edit(func(v map[string]any) { v["algorithm"] = "xgboost" }), `algorithm "xgboost"`},
		{"threshold", edit(func(v map[string]any) { v["threshold"] = 1.5 }), "threshold 1.5"},
		{"transform", edit(func(v map[string]any) { delete(v, "transform") }), "transform is missing"},
		{"transform scaler", edit(func(v map[string]any) {
			v["transform"].(map[string]any)["scaler"].(map[string]any)["Period"] = map[string]any{"mean": 0, "std": -1}
		}), `"Period": mean 0, std -1`},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, "broken.json")
		os.WriteFile(p, tt.in, 0o644)
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want one naming %s and containing %q", tt.name, err, p, tt.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "absent.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: error %v, want fs.ErrNotExist", err)
	}
}

func TestRegistryVersions(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 25, 300)
	dir := t.TempDir()
	reg := NewRegistry(dir)
	if _, _, err := reg.Champion(); !errors.Is(err, ErrNoChampion) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("empty dir: Champion error %v, want ErrNoChampion", err)
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		promote bool
		want    string
	}{
		{true, "model_best_lr-v1-20260301.json"},
		{false, "discarded/model_best_lr-v2-20260301.json"},
		{false, "discarded/model_best_lr-v3-20260301.json"},
		{true, "model_best_lr-v4-20260301.json"},
	}
	for _, st := range steps {
		m := trained(t, fx)
		var path string
		var err error
		if st.promote {
			path, err = reg.Promote(m, day)
		} else {
			path, err = reg.Discard(m, day)
		}
		if err != nil {
			t.Fatal(err)
		}
		if rel, _ := filepath.Rel(dir, path); rel != st.want {
			t.Errorf("saved to %s, want %s", rel, st.want)
		}
	}
	path, meta, err := reg.Champion()
	if err != nil {
		t.Fatal(err)
	}
	bm, _ := reg.BestModel()
	if filepath.Base(path) != "model_best_lr-v4-20260301.json" || bm.Version != 4 || meta.Rows != 300 || bm.Algorithm != AlgorithmLogistic {
		t.Errorf("champion %s, %+v", path, bm)
	}
	// Versions are never reused, even when files are removed by hand: the
	// pointer still remembers v4.
	os.Remove(path)
	os.RemoveAll(filepath.Join(dir, DiscardedDir))
	if n, err := reg.NextVersion(); err != nil || n != 5 {
		t.Errorf("NextVersion after cleanup = %d, %v; want 5", n, err)
	}
	// A pointer that names something outside the directory is refused.
	os.WriteFile(filepath.Join(dir, BestModelFile), []byte(`{"model":"../x.json","version":1}`), 0o644)
	if _, _, err := reg.Champion(); err == nil || !strings.Contains(err.Error(), `"../x.json"`) {
		t.Errorf("Champion with a bad pointer: %v", err)
	}
	// best_model_metrics.json keeps the original's keys.
	var raw map[string]any
	reg2 := NewRegistry(t.TempDir())
	reg2.Promote(trained(t, fx), day)
	b, _ := os.ReadFile(filepath.Join(reg2.Dir, BestModelFile))
	json.Unmarshal(b, &raw)
	for _, k := range []string{"accuracy", "roc_auc", "log_loss", "brier", "base_rate", "model", "version"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("best_model_metrics.json lacks %q: %s", k, b)
		}
	}
}

func TestLinearBaseline(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 26, 4000)
	fit, err := FitLinearProbability(fx.X, fx.y, LinearOptions{MaxRows: 2000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(fit.Dropped) == 0 {
		t.Error("no column dropped, but the one-hot groups are collinear with the intercept")
	}
	m, err := New(Spec{Algorithm: AlgorithmLinear, Transform: fx.tr, Intercept: fit.Intercept, Weights: fit.Weights})
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float64, len(fx.shots))
	for i := range fx.shots {
		p[i] = m.ScoreShot(&fx.shots[i])
		if p[i] < 0 || p[i] > 1 {
			t.Fatalf("row %d: probability %v outside [0, 1]", i, p[i])
		}
	}
	if met := Evaluate(p, fx.y, 0.5); met.ROCAUC < 0.6 {
		t.Errorf("linear baseline AUC %v on its own data, want > 0.6", met.ROCAUC)
	}
	again, _ := FitLinearProbability(fx.X, fx.y, LinearOptions{MaxRows: 2000, Seed: 1})
	if !equalFloats(again.Weights, fit.Weights) {
		t.Error("same seed, different weights")
	}
}

func TestSearchC(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 27, 4000)
	groups := make([]int32, len(fx.shots))
	for i := range fx.shots {
		groups[i] = fx.shots[i].GameID
	}
	opt := SearchOptions{Folds: 3, MaxRows: 3000, Trials: 4, Seed: 9}
	a, err := SearchC(t.Context(), fx.X, fx.y, groups, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SearchC(t.Context(), fx.X, fx.y, groups, opt)
	if a.Best != b.Best || len(a.Trials) != 4 || a.Rows != 3000 || a.Folds != 3 {
		t.Errorf("search: %+v then %+v", a, b)
	}
	for i, tr := range a.Trials {
		if tr.C < 1e-4 || tr.C > 1e2 || (i > 0 && tr.C <= a.Trials[i-1].C) {
			t.Errorf("trial %d: C = %v, want increasing values in [1e-4, 1e2]", i, tr.C)
		}
		if tr.LogLoss < a.Best.LogLoss {
			t.Errorf("trial C=%v has log loss %v below the best's %v", tr.C, tr.LogLoss, a.Best.LogLoss)
		}
	}
	if len(a.Init) != fx.X.Cols+1 {
		t.Errorf("warm start has %d parameters, want %d", len(a.Init), fx.X.Cols+1)
	}
	if _, err := SearchC(t.Context(), fx.X, fx.y, groups, SearchOptions{Folds: 1}); err == nil {
		t.Error("1 fold accepted")
	}
}

// BenchmarkScoreSeed scores /predict bodies with an uncalibrated model,
// and with effects plus each calibration: the cost calibration adds to
// every prediction.
func BenchmarkScoreSeed(b *testing.B) {
	fx := newFixture(b, 22, 500)
	seeds := make([][39]float64, len(fx.shots))
	for i := range fx.shots {
		seeds[i] = features.Seed(fx.tr, &fx.shots[i])
	}
	for name, m := range benchModels(b, fx) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m.ScoreSeed(&seeds[i%len(seeds)])
				i++
			}
		})
	}
}

// BenchmarkScoreShot scores raw shots, effects looked up by player,
// team-season and action type.
func BenchmarkScoreShot(b *testing.B) {
	fx := newFixture(b, 22, 500)
	for name, m := range benchModels(b, fx) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m.ScoreShot(&fx.shots[i%len(fx.shots)])
				i++
			}
		})
	}
}

func benchModels(b *testing.B, fx *fixture) map[string]*Model {
	m := trained(b, fx)
	p := make([]float64, len(fx.shots))
	for i := range fx.shots {
		p[i] = m.ScoreShot(&fx.shots[i])
	}
	e := FitEffects(make([]float64, len(fx.shots)), fx.y, dataOf(fx).IDs, EffectOptions{L2: [numGroups]float64{10, 10, 10}})
	iso, err := FitCalibration(CalibrationIsotonic, p, fx.y)
	if err != nil {
		b.Fatal(err)
	}
	return map[string]*Model{
		"raw":              m,
		"effects+platt":    withCalibration(b, m, Calibration{Method: CalibrationPlatt, A: 0.9, B: 0.1}, e),
		"effects+isotonic": withCalibration(b, m, iso, e),
		"no_effects+platt": withCalibration(b, m, Calibration{Method: CalibrationPlatt, A: 0.9, B: 0.1}, nil),
	}
}

// BenchmarkTrain measures one logistic regression fit (C = 1, 100k synthetic
// shots × the default feature vector).
func BenchmarkTrain(b *testing.B) {
	fx := newFixture(b, 28, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FitLogistic(b.Context(), fx.X, fx.y, LogisticOptions{C: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
