package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nba-mlops/nba-mlops/internal/auth"
	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/store"
	"github.com/nba-mlops/nba-mlops/internal/store/postgres"
	"github.com/nba-mlops/nba-mlops/internal/store/sqlite"
	"github.com/nba-mlops/nba-mlops/internal/store/storetest"
	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

const testSecret = "test-secret-0123456789abcdef0123456789abcdef"

// readmeBody is the original README's /predict example.
const readmeBody = predict.ExampleBody

// shotBody is a synthetic mid-range jumper (19 ft, Left Side Center).
const shotBody = `{"player_id": 2544, "player_name": "LeBron James", "team_name": "Los Angeles Lakers",
 "home_team": "LAL", "away_team": "BOS", "period": 1, "minutes_remaining": 10, "seconds_remaining": 30,
 "action_type": "Jump Shot", "x_location": -120, "y_location": 150, "game_date": 20191105,
 "season_type": "Regular Season"}`

// jsonWith returns body with key set to the raw JSON value (removed when raw
// is "").
func jsonWith(body, key, raw string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		panic(err)
	}
	if raw == "" {
		delete(m, key)
	} else {
		m[key] = json.RawMessage(raw)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakePredictd implements predictd's contract (internal/predict) above the
// network, with the shared decoders. It answers prediction 1 for shots under
// 10 ft and version "v1"; Stop and Start take it off and back onto the same
// address, so a client sees connection refused in between.
type fakePredictd struct {
	t       testing.TB
	addr    string
	mu      sync.Mutex
	srv     *httptest.Server
	calls   atomic.Int64
	version atomic.Value
	refuse  atomic.Bool // answer 422 to every prediction
}

func newFakePredictd(t testing.TB) *fakePredictd {
	t.Helper()
	f := &fakePredictd{t: t}
	f.version.Store("v1")
	f.Start()
	t.Cleanup(f.Stop)
	return f
}

func (f *fakePredictd) URL() string { return "http://" + f.addr }

func (f *fakePredictd) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /predict", func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if f.refuse.Load() {
			httpjson.Error(w, r, discard, httpjson.Invalid(httpjson.Body("Value error, model refuses", "value_error", "Year")))
			return
		}
		ft, err := httpjson.Decode[predict.Features](r)
		if err != nil {
			httpjson.Error(w, r, discard, err)
			return
		}
		p := 0
		if ft[features.SeedShotDistance] < 10 {
			p = 1
		}
		httpjson.Encode(w, 200, predict.Prediction{Prediction: p, Probability: 0.25 + 0.5*float64(p), ModelVersion: f.version.Load().(string)})
	})
	mux.HandleFunc("POST "+predict.PathPredictRecord, func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		body, err := httpjson.ReadJSON(r)
		if err != nil {
			httpjson.Error(w, r, discard, err)
			return
		}
		s, err := predict.DecodeRecord(body)
		if err != nil {
			httpjson.Error(w, r, discard, err)
			return
		}
		p := 0
		if s.ShotDistance < 10 {
			p = 1
		}
		httpjson.Encode(w, 200, predict.Prediction{Prediction: p, Probability: 0.25 + 0.5*float64(p), ModelVersion: f.version.Load().(string)})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Encode(w, 200, map[string]string{"status": "ready"})
	})
	return mux
}

// Start serves on the fake's address (a fresh one the first time).
func (f *fakePredictd) Start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		return
	}
	srv := httptest.NewUnstartedServer(f.handler())
	if f.addr != "" {
		var ln net.Listener
		var err error
		for range 50 { // the port can linger briefly after Stop
			if ln, err = net.Listen("tcp", f.addr); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			f.t.Fatalf("fake predictd: relisten on %s: %v", f.addr, err)
		}
		srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	f.addr = srv.Listener.Addr().String()
	f.srv = srv
}

// Stop closes the listener and every connection.
func (f *fakePredictd) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		f.srv.CloseClientConnections()
		f.srv.Close()
		f.srv = nil
	}
}

// testStore is a store adapter opened for a test.
type testStore interface {
	appStore
	Prediction(ctx context.Context, id int64) (store.Prediction, error)
}

type backend struct {
	name string
	open func(t testing.TB) testStore
}

