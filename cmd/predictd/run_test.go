package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/model"
	"github.com/nba-mlops/nba-mlops/internal/model/modeltest"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// originalBody is the original README's /predict example.
const originalBody = predict.ExampleBody

const shotBody = `{"player_id": 2544, "player_name": "Test Player", "team_name": "Los Angeles Lakers",
 "home_team": "LAL", "away_team": "BOS", "period": 4, "minutes_remaining": 1, "seconds_remaining": 12,
 "action_type": "Jump Shot", "x_location": -230, "y_location": 40, "game_date": 20190115,
 "season_type": "Regular Season"}`

type service struct {
	url    string
	models string
	logs   *testenv.SyncBuffer
	cancel context.CancelFunc
	done   chan error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs predictd on a free port over models and waits for /healthz.
func start(t *testing.T, models string) *service {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &service{url: "http://" + addr, models: models, logs: &testenv.SyncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- run(ctx, []string{"predictd", "--addr", addr, "--models-dir", models, "--poll-interval", "50ms"},
			func(string) string { return "" }, io.Discard, s.logs)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-s.done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	for i := 0; i < 200; i++ {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return s
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("predictd did not come up; logs:\n%s", s.logs)
	return nil
}

func (s *service) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, out
}

func (s *service) metric(t *testing.T, line string) bool {
	t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.Contains(string(b), line)
}

func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v", what, within)
}

func TestPredictOriginalBody(t *testing.T) {
	dir := t.TempDir()
	modeltest.Promote(t, dir, 1, 4000)
	s := start(t, dir)
	code, out := s.do(t, "POST", "/predict", originalBody)
	if code != 200 {
		t.Fatalf("POST /predict = %d %v", code, out)
	}
	p, ok := out["probability"].(float64)
	if !ok || p <= 0 || p >= 1 || out["model_version"] != "v1" {
		t.Errorf("answer %v: want a probability in (0,1) from v1", out)
	}
	if pred := out["prediction"].(float64); (pred == 1) != (p >= 0.5) {
		t.Errorf("prediction %v does not follow probability %v", pred, p)
	}
	// The same vector through the model directly gives the same probability.
	m, err := model.Load(filepath.Join(dir, mustChampion(t, dir)))
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]float64
	json.Unmarshal([]byte(originalBody), &body)
	var seed [nba.NumSeedFeatures]float64
	for i, n := range nba.FeatureNames() {
		seed[i] = body[n]
	}
	if want := m.ScoreSeed(&seed); want != p {
		t.Errorf("served probability %v, model gives %v", p, want)
	}
	for _, line := range []string{`nba_model_info{model_version="v1"} 1`, `nba_predictions_total{model_version="v1"`,
		`http_requests_total{handler="/predict",method="POST",status="200"} 1`, "inference_time_seconds_count 1",
		"nba_prediction_probability_bucket", `nba_model_reloads_total{result="ok"} 1`, "go_goroutines", "process_cpu_seconds_total"} {
		if !s.metric(t, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

func mustChampion(t *testing.T, dir string) string {
	t.Helper()
	bm, err := model.NewRegistry(dir).BestModel()
	if err != nil {
		t.Fatal(err)
	}
	return bm.Model
}

func TestPredictBadInput(t *testing.T) {
	dir := t.TempDir()
	modeltest.Promote(t, dir, 1, 2000)
	s := start(t, dir)
	var body map[string]any
	json.Unmarshal([]byte(originalBody), &body)
	with := func(edit func(m map[string]any)) string {
		m := map[string]any{}
		for k, v := range body {
			m[k] = v
		}
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name, body string
		code       int
		loc, typ   string
	}{
		{"missing field", with(func(m map[string]any) { delete(m, "Period") }), 422, "Period", "missing"},
		{"string", with(func(m map[string]any) { m["Shot_Distance"] = "far" }), 422, "Shot_Distance", "float_parsing"},
		{"null", with(func(m map[string]any) { m["Year"] = nil }), 422, "Year", "float_type"},
		{"unknown field", with(func(m map[string]any) { m["Shot_Clock"] = 3 }), 422, "Shot_Clock", "extra_forbidden"},
		{"overflow", strings.Replace(originalBody, `"Day": 11`, `"Day": 1e999`, 1), 422, "Day", "finite_number"},
		// Ranges: the values the data allows, not just any finite number.
		{"period 99", with(func(m map[string]any) { m["Period"] = 99 }), 422, "Period", "less_than_equal"},
		{"month 13", with(func(m map[string]any) { m["Month"] = 13 }), 422, "Month", "less_than_equal"},
		{"year 1e308", with(func(m map[string]any) { m["Year"] = 1e308 }), 422, "Year", "less_than_equal"},
		{"one-hot 0.5", with(func(m map[string]any) { m["ShotType_3PT_Field_Goal"] = 0.5 }), 422, "ShotType_3PT_Field_Goal", "literal_error"},
		{"duplicate key", strings.Replace(originalBody, `"Day": 11`, `"Day": 11, "Day": 12`, 1), 422, "Day", "duplicate_key"},
		{"not json", `{"Period": `, 422, "", ""},
		{"array", `[1,2,3]`, 422, "", ""},
		{"too large", `{"Period": 1, "pad": "` + strings.Repeat("x", 70<<10) + `"}`, 413, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := s.do(t, "POST", "/predict", tt.body)
			if code != tt.code {
				t.Fatalf("status %d, want %d: %v", code, tt.code, out)
			}
			if tt.loc == "" {
				return
			}
			found := false
			for _, d := range out["detail"].([]any) {
				e := d.(map[string]any)
				loc := e["loc"].([]any)
				if loc[0] == "body" && loc[len(loc)-1] == tt.loc && e["type"] == tt.typ {
					found = true
				}
			}
			if !found {
				t.Errorf("detail %v does not name %s with type %s", out["detail"], tt.loc, tt.typ)
			}
		})
	}
}

func TestPredictShot(t *testing.T) {
	dir := t.TempDir()
	modeltest.Promote(t, dir, 1, 2000)
	s := start(t, dir)
	code, out := s.do(t, "POST", "/predict/shot", shotBody)
	if code != 200 {
		t.Fatalf("POST /predict/shot = %d %v", code, out)
	}
	want := map[string]any{"shot_zone_basic": "Left Corner 3", "shot_zone_area": "Left Side(L)",
		"shot_zone_range": "24+ ft.", "shot_type": "3PT Field Goal", "shot_distance": float64(23), "model_version": "v1"}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s = %v, want %v", k, out[k], v)
		}
	}
	tests := []struct {
		name, body, field string
	}{
		{"conflicting zone", strings.Replace(shotBody, `"season_type"`, `"shot_zone_basic": "Mid-Range", "season_type"`, 1), "shot_zone_basic"},
		{"conflicting distance", strings.Replace(shotBody, `"season_type"`, `"shot_distance": 12, "season_type"`, 1), "shot_distance"},
		{"off court", strings.Replace(shotBody, `-230`, `-400`, 1), "x_location"},
		{"missing", strings.Replace(shotBody, `"period": 4,`, ``, 1), "period"},
	}
	for _, tt := range tests {
		code, out := s.do(t, "POST", "/predict/shot", tt.body)
		if code != 422 || !strings.Contains(fmt.Sprint(out["detail"]), tt.field) {
			t.Errorf("%s: %d %v, want 422 naming %s", tt.name, code, out, tt.field)
		}
	}
}

