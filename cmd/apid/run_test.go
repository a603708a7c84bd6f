package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store/storetest"
	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// env returns a getenv over m.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// startRun runs apid with args and env until the test ends, and waits for
// /healthz. Metrics go to a free port unless args name one.
func startRun(t *testing.T, args []string, environ map[string]string) (base string, stderr *testenv.SyncBuffer) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &testenv.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"apid", "--addr", addr, "--metrics-addr", freeAddr(t)}, args...), env(environ), &bytes.Buffer{}, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v after cancel", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("run did not stop within 15 s of cancel")
		}
	})
	base = "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("run exited early: %v\n%s", err, stderr)
		default:
		}
		if r, err := httpGet(base + "/healthz"); err == nil && r == 200 {
			return base, stderr
		}
		if time.Now().After(deadline) {
			t.Fatalf("apid did not answer /healthz within 20 s\n%s", stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRun starts the whole program on each store and drives the whole flow,
// export-feedback included.
func TestRun(t *testing.T) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) {
			fp := newFakePredictd(t)
			dir := t.TempDir()
			pwFile := filepath.Join(dir, "admin_pw")
			if err := os.WriteFile(pwFile, []byte("admin-password-1\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			environ := map[string]string{
				"JWT_SECRET": testSecret, "NBA_DATA_DIR": dir, "PREDICT_URL": fp.URL(), "BCRYPT_COST": "4",
				"NBA_ADMIN_USER": "admin", "NBA_ADMIN_PASSWORD_FILE": pwFile, "LOG_FORMAT": "json",
			}
			if b == "postgres" {
				environ["DATABASE_URL"] = storetest.PostgresDSN(t)
			}
			metricsAddr := freeAddr(t)
			base, logs := startRun(t, []string{"--metrics-addr", metricsAddr}, environ)
			admin := login(t, base, "admin", "admin-password-1")
			tok := signupLogin(t, base, "runner", "runnerpass")

			if r := do(t, base, "POST", "/predict", tok, readmeBody); r.status != 200 {
				t.Fatalf("predict = %d %s", r.status, r.body)
			}
			// Raw shots: two share a game (same date and teams), one names
			// its game, one is a playoff game; all get verified.
			shots := []string{
				shotBody,
				jsonWith(shotBody, "x_location", "5"),
				jsonWith(jsonWith(shotBody, "game_id", "21900123"), "game_event_id", "77"),
				jsonWith(jsonWith(jsonWith(shotBody, "season_type", `"Playoffs"`), "game_date", "20200815"), "away_team", `"MIA"`),
			}
			var ids []int64
			for _, body := range shots {
				r := do(t, base, "POST", "/predict/shot", tok, body)
				if r.status != 200 {
					t.Fatalf("predict/shot = %d %s", r.status, r.body)
				}
				ids = append(ids, int64(r.json(t)["prediction_id"].(float64)))
			}
			for i, id := range ids {
				r := do(t, base, "POST", "/verify_random_prediction", admin, fmt.Sprintf(`{"prediction_id": %d, "true_value": %d}`, id, i%2))
				if r.status != 200 {
					t.Fatalf("verify %d = %d %s", id, r.status, r.body)
				}
			}
			// Metrics are on their own listener, not on the API port.
			if r := do(t, base, "GET", "/metrics", "", ""); r.status != 404 {
				t.Errorf("GET /metrics on the API port = %d, want 404", r.status)
			}
			m := string(do(t, "http://"+metricsAddr, "GET", "/metrics", "", "").body)
			for _, want := range []string{"go_goroutines", "process_cpu_seconds_total", `nba_feedback_total{correct="true",model_version="v1"}`, "nba_users 2"} {
				if !strings.Contains(m, want) {
					t.Errorf("/metrics lacks %q", want)
				}
			}
			if !strings.Contains(logs.String(), `"msg":"listening"`) {
				t.Errorf("no JSON listening line in the logs:\n%s", logs)
			}

			out := filepath.Join(dir, "feedback.csv")
			exportEnv := map[string]string{"NBA_DATA_DIR": dir, "DATABASE_URL": environ["DATABASE_URL"]}
			var stdout bytes.Buffer
			if err := run(t.Context(), []string{"apid", "export-feedback", "--out", out}, env(exportEnv), &stdout, &bytes.Buffer{}); err != nil {
				t.Fatalf("export-feedback: %v", err)
			}
			var sum exportSummary
			if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil || sum.Rows != 4 || sum.NewKeys != 4 || sum.Skipped != 0 {
				t.Fatalf("export summary %s (%v), want 4 rows, 4 new keys", stdout.Bytes(), err)
			}
			first, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			rows := checkExport(t, first)
			if rows[0].ShotMadeFlag != 0 || rows[1].ShotMadeFlag != 1 {
				t.Errorf("Shot Made Flag %d, %d; want the verifications 0, 1", rows[0].ShotMadeFlag, rows[1].ShotMadeFlag)
			}
			if rows[0].GameID != rows[1].GameID || rows[0].GameEventID == rows[1].GameEventID {
				t.Errorf("two shots of one game got games %d/%d events %d/%d", rows[0].GameID, rows[1].GameID, rows[0].GameEventID, rows[1].GameEventID)
			}
			if rows[2].GameID != 21900123 || rows[2].GameEventID != 77 {
				t.Errorf("the caller's game lost its ids: %d/%d", rows[2].GameID, rows[2].GameEventID)
			}
			if rows[3].GameID/10_000_000 != 4 {
				t.Errorf("playoff shot got game %d", rows[3].GameID)
			}
			// A second export repeats the same keys: ingest adds nothing.
			stdout.Reset()
			if err := run(t.Context(), []string{"apid", "export-feedback", "--out", out}, env(exportEnv), &stdout, &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
			second, _ := os.ReadFile(out)
			if !bytes.Equal(first, second) || !strings.Contains(stdout.String(), `"new_keys":0`) {
				t.Errorf("second export differs or made new keys: %s", stdout.String())
			}
		})
	}
}

