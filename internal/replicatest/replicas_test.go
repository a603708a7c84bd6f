//go:build unix

package replicatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nba-mlops/nba-mlops/internal/model"
	"github.com/nba-mlops/nba-mlops/internal/model/modeltest"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/store/storetest"
)

// TestReplicas runs 3 apid and 2 predictd on one PostgreSQL schema and one
// models directory, behind one address, and drives POST /predict from a few
// clients while it promotes a model, kills replicas and restarts every apid.
func TestReplicas(t *testing.T) {
	dsn := storetest.PostgresDSN(t) // skips without TEST_DATABASE_URL, fails under NBA_REQUIRE_INTEGRATION=1
	bin := buildBinaries(t)
	models := t.TempDir()
	promote(t, models, modeltest.Train(t, 1, 2000))
	challenger := modeltest.Train(t, 2, 2000) // promoted under load below

	var predictds []*replica
	var pdAddrs []string
	for i := range 2 {
		addr := freeAddr(t)
		r := newReplica(t, fmt.Sprint("predictd-", i), bin+"/predictd", addr, baseEnv(),
			"--addr", addr, "--models-dir", models)
		r.start(t)
		predictds, pdAddrs = append(predictds, r), append(pdAddrs, addr)
	}
	plb := newBalancer(pdAddrs...)
	predictURL := "http://" + serve(t, plb.handler())

	// One secret for every replica, so that a token issued by one is good on
	// all of them.
	secret := make([]byte, 32)
	rand.Read(secret)
	var apids []*replica
	var apiAddrs []string
	for i := range 3 {
		addr := freeAddr(t)
		r := newReplica(t, fmt.Sprint("apid-", i), bin+"/apid", addr, baseEnv(
			"HTTP_ADDR="+addr, "METRICS_ADDR="+freeAddr(t), "DATABASE_URL="+dsn, "PREDICT_URL="+predictURL,
			"JWT_SECRET="+hex.EncodeToString(secret), "BCRYPT_COST=4", "NBA_DATA_DIR="+t.TempDir()))
		r.start(t)
		apids, apiAddrs = append(apids, r), append(apiAddrs, addr)
	}
	flb := newBalancer(apiAddrs...)
	front := "http://" + serve(t, flb.handler())
	tokens := signUp(t, front, clients())

	t.Run("promotion reaches every predictd", func(t *testing.T) {
		l := startLoad(front, tokens)
		time.Sleep(500 * time.Millisecond)
		promote(t, models, challenger)
		promoted := time.Now()
		want := challenger.Version()
		took := make([]time.Duration, len(predictds))
		var wg sync.WaitGroup
		for i, r := range predictds {
			wg.Go(func() { took[i] = waitVersion(r.addr, want, promoted, 10*time.Second) })
		}
		wg.Wait()
		converged := time.Now()
		time.Sleep(500 * time.Millisecond)
		res := l.finish()
		t.Logf("promotion of %s under load: seen by predictd-0 after %v, predictd-1 after %v; %s", want, took[0], took[1], res)
		for i, d := range took {
			if d < 0 || d > 2*time.Second {
				t.Errorf("predictd-%d served %s after %v (negative: not within 10 s); want within 2 s", i, want, d)
			}
		}
		res.wantOnly(t, http.StatusOK)
		stale := 0
		for _, o := range res.all {
			if o.status == http.StatusOK && o.start.After(converged) && o.version != want {
				stale++
			}
		}
		if stale > 0 {
			t.Errorf("%d answers to requests sent after every predictd served %s came from another model", stale, want)
		}
		checkStored(t, dsn, res)
	})

	t.Run("killing an apid and a predictd loses no answer", func(t *testing.T) {
		r0, p0 := flb.retried.Load(), plb.retried.Load()
		f0, q0 := flb.failed503.Load(), plb.failed503.Load()
		l := startLoad(front, tokens)
		time.Sleep(time.Second)
		apids[0].kill(syscall.SIGKILL)
		predictds[0].kill(syscall.SIGKILL)
		killed := time.Now()
		time.Sleep(2 * time.Second)
		restarted := time.Now()
		predictds[0].start(t)
		apids[0].start(t)
		time.Sleep(time.Second)
		res := l.finish()
		t.Logf("SIGKILL of apid-0 and predictd-0 under load, restarted after 2 s: %s; connections retried on another replica: %d to apid, %d to predictd; "+
			"requests cut off in flight (503): %d on the killed apid, %d on the killed predictd",
			res, flb.retried.Load()-r0, plb.retried.Load()-p0, flb.failed503.Load()-f0, plb.failed503.Load()-q0)
		res.wantOnly(t, http.StatusOK, http.StatusServiceUnavailable)
		served := 0
		for _, o := range res.all {
			if o.status == http.StatusOK && o.start.After(killed) && o.start.Before(restarted) {
				served++
			}
		}
		if served == 0 {
			t.Error("no request was answered while the killed replicas were down")
		}
		checkStored(t, dsn, res)
	})

	t.Run("rolling restart of every apid fails no request", func(t *testing.T) {
		l := startLoad(front, tokens)
		time.Sleep(500 * time.Millisecond)
		var drains []time.Duration
		for _, a := range apids {
			// What a Kubernetes endpoint removal and preStop wait do: no
			// new request goes to the replica, and the ones it has finish,
			// before it gets SIGTERM.
			start := time.Now()
			be := flb.remove(a.addr)
			if err := flb.drain(be, 15*time.Second); err != nil {
				t.Fatal(err)
			}
			a.kill(syscall.SIGTERM)
			if err := a.wait(30 * time.Second); err != nil {
				t.Fatalf("%s after SIGTERM: %v\n%s", a.name, err, a.tail())
			}
			a.start(t)
			flb.add(a.addr)
			drains = append(drains, time.Since(start))
			time.Sleep(300 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		res := l.finish()
		t.Logf("rolling restart of 3 apid under load (remove, drain, SIGTERM, start, ready, add: %v): %s", drains, res)
		res.wantOnly(t, http.StatusOK)
		checkStored(t, dsn, res)
	})
}

// clients is the number of load clients: a few per core, bounded.
func clients() int { return min(8, max(2, 2*runtime.GOMAXPROCS(0))) }

// promote makes m the champion of dir under the registry's lock, as train
// does.
func promote(t *testing.T, dir string, m *model.Model) {
	t.Helper()
	reg := model.NewRegistry(dir)
	l, err := reg.Lock(t.Context(), "replicatest", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if _, err := reg.Promote(m, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// signUp creates n users through the front address and returns a token for
// each.
func signUp(t *testing.T, front string, n int) []string {
	t.Helper()
	tokens := make([]string, n)
	for i := range tokens {
		user, pw := fmt.Sprintf("replica-user-%d", i), rand.Text()
		body := fmt.Sprintf(`{"username":%q,"password":%q,"disabled":false}`, user, pw)
		resp, err := http.Post(front+"/signup", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("signup %s: %s %s", user, resp.Status, b)
		}
		resp, err = http.PostForm(front+"/token", url.Values{"username": {user}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		err = json.NewDecoder(resp.Body).Decode(&tok)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || tok.AccessToken == "" {
			t.Fatalf("token for %s: %s, %v", user, resp.Status, err)
		}
		tokens[i] = tok.AccessToken
	}
	return tokens
}

// waitVersion polls POST /predict on one predictd until it answers with
// model version want, and returns how long after since that was; -1 when
// it did not within timeout.
func waitVersion(addr, want string, since time.Time, timeout time.Duration) time.Duration {
	c := &http.Client{Timeout: 2 * time.Second}
	for time.Since(since) < timeout {
		resp, err := c.Post("http://"+addr+predict.PathPredict, "application/json", strings.NewReader(predict.ExampleBody))
		if err == nil {
			var p predict.Prediction
			json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if p.ModelVersion == want {
				return time.Since(since)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return -1
}

// outcome is one client request through the front address.
type outcome struct {
	start   time.Time
	status  int // 0: no HTTP answer
	id      int64
	version string
	err     string
}

// load is a few clients sending POST /predict in a loop until finish.
type load struct {
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	all  []outcome
}

// maxPerClient bounds each client's requests, whatever the phase's length.
const maxPerClient = 50000

func startLoad(front string, tokens []string) *load {
	l := &load{stop: make(chan struct{})}
	for _, tok := range tokens {
		l.wg.Go(func() {
			c := &http.Client{Timeout: 30 * time.Second}
			var mine []outcome
			defer func() {
				l.mu.Lock()
				l.all = append(l.all, mine...)
				l.mu.Unlock()
			}()
			for range maxPerClient {
				select {
				case <-l.stop:
					return
				default:
				}
				mine = append(mine, send(c, front, tok))
			}
		})
	}
	return l
}

func send(c *http.Client, front, token string) outcome {
	o := outcome{start: time.Now()}
	req, _ := http.NewRequest(http.MethodPost, front+"/predict", strings.NewReader(predict.ExampleBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		o.err = err.Error()
		return o
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	o.status = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		o.err = strings.TrimSpace(string(b))
		return o
	}
	var p struct {
		PredictionID int64  `json:"prediction_id"`
		ModelVersion string `json:"model_version"`
	}
	if err := json.Unmarshal(b, &p); err != nil || p.PredictionID <= 0 {
		o.status, o.err = -1, fmt.Sprintf("200 without a prediction_id: %.200s", b)
	}
	o.id, o.version = p.PredictionID, p.ModelVersion
	return o
}

// results are a phase's outcomes.
type results struct {
	all    []outcome
	status map[int]int
	took   time.Duration
}

func (l *load) finish() *results {
	close(l.stop)
	l.wg.Wait()
	r := &results{all: l.all, status: map[int]int{}}
	if len(r.all) > 0 {
		first, last := r.all[0].start, r.all[0].start
		for _, o := range r.all {
			r.status[o.status]++
			first, last = minTime(first, o.start), maxTime(last, o.start)
		}
		r.took = last.Sub(first)
	}
	return r
}

func (r *results) String() string {
	codes := make([]int, 0, len(r.status))
	for c := range r.status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests in %.1f s from %d clients (", len(r.all), r.took.Seconds(), clients())
	for i, c := range codes {
		if i > 0 {
			b.WriteString(", ")
		}
		name := fmt.Sprint(c)
		if c == 0 {
			name = "no answer"
		}
		fmt.Fprintf(&b, "%s: %d", name, r.status[c])
	}
	b.WriteString(")")
	return b.String()
}

// wantOnly fails the test when any request ended with a status not in ok,
// showing the first few.
func (r *results) wantOnly(t *testing.T, ok ...int) {
	t.Helper()
	if len(r.all) == 0 {
		t.Fatal("the load sent no request")
	}
	bad := 0
	for _, o := range r.all {
		if !slices.Contains(ok, o.status) {
			if bad < 5 {
				t.Errorf("request at %s: status %d: %.300s", o.start.Format("15:04:05.000"), o.status, o.err)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d requests ended otherwise than %v", bad, len(r.all), ok)
	}
}

// checkStored checks that every answered prediction is a stored row: the
// ids of the 200s are distinct and all in the predictions table.
func checkStored(t *testing.T, dsn string, r *results) {
	t.Helper()
	var ids []int64
	for _, o := range r.all {
		if o.status == http.StatusOK {
			ids = append(ids, o.id)
		}
	}
	slices.Sort(ids)
	if n := len(slices.Compact(slices.Clone(ids))); n != len(ids) {
		t.Errorf("%d answered predictions share %d ids", len(ids), n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var stored, total int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM predictions WHERE id = ANY($1)`, ids).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM predictions`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	t.Logf("answered predictions stored: %d of %d (table: %d rows in all phases)", stored, len(ids), total)
	if stored != int64(len(ids)) {
		t.Errorf("%d answered predictions are not stored rows", int64(len(ids))-stored)
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