func TestStartWithoutModelThenPromotion(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir)
	for _, p := range []string{"/readyz", "/v2/health/ready", "/v2/models/nba-shot/ready"} {
		if code, _ := s.do(t, "GET", p, ""); code != 503 {
			t.Errorf("GET %s without a model = %d, want 503", p, code)
		}
	}
	code, out := s.do(t, "POST", "/predict", originalBody)
	if code != 503 || !strings.Contains(fmt.Sprint(out["detail"]), "no model") {
		t.Errorf("POST /predict without a model = %d %v, want 503 with a clear detail", code, out)
	}
	modeltest.Promote(t, dir, 2, 2000)
	waitFor(t, "the first champion serving", 2*time.Second, func() bool {
		code, _ := s.do(t, "GET", "/readyz", "")
		return code == 200
	})
}

// TestReloadUnderLoad promotes a new champion while clients keep predicting:
// no request may fail, and the new version must serve within 2 s.
func TestReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	modeltest.Promote(t, dir, 1, 2000)
	s := start(t, dir)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var (
		stop         atomic.Bool
		ok, bad      atomic.Int64
		sawV1, sawV2 atomic.Bool
		wg           sync.WaitGroup
		firstBad     atomic.Value
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				resp, err := client.Post(s.url+"/predict", "application/json", strings.NewReader(originalBody))
				if err != nil {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, err.Error())
					continue
				}
				var out struct {
					ModelVersion string `json:"model_version"`
				}
				json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, resp.Status)
					continue
				}
				ok.Add(1)
				switch out.ModelVersion {
				case "v1":
					sawV1.Store(true)
				case "v2":
					sawV2.Store(true)
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	promoted := time.Now()
	modeltest.Promote(t, dir, 2, 2000)
	waitFor(t, "v2 serving", 2*time.Second, func() bool { return sawV2.Load() })
	t.Logf("v2 served %v after promotion", time.Since(promoted).Round(time.Millisecond))
	time.Sleep(200 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if bad.Load() > 0 {
		t.Errorf("%d of %d requests failed across the reload; first: %v", bad.Load(), ok.Load()+bad.Load(), firstBad.Load())
	}
	if !sawV1.Load() {
		t.Error("never saw v1")
	}
	t.Logf("%d requests across the reload, none failed", ok.Load())
}

func TestBrokenModelRejected(t *testing.T) {
	dir := t.TempDir()
	modeltest.Promote(t, dir, 1, 2000)
	s := start(t, dir)
	// A promotion whose model file is corrupt: the pointer names it.
	bad := filepath.Join(dir, "model_best_lr-v2-20260101.json")
	os.WriteFile(bad, []byte(`{"format": "nba-mlops/model", "weights": [1, 2`), 0o644)
	bm, _ := os.ReadFile(filepath.Join(dir, model.BestModelFile))
	var ptr map[string]any
	json.Unmarshal(bm, &ptr)
	ptr["model"] = filepath.Base(bad)
	ptr["version"] = 2
	b, _ := json.Marshal(ptr)
	os.WriteFile(filepath.Join(dir, model.BestModelFile), b, 0o644)
	waitFor(t, "the rejection counted", 2*time.Second, func() bool {
		return s.metric(t, `nba_model_reloads_total{result="error"} 1`)
	})
	code, out := s.do(t, "POST", "/predict", originalBody)
	if code != 200 || out["model_version"] != "v1" {
		t.Errorf("after a broken promotion: %d %v, want v1 still serving", code, out)
	}
	if !strings.Contains(s.logs.String(), "new model rejected") || !strings.Contains(s.logs.String(), bad) {
		t.Errorf("log does not say why:\n%s", s.logs)
	}
	// SIGHUP forces a reload: the broken file is tried again and rejected again.
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "SIGHUP reload", 2*time.Second, func() bool {
		return s.metric(t, `nba_model_reloads_total{result="error"} 2`)
	})
	// A good promotion afterwards is picked up.
	modeltest.Promote(t, dir, 3, 2000)
	waitFor(t, "v3 serving", 2*time.Second, func() bool {
		_, out := s.do(t, "POST", "/predict", originalBody)
		return out["model_version"] == "v3"
	})
	if !s.metric(t, `nba_model_info{model_version="v3"} 1`) || s.metric(t, `nba_model_info{model_version="v1"}`) {
		t.Error("nba_model_info does not show exactly v3")
	}
}

