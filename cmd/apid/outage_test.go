package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/store/postgres"
	"github.com/nba-mlops/nba-mlops/internal/store/storetest"
)

// eventually retries f until it returns true or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPredictdOutage(t *testing.T) {
	s := newTestServer(t, openSQLite)
	tok := s.signupLogin("kate", "katepass1")
	if r := s.do("POST", "/predict", tok, readmeBody); r.status != 200 {
		t.Fatalf("predict = %d", r.status)
	}
	s.predict.Stop()
	for _, path := range []string{"/predict", "/predict/shot"} {
		body := readmeBody
		if path == "/predict/shot" {
			body = shotBody
		}
		r := s.do("POST", path, tok, body)
		if r.status != 503 || r.detail(t) != "prediction service unavailable" {
			t.Errorf("%s with predictd down = %d %s, want 503", path, r.status, r.body)
		}
	}
	if st, _ := s.db.Stats(t.Context()); st.Predictions != 1 {
		t.Errorf("%d predictions stored, want 1: a 503 must store nothing", st.Predictions)
	}
	if r := s.do("GET", "/healthz", "", ""); r.status != 200 {
		t.Errorf("healthz with predictd down = %d", r.status)
	}
	s.predict.Start()
	eventually(t, 10*time.Second, "recovery after predictd returns", func() bool {
		return s.do("POST", "/predict", tok, readmeBody).status == 200
	})
}

// tcpProxy forwards connections to target until Down, which cuts every
// open connection and refuses new ones (accepted and closed at once), as a
// crashed or unreachable database server does; Up lets them through again.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	var wg sync.WaitGroup
	wg.Go(p.serve)
	t.Cleanup(func() { ln.Close(); p.Down(); wg.Wait() })
	return p
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

