package mlflow

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

var (
	testStart = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	testEnd   = testStart.Add(42 * time.Second)
)

// writeModel writes a synthetic model file and returns its path and bytes.
func writeModel(t testing.TB, name string, size int) (string, []byte) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, b
}

func baseRun(artifact string) Run {
	return Run{
		Experiment:   "nba-shots",
		RunName:      "model_best_lr-v3-20261128.json",
		Params:       map[string]string{"algorithm": "logistic", "C": "0.5", "seed": "42"},
		Metrics:      map[string]float64{"roc_auc": 0.6312, "log_loss": 0.6641, "accuracy": 0.61, "brier": 0.2345},
		Tags:         map[string]string{"promoted": "true", "data_hash": "abc123"},
		ArtifactPath: artifact,
		StartTime:    testStart,
		EndTime:      testEnd,
	}
}

func TestLogRun(t *testing.T) {
	t.Parallel()
	const api = "/" + apiPrefix
	tests := []struct {
		name         string
		prefix       string
		existing     bool // the experiment exists before the run
		wantRequests func(exp, run string) []string
	}{
		{
			name: "experiment missing is created",
			wantRequests: func(exp, run string) []string {
				return []string{
					"GET " + api + "/experiments/get-by-name",
					"POST " + api + "/experiments/create",
					"POST " + api + "/runs/create",
					"POST " + api + "/runs/log-batch",
					"PUT /" + artifactsPrefix + "/" + exp + "/" + run + "/artifacts/model_best_lr-v3-20261128.json",
					"POST " + api + "/runs/update",
				}
			},
		},
		{
			name:     "experiment exists",
			existing: true,
			wantRequests: func(exp, run string) []string {
				return []string{
					"GET " + api + "/experiments/get-by-name",
					"POST " + api + "/runs/create",
					"POST " + api + "/runs/log-batch",
					"PUT /" + artifactsPrefix + "/" + exp + "/" + run + "/artifacts/model_best_lr-v3-20261128.json",
					"POST " + api + "/runs/update",
				}
			},
		},
		{
			name:     "tracking URI with a path prefix",
			prefix:   "/mlflow",
			existing: true,
			wantRequests: func(exp, run string) []string {
				return []string{
					"GET " + api + "/experiments/get-by-name",
					"POST " + api + "/runs/create",
					"POST " + api + "/runs/log-batch",
					"PUT /" + artifactsPrefix + "/" + exp + "/" + run + "/artifacts/model_best_lr-v3-20261128.json",
					"POST " + api + "/runs/update",
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t, tt.prefix)
			if tt.existing {
				f.experiments["nba-shots"] = &fakeExperiment{ID: "7", Name: "nba-shots", Lifecycle: "active"}
			}
			c, _ := newTestClient(t, srv, tt.prefix, nil)
			path, model := writeModel(t, "model_best_lr-v3-20261128.json", 10_000)

			runID, err := c.LogRun(t.Context(), baseRun(path))
			if err != nil {
				t.Fatalf("LogRun: %v", err)
			}
			run := f.run(runID)
			if run == nil {
				t.Fatalf("LogRun returned run ID %q, which the server did not create", runID)
			}
			if diff := cmp.Diff(tt.wantRequests(run.ExpID, runID), f.requestLog()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if tt.existing && run.ExpID != "7" {
				t.Errorf("run in experiment %s, want the existing 7", run.ExpID)
			}
			want := &fakeRun{
				ID: runID, ExpID: run.ExpID, Name: "model_best_lr-v3-20261128.json", Status: StatusFinished,
				StartTime: testStart.UnixMilli(), EndTime: testEnd.UnixMilli(),
				Params: map[string]string{"algorithm": "logistic", "C": "0.5", "seed": "42"},
				Tags: map[string]string{"promoted": "true", "data_hash": "abc123",
					"mlflow.runName": "model_best_lr-v3-20261128.json"},
				Metrics: map[string]float64{"roc_auc": 0.6312, "log_loss": 0.6641, "accuracy": 0.61, "brier": 0.2345},
				MetricStamps: map[string]int64{"roc_auc": testEnd.UnixMilli(), "log_loss": testEnd.UnixMilli(),
					"accuracy": testEnd.UnixMilli(), "brier": testEnd.UnixMilli()},
				Artifacts:    map[string][]byte{"model_best_lr-v3-20261128.json": model},
				ContentTypes: map[string]string{"model_best_lr-v3-20261128.json": "application/json"},
				Batches:      1,
			}
			if diff := cmp.Diff(want, run); diff != "" {
				t.Errorf("recorded run (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLogRunArtifactBytesIntact(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "")
	c, _ := newTestClient(t, srv, "", nil)
	// Larger than any buffer on the way, with every byte value, and a
	// name that needs escaping in a URL path.
	path, model := writeModel(t, "model v1+β.nbamodel", 3<<20+17)
	r := baseRun(path)
	runID, err := c.LogRun(t.Context(), r)
	if err != nil {
		t.Fatalf("LogRun: %v", err)
	}
	got := f.run(runID).Artifacts["model v1+β.nbamodel"]
	if sha256.Sum256(got) != sha256.Sum256(model) {
		t.Errorf("artifact: got %d bytes (sha256 %x), want %d bytes (sha256 %x)", len(got), sha256.Sum256(got), len(model), sha256.Sum256(model))
	}
	if ct := f.run(runID).ContentTypes["model v1+β.nbamodel"]; ct != "application/octet-stream" {
		t.Errorf("artifact Content-Type = %q, want application/octet-stream", ct)
	}
}

func TestLogRunExperimentCreatedConcurrently(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "")
	// get-by-name says missing; by the time we create it another trainer
	// has: create answers RESOURCE_ALREADY_EXISTS, a second get finds it.
	f.fail = func(op string, n int) (int, http.Header, string, bool) {
		if op == "GET /"+apiPrefix+"/experiments/get-by-name" && n == 1 {
			f.mu.Lock()
			f.experiments["nba-shots"] = &fakeExperiment{ID: "55", Name: "nba-shots", Lifecycle: "active"}
			f.mu.Unlock()
			return 404, nil, `{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Could not find experiment"}`, true
		}
		return 0, nil, "", false
	}
	c, _ := newTestClient(t, srv, "", nil)
	runID, err := c.LogRun(t.Context(), baseRun(""))
	if err != nil {
		t.Fatalf("LogRun: %v", err)
	}
	if got := f.run(runID).ExpID; got != "55" {
		t.Errorf("run in experiment %s, want 55", got)
	}
	if got := f.count("GET /" + apiPrefix + "/experiments/get-by-name"); got != 2 {
		t.Errorf("get-by-name called %d times, want 2", got)
	}
}

func TestLogRunDeletedExperiment(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "")
	f.experiments["nba-shots"] = &fakeExperiment{ID: "9", Name: "nba-shots", Lifecycle: "deleted"}
	c, _ := newTestClient(t, srv, "", nil)
	runID, err := c.LogRun(t.Context(), baseRun(""))
	if err == nil || !strings.Contains(err.Error(), "is deleted") {
		t.Fatalf("LogRun error = %v, want one saying the experiment is deleted", err)
	}
	if runID != "" || len(f.runs) != 0 {
		t.Errorf("LogRun created run %q in a deleted experiment", runID)
	}
}

func TestLogRunNonFiniteMetricsSkipped(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "")
	c, logs := newTestClient(t, srv, "", nil)
	r := baseRun("")
	r.Metrics = map[string]float64{"roc_auc": 0.7, "nan_metric": math.NaN(), "pos_inf": math.Inf(1), "neg_inf": math.Inf(-1), "zero": 0}
	runID, err := c.LogRun(t.Context(), r)
	if err != nil {
		t.Fatalf("LogRun: %v", err)
	}
	want := map[string]float64{"roc_auc": 0.7, "zero": 0}
	if diff := cmp.Diff(want, f.run(runID).Metrics); diff != "" {
		t.Errorf("metrics logged (-want +got):\n%s", diff)
	}
	for _, k := range []string{"nan_metric", "pos_inf", "neg_inf"} {
		if !strings.Contains(logs.String(), "metric="+k) {
			t.Errorf("no log note for skipped metric %s; logs:\n%s", k, logs)
		}
	}
}

func TestLogRunChunking(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "")
	c, _ := newTestClient(t, srv, "", nil)
	r := baseRun("")
	r.Params, r.Tags, r.Metrics = map[string]string{}, map[string]string{}, map[string]float64{}
	for i := range 250 {
		r.Params[fmt.Sprintf("p%03d", i)] = fmt.Sprint(i)
		r.Tags[fmt.Sprintf("t%03d", i)] = fmt.Sprint(i)
	}
	for i := range 2500 {
		r.Metrics[fmt.Sprintf("m%04d", i)] = float64(i) / 7
	}
	runID, err := c.LogRun(t.Context(), r)
	if err != nil {
		t.Fatalf("LogRun: %v", err)
	}
	run := f.run(runID)
	// The fake refuses any request over MLflow's limits, so arriving at all
	// proves each batch was within them; the count proves they were packed.
	if len(run.Params) != 250 || len(run.Tags) != 251 || len(run.Metrics) != 2500 {
		t.Errorf("logged %d params, %d tags, %d metrics; want 250, 251 (with mlflow.runName), 2500", len(run.Params), len(run.Tags), len(run.Metrics))
	}
	if run.Metrics["m2499"] != 2499.0/7 {
		t.Errorf("metric m2499 = %v, want %v", run.Metrics["m2499"], 2499.0/7)
	}
	// 3 batches of 100+100 params and tags fill up with 800, 800 and 900
	// metrics: 2500 in all.
	if run.Batches != 3 {
		t.Errorf("%d log-batch requests, want 3", run.Batches)
	}
}

func TestLogRunTruncatesLongValues(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "")
	c, logs := newTestClient(t, srv, "", nil)
	r := baseRun("")
	r.Params["features"] = strings.Repeat("é", 700) // characters, not bytes, count
	r.Tags["notes"] = strings.Repeat("x", 6000)
	runID, err := c.LogRun(t.Context(), r)
	if err != nil {
		t.Fatalf("LogRun: %v", err)
	}
	run := f.run(runID)
	if got := run.Params["features"]; got != strings.Repeat("é", 500) {
		t.Errorf("param features has %d characters, want the first 500", len([]rune(got)))
	}
	if got := run.Tags["notes"]; len(got) != 5000 {
		t.Errorf("tag notes has %d characters, want 5000", len(got))
	}
	for _, want := range []string{"param value truncated", "param=features", "tag value truncated", "tag=notes"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestLogRunInvalidRunSendsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(*Run)
		wantErr string
	}{
		{"empty experiment", func(r *Run) { r.Experiment = " " }, "Experiment is empty"},
		{"bad metric key", func(r *Run) { r.Metrics["auc!"] = 1 }, `metric "auc!": character '!' not allowed`},
		{"param key path", func(r *Run) { r.Params["a/../b"] = "1" }, `param "a/../b": key is not a normalised relative path`},
		{"empty tag key", func(r *Run) { r.Tags[""] = "1" }, "tag key is empty"},
		{"long key", func(r *Run) { r.Params[strings.Repeat("k", 251)] = "1" }, "251 characters, more than MLflow's 250"},
		{"missing artifact", func(r *Run) { r.ArtifactPath = "/nonexistent/model.json" }, "ArtifactPath"},
		{"end before start", func(r *Run) { r.EndTime = r.StartTime.Add(-time.Second) }, "EndTime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t, "")
			c, _ := newTestClient(t, srv, "", nil)
			r := baseRun("")
			tt.edit(&r)
			_, err := c.LogRun(t.Context(), r)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("LogRun error = %v, want one containing %q", err, tt.wantErr)
			}
			if got := f.requestLog(); len(got) != 0 {
				t.Errorf("invalid run sent requests: %v", got)
			}
		})
	}
}