func TestV2(t *testing.T) {
	dir := t.TempDir()
	modeltest.Promote(t, dir, 1, 2000)
	s := start(t, dir)
	for _, p := range []string{"/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/nba-shot", "/v2/models/nba-shot/ready"} {
		if code, out := s.do(t, "GET", p, ""); code != 200 {
			t.Errorf("GET %s = %d %v", p, code, out)
		}
	}
	_, meta := s.do(t, "GET", "/v2/models/nba-shot", "")
	if meta["name"] != "nba-shot" || fmt.Sprint(meta["versions"]) != "[v1]" {
		t.Errorf("metadata %v", meta)
	}
	var body map[string]float64
	json.Unmarshal([]byte(originalBody), &body)
	row := make([]float64, nba.NumSeedFeatures)
	for i, n := range nba.FeatureNames() {
		row[i] = body[n]
	}
	// Row 1 is the original body, row 2 a restricted-area layup.
	row2 := append([]float64(nil), row...)
	row2[3], row2[4], row2[5] = 0, 0, 0
	flat := append(append([]float64(nil), row...), row2...)
	reqBody := func(shape []int, data any, extra string) string {
		b, _ := json.Marshal(map[string]any{"id": "req-7", "inputs": []any{map[string]any{
			"name": "input-0", "shape": shape, "datatype": "FP64", "data": data}}})
		if extra != "" {
			b = []byte(strings.TrimSuffix(string(b), "}") + "," + extra + "}")
		}
		return string(b)
	}
	_, single := s.do(t, "POST", "/predict", originalBody)
	for _, data := range []any{flat, [][]float64{row, row2}} {
		code, out := s.do(t, "POST", "/v2/models/nba-shot/infer", reqBody([]int{2, 39}, data, ""))
		if code != 200 {
			t.Fatalf("infer = %d %v", code, out)
		}
		if out["id"] != "req-7" || out["model_version"] != "v1" || out["model_name"] != "nba-shot" {
			t.Errorf("infer envelope %v", out)
		}
		outs := out["outputs"].([]any)
		label, prob := outs[0].(map[string]any), outs[1].(map[string]any)
		if label["name"] != "label" || label["datatype"] != "INT64" || fmt.Sprint(label["shape"]) != "[2]" ||
			prob["name"] != "probability" || prob["datatype"] != "FP64" {
			t.Errorf("outputs %v", outs)
		}
		if p := prob["data"].([]any)[0].(float64); p != single["probability"] {
			t.Errorf("V2 row 1 probability %v, /predict gave %v", p, single["probability"])
		}
	}
	// Only the requested output.
	_, out := s.do(t, "POST", "/v2/models/nba-shot/infer", reqBody([]int{2, 39}, flat, `"outputs":[{"name":"probability"}]`))
	if outs := out["outputs"].([]any); len(outs) != 1 || outs[0].(map[string]any)["name"] != "probability" {
		t.Errorf("requested outputs not honoured: %v", out)
	}
	// A full batch of 10,000 rows.
	big := make([]float64, 0, 10000*39)
	for range 10000 {
		big = append(big, row...)
	}
	code, out := s.do(t, "POST", "/v2/models/nba-shot/infer", reqBody([]int{10000, 39}, big, ""))
	if code != 200 || len(out["outputs"].([]any)[1].(map[string]any)["data"].([]any)) != 10000 {
		t.Errorf("10,000-row batch: %d", code)
	}
	bad := []struct{ name, body, want string }{
		{"wrong width", reqBody([]int{2, 38}, flat[:76], ""), "shape"},
		{"count mismatch", reqBody([]int{3, 39}, flat, ""), "values"},
		{"too many rows", reqBody([]int{10001, 39}, []float64{1}, ""), "at most 10000"},
		{"datatype", strings.Replace(reqBody([]int{2, 39}, flat, ""), "FP64", "BYTES", 1), "datatype"},
		{"not numbers", reqBody([]int{1, 39}, []string{"a"}, ""), "data"},
		{"no inputs", `{"inputs": []}`, "input"},
		{"bad json", `{"inputs": [`, "JSON"},
		{"unknown output", reqBody([]int{2, 39}, flat, `"outputs":[{"name":"logit"}]`), "logit"},
		// A null is not 0: refused, naming its position.
		{"null", strings.Replace(reqBody([]int{2, 39}, flat, ""), `"data":[1,`, `"data":[null,`, 1), "row 0, Period (value 0): null is not a number"},
		{"null in a row", reqBody([]int{1, 39}, [][]any{append([]any{1, 10, 30, nil}, make([]any, 35)...)}, ""), "row 0, Shot_Distance (value 3): null is not a number"},
		{"all null", reqBody([]int{1, 39}, make([]any, 39), ""), "null is not a number"},
		{"out of range", reqBody([]int{1, 39}, append([]float64{99}, row[1:]...), ""), "row 0, Period: Input should be less than or equal to 10"},
		{"duplicate key", strings.Replace(reqBody([]int{2, 39}, flat, ""), `"id":"req-7"`, `"id":"req-7","id":"req-8"`, 1), "id: Duplicate key"},
		{"wrong type", `{"inputs":[{"name":"input-0","shape":"2x39","datatype":"FP64","data":[]}]}`, "inputs.shape: Input should be a valid list"},
		{"wrong element type", `{"inputs":[{"name":"input-0","shape":[2.5,39],"datatype":"FP64","data":[]}]}`, "inputs.shape: Input should be a valid integer"},
	}
	for _, tt := range bad {
		code, out := s.do(t, "POST", "/v2/models/nba-shot/infer", tt.body)
		if code != 400 || !strings.Contains(fmt.Sprint(out["error"]), tt.want) {
			t.Errorf("%s: %d %v, want 400 with an error mentioning %q", tt.name, code, out, tt.want)
		}
		// The caller's terms, never Go's.
		if msg := fmt.Sprint(out["error"]); strings.Contains(msg, "main.") || strings.Contains(msg, "Go ") || strings.Contains(msg, "v2InferRequest") || strings.Contains(msg, "float64") {
			t.Errorf("%s: error %q shows Go's names", tt.name, msg)
		}
	}
	if code, _ := s.do(t, "POST", "/v2/models/nba-shot/versions/v9/infer", reqBody([]int{2, 39}, flat, "")); code != 404 {
		t.Errorf("unknown version: %d, want 404", code)
	}
}