func (p *tcpProxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *tcpProxy) Up() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// newProxiedPostgresServer starts a test apid on a throwaway PostgreSQL
// schema reached through a TCP proxy, which the test can cut and restore.
func newProxiedPostgresServer(t *testing.T) (*testServer, *tcpProxy) {
	t.Helper()
	u, err := url.Parse(storetest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	s := newTestServer(t, func(t testing.TB) testStore {
		db, err := postgres.Open(context.Background(), u.String()+"&connect_timeout=2")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		return pgStore{db}
	})
	return s, proxy
}

// TestDatabaseOutage takes PostgreSQL away from a running apid at the TCP
// level and brings it back: apid must answer 503 meanwhile, keep serving
// /healthz, and recover without a restart.
func TestDatabaseOutage(t *testing.T) {
	s, proxy := newProxiedPostgresServer(t)
	tok := s.signupLogin("liam", "liampass1")
	if r := s.do("POST", "/predict", tok, readmeBody); r.status != 200 {
		t.Fatalf("predict = %d", r.status)
	}

	proxy.Down()
	checks := []struct{ method, path, token, body string }{
		{"POST", "/predict", tok, readmeBody},
		{"POST", "/predict/shot", tok, shotBody},
		{"GET", "/verify_random_prediction", tok, ""},
		{"POST", "/verify_random_prediction", tok, `{"prediction_id": 1, "true_value": 1}`},
		{"POST", "/token", "", "username=liam&password=liampass1"},
		{"POST", "/signup", "", `{"username":"mona","password":"monapass1"}`},
	}
	for _, c := range checks {
		// The first request on a pooled connection that just broke may fail
		// differently from later ones; both must be 503.
		for range 2 {
			r := s.do(c.method, c.path, c.token, c.body)
			if r.status != 503 || r.detail(t) != "database unavailable" {
				t.Errorf("%s %s with the database away = %d %s, want 503 database unavailable", c.method, c.path, r.status, r.body)
			}
		}
	}
	if r := s.do("GET", "/readyz", "", ""); r.status != 503 || !strings.Contains(string(r.body), `"database":"unavailable"`) {
		t.Errorf("readyz = %d %s", r.status, r.body)
	}
	if r := s.do("GET", "/healthz", "", ""); r.status != 200 {
		t.Errorf("healthz = %d: apid must stay alive", r.status)
	}
	if r := s.metrics(); r.status != 200 {
		t.Errorf("metrics with the database away = %d", r.status)
	}

	proxy.Up()
	eventually(t, 15*time.Second, "recovery after the database returns", func() bool {
		return s.do("POST", "/predict", tok, readmeBody).status == 200
	})
	if r := s.do("POST", "/token", "", "username=liam&password=liampass1"); r.status != 200 {
		t.Errorf("login after recovery = %d", r.status)
	}
	if strings.Contains(s.logs.String(), "level=ERROR") {
		t.Errorf("an outage of a dependency was logged as an internal error:\n%s", grepLines(s.logs.String(), "level=ERROR"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// throwawayCluster is a PostgreSQL cluster of its own in a temp dir
// (initdb, then pg_ctl on a free port, as the postgres user when run as
// root), which a test can stop and start without touching the main one.
type throwawayCluster struct {
	dir, port string
	t         *testing.T
}

const pgBin = "/usr/lib/postgresql/15/bin"

func newThrowawayCluster(t *testing.T) *throwawayCluster {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the throwaway PostgreSQL cluster needs root (initdb runs as postgres via runuser)")
	}
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err != nil {
		t.Skipf("no PostgreSQL 15 binaries in %s", pgBin)
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		t.Skip("no runuser")
	}
	dir, err := os.MkdirTemp("", "pgtmp.")
	if err != nil {
		t.Fatal(err)
	}
	c := &throwawayCluster{dir: dir, port: strings.TrimPrefix(freeAddr(t), "127.0.0.1:"), t: t}
	t.Cleanup(func() {
		c.pgctl("-m", "immediate", "stop")
		os.RemoveAll(dir)
	})
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chown", "-R", "postgres:postgres", dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	c.as(filepath.Join(pgBin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth-local=trust",
		"--auth-host=scram-sha-256", "--pwfile="+filepath.Join(dir, "pw"), "-E", "UTF8", "--locale=C.UTF-8")
	c.start()
	return c
}

func (c *throwawayCluster) as(args ...string) {
	c.t.Helper()
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
	cmd.Dir = c.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (c *throwawayCluster) pgctl(args ...string) error {
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(pgBin, "pg_ctl"), "-D", filepath.Join(c.dir, "data"), "-w"}, args...)...)
	cmd.Dir = c.dir
	_, err := cmd.CombinedOutput()
	return err
}

func (c *throwawayCluster) start() {
	c.t.Helper()
	c.as(filepath.Join(pgBin, "pg_ctl"), "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "log"), "-w",
		"-o", fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir), "start")
}

func (c *throwawayCluster) stop() {
	c.t.Helper()
	c.as(filepath.Join(pgBin, "pg_ctl"), "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w", "stop")
}

func (c *throwawayCluster) DSN() string {
	return "postgres://postgres:pw@127.0.0.1:" + c.port + "/postgres?sslmode=disable&connect_timeout=2"
}

// TestRunDatabaseRestart runs the whole program on a PostgreSQL cluster of
// its own, stops the cluster, checks the 503s, starts it again and checks
// that apid recovers by itself.
func TestRunDatabaseRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	cluster := newThrowawayCluster(t)
	fp := newFakePredictd(t)
	base, logs := startRun(t, nil, map[string]string{
		"JWT_SECRET": testSecret, "NBA_DATA_DIR": t.TempDir(), "PREDICT_URL": fp.URL(), "BCRYPT_COST": "4",
		"DATABASE_URL": cluster.DSN(),
	})
	tok := signupLogin(t, base, "nina", "ninapass1")
	if r := do(t, base, "POST", "/predict", tok, readmeBody); r.status != 200 {
		t.Fatalf("predict = %d", r.status)
	}
	cluster.stop()
	for range 3 {
		if r := do(t, base, "POST", "/predict", tok, readmeBody); r.status != 503 || r.detail(t) != "database unavailable" {
			t.Errorf("predict with the cluster stopped = %d %s", r.status, r.body)
		}
	}
	if r := do(t, base, "GET", "/readyz", "", ""); r.status != 503 {
		t.Errorf("readyz with the cluster stopped = %d", r.status)
	}
	cluster.start()
	eventually(t, 20*time.Second, "recovery after the cluster restarts", func() bool {
		return do(t, base, "POST", "/predict", tok, readmeBody).status == 200
	})
	if r := do(t, base, "GET", "/readyz", "", ""); r.status != 200 {
		t.Errorf("readyz after restart = %d %s", r.status, r.body)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("the restart was logged as an internal error:\n%s", grepLines(logs.String(), "level=ERROR"))
	}
}