// checkExport parses an export as ingest would and checks its rows: valid,
// unique keys, and one date/teams/season type per Game ID.
func checkExport(t *testing.T, data []byte) []nba.Shot {
	t.Helper()
	rd, err := dataset.NewReader(bytes.NewReader(data), "feedback.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !rd.InKaggleOrder() {
		t.Errorf("header %v is not the Kaggle header", rd.Header())
	}
	var (
		out  []nba.Shot
		rep  dataset.Report
		keys = map[nba.Key]bool{}
		game = map[int32]string{}
	)
	for {
		rec, err := rd.Read()
		if err != nil {
			break
		}
		var s nba.Shot
		if !dataset.Check(rec.Fields, &s, &rep) {
			t.Errorf("line %d fails validation: %s", rec.Line, rep.Detail())
		}
		if keys[s.Key()] {
			t.Errorf("line %d repeats key (%d, %d)", rec.Line, s.GameID, s.GameEventID)
		}
		keys[s.Key()] = true
		g := fmt.Sprint(s.GameDate, s.HomeTeam, s.AwayTeam, s.SeasonType)
		if prev, ok := game[s.GameID]; ok && prev != g {
			t.Errorf("game %d has rows %q and %q", s.GameID, prev, g)
		}
		game[s.GameID] = g
		out = append(out, s)
	}
	return out
}

