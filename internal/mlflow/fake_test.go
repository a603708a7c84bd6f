package mlflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// fakeMLflow is a tracking server that checks every request against MLflow's
// REST API reference (api/2.0/mlflow/..., mlflow-artifacts proxy) and the
// limits its handlers enforce, and records what it was sent. Requests that
// break the documented schema fail the test and get MLflow's 400 answer.
type fakeMLflow struct {
	t      testing.TB
	prefix string // path of the tracking URI, e.g. "/mlflow"

	mu          sync.Mutex
	wantAuth    string // exact Authorization header; "" means it must be absent
	experiments map[string]*fakeExperiment
	runs        map[string]*fakeRun
	requests    []string       // "METHOD /path" without the prefix and query
	counts      map[string]int // per "METHOD /path"
	// fail, when set, may answer a request instead of the fake: n is the
	// 1-based count of requests to that "METHOD /path".
	fail func(op string, n int) (status int, header http.Header, body string, ok bool)
	// artifactURI returns the artifact_uri runs/create reports.
	artifactURI func(expID, runID string) string
	// paramValueLen is the server's param value limit: 500 as in MLflow
	// 2.0–2.7, the oldest 2.x servers.
	paramValueLen    int
	nextExp, nextRun int
}

type fakeExperiment struct {
	ID, Name, Lifecycle string
}

type fakeRun struct {
	ID, ExpID, Name, Status string
	StartTime, EndTime      int64
	Params, Tags            map[string]string
	Metrics                 map[string]float64
	MetricStamps            map[string]int64
	Artifacts               map[string][]byte
	ContentTypes            map[string]string
	Batches                 int
}

func newFake(t testing.TB, prefix string) (*fakeMLflow, *httptest.Server) {
	t.Helper()
	f := &fakeMLflow{
		t:             t,
		prefix:        prefix,
		experiments:   map[string]*fakeExperiment{"Default": {ID: "0", Name: "Default", Lifecycle: "active"}},
		runs:          map[string]*fakeRun{},
		counts:        map[string]int{},
		paramValueLen: 500,
		nextExp:       100,
		artifactURI: func(expID, runID string) string {
			return "mlflow-artifacts:/" + expID + "/" + runID + "/artifacts"
		},
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// newTestClient returns a client of srv with fast backoff and a logger
// writing into the returned buffer.
func newTestClient(t testing.TB, srv *httptest.Server, prefix string, env map[string]string) (*Client, *testenv.SyncBuffer) {
	t.Helper()
	c := NewClient(srv.URL+prefix, envFunc(env), srv.Client())
	if err := c.cfgErr; err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	logs := &testenv.SyncBuffer{}
	c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c.minBackoff, c.maxBackoff = time.Millisecond, 4*time.Millisecond
	return c, logs
}

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func (f *fakeMLflow) run(id string) *fakeRun {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runs[id]
}

func (f *fakeMLflow) requestLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fakeMLflow) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[op]
}

// mlflowError writes MLflow's error body.
func mlflowError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error_code": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (f *fakeMLflow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	p, ok := strings.CutPrefix(r.URL.Path, f.prefix+"/")
	if !ok {
		t.Errorf("request %s %s is outside the tracking URI's path %q", r.Method, r.URL.Path, f.prefix)
		http.NotFound(w, r)
		return
	}
	op := r.Method + " /" + p
	if strings.HasPrefix(p, artifactsPrefix+"/") {
		op = r.Method + " /" + artifactsPrefix + "/..."
	}

	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" /"+p)
	f.counts[op]++
	n := f.counts[op]
	fail := f.fail
	wantAuth := f.wantAuth
	f.mu.Unlock()

	if got := r.Header.Get("Authorization"); got != wantAuth {
		t.Errorf("%s: Authorization = %q, want %q", op, got, wantAuth)
		mlflowError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "bad credentials")
		return
	}
	if fail != nil {
		if status, header, body, ok := fail(op, n); ok {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			io.WriteString(w, body)
			return
		}
	}

	if strings.HasPrefix(p, artifactsPrefix+"/") {
		f.putArtifact(w, r, strings.TrimPrefix(p, artifactsPrefix+"/"))
		return
	}
	switch {
	case r.Method == http.MethodGet && p == apiPrefix+"/experiments/get-by-name":
		f.getExperiment(w, r)
	case r.Method == http.MethodPost && p == apiPrefix+"/experiments/create":
		f.createExperiment(w, r)
	case r.Method == http.MethodPost && p == apiPrefix+"/runs/create":
		f.createRun(w, r)
	case r.Method == http.MethodPost && p == apiPrefix+"/runs/log-batch":
		f.logBatch(w, r)
	case r.Method == http.MethodPost && p == apiPrefix+"/runs/update":
		f.updateRun(w, r)
	default:
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		mlflowError(w, http.StatusNotFound, "ENDPOINT_NOT_FOUND", "no such endpoint")
	}
}