// TestDatabaseOutageUnderLoad keeps 16 clients posting /predict through the
// group commit while PostgreSQL goes away and comes back. Every answer must
// be 200 or 503 database unavailable, every 200's prediction_id must be a
// stored row holding that request's features and user, no id may be given
// twice, and apid must recover by itself: no answered prediction is lost.
func TestDatabaseOutageUnderLoad(t *testing.T) {
	s, proxy := newProxiedPostgresServer(t)
	tok := s.signupLogin("olga", "olgapass1")
	user, err := s.db.UserByName(t.Context(), "olga")
	if err != nil {
		t.Fatal(err)
	}

	type answer struct {
		id       int64
		distance int
	}
	var (
		mu       sync.Mutex
		answered []answer
		outages  int
		phase    atomic.Int32 // 0 up, 1 down, 2 up again
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for c := range 16 {
		wg.Go(func() {
			for k := 0; k < 5000; k++ { // bounded; stop ends it long before
				select {
				case <-stop:
					return
				default:
				}
				dist := (c*5000 + k) % 90 // tags the request: Shot_Distance comes back from the row
				r := s.do("POST", "/predict", tok, jsonWith(readmeBody, "Shot_Distance", fmt.Sprint(dist)))
				switch {
				case r.status == 200:
					id, _ := r.json(t)["prediction_id"].(float64)
					mu.Lock()
					answered = append(answered, answer{int64(id), dist})
					mu.Unlock()
				case r.status == 503 && r.detail(t) == "database unavailable" && phase.Load() >= 1:
					mu.Lock()
					outages++
					mu.Unlock()
				default:
					t.Errorf("phase %d: %d %s, want 200 or (database away) 503", phase.Load(), r.status, r.body)
					return
				}
			}
		})
	}
	time.Sleep(time.Second)
	phase.Store(1)
	proxy.Down()
	time.Sleep(time.Second)
	proxy.Up()
	phase.Store(2)
	mu.Lock()
	before := len(answered)
	mu.Unlock()
	eventually(t, 20*time.Second, "200s again after the database returns", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(answered) > before+100
	})
	close(stop)
	wg.Wait()
	if outages == 0 {
		t.Error("no 503 while the database was away: the outage was not observed")
	}

	seen := map[int64]bool{}
	for _, a := range answered {
		if seen[a.id] {
			t.Fatalf("prediction_id %d answered twice", a.id)
		}
		seen[a.id] = true
		p, err := s.db.Prediction(t.Context(), a.id)
		if err != nil {
			t.Fatalf("answered prediction_id %d is not stored: %v", a.id, err)
		}
		var in map[string]float64
		if err := json.Unmarshal(p.Input, &in); err != nil || int(in["Shot_Distance"]) != a.distance || p.UserID != user.ID {
			t.Fatalf("row %d holds distance %v of user %d, want request's %d of user %d", a.id, in["Shot_Distance"], p.UserID, a.distance, user.ID)
		}
	}
	st, err := s.db.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Predictions < int64(len(answered)) {
		t.Errorf("%d rows stored for %d answers of 200", st.Predictions, len(answered))
	}
	t.Logf("%d answers of 200 (all stored), %d of 503 during the outage, %d rows", len(answered), outages, st.Predictions)
}