func TestCheckConfig(t *testing.T) {
	var out bytes.Buffer
	env := map[string]string{"PREDICTION_SERVICE_PORT": "9123", "LOG_FORMAT": "json"}
	if err := run(t.Context(), []string{"predictd", "--check-config"}, func(k string) string { return env[k] }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var cfg config
	json.Unmarshal(out.Bytes(), &cfg)
	if cfg.Addr != ":9123" || cfg.LogFormat != "json" || len(cfg.Env) == 0 {
		t.Errorf("check-config = %s", out.String())
	}
	for _, bad := range []map[string]string{{"PREDICTION_SERVICE_PORT": "http"}, {"NBA_POLL_INTERVAL": "often"}, {"LOG_FORMAT": "xml"}} {
		if err := run(t.Context(), []string{"predictd", "--check-config"}, func(k string) string { return bad[k] }, io.Discard, io.Discard); err == nil {
			t.Errorf("env %v accepted", bad)
		}
	}
}

// TestTakenPortFailsPromptly: a port already in use is an error that run
// returns at once, not after SIGTERM (the model watcher used to keep run
// waiting for a cancellation that never came).
func TestTakenPortFailsPromptly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	done := make(chan error, 1)
	go func() {
		done <- run(t.Context(), []string{"predictd", "--addr", ln.Addr().String(), "--models-dir", dir},
			func(string) string { return "" }, io.Discard, io.Discard)
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("run on a taken port = %v, want an address-in-use error", err)
		}
	case <-time.After(30 * time.Second): // a bound on a hang, not a speed target
		t.Fatal("run on a taken port did not return: it hangs until SIGTERM")
	}
}