func openSQLite(t testing.TB) testStore {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "apid.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openPostgres(t testing.TB) testStore {
	t.Helper()
	db, err := postgres.Open(context.Background(), storetest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return pgStore{db}
}

var backends = []backend{{"sqlite", openSQLite}, {"postgres", openPostgres}}

// testServer is apid's handler on an httptest server, with its parts.
type testServer struct {
	*httptest.Server
	t       testing.TB
	db      testStore
	predict *fakePredictd
	reg     *prometheus.Registry
	tokens  *auth.Tokens
	logs    *testenv.SyncBuffer
	// metricsURL is the separate metrics listener (run's --metrics-addr).
	metricsURL string
	// deps are what the handler was built from (another replica can be
	// built from them).
	deps deps
}

type serverOption func(*deps)

func newTestServer(t testing.TB, open func(testing.TB) testStore, opts ...serverOption) *testServer {
	t.Helper()
	db := open(t)
	fp := newFakePredictd(t)
	client, err := predict.NewClient(fp.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.NewSecret(testSecret), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := auth.NewHasher(4)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testenv.SyncBuffer{}
	reg := prometheus.NewRegistry()
	// Inserts go through the group commit, as in run; closed (drained)
	// after the server and before the store (cleanups run last first).
	writer := store.NewWriter(db, store.WriterConfig{Workers: 2})
	t.Cleanup(writer.Close)
	d := deps{
		logger: newLogger(logs, slog.LevelDebug, "text"), reg: reg,
		users: db, predictions: groupCommitted{db, writer}, feedback: db, stats: db, db: db,
		predictor: client, tokens: tokens, hasher: hasher, accounts: db, logins: db,
		feedbackWindow: 500, loginPerUser: 1000, loginPerAddr: 1000, loginUserHour: 1000,
		requestTimeout: 5 * time.Second, statsTTL: 0,
	}
	for _, o := range opts {
		o(&d)
	}
	srv := httptest.NewServer(NewServer(d))
	t.Cleanup(srv.Close)
	msrv := httptest.NewServer(newMetricsHandler(d.logger, reg))
	t.Cleanup(msrv.Close)
	return &testServer{Server: srv, t: t, db: db, predict: fp, reg: reg, tokens: tokens, logs: logs, metricsURL: msrv.URL, deps: d}
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

func (r response) detail(t testing.TB) string {
	t.Helper()
	d, _ := r.json(t)["detail"].(string)
	return d
}

// do sends a request; a non-empty token goes in a Bearer header; body
// strings starting with '{' or '[' are sent as JSON, others as a form.
func do(t testing.TB, base, method, path, token, body string, header ...string) response {
	t.Helper()
	return doWith(t, http.DefaultClient, base, method, path, token, body, header...)
}

// clientFrom returns a client whose connections come from the loopback
// address ip (any of 127.0.0.0/8 on Linux), so tests can be several clients
// as the server sees them.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64}}
}

// doWith is do through client.
func doWith(t testing.TB, client *http.Client, base, method, path, token, body string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		if strings.HasPrefix(body, "{") || strings.HasPrefix(body, "[") {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// metrics scrapes the metrics listener.
func (s *testServer) metrics() response {
	s.t.Helper()
	return do(s.t, s.metricsURL, "GET", "/metrics", "", "")
}

func (s *testServer) do(method, path, token, body string, header ...string) response {
	s.t.Helper()
	return do(s.t, s.URL, method, path, token, body, header...)
}

// signupLogin creates an account and returns a token for it.
func (s *testServer) signupLogin(name, password string) string {
	s.t.Helper()
	return signupLogin(s.t, s.URL, name, password)
}

func signupLogin(t testing.TB, base, name, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"username": name, "password": password, "disabled": false})
	if r := do(t, base, "POST", "/signup", "", string(body)); r.status != 200 {
		t.Fatalf("signup %s: %d %s", name, r.status, r.body)
	}
	return login(t, base, name, password)
}

func login(t testing.TB, base, name, password string) string {
	t.Helper()
	r := do(t, base, "POST", "/token", "", url.Values{"username": {name}, "password": {password}}.Encode())
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", name, r.status, r.body)
	}
	tok, _ := r.json(t)["access_token"].(string)
	if tok == "" {
		t.Fatalf("login %s: no token in %s", name, r.body)
	}
	return tok
}

func httpGet(u string) (int, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestMain(m *testing.M) { testenv.Main(m) }