func TestLogRunRunNameTagConflict(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "")
	c, logs := newTestClient(t, srv, "", nil)
	r := baseRun("")
	r.Tags[tagRunName] = "something-else"
	runID, err := c.LogRun(t.Context(), r)
	if err != nil {
		t.Fatalf("LogRun: %v", err)
	}
	if got := f.run(runID).Tags[tagRunName]; got != r.RunName {
		t.Errorf("tag %s = %q, want RunName %q", tagRunName, got, r.RunName)
	}
	if !strings.Contains(logs.String(), "tag ignored") {
		t.Errorf("no note about the ignored tag; logs:\n%s", logs)
	}
}

func TestLogRunFailureMarksRunFailed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		failOp    string
		status    int
		body      string
		wantCalls int // attempts of failOp
		wantErr   string
	}{
		{"log-batch 400 fails at once", "POST /" + apiPrefix + "/runs/log-batch", 400,
			`{"error_code":"INVALID_PARAMETER_VALUE","message":"Invalid metric name"}`, 1, "HTTP 400 INVALID_PARAMETER_VALUE: Invalid metric name"},
		{"log-batch 500 forever", "POST /" + apiPrefix + "/runs/log-batch", 500,
			`{"error_code":"INTERNAL_ERROR","message":"database is locked"}`, 4, "giving up after 4 attempts"},
		{"artifact proxy disabled", "PUT /" + artifactsPrefix + "/...", 503,
			"Endpoint: /api/2.0/mlflow-artifacts/artifacts/<path:artifact_path> disabled due to the mlflow server running with `--no-serve-artifacts`.",
			1, "--no-serve-artifacts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t, "")
			f.fail = func(op string, n int) (int, http.Header, string, bool) {
				return tt.status, nil, tt.body, op == tt.failOp
			}
			c, _ := newTestClient(t, srv, "", nil)
			path, _ := writeModel(t, "model.json", 100)
			runID, err := c.LogRun(t.Context(), baseRun(path))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("LogRun error = %v, want one containing %q", err, tt.wantErr)
			}
			if got := f.count(tt.failOp); got != tt.wantCalls {
				t.Errorf("%s attempted %d times, want %d", tt.failOp, got, tt.wantCalls)
			}
			run := f.run(runID)
			if run == nil {
				t.Fatalf("LogRun returned run ID %q with its error, want the created run's", runID)
			}
			if run.Status != StatusFailed || run.EndTime != testEnd.UnixMilli() {
				t.Errorf("run status %s end %d, want FAILED at %d", run.Status, run.EndTime, testEnd.UnixMilli())
			}
		})
	}
}

