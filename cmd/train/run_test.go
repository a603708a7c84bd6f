package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
	"github.com/nba-mlops/nba-mlops/internal/model"
	"github.com/nba-mlops/nba-mlops/internal/sampledata"
	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// stages builds the process and featurize binaries once: train's tests
// run on the real outputs of the stages before it.
func stages(tb testing.TB) string {
	tb.Helper()
	return testenv.Binaries(tb, "./cmd/process", "./cmd/featurize")
}

func TestMain(m *testing.M) { testenv.Main(m) }

// prepare runs process and featurize on csv into a new data dir.
func prepare(tb testing.TB, csv string) string {
	tb.Helper()
	bin := stages(tb)
	dir := tb.TempDir()
	for _, c := range [][]string{
		{filepath.Join(bin, "process"), "--data-dir", dir, "--in", csv},
		{filepath.Join(bin, "featurize"), "--data-dir", dir},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			tb.Fatalf("%s: %v\n%s", filepath.Base(c[0]), err, out)
		}
	}
	return dir
}

// synthetic writes n synthetic shots as a CSV and prepares a data dir.
func synthetic(tb testing.TB, seed uint64, n int) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "shots.csv")
	var buf bytes.Buffer
	if err := featuretest.WriteCSV(&buf, seed, n); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return prepare(tb, p)
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func runTrain(tb testing.TB, dir string, env map[string]string, args ...string) (*RunRecord, string, error) {
	tb.Helper()
	var out, errb bytes.Buffer
	args = append([]string{"train", "--data-dir", dir, "--models-dir", filepath.Join(dir, "models")}, args...)
	if err := run(tb.Context(), args, envOf(env), &out, &errb); err != nil {
		return nil, errb.String(), err
	}
	var rec RunRecord
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
		tb.Fatalf("run record: %v\n%s", err, out.Bytes())
	}
	return &rec, errb.String(), nil
}