func TestRunRefusesWithoutSecret(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no secret", map[string]string{}, nil, "JWT_SECRET or JWT_SECRET_FILE is required"},
		{"short secret", map[string]string{"JWT_SECRET": "short"}, nil, "at least 32"},
		{"both secrets", map[string]string{"JWT_SECRET": testSecret, "JWT_SECRET_FILE": "/x"}, nil, "use one"},
		{"admin without password", map[string]string{"JWT_SECRET": testSecret, "NBA_ADMIN_USER": "root"}, nil, "no default password"},
		{"bad cost", map[string]string{"JWT_SECRET": testSecret, "BCRYPT_COST": "x"}, nil, "BCRYPT_COST"},
		{"bad port", map[string]string{"JWT_SECRET": testSecret, "API_PORT": "99999"}, nil, "API_PORT"},
		{"bad database url", map[string]string{"JWT_SECRET": testSecret, "DATABASE_URL": "mysql://u:hunter2@h/db"}, nil, "DATABASE_URL"},
		{"partial DB_*", map[string]string{"JWT_SECRET": testSecret, "DB_HOST": "db"}, nil, "DB_NAME and DB_USER"},
		{"bad predict url", map[string]string{"JWT_SECRET": testSecret, "PREDICT_URL": "localhost:8001"}, nil, "PREDICT_URL"},
		{"bad cors", map[string]string{"JWT_SECRET": testSecret, "CORS_ORIGINS": "example.org"}, nil, "CORS_ORIGINS"},
		{"unknown flag", map[string]string{"JWT_SECRET": testSecret}, []string{"--nope"}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t.Context(), append([]string{"apid", "--check-config"}, tt.args...), env(tt.env), &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run = %v, want an error containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks a password: %v", err)
			}
		})
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("db-pass-word\n"), 0o600)
	var out bytes.Buffer
	err := run(t.Context(), []string{"apid", "--check-config", "--bcrypt-cost", "10", "--cors-origins", "https://a.example,https://b.example/"},
		env(map[string]string{
			"JWT_SECRET": testSecret, "API_PORT": "9000", "DB_HOST": "db", "DB_NAME": "nba", "DB_USER": "nba",
			"DB_PASSWORD_FILE": pw, "PREDICTION_SERVICE_HOST": "prediction-service", "PREDICTION_SERVICE_PORT": "8001",
			"NBA_ADMIN_USER": "admin", "NBA_ADMIN_PASSWORD": "admin-passphrase-17", "LOG_LEVEL": "debug",
		}), &out, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, secret := range []string{testSecret, "db-pass-word", "admin-passphrase-17"} {
		if strings.Contains(s, secret) {
			t.Errorf("--check-config prints a secret:\n%s", s)
		}
	}
	var got struct {
		Addr       string            `json:"addr"`
		Database   map[string]string `json:"database"`
		PredictURL string            `json:"predict_url"`
		Bcrypt     int               `json:"bcrypt_cost"`
		CORS       []string          `json:"cors_origins"`
		LogLevel   string            `json:"log_level"`
		Env        []string          `json:"env"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, s)
	}
	if got.Addr != ":9000" || got.Database["driver"] != "postgres" || got.Database["url"] != "postgres://nba:xxxxx@db:5432/nba" ||
		got.PredictURL != "http://prediction-service:8001" || got.Bcrypt != 10 || len(got.CORS) != 2 || got.CORS[1] != "https://b.example" ||
		got.LogLevel != "debug" {
		t.Errorf("resolved config:\n%s", s)
	}
	for _, name := range []string{"DATABASE_URL", "DB_PASSWORD_FILE", "JWT_SECRET_FILE", "PREDICTION_SERVICE_HOST", "NBA_ADMIN_PASSWORD_FILE", "API_PORT"} {
		found := false
		for _, e := range got.Env {
			found = found || e == name
		}
		if !found {
			t.Errorf("env list lacks %s", name)
		}
	}
	// The flag wins over HTTP_ADDR, which wins over API_PORT.
	out.Reset()
	run(t.Context(), []string{"apid", "--check-config"}, env(map[string]string{"JWT_SECRET": testSecret, "API_PORT": "9000", "HTTP_ADDR": "127.0.0.1:7000"}), &out, &bytes.Buffer{})
	if !strings.Contains(out.String(), `"addr": "127.0.0.1:7000"`) || !strings.Contains(out.String(), `"driver": "sqlite"`) {
		t.Errorf("HTTP_ADDR did not win over API_PORT, or no sqlite default:\n%s", out.String())
	}
	// Metrics: loopback by default, METRICS_ADDR or the flag otherwise; the
	// API address is refused.
	for _, tt := range []struct {
		args    []string
		metrics string
		want    string
	}{
		{nil, "", `"metrics_addr": "127.0.0.1:8002"`},
		{nil, ":8002", `"metrics_addr": ":8002"`},
		{[]string{"--metrics-addr", "0.0.0.0:9102"}, ":8002", `"metrics_addr": "0.0.0.0:9102"`},
	} {
		out.Reset()
		err := run(t.Context(), append([]string{"apid", "--check-config"}, tt.args...), env(map[string]string{"JWT_SECRET": testSecret, "METRICS_ADDR": tt.metrics}), &out, &bytes.Buffer{})
		if err != nil || !strings.Contains(out.String(), tt.want) {
			t.Errorf("args %q METRICS_ADDR=%q: %v, want %s in\n%s", tt.args, tt.metrics, err, tt.want, out.String())
		}
	}
	for _, bad := range []string{"8002", ":8000"} {
		err := run(t.Context(), []string{"apid", "--check-config"}, env(map[string]string{"JWT_SECRET": testSecret, "METRICS_ADDR": bad}), &out, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
			t.Errorf("METRICS_ADDR=%q: %v, want an error naming METRICS_ADDR", bad, err)
		}
	}
}

func TestRunDevMode(t *testing.T) {
	fp := newFakePredictd(t)
	base, logs := startRun(t, []string{"--dev", "--bcrypt-cost", "4"}, map[string]string{"NBA_DATA_DIR": t.TempDir(), "PREDICT_URL": fp.URL()})
	if !strings.Contains(logs.String(), "random secret") {
		t.Errorf("dev mode did not warn about its random secret:\n%s", logs)
	}
	tok := signupLogin(t, base, "devuser", "devpass12")
	if r := do(t, base, "POST", "/predict", tok, readmeBody); r.status != 200 {
		t.Errorf("predict in dev mode = %d %s", r.status, r.body)
	}
}

// TestRunWaitsForDatabase checks that apid waits --db-wait for PostgreSQL
// and then gives up with an error that says why.
func TestRunWaitsForDatabase(t *testing.T) {
	start := time.Now()
	var stderr bytes.Buffer
	err := run(t.Context(), []string{"apid", "--addr", freeAddr(t), "--db-wait", "1s"},
		env(map[string]string{"JWT_SECRET": testSecret, "BCRYPT_COST": "4", "DATABASE_URL": "postgres://u:secretpw@127.0.0.1:1/db?connect_timeout=1"}),
		&bytes.Buffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "database unavailable") {
		t.Fatalf("run = %v, want a database unavailable error", err)
	}
	if d := time.Since(start); d < time.Second/2 {
		t.Errorf("gave up after %s without waiting", d)
	}
	if !strings.Contains(stderr.String(), "waiting for PostgreSQL") || strings.Contains(stderr.String()+err.Error(), "secretpw") {
		t.Errorf("logs/error: %v\n%s", err, stderr.String())
	}
}

// TestEnvNamesComplete records every variable loadConfig reads and checks
// that --check-config's "env" list names exactly those.
func TestEnvNamesComplete(t *testing.T) {
	read := map[string]bool{}
	getenv := func(k string) string {
		read[k] = true
		switch k {
		case "JWT_SECRET":
			return testSecret
		case "DB_HOST", "DB_NAME", "DB_USER", "NBA_ADMIN_USER":
			return "x" + strings.ToLower(k[:2]) + "name"
		case "NBA_ADMIN_PASSWORD":
			return "admin-password-17"
		}
		return ""
	}
	if _, err := loadConfig(nil, getenv, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for k := range read {
		if !slices.Contains(envNames, k) {
			t.Errorf("loadConfig reads %s, which the env list lacks", k)
		}
	}
	for _, k := range envNames {
		if !read[k] {
			t.Errorf("env list names %s, which loadConfig never reads", k)
		}
	}
}

// TestRunTakenPort: apid on a port that is already taken returns the listen
// error at once (it serves through daemon.Serve, as predictd does).
func TestRunTakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		done <- run(t.Context(), []string{"apid", "--addr", ln.Addr().String(), "--dev", "--bcrypt-cost", "4"},
			env(map[string]string{"NBA_DATA_DIR": t.TempDir()}), &bytes.Buffer{}, &bytes.Buffer{})
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("run on a taken port = %v, want an address-in-use error", err)
		}
	case <-time.After(30 * time.Second): // a bound on a hang, not a speed target
		t.Fatal("run on a taken port did not return")
	}
}