func TestLogRunRetries429ThenSucceeds(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "")
	// Every endpoint is throttled twice before it answers.
	f.fail = func(op string, n int) (int, http.Header, string, bool) {
		h := http.Header{"Retry-After": {"0"}, "Content-Type": {"application/json"}}
		return 429, h, `{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}`, n <= 2
	}
	c, _ := newTestClient(t, srv, "", nil)
	path, _ := writeModel(t, "model.json", 100)
	runID, err := c.LogRun(t.Context(), baseRun(path))
	if err != nil {
		t.Fatalf("LogRun: %v", err)
	}
	for _, op := range []string{"GET /" + apiPrefix + "/experiments/get-by-name", "POST /" + apiPrefix + "/runs/create",
		"POST /" + apiPrefix + "/runs/log-batch", "PUT /" + artifactsPrefix + "/...", "POST /" + apiPrefix + "/runs/update"} {
		if got := f.count(op); got != 3 {
			t.Errorf("%s attempted %d times, want 3 (two 429s, then success)", op, got)
		}
	}
	if run := f.run(runID); run.Status != StatusFinished || len(run.Artifacts) != 1 {
		t.Errorf("run status %s with %d artifacts, want FINISHED with 1", run.Status, len(run.Artifacts))
	}
}

func TestLogRunCancelledMarksKilled(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f.fail = func(op string, n int) (int, http.Header, string, bool) {
		if op == "POST /"+apiPrefix+"/runs/log-batch" {
			cancel() // training was interrupted while logging
			return 503, nil, `{"error_code":"TEMPORARILY_UNAVAILABLE"}`, true
		}
		return 0, nil, "", false
	}
	c, _ := newTestClient(t, srv, "", nil)
	runID, err := c.LogRun(ctx, baseRun(""))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("LogRun error = %v, want context.Canceled", err)
	}
	if got := f.run(runID).Status; got != StatusKilled {
		t.Errorf("run status %s, want KILLED", got)
	}
}