// Field kinds of the schema check.
type kind int

const (
	kString kind = iota
	kMillis      // int64 Unix milliseconds of a plausible date
	kInt         // int64
	kDouble
	kKVs     // array of {key, value} (Param, RunTag)
	kMetrics // array of Metric
	kStatus  // RunStatus
)

// decodeBody checks the JSON body of a POST against a schema: the content
// type MLflow requires, every required field present, no field MLflow does
// not document, and each field's type. It reports problems with t.Errorf
// and returns nil after answering 400, as MLflow does.
func (f *fakeMLflow) decodeBody(w http.ResponseWriter, r *http.Request, op string, required, optional map[string]kind) (map[string]any, []byte) {
	t := f.t
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type = %q, want application/json (MLflow requires it for POST)", op, ct)
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("%s: read body: %v", op, err)
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Errorf("%s: body is not a JSON object: %v: %s", op, err, raw)
		mlflowError(w, 400, "MALFORMED_REQUEST", err.Error())
		return nil, nil
	}
	var problems []string
	for k := range required {
		if _, ok := m[k]; !ok {
			problems = append(problems, fmt.Sprintf("missing required field %q", k))
		}
	}
	for k, v := range m {
		want, ok := required[k]
		if !ok {
			want, ok = optional[k]
		}
		if !ok {
			problems = append(problems, fmt.Sprintf("field %q is not in MLflow's schema", k))
			continue
		}
		if p := checkKind(k, v, want); p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		t.Errorf("%s: request breaks MLflow's schema: %s\nbody: %s", op, strings.Join(problems, "; "), raw)
		mlflowError(w, 400, "INVALID_PARAMETER_VALUE", strings.Join(problems, "; "))
		return nil, nil
	}
	return m, raw
}