// TestSampleQuality runs process → featurize → train on the real 1000-row
// sample, split by game as the pipeline does, once per change (each row
// adds one to the row before), and prints ROC AUC, log loss, Brier and
// calibration error on three sets of shots the model did not see:
// game-grouped 5-fold CV on the training split, the latest 20% of the
// training split's games (the whole procedure rerun on the earlier ones),
// and the held-out test games. It holds the default model to the original
// system's level on the test games (ROC AUC ≥ 0.61, log loss ≤ 0.68), and
// checks that no CV choice raised the held-out log loss, the criterion it
// was made by. The README's quality table is its output:
//
//	NBA_SAMPLE_CSV=path/to/sample.csv go test ./cmd/train -run SampleQuality -v
func TestSampleQuality(t *testing.T) {
	t.Parallel()
	dir := prepare(t, sampledata.Path(t))
	steps := []struct {
		change string
		args   []string
	}{
		{"v1 features (Action_Type_Frequency), no effects, no calibration; action family from the type's name", []string{"--features", "v1", "--effects", "off", "--calibration", "none"}},
		{"Action_Plain replaces Action_Type_Frequency", []string{"--effects", "off", "--calibration", "none"}},
		{"+ action type, player and team-season effects (CV-chosen)", []string{"--calibration", "none"}},
		{"+ calibration (CV-chosen): the default", nil},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| change | grouped 5-fold CV | latest 20%% of games | test games |\n|---|---|---|---|\n")
	cell := func(m model.Metrics) string {
		return fmt.Sprintf("%.4f / %.4f / %.4f / %.4f", m.ROCAUC, m.LogLoss, m.Brier, m.CalibrationError)
	}
	var def *RunRecord
	for _, st := range steps {
		rec, _, err := runTrain(t, dir, nil, append([]string{"--promote", "never"}, st.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if rec.TimeSplit == nil {
			t.Fatalf("%s: no time split (%s)", st.change, rec.TimeSplitError)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", st.change, cell(rec.CV.Final()), cell(rec.TimeSplit.Final()), cell(rec.Challenger))
		def = rec
	}
	fmt.Fprintf(&b, "\ncells: ROC AUC / log loss / Brier / calibration error; CV on %d training shots, latest games from %d (%d shots, trained on %d), %d test shots\n",
		def.CV.Rows, def.TimeSplit.Cutoff, def.TimeSplit.ValidRows, def.TimeSplit.TrainRows, def.Challenger.Rows)
	fmt.Fprintf(&b, "base rates: training %.3f, latest games %.3f, test games %.3f\n", def.CV.Final().BaseRate, def.TimeSplit.Final().BaseRate, def.Challenger.BaseRate)
	fmt.Fprintf(&b, "default: C %.4g, effects %v, calibration %s; calibration trials:", def.Hyperparameters["C"], def.CV.Effects.L2, def.Calibration)
	for _, tr := range def.CV.Calibration.Trials {
		fmt.Fprintf(&b, " %s %.4f,", tr.Method, tr.LogLoss)
	}
	b.WriteString("\nreliability of the default model on the test games (bin: mean predicted, observed, shots):\n")
	for _, bin := range def.Challenger.Reliability {
		fmt.Fprintf(&b, "  %2d: %.3f %.3f %d\n", bin.Bin, bin.MeanPredicted, bin.ObservedRate, bin.Count)
	}
	t.Log(b.String())

	m := def.Challenger
	if def.Features != 26 {
		t.Errorf("default: %d features, want 26", def.Features)
	}
	if m.ROCAUC < 0.61 || m.LogLoss > 0.68 {
		t.Errorf("default on the test games: ROC AUC %.4f, log loss %.4f; want ≥ 0.61 and ≤ 0.68", m.ROCAUC, m.LogLoss)
	}
	if def.Search == nil || def.Calibration == "" || len(def.CV.Steps) != 3 {
		t.Fatalf("default: search %v, calibration %q, CV steps %+v: want all recorded", def.Search != nil, def.Calibration, def.CV.Steps)
	}
	for k := 1; k < len(def.CV.Steps); k++ {
		if a, b := def.CV.Steps[k-1].Metrics.LogLoss, def.CV.Steps[k].Metrics.LogLoss; b > a+1e-12 {
			t.Errorf("CV step %s raised the held-out log loss from %.5f to %.5f: a choice must never lose on its own criterion", def.CV.Steps[k].Step, a, b)
		}
	}
	lin, _, err := runTrain(t, dir, nil, "--algorithm", "linear", "--promote", "never")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("linear baseline on the test games: %s", cell(lin.Challenger))
}

// TestChampionChallenger walks the promotion rules on one data set.
func TestChampionChallenger(t *testing.T) {
	t.Parallel()
	dir := synthetic(t, 3, 6000)
	models := filepath.Join(dir, "models")
	signal := filepath.Join(dir, "signal_new_model_version")
	steps := []struct {
		name     string
		args     []string
		promoted bool
		file     string
		reason   string
	}{
		{"first model", nil, true, "model_best_lr-v1-", reasonNoChampion},
		{"same data, same seed: a tie", nil, false, "discarded/model_best_lr-v2-", reasonNotBetter},
		{"always", []string{"--promote", "always"}, true, "model_best_lr-v3-", reasonAlways},
		{"never", []string{"--promote", "never", "--seed", "7"}, false, "discarded/model_best_lr-v4-", reasonNever},
		{"log loss with an impossible margin", []string{"--metric", "log_loss", "--min-improvement", "1", "--C", "0.0001"}, false, "discarded/model_best_lr-v5-", reasonNotBetter},
		{"a much worse challenger", []string{"--C", "0.00001"}, false, "discarded/model_best_lr-v6-", reasonNotBetter},
		{"calibration error with an impossible margin", []string{"--metric", "calibration_error", "--min-improvement", "1"}, false, "discarded/model_best_lr-v7-", reasonNotBetter},
	}
	for _, st := range steps {
		os.Remove(signal)
		rec, _, err := runTrain(t, dir, nil, st.args...)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		rel, _ := filepath.Rel(models, rec.Model)
		if rec.Promoted != st.promoted || !strings.HasPrefix(rel, st.file) || rec.Decision.Reason != st.reason {
			t.Errorf("%s: promoted %v to %s (%s); want %v, %s…, %q", st.name, rec.Promoted, rel, rec.Decision.Reason, st.promoted, st.file, st.reason)
		}
		if _, err := os.Stat(signal); (err == nil) != st.promoted {
			t.Errorf("%s: signal_new_model_version exists = %v, want %v", st.name, err == nil, st.promoted)
		}
		if _, err := os.Stat(rec.Model + ".run.json"); err != nil {
			t.Errorf("%s: no run record beside the model: %v", st.name, err)
		}
		if st.name != "first model" && (rec.Champion == nil || rec.Champion.Metrics == nil || rec.Champion.Metrics.Rows != rec.Challenger.Rows) {
			t.Errorf("%s: champion not re-scored on the same rows: %+v", st.name, rec.Champion)
		}
		if st.name == "same data, same seed: a tie" && *rec.Decision.Improvement != 0 {
			t.Errorf("a retrain on identical data improves by %v, want exactly 0", *rec.Decision.Improvement)
		}
	}
	bm, err := model.NewRegistry(models).BestModel()
	if err != nil || bm.Version != 3 {
		t.Errorf("champion %+v, %v; want v3", bm, err)
	}
	// The pointer carries the calibration error and its table.
	raw, _ := os.ReadFile(filepath.Join(models, model.BestModelFile))
	if !strings.Contains(string(raw), `"calibration_error"`) || len(bm.Reliability) != model.ReliabilityBins || bm.CalibrationError <= 0 {
		t.Errorf("best_model_metrics.json lacks the calibration error or its table:\n%s", raw)
	}
	// The champion file scores through its own transform and is self-contained.
	m, err := model.Load(filepath.Join(models, bm.Model))
	if err != nil || m.Version() != "v3" || m.Lineage().Data["features/train.parquet"] == "" || m.Lineage().Hyperparameters["C"] == nil {
		t.Errorf("champion file: %v, lineage %+v", err, m.Lineage())
	}
}

// TestSameSeedSameWeights trains twice from scratch.
func TestSameSeedSameWeights(t *testing.T) {
	t.Parallel()
	dir := synthetic(t, 4, 4000)
	var weights [2][]float64
	for i := range weights {
		rec, _, err := runTrain(t, dir, nil, "--models-dir", filepath.Join(dir, fmt.Sprint("m", i)))
		if err != nil {
			t.Fatal(err)
		}
		m, err := model.Load(rec.Model)
		if err != nil {
			t.Fatal(err)
		}
		b, w := m.Weights()
		weights[i] = append(w, b)
	}
	if fmt.Sprint(weights[0]) != fmt.Sprint(weights[1]) {
		t.Errorf("same seed, different weights:\n%v\n%v", weights[0], weights[1])
	}
}

func TestBrokenChampion(t *testing.T) {
	t.Parallel()
	dir := synthetic(t, 5, 3000)
	models := filepath.Join(dir, "models")
	if _, _, err := runTrain(t, dir, nil); err != nil {
		t.Fatal(err)
	}
	bm, _ := model.NewRegistry(models).BestModel()
	os.WriteFile(filepath.Join(models, bm.Model), []byte(`{"format":"nba-mlops/model"`), 0o644)
	rec, log, err := runTrain(t, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Promoted || rec.Champion == nil || rec.Champion.Error == "" || rec.Decision.Reason != reasonBroken {
		t.Errorf("broken champion: promoted %v, champion %+v, reason %q", rec.Promoted, rec.Champion, rec.Decision.Reason)
	}
	if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, bm.Model) {
		t.Errorf("the broken champion is not logged as an error naming the file:\n%s", log)
	}
}

func TestLinearBaseline(t *testing.T) {
	t.Parallel()
	dir := synthetic(t, 6, 5000)
	rec, _, err := runTrain(t, dir, nil, "--algorithm", "linear", "--linear-rows", "1500")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(rec.Model)
	if err != nil {
		t.Fatal(err)
	}
	if m.Algorithm() != model.AlgorithmLinear || !strings.HasPrefix(filepath.Base(rec.Model), "model_best_lr-v1-") || rec.Challenger.ROCAUC < 0.6 {
		t.Errorf("linear: algorithm %s, file %s, AUC %v", m.Algorithm(), rec.Model, rec.Challenger.ROCAUC)
	}
}

// fakeMLflow is an MLflow tracking server that answers the calls LogRun
// makes and records them.
type fakeMLflow struct {
	mu       sync.Mutex
	calls    []string
	artifact []byte
	params   map[string]string
	metrics  map[string]float64
}

func (f *fakeMLflow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/experiments/get-by-name"):
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no experiment"}`)
	case strings.HasSuffix(r.URL.Path, "/experiments/create"):
		io.WriteString(w, `{"experiment_id":"7"}`)
	case strings.HasSuffix(r.URL.Path, "/runs/create"):
		io.WriteString(w, `{"run":{"info":{"run_id":"run42","experiment_id":"7","artifact_uri":"mlflow-artifacts:/7/run42/artifacts"}}}`)
	case strings.HasSuffix(r.URL.Path, "/runs/log-batch"):
		var req struct {
			Params  []struct{ Key, Value string } `json:"params"`
			Metrics []struct {
				Key   string
				Value float64
			} `json:"metrics"`
		}
		json.Unmarshal(body, &req)
		for _, p := range req.Params {
			f.params[p.Key] = p.Value
		}
		for _, m := range req.Metrics {
			f.metrics[m.Key] = m.Value
		}
		io.WriteString(w, `{}`)
	case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/mlflow-artifacts/artifacts/7/run42/artifacts/"):
		f.artifact = body
		io.WriteString(w, `{}`)
	case strings.HasSuffix(r.URL.Path, "/runs/update"):
		io.WriteString(w, `{"run_info":{}}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error_code":"ENDPOINT_NOT_FOUND"}`)
	}
}

func TestMLflow(t *testing.T) {
	t.Parallel()
	dir := synthetic(t, 7, 3000)
	fake := &fakeMLflow{params: map[string]string{}, metrics: map[string]float64{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	rec, _, err := runTrain(t, dir, map[string]string{"MLFLOW_TRACKING_URI": srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if rec.MLflow.RunID != "run42" || rec.MLflow.Error != "" || !rec.MLflow.Enabled {
		t.Errorf("mlflow result %+v", rec.MLflow)
	}
	model, _ := os.ReadFile(rec.Model)
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if !bytes.Equal(fake.artifact, model) {
		t.Errorf("artifact uploaded (%d bytes) is not the model file (%d bytes)", len(fake.artifact), len(model))
	}
	if fake.params["C"] == "" || fake.params["algorithm"] != "logistic_regression" || fake.params["calibration_method"] != rec.Calibration {
		t.Errorf("params logged: %v", fake.params)
	}
	// Calibration is measured wherever quality is: on the test rows, in
	// each CV step, on the latest games, with the reliability table.
	for k, want := range map[string]float64{
		"calibration_error":                  rec.Challenger.CalibrationError,
		"cv_model_calibration_error":         rec.CV.Steps[0].Metrics.CalibrationError,
		"cv_calibration_log_loss":            rec.CV.Final().LogLoss,
		"time_split_model_calibration_error": rec.TimeSplit.Steps[0].Metrics.CalibrationError,
		"reliability_bin_10_observed_rate":   rec.Challenger.Reliability[9].ObservedRate,
		"reliability_bin_01_mean_predicted":  rec.Challenger.Reliability[0].MeanPredicted,
	} {
		got, ok := fake.metrics[k]
		if !ok || math.Abs(got-want) > 1e-12 {
			t.Errorf("MLflow metric %s = %v (logged %v), want %v", k, got, ok, want)
		}
	}
	if _, ok := fake.metrics["champion_calibration_error"]; ok {
		t.Error("champion metrics logged on a run without a champion")
	}
	// The local record says the same.
	var local RunRecord
	b, _ := os.ReadFile(rec.Model + ".run.json")
	if json.Unmarshal(b, &local); local.MLflow.RunID != "run42" {
		t.Errorf("local record: %s", b)
	}
}

// TestMLflowDown: a tracking server that is down costs a warning, never the
// training.
func TestMLflowDown(t *testing.T) {
	t.Parallel()
	dir := synthetic(t, 8, 3000)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	env := map[string]string{"MLFLOW_TRACKING_URI": url, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_MAX_RETRY_TIME": "2s"}
	rec, log, err := runTrain(t, dir, env)
	if err != nil {
		t.Fatalf("training failed because MLflow is down: %v", err)
	}
	if !rec.Promoted || rec.MLflow.Error == "" || !strings.Contains(log, "mlflow logging failed") {
		t.Errorf("mlflow down: record %+v; log:\n%s", rec.MLflow, log)
	}
	if _, err := os.Stat(rec.Model + ".run.json"); err != nil {
		t.Errorf("no local run record: %v", err)
	}
	env["LOG_TO_MLFLOW"] = "false"
	rec, _, err = runTrain(t, dir, env)
	if err != nil || rec.MLflow.Enabled || !strings.Contains(rec.MLflow.Reason, "LOG_TO_MLFLOW") {
		t.Errorf("LOG_TO_MLFLOW=false: %v, %+v", err, rec.MLflow)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	env := map[string]string{"NBA_DATA_DIR": "/d", "NBA_MODELS_DIR": "/m", "MLFLOW_TRACKING_URI": "http://u:secret@mlflow:5000",
		"MLFLOW_TRACKING_TOKEN": "tok", EnvMetric: "log_loss"}
	if err := run(t.Context(), []string{"train", "--check-config"}, envOf(env), &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{`"models_dir": "/m"`, `"metric": "log_loss"`, `"features_dir": "/d/features"`, `"MLFLOW_TRACKING_URI"`, `"LOG_TO_MLFLOW"`, `"NBA_SEED"`} {
		if !strings.Contains(s, want) {
			t.Errorf("--check-config lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, "secret") || strings.Contains(s, `"tok"`) {
		t.Errorf("--check-config shows a secret:\n%s", s)
	}
	// Calibration error is a promotion metric like the others.
	out.Reset()
	if err := run(t.Context(), []string{"train", "--check-config", "--metric", "calibration_error", "--calibration", "isotonic", "--effects", "off"}, envOf(nil), &out, &bytes.Buffer{}); err != nil {
		t.Errorf("--metric calibration_error: %v", err)
	}
	for _, want := range []string{`"metric": "calibration_error"`, `"calibration": "isotonic"`, `"effects": "off"`, `"time_holdout": 0.2`, `"prior": ""`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--check-config lacks %s:\n%s", want, out.String())
		}
	}
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--metric", "f1"}, nil, "--metric"},
		{[]string{"--promote", "sometimes"}, nil, "--promote"},
		{[]string{"--algorithm", "forest"}, nil, "--algorithm"},
		{[]string{"--features", "some"}, nil, "--features"},
		{[]string{"--threshold", "1"}, nil, "--threshold"},
		{nil, map[string]string{EnvSeed: "-1"}, EnvSeed},
		{nil, map[string]string{"LOG_TO_MLFLOW": "maybe"}, "LOG_TO_MLFLOW"},
		{[]string{"--effects", "some"}, nil, "--effects"},
		{[]string{"--calibration", "beta"}, nil, "--calibration"},
		{[]string{"--time-holdout", "1"}, nil, "--time-holdout"},
		{[]string{"--prior", "x.json", "--algorithm", "linear"}, nil, "--prior"},
	} {
		err := run(t.Context(), append([]string{"train", "--check-config"}, tt.args...), envOf(tt.env), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v %v: error %v, want one naming %s", tt.args, tt.env, err, tt.want)
		}
	}
}

func TestMissingInputs(t *testing.T) {
	t.Parallel()
	_, _, err := runTrain(t, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "transform.json") || !strings.Contains(err.Error(), "run featurize first") {
		t.Errorf("error %v, want one naming transform.json and the remedy", err)
	}
	if code := command.ExitCode(err); code != 2 {
		t.Errorf("exit %d, want 2 (a usage error: nothing was changed)", code)
	}
}

// TestPrior: a prior trained on many synthetic shots (20000), refined by a
// few real ones (the sample's first 600 rows, about 470 in training) with
// --prior, beats the prior alone and the few real shots alone in
// game-grouped CV on the real shots (the same folds for all three: same
// rows, same seed). The lineage records the prior.
func TestPrior(t *testing.T) {
	t.Parallel()
	sample := sampledata.Path(t)
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	few := filepath.Join(t.TempDir(), "few.csv")
	if err := os.WriteFile(few, []byte(strings.Join(lines[:1+600], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	synthDir := synthetic(t, 11, 20000)
	prior, _, err := runTrain(t, synthDir, nil, "--time-holdout", "0")
	if err != nil {
		t.Fatal(err)
	}
	dir := prepare(t, few)
	alone, _, err := runTrain(t, dir, nil, "--promote", "never", "--time-holdout", "0", "--search-trials", "16")
	if err != nil {
		t.Fatal(err)
	}
	with, _, err := runTrain(t, dir, nil, "--promote", "never", "--time-holdout", "0", "--search-trials", "16", "--prior", prior.Model)
	if err != nil {
		t.Fatal(err)
	}
	if with.CV.Steps[0].Step != model.StepPrior {
		t.Fatalf("CV steps %+v: want the prior alone first", with.CV.Steps)
	}
	p, a, w := with.CV.Steps[0].Metrics, alone.CV.Final(), with.CV.Final()
	t.Logf("grouped CV on %d real shots: prior alone log loss %.4f (AUC %.4f), real alone %.4f (AUC %.4f), prior + real %.4f (AUC %.4f); C %v → %v",
		w.Rows, p.LogLoss, p.ROCAUC, a.LogLoss, a.ROCAUC, w.LogLoss, w.ROCAUC, alone.Hyperparameters["C"], with.Hyperparameters["C"])
	if !(w.LogLoss < p.LogLoss && w.LogLoss < a.LogLoss) {
		t.Errorf("prior + real log loss %.4f; want below the prior alone (%.4f) and the real shots alone (%.4f)", w.LogLoss, p.LogLoss, a.LogLoss)
	}
	m, err := model.Load(with.Model)
	if err != nil {
		t.Fatal(err)
	}
	if lp := m.Lineage().Prior; lp == nil || lp.File != prior.Model || lp.Version != prior.Version || len(lp.SHA256) != 64 {
		t.Errorf("lineage prior %+v, want %s v%d with its hash", lp, prior.Model, prior.Version)
	}
	if alone.Prior != nil || alone.CV.Steps[0].Step == model.StepPrior {
		t.Error("a run without --prior records a prior")
	}
}