func TestLogRunDisabled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, uri string
		env       map[string]string
		wantErr   string
	}{
		{"file URI", "file:///tmp/mlruns", nil, "scheme \"file\" is not http or https"},
		{"switched off", "http://127.0.0.1:1", map[string]string{EnvLogToMLflow: "false"}, "LOG_TO_MLFLOW is off"},
		{"bad config", "http://127.0.0.1:1", map[string]string{EnvUsername: "u"}, "MLFLOW_TRACKING_PASSWORD is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewClient(tt.uri, envFunc(tt.env), nil)
			_, err := c.LogRun(t.Context(), baseRun(""))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("LogRun error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLogRunAuth(t *testing.T) {
	t.Parallel()
	const password, token = "s3cr3t-pa55", "tok-XYZ-987"
	tests := []struct {
		name     string
		env      map[string]string
		uriUser  string
		wantAuth string
	}{
		{"none", nil, "", ""},
		{"basic", map[string]string{EnvUsername: "alice", EnvPassword: password}, "", "Basic YWxpY2U6czNjcjN0LXBhNTU="},
		{"bearer", map[string]string{EnvToken: token}, "", "Bearer " + token},
		{"basic wins over token", map[string]string{EnvUsername: "alice", EnvPassword: password, EnvToken: token}, "", "Basic YWxpY2U6czNjcjN0LXBhNTU="},
		{"userinfo in the URI", nil, "alice:" + password + "@", "Basic YWxpY2U6czNjcjN0LXBhNTU="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t, "")
			f.wantAuth = tt.wantAuth
			// Fail the upload for good so errors and logs can be checked
			// for leaked credentials too.
			f.fail = func(op string, n int) (int, http.Header, string, bool) {
				return 500, nil, "upstream broke", strings.HasPrefix(op, "PUT ")
			}
			uri := strings.Replace(srv.URL, "http://", "http://"+tt.uriUser, 1)
			c := NewClient(uri, envFunc(tt.env), srv.Client())
			logs := &testenv.SyncBuffer{}
			c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c.minBackoff, c.maxBackoff = time.Millisecond, 2*time.Millisecond
			path, _ := writeModel(t, "model.json", 10)
			_, err := c.LogRun(t.Context(), baseRun(path))
			if err == nil {
				t.Fatal("LogRun succeeded, want the upload's error")
			}
			if got := f.count("PUT /" + artifactsPrefix + "/..."); got != 4 {
				t.Errorf("upload attempted %d times, want 4", got)
			}
			for _, secret := range []string{password, token, "YWxpY2U6czNjcjN0LXBhNTU="} {
				if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
					t.Errorf("credential %q leaked into the error or logs:\nerr: %v\nlogs: %s", secret, err, logs)
				}
			}
		})
	}
}