func checkKind(field string, v any, k kind) string {
	switch k {
	case kString:
		if _, ok := v.(string); !ok {
			return fmt.Sprintf("%s: want a string, got %T", field, v)
		}
	case kStatus:
		s, _ := v.(string)
		if !slices.Contains([]string{"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"}, s) {
			return fmt.Sprintf("%s: %v is not a RunStatus", field, v)
		}
	case kInt, kMillis:
		num, ok := v.(json.Number)
		if !ok {
			return fmt.Sprintf("%s: want an int64, got %T", field, v)
		}
		i, err := strconv.ParseInt(num.String(), 10, 64)
		if err != nil {
			return fmt.Sprintf("%s: %s is not an int64", field, num)
		}
		// Milliseconds between 2001 and 2100: seconds or microseconds
		// fall outside.
		if k == kMillis && (i < 1e12 || i > 4102444800000) {
			return fmt.Sprintf("%s: %d is not a Unix time in milliseconds", field, i)
		}
	case kDouble:
		num, ok := v.(json.Number)
		if !ok {
			return fmt.Sprintf("%s: want a number, got %T", field, v)
		}
		if _, err := strconv.ParseFloat(num.String(), 64); err != nil {
			return fmt.Sprintf("%s: %s is not a double", field, num)
		}
	case kKVs, kMetrics:
		arr, ok := v.([]any)
		if !ok {
			return fmt.Sprintf("%s: want an array, got %T", field, v)
		}
		fields := map[string]kind{"key": kString, "value": kString}
		if k == kMetrics {
			fields = map[string]kind{"key": kString, "value": kDouble, "timestamp": kMillis, "step": kInt}
		}
		for i, e := range arr {
			obj, ok := e.(map[string]any)
			if !ok {
				return fmt.Sprintf("%s[%d]: want an object, got %T", field, i, e)
			}
			if len(obj) != len(fields) {
				return fmt.Sprintf("%s[%d]: has fields %v, want exactly %v", field, i, sortedKeys(obj), sortedKeys(fields))
			}
			for fk, fkind := range fields {
				fv, ok := obj[fk]
				if !ok {
					return fmt.Sprintf("%s[%d]: missing %q", field, i, fk)
				}
				if p := checkKind(fmt.Sprintf("%s[%d].%s", field, i, fk), fv, fkind); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

func (f *fakeMLflow) getExperiment(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > 0 {
		f.t.Errorf("get-by-name: GET with a %d-byte body", r.ContentLength)
	}
	q := r.URL.Query()
	name := q.Get("experiment_name")
	if len(q) != 1 || name == "" {
		f.t.Errorf("get-by-name: query %q, want exactly experiment_name", r.URL.RawQuery)
		mlflowError(w, 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'experiment_name'.")
		return
	}
	f.mu.Lock()
	e, ok := f.experiments[name]
	f.mu.Unlock()
	if !ok {
		mlflowError(w, http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", fmt.Sprintf("Could not find experiment with name '%s'", name))
		return
	}
	writeJSON(w, map[string]any{"experiment": map[string]any{
		"experiment_id": e.ID, "name": e.Name, "lifecycle_stage": e.Lifecycle,
		"artifact_location": "mlflow-artifacts:/" + e.ID, "creation_time": 1700000000000, "last_update_time": 1700000000000,
	}})
}

func (f *fakeMLflow) createExperiment(w http.ResponseWriter, r *http.Request) {
	m, _ := f.decodeBody(w, r, "experiments/create", map[string]kind{"name": kString},
		map[string]kind{"artifact_location": kString, "tags": kKVs})
	if m == nil {
		return
	}
	name := m["name"].(string)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.experiments[name]; ok {
		mlflowError(w, 400, "RESOURCE_ALREADY_EXISTS", fmt.Sprintf("Experiment '%s' already exists.", name))
		return
	}
	f.nextExp++
	id := strconv.Itoa(f.nextExp)
	f.experiments[name] = &fakeExperiment{ID: id, Name: name, Lifecycle: "active"}
	writeJSON(w, map[string]string{"experiment_id": id})
}

func (f *fakeMLflow) createRun(w http.ResponseWriter, r *http.Request) {
	m, _ := f.decodeBody(w, r, "runs/create",
		map[string]kind{"experiment_id": kString, "start_time": kMillis},
		map[string]kind{"user_id": kString, "run_name": kString, "tags": kKVs})
	if m == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	expID := m["experiment_id"].(string)
	var exp *fakeExperiment
	for _, e := range f.experiments {
		if e.ID == expID {
			exp = e
		}
	}
	if exp == nil {
		f.t.Errorf("runs/create: unknown experiment_id %q", expID)
		mlflowError(w, 404, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id="+expID+" exists")
		return
	}
	if exp.Lifecycle != "active" {
		mlflowError(w, 400, "INVALID_PARAMETER_VALUE", "The experiment "+expID+" must be in the 'active' state.")
		return
	}
	name, _ := m["run_name"].(string)
	tags := map[string]string{}
	if arr, ok := m["tags"].([]any); ok {
		for _, e := range arr {
			kv := e.(map[string]any)
			tags[kv["key"].(string)] = kv["value"].(string)
		}
	}
	if tn, ok := tags[tagRunName]; ok && name != "" && tn != name {
		// mlflow/store/tracking/sqlalchemy_store.py create_run
		mlflowError(w, 400, "INVALID_PARAMETER_VALUE", "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values")
		return
	}
	if name != "" {
		tags[tagRunName] = name
	}
	start, _ := strconv.ParseInt(m["start_time"].(json.Number).String(), 10, 64)
	f.nextRun++
	id := fmt.Sprintf("%032x", 0xabc000+f.nextRun)
	run := &fakeRun{ID: id, ExpID: expID, Name: name, Status: "RUNNING", StartTime: start,
		Params: map[string]string{}, Tags: tags, Metrics: map[string]float64{}, MetricStamps: map[string]int64{},
		Artifacts: map[string][]byte{}, ContentTypes: map[string]string{}}
	f.runs[id] = run
	// Like MLflow 2.x: int64 fields as JSON numbers, run_uuid alongside run_id.
	writeJSON(w, map[string]any{"run": map[string]any{
		"info": map[string]any{
			"run_id": id, "run_uuid": id, "run_name": name, "experiment_id": expID, "user_id": "",
			"status": "RUNNING", "start_time": start, "artifact_uri": f.artifactURI(expID, id), "lifecycle_stage": "active",
		},
		"data":   map[string]any{"tags": m["tags"]},
		"inputs": map[string]any{},
	}})
}

func (f *fakeMLflow) logBatch(w http.ResponseWriter, r *http.Request) {
	m, raw := f.decodeBody(w, r, "runs/log-batch", map[string]kind{"run_id": kString},
		map[string]kind{"metrics": kMetrics, "params": kKVs, "tags": kKVs})
	if m == nil {
		return
	}
	// The limits of mlflow/utils/validation.py, as the server's
	// _log_batch handler enforces them.
	if len(raw) > 1_000_000 {
		f.t.Errorf("log-batch: body of %d bytes, over MLflow's 1 MB", len(raw))
		mlflowError(w, 400, "INVALID_PARAMETER_VALUE", "Batched logging API requests must be at most 1000000 bytes")
		return
	}
	metrics, _ := m["metrics"].([]any)
	params, _ := m["params"].([]any)
	tags, _ := m["tags"].([]any)
	for _, lim := range []struct {
		name string
		n    int
		max  int
	}{{"metrics", len(metrics), 1000}, {"params", len(params), 100}, {"tags", len(tags), 100},
		{"metrics, params, and tags", len(metrics) + len(params) + len(tags), 1000}} {
		if lim.n > lim.max {
			f.t.Errorf("log-batch: %d %s, over MLflow's limit of %d", lim.n, lim.name, lim.max)
			mlflowError(w, 400, "INVALID_PARAMETER_VALUE", fmt.Sprintf("A batch logging request can contain at most %d %s. Got %d %s.", lim.max, lim.name, lim.n, lim.name))
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	run, ok := f.runs[m["run_id"].(string)]
	if !ok {
		f.t.Errorf("log-batch: run_id %q was not created by runs/create", m["run_id"])
		mlflowError(w, 404, "RESOURCE_DOES_NOT_EXIST", "Run not found")
		return
	}
	for _, e := range params {
		kv := e.(map[string]any)
		k, v := kv["key"].(string), kv["value"].(string)
		if len([]rune(v)) > f.paramValueLen {
			mlflowError(w, 400, "INVALID_PARAMETER_VALUE", fmt.Sprintf("Param value '%s' had length %d, which exceeded length limit of %d", v[:20], len([]rune(v)), f.paramValueLen))
			return
		}
		if old, ok := run.Params[k]; ok && old != v {
			mlflowError(w, 400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed. Param with key='"+k+"' was already logged")
			return
		}
		run.Params[k] = v
	}
	for _, e := range tags {
		kv := e.(map[string]any)
		k, v := kv["key"].(string), kv["value"].(string)
		if len([]rune(v)) > 5000 {
			mlflowError(w, 400, "INVALID_PARAMETER_VALUE", "Tag value too long")
			return
		}
		run.Tags[k] = v
	}
	for _, e := range metrics {
		mm := e.(map[string]any)
		k := mm["key"].(string)
		v, _ := mm["value"].(json.Number).Float64()
		ts, _ := mm["timestamp"].(json.Number).Int64()
		run.Metrics[k] = v
		run.MetricStamps[k] = ts
	}
	run.Batches++
	writeJSON(w, map[string]any{})
}

func (f *fakeMLflow) updateRun(w http.ResponseWriter, r *http.Request) {
	m, _ := f.decodeBody(w, r, "runs/update", map[string]kind{"run_id": kString},
		map[string]kind{"run_uuid": kString, "status": kStatus, "end_time": kMillis, "run_name": kString})
	if m == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	run, ok := f.runs[m["run_id"].(string)]
	if !ok {
		f.t.Errorf("runs/update: run_id %q was not created by runs/create", m["run_id"])
		mlflowError(w, 404, "RESOURCE_DOES_NOT_EXIST", "Run not found")
		return
	}
	if s, ok := m["status"].(string); ok {
		run.Status = s
	}
	if e, ok := m["end_time"].(json.Number); ok {
		run.EndTime, _ = e.Int64()
	}
	writeJSON(w, map[string]any{"run_info": map[string]any{"run_id": run.ID, "status": run.Status}})
}

// putArtifact is the proxy's upload: PUT .../artifacts/<exp>/<run>/artifacts/<path>.
func (f *fakeMLflow) putArtifact(w http.ResponseWriter, r *http.Request, rel string) {
	if r.Method != http.MethodPut {
		f.t.Errorf("artifact %s: method %s, want PUT", rel, r.Method)
		mlflowError(w, 405, "BAD_REQUEST", "method not allowed")
		return
	}
	parts := strings.SplitN(rel, "/", 4)
	if len(parts) != 4 || parts[2] != "artifacts" || parts[3] == "" {
		f.t.Errorf("artifact path %q does not follow <experiment_id>/<run_id>/artifacts/<path>", rel)
		mlflowError(w, 400, "INVALID_PARAMETER_VALUE", "bad artifact path")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("artifact %s: read body: %v", rel, err)
		return
	}
	if r.ContentLength != int64(len(body)) {
		f.t.Errorf("artifact %s: Content-Length %d, body %d bytes", rel, r.ContentLength, len(body))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	run, ok := f.runs[parts[1]]
	if !ok || run.ExpID != parts[0] {
		f.t.Errorf("artifact %s: no run %s in experiment %s", rel, parts[1], parts[0])
		mlflowError(w, 404, "RESOURCE_DOES_NOT_EXIST", "no such run")
		return
	}
	run.Artifacts[parts[3]] = body
	run.ContentTypes[parts[3]] = r.Header.Get("Content-Type")
	writeJSON(w, map[string]any{})
}

func slogText(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