func TestLogRunForeignArtifactHostGetsNoCredentials(t *testing.T) {
	t.Parallel()
	// An http artifact root on another host (an artifacts-only server):
	// the upload goes there, without the tracking server's credentials.
	art, artSrv := newFake(t, "")
	f, srv := newFake(t, "")
	f.wantAuth = "Bearer tok"
	f.artifactURI = func(expID, runID string) string {
		return artSrv.URL + "/" + artifactsPrefix + "/" + expID + "/" + runID + "/artifacts"
	}
	c, _ := newTestClient(t, srv, "", map[string]string{EnvToken: "tok"})
	path, _ := writeModel(t, "model.json", 1000)
	r := baseRun(path)
	// The artifact server must know the run to accept the upload.
	art.fail = func(op string, n int) (int, http.Header, string, bool) {
		if op != "PUT /"+artifactsPrefix+"/..." {
			return 0, nil, "", false
		}
		return 200, nil, "{}", true
	}
	if _, err := c.LogRun(t.Context(), r); err != nil {
		t.Fatalf("LogRun: %v", err)
	}
	if got := art.count("PUT /" + artifactsPrefix + "/..."); got != 1 {
		t.Errorf("artifact server got %d uploads, want 1", got)
	}
	if got := f.count("PUT /" + artifactsPrefix + "/..."); got != 0 {
		t.Errorf("tracking server got %d uploads, want 0", got)
	}
}

func TestLogRunEmptyRun(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "")
	c, _ := newTestClient(t, srv, "", nil)
	runID, err := c.LogRun(t.Context(), Run{Experiment: "e"})
	if err != nil {
		t.Fatalf("LogRun: %v", err)
	}
	run := f.run(runID)
	if run.Batches != 0 || run.Status != StatusFinished || run.Name != "" {
		t.Errorf("empty run: %d batches, status %s, name %q; want 0, FINISHED, \"\"", run.Batches, run.Status, run.Name)
	}
	if d := time.Since(time.UnixMilli(run.StartTime)); d < 0 || d > time.Minute {
		t.Errorf("zero StartTime sent as %d ms, want about now", run.StartTime)
	}
}

func TestLogRunMarkingFailedAlsoFails(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "")
	f.fail = func(op string, n int) (int, http.Header, string, bool) {
		switch op {
		case "POST /" + apiPrefix + "/runs/log-batch":
			return 400, nil, `{"error_code":"INVALID_PARAMETER_VALUE","message":"bad batch"}`, true
		case "POST /" + apiPrefix + "/runs/update":
			return 500, nil, `{"error_code":"INTERNAL_ERROR","message":"db down"}`, true
		}
		return 0, nil, "", false
	}
	c, _ := newTestClient(t, srv, "", nil)
	_, err := c.LogRun(t.Context(), baseRun(""))
	for _, want := range []string{"INVALID_PARAMETER_VALUE: bad batch", "marking the run FAILED", "INTERNAL_ERROR: db down"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LogRun error = %v, want it to contain %q", err, want)
		}
	}
	// A failing server gets one short attempt to close the run, no retries.
	if got := f.count("POST /" + apiPrefix + "/runs/update"); got != 1 {
		t.Errorf("runs/update attempted %d times, want 1", got)
	}
}
