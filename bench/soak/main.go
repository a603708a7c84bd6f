// Command soak runs apid and predictd for a while (10 minutes by default)
// under mixed traffic with a fault every minute, and ends with a report:
// requests and statuses by kind, answered predictions against stored rows,
// and apid's and predictd's heap and goroutines at the start and the end.
// It is `make soak`; it is not part of CI.
//
// Everything runs on 127.0.0.1: the binaries built by make build, a model
// trained by scripts/pipeline.sh on synthetic shots, and PostgreSQL: a
// throwaway cluster of its own when run as root with PostgreSQL 15
// installed (so that it can restart it), else TEST_DATABASE_URL (no
// restart fault), else SQLite.
//
// Faults, in turn, one a minute: predictd killed (SIGKILL) and started
// again; PostgreSQL restarted (fast shutdown); predictd hung (SIGSTOP for
// 15 s, then SIGCONT). apid itself runs throughout, so that its heap and
// goroutines at the end compare with the start; --apid-faults adds apid
// killed and restarted to the turn (its figures then start over).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

type options struct {
	bin        string
	duration   time.Duration
	faultEvery time.Duration
	rate       int
	workers    int
	apidFaults bool
	keep       bool
}

func run() error {
	var o options
	flag.StringVar(&o.bin, "bin", "bin", "directory of the built binaries (make build)")
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "how long to send traffic")
	flag.DurationVar(&o.faultEvery, "fault-every", time.Minute, "time between faults")
	flag.IntVar(&o.rate, "rate", 100, "requests a second, all kinds together (the machine is shared: keep it modest)")
	flag.IntVar(&o.workers, "workers", 4*runtime.GOMAXPROCS(0), "concurrent clients")
	flag.BoolVar(&o.apidFaults, "apid-faults", false, "also kill and restart apid (its heap figures then start over)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	work, err := os.MkdirTemp("", "nba-soak-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(work)
	}
	os.Chmod(work, 0o755) // a throwaway PostgreSQL (user postgres) needs to reach its subdirectory
	logf("work directory %s", work)

	logf("training a model on 20,000 synthetic shots (scripts/pipeline.sh)")
	data, models := filepath.Join(work, "data"), filepath.Join(work, "models")
	pipe := exec.CommandContext(ctx, "scripts/pipeline.sh", o.bin, data, models, "42", "20000", "")
	pipe.Env = append(os.Environ(), "LOG_TO_MLFLOW=false")
	if out, err := pipe.CombinedOutput(); err != nil {
		return fmt.Errorf("pipeline: %v\n%s", err, tail(out))
	}

	db, err := openDatabase(ctx, work)
	if err != nil {
		return err
	}
	defer db.close()
	logf("database: %s", db.kind)

	pdAddr, apiAddr, metricsAddr := freeAddr(), freeAddr(), freeAddr()
	pd := &daemon{name: "predictd", path: filepath.Join(o.bin, "predictd"), log: filepath.Join(work, "predictd.log"),
		args: []string{"--addr", pdAddr, "--models-dir", models}}
	env := []string{"JWT_SECRET=" + randomHex(32), "PREDICT_URL=http://" + pdAddr, "BCRYPT_COST=8",
		// Every client here is 127.0.0.1: the per-address login limit
		// would be the soak's bottleneck, not a finding.
		"LOGIN_RATE_ADDR=1000000", "LOG_LEVEL=warn"}
	if db.url != "" {
		env = append(env, "DATABASE_URL="+db.url)
	}
	api := &daemon{name: "apid", path: filepath.Join(o.bin, "apid"), log: filepath.Join(work, "apid.log"), env: env,
		args: []string{"--addr", apiAddr, "--metrics-addr", metricsAddr, "--data-dir", data}}
	for _, d := range []*daemon{pd, api} {
		if err := d.start(); err != nil {
			return err
		}
		defer d.kill()
	}
	if err := waitOK(ctx, "http://"+pdAddr+"/readyz", 30*time.Second); err != nil {
		return err
	}
	if err := waitOK(ctx, "http://"+apiAddr+"/readyz", 60*time.Second); err != nil {
		return err
	}

	t := newTraffic("http://"+apiAddr, o.workers)
	if err := t.setup(ctx); err != nil {
		return err
	}
	// Warm up for 10 s, so that "start" figures are those of a serving
	// process, not of an idle one.
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	t.run(wctx, o.rate)
	wcancel()
	t.reset()
	start := snapshot{apid: scrape("http://" + metricsAddr + "/metrics"), predictd: scrape("http://" + pdAddr + "/metrics")}

	logf("soak: %s of traffic at %d req/s, a fault every %s", o.duration, o.rate, o.faultEvery)
	tctx, tcancel := context.WithTimeout(ctx, o.duration)
	defer tcancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); t.run(tctx, o.rate) }()
	faults := []fault{
		{"predictd killed (SIGKILL) and restarted", func() error { return restart(pd, syscall.SIGKILL, 2*time.Second) }},
		{"PostgreSQL restarted", db.restart},
		{"predictd hung (SIGSTOP 15 s)", func() error { return hang(tctx, pd, 15*time.Second) }},
	}
	if o.apidFaults {
		faults = append(faults, fault{"apid killed (SIGKILL) and restarted", func() error { return restart(api, syscall.SIGKILL, time.Second) }})
	}
	var done []string
	tick := time.NewTicker(o.faultEvery)
	for i := 0; ; i++ {
		select {
		case <-tctx.Done():
		case <-tick.C:
			f := faults[i%len(faults)]
			if db.restart == nil && f.name == "PostgreSQL restarted" {
				f = faults[0]
			}
			at := time.Since(t.began).Round(time.Second)
			if err := f.do(); err != nil {
				logf("fault %q: %v", f.name, err)
				done = append(done, fmt.Sprintf("%s %s: failed: %v", at, f.name, err))
			} else {
				logf("fault at %s: %s", at, f.name)
				done = append(done, fmt.Sprintf("%s %s", at, f.name))
			}
			continue
		}
		break
	}
	tick.Stop()
	wg.Wait()
	// The last fault may have left predictd down or the database
	// restarting: give them time before the final figures.
	_ = waitOK(ctx, "http://"+apiAddr+"/readyz", 30*time.Second)
	end := snapshot{apid: scrape("http://" + metricsAddr + "/metrics"), predictd: scrape("http://" + pdAddr + "/metrics")}

	stored, missing, err := db.countStored(ctx, t.answered())
	if err != nil {
		return err
	}
	r := report{
		Database: db.kind, Duration: o.duration.String(), Rate: o.rate, Workers: o.workers,
		Faults: done, Requests: t.total(), ByKind: t.byKind(),
		Answered: len(t.answered()), Stored: stored, Missing: missing,
		Start: start, End: end,
	}
	r.print(os.Stdout)
	if missing > 0 {
		return fmt.Errorf("%d answered predictions are not stored", missing)
	}
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s soak: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitOK(ctx context.Context, u string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not OK within %s (last: %v)", u, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// daemon is a binary run in the background, restartable.
type daemon struct {
	name, path, log string
	args, env       []string
	mu              sync.Mutex
	cmd             *exec.Cmd
	done            chan struct{}
}

func (d *daemon) start() error {
	f, err := os.OpenFile(d.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(d.path, d.args...)
	cmd.Env = append(os.Environ(), d.env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", d.name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(done) }()
	d.mu.Lock()
	d.cmd, d.done = cmd, done
	d.mu.Unlock()
	return nil
}

func (d *daemon) signal(sig syscall.Signal) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cmd.Process.Signal(sig)
}

// stop sends sig and waits for the process to end (SIGKILL after 15 s).
func (d *daemon) stop(sig syscall.Signal) {
	d.mu.Lock()
	cmd, done := d.cmd, d.done
	d.mu.Unlock()
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func (d *daemon) kill() { d.stop(syscall.SIGKILL) }

// restart stops d with sig and starts it again after down.
func restart(d *daemon, sig syscall.Signal, down time.Duration) error {
	d.stop(sig)
	time.Sleep(down)
	return d.start()
}

// hang stops d (SIGSTOP) for a while: it keeps its connections but answers
// nothing, as a process stuck on a lock or swapping would.
func hang(ctx context.Context, d *daemon, dur time.Duration) error {
	if err := d.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-time.After(dur):
	}
	return d.signal(syscall.SIGCONT)
}

type fault struct {
	name string
	do   func() error
}

// database is where apid stores: its own PostgreSQL cluster, a throwaway
// schema of TEST_DATABASE_URL, or SQLite.
type database struct {
	kind    string
	url     string // "" for SQLite
	sqlite  string
	restart func() error // nil when the soak cannot restart it
	close   func()
}

func openDatabase(ctx context.Context, work string) (*database, error) {
	pgbin := "/usr/lib/postgresql/15/bin"
	if os.Geteuid() == 0 {
		if _, err := os.Stat(filepath.Join(pgbin, "initdb")); err == nil {
			return ownCluster(ctx, work, pgbin)
		}
	}
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return schemaOf(ctx, u)
	}
	return &database{kind: "sqlite", sqlite: filepath.Join(work, "data", "apid.db"), close: func() {}}, nil
}

// ownCluster starts a throwaway PostgreSQL 15 cluster (initdb as user
// postgres, fsync off) on a free loopback port.
func ownCluster(ctx context.Context, work, pgbin string) (*database, error) {
	dir := filepath.Join(work, "pg")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	pw := randomHex(12)
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte(pw+"\n"), 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.Command("chown", "-R", "postgres:postgres", dir).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("chown %s: %v %s", dir, err, out)
	}
	asPostgres := func(args ...string) error {
		out, err := exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--"}, args...)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, tail(out))
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := asPostgres(filepath.Join(pgbin, "initdb"), "-D", data, "-U", "postgres", "--auth-local=trust",
		"--auth-host=scram-sha-256", "--pwfile="+filepath.Join(dir, "pw"), "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(freeAddr())
	pgctl := func(args ...string) error {
		return asPostgres(append([]string{filepath.Join(pgbin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-w"}, args...)...)
	}
	opts := "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
	if err := pgctl("-o", opts, "start"); err != nil {
		return nil, err
	}
	return &database{
		kind:    "postgres (own throwaway cluster, port " + port + ")",
		url:     fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%s/postgres?sslmode=disable", pw, port),
		restart: func() error { return pgctl("-m", "fast", "-o", opts, "restart") },
		close:   func() { _ = pgctl("-m", "immediate", "stop") },
	}, nil
}

// schemaOf gives the soak a throwaway schema in the database of dsn.
func schemaOf(ctx context.Context, dsn string) (*database, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	schema := "soak_" + randomHex(6)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return nil, err
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return &database{kind: "postgres (schema " + schema + " of TEST_DATABASE_URL; no restart fault)", url: u.String(),
		close: func() {
			c, err := pgx.Connect(context.Background(), dsn)
			if err == nil {
				_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
				c.Close(context.Background())
			}
		}}, nil
}

// countStored returns how many of ids are rows of predictions, and how many
// are not.
func (db *database) countStored(ctx context.Context, ids []int64) (stored, missing int, err error) {
	if db.url == "" {
		// SQLite: read with the sqlite3 CLI if present; else unknown.
		return -1, 0, nil
	}
	var conn *pgx.Conn
	for range 30 { // the last fault may have been a restart
		if conn, err = pgx.Connect(ctx, db.url); err == nil {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM predictions WHERE id = ANY($1)`, ids).Scan(&n); err != nil {
		return 0, 0, err
	}
	return n, len(ids) - n, nil
}

// traffic is the clients: predictions of both kinds, verifications,
// signups and logins, and bad requests.
type traffic struct {
	base    string
	workers int
	client  *http.Client
	began   time.Time

	mu       sync.Mutex
	tokens   []string
	counts   map[string]map[string]int // kind -> status (or "error") -> n
	ids      []int64
	sequence int
}

func newTraffic(base string, workers int) *traffic {
	return &traffic{base: base, workers: workers, counts: map[string]map[string]int{},
		client: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}}
}

func (t *traffic) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.counts, t.ids, t.began = map[string]map[string]int{}, nil, time.Now()
}

const shotBody = `{"player_id": 2544, "player_name": "Soak Player", "team_name": "Los Angeles Lakers",
 "home_team": "LAL", "away_team": "BOS", "period": %d, "minutes_remaining": 10, "seconds_remaining": 30,
 "action_type": "Jump Shot", "x_location": %d, "y_location": %d, "game_date": 20191105,
 "season_type": "Regular Season"}`

const predictBody = `{"Period": 1, "Minutes_Remaining": 10, "Seconds_Remaining": 30, "Shot_Distance": %d, "X_Location": 5,
 "Y_Location": 10, "Action_Type_Frequency": 0.2, "Team_Name_Frequency": 0.5, "Home_Team_Frequency": 0.4,
 "Away_Team_Frequency": 0.6, "ShotType_2PT_Field_Goal": 1, "ShotType_3PT_Field_Goal": 0,
 "ShotZoneBasic_Above_the_Break_3": 0, "ShotZoneBasic_Backcourt": 0, "ShotZoneBasic_In_The_Paint_Non_RA": 0,
 "ShotZoneBasic_Left_Corner_3": 0, "ShotZoneBasic_Mid_Range": 1, "ShotZoneBasic_Restricted_Area": 0,
 "ShotZoneBasic_Right_Corner_3": 0, "ShotZoneArea_Back_Court_BC": 0, "ShotZoneArea_Center_C": 1,
 "ShotZoneArea_Left_Side_Center_LC": 0, "ShotZoneArea_Left_Side_L": 0, "ShotZoneArea_Right_Side_Center_RC": 0,
 "ShotZoneArea_Right_Side_R": 0, "ShotZoneRange_16_24_ft": 1, "ShotZoneRange_24_ft": 0,
 "ShotZoneRange_8_16_ft": 0, "ShotZoneRange_Back_Court_Shot": 0, "ShotZoneRange_Less_Than_8_ft": 0,
 "SeasonType_Playoffs": 0, "SeasonType_Regular_Season": 1, "Game_ID_Frequency": 0.8,
 "Game_Event_ID_Frequency": 0.7, "Player_ID_Frequency": 0.9, "Year": 2020, "Month": 1, "Day": 15,
 "Day_of_Week": 2}`

func (t *traffic) do(ctx context.Context, kind, method, path, token, contentType, body string) (int, []byte) {
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	status, b := "error", []byte(nil)
	code := 0
	resp, err := t.client.Do(req)
	if err == nil {
		b, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		code, status = resp.StatusCode, strconv.Itoa(resp.StatusCode)
	}
	if ctx.Err() != nil && code == 0 {
		return 0, nil // the soak ended mid-request: not a finding
	}
	t.mu.Lock()
	if t.counts[kind] == nil {
		t.counts[kind] = map[string]int{}
	}
	t.counts[kind][status]++
	t.mu.Unlock()
	return code, b
}

// signup creates a user and logs it in; the token joins the pool.
func (t *traffic) signup(ctx context.Context) {
	t.mu.Lock()
	t.sequence++
	name := fmt.Sprintf("soak%d_%s", t.sequence, randomHex(3))
	t.mu.Unlock()
	pw := "pw-" + randomHex(8)
	if code, _ := t.do(ctx, "signup", "POST", "/signup", "", "application/json",
		fmt.Sprintf(`{"username": %q, "password": %q, "disabled": false}`, name, pw)); code != 200 {
		return
	}
	code, b := t.do(ctx, "login", "POST", "/token", "", "application/x-www-form-urlencoded",
		url.Values{"username": {name}, "password": {pw}}.Encode())
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code == 200 && json.Unmarshal(b, &tok) == nil && tok.AccessToken != "" {
		t.mu.Lock()
		t.tokens = append(t.tokens, tok.AccessToken)
		if len(t.tokens) > 200 {
			t.tokens = t.tokens[1:]
		}
		t.mu.Unlock()
	}
}

func (t *traffic) setup(ctx context.Context) error {
	for range 5 {
		t.signup(ctx)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.tokens) == 0 {
		return errors.New("no user could sign up and log in")
	}
	return nil
}

func (t *traffic) token(r *mrand.Rand) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tokens[r.IntN(len(t.tokens))]
}

// one sends one request (or a signup and login) of a kind drawn at random.
func (t *traffic) one(ctx context.Context, r *mrand.Rand) {
	switch p := r.IntN(100); {
	case p < 35:
		code, b := t.do(ctx, "predict", "POST", "/predict", t.token(r), "application/json", fmt.Sprintf(predictBody, 5+r.IntN(25)))
		t.keep(code, b)
	case p < 60:
		code, b := t.do(ctx, "predict/shot", "POST", "/predict/shot", t.token(r), "application/json",
			fmt.Sprintf(shotBody, 1+r.IntN(4), -200+r.IntN(400), r.IntN(250)))
		t.keep(code, b)
	case p < 75:
		tok := t.token(r)
		code, b := t.do(ctx, "verify", "GET", "/verify_random_prediction", tok, "", "")
		var v struct {
			ID  int64 `json:"prediction_id"`
			Out *int  `json:"model_prediction"`
		}
		if code == 200 && json.Unmarshal(b, &v) == nil && v.ID > 0 && v.Out != nil {
			t.do(ctx, "verify", "POST", "/verify_random_prediction", tok, "application/json",
				fmt.Sprintf(`{"prediction_id": %d, "true_value": %d}`, v.ID, r.IntN(2)))
		}
	case p < 77:
		t.signup(ctx)
	default:
		bad := []func(){
			func() { t.do(ctx, "bad", "POST", "/predict", t.token(r), "application/json", `{"Period": "first"}`) },
			func() { t.do(ctx, "bad", "POST", "/predict", "not-a-token", "application/json", `{}`) },
			func() {
				t.do(ctx, "bad", "POST", "/predict/shot", t.token(r), "application/json", `{"x_location": 9999`)
			},
			func() { t.do(ctx, "bad", "GET", "/no/such/route/"+randomHex(4), "", "", "") },
			func() { t.do(ctx, "bad", "SOAK"+randomHex(8), "/", "", "", "") },
			func() {
				t.do(ctx, "bad", "POST", "/token", "", "application/x-www-form-urlencoded", "username=soak1_nobody&password=wrong-"+randomHex(2))
			},
			func() {
				t.do(ctx, "bad", "POST", "/token", "", "application/x-www-form-urlencoded", "username="+strings.Repeat("n", 5000)+"&password=x")
			},
			func() {
				t.do(ctx, "bad", "POST", "/verify_random_prediction", t.token(r), "application/json", `{"prediction_id": 999999999, "true_value": 1}`)
			},
		}
		bad[r.IntN(len(bad))]()
	}
}

func (t *traffic) keep(code int, b []byte) {
	if code != 200 {
		return
	}
	var p struct {
		ID int64 `json:"prediction_id"`
	}
	if json.Unmarshal(b, &p) == nil && p.ID > 0 {
		t.mu.Lock()
		t.ids = append(t.ids, p.ID)
		t.mu.Unlock()
	}
}

// run sends traffic at about rate requests a second until ctx ends.
func (t *traffic) run(ctx context.Context, rate int) {
	tickets := make(chan struct{}, t.workers)
	var wg sync.WaitGroup
	for w := range t.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := mrand.New(mrand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for range tickets {
				t.one(ctx, r)
			}
		}()
	}
	every := time.Second / time.Duration(max(rate, 1))
	tick := time.NewTicker(every)
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			select {
			case tickets <- struct{}{}:
			default: // every worker busy: the server is slow; drop the tick
			}
		}
	}
	tick.Stop()
	close(tickets)
	wg.Wait()
}

func (t *traffic) answered() []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.ids)
}

func (t *traffic) byKind() map[string]map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]map[string]int{}
	for k, m := range t.counts {
		out[k] = map[string]int{}
		for s, n := range m {
			out[k][s] = n
		}
	}
	return out
}

func (t *traffic) total() int {
	n := 0
	for _, m := range t.byKind() {
		for _, c := range m {
			n += c
		}
	}
	return n
}

// figures are a process's heap and goroutines from its /metrics.
type figures struct {
	HeapInuseMB float64 `json:"heap_inuse_mb"`
	HeapAllocMB float64 `json:"heap_alloc_mb"`
	RSSMB       float64 `json:"rss_mb"`
	Goroutines  float64 `json:"goroutines"`
}

type snapshot struct {
	apid, predictd figures
}

func scrape(u string) figures {
	resp, err := http.Get(u)
	if err != nil {
		return figures{HeapInuseMB: math.NaN()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	get := func(name string) float64 {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return f
			}
		}
		return math.NaN()
	}
	return figures{
		HeapInuseMB: get("go_memstats_heap_inuse_bytes") / 1e6,
		HeapAllocMB: get("go_memstats_heap_alloc_bytes") / 1e6,
		RSSMB:       get("process_resident_memory_bytes") / 1e6,
		Goroutines:  get("go_goroutines"),
	}
}

type report struct {
	Database string                    `json:"database"`
	Duration string                    `json:"duration"`
	Rate     int                       `json:"rate"`
	Workers  int                       `json:"workers"`
	Faults   []string                  `json:"faults"`
	Requests int                       `json:"requests"`
	ByKind   map[string]map[string]int `json:"by_kind"`
	Answered int                       `json:"answered_predictions"`
	Stored   int                       `json:"stored_rows"`
	Missing  int                       `json:"missing_rows"`
	Start    snapshot                  `json:"-"`
	End      snapshot                  `json:"-"`
}

func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "\nsoak report: %s on %s, %d req/s target, %d clients\n", r.Duration, r.Database, r.Rate, r.Workers)
	fmt.Fprintln(w, "faults:")
	for _, f := range r.Faults {
		fmt.Fprintln(w, "  "+f)
	}
	fmt.Fprintf(w, "requests: %d\n", r.Requests)
	kinds := make([]string, 0, len(r.ByKind))
	for k := range r.ByKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		var parts []string
		statuses := make([]string, 0, len(r.ByKind[k]))
		for s := range r.ByKind[k] {
			statuses = append(statuses, s)
		}
		slices.Sort(statuses)
		for _, s := range statuses {
			parts = append(parts, fmt.Sprintf("%s: %d", s, r.ByKind[k][s]))
		}
		fmt.Fprintf(w, "  %-13s %s\n", k, strings.Join(parts, ", "))
	}
	stored := strconv.Itoa(r.Stored)
	if r.Stored < 0 {
		stored = "not checked (SQLite)"
	}
	fmt.Fprintf(w, "answered predictions (200): %d, stored rows among them: %s, missing: %d\n", r.Answered, stored, r.Missing)
	fmt.Fprintln(w, "process      heap in use MB (start → end)   heap alloc MB        RSS MB               goroutines")
	for _, p := range []struct {
		name       string
		start, end figures
	}{{"apid", r.Start.apid, r.End.apid}, {"predictd", r.Start.predictd, r.End.predictd}} {
		fmt.Fprintf(w, "%-12s %6.1f → %-6.1f                   %6.1f → %-6.1f      %6.1f → %-6.1f      %4.0f → %.0f\n", p.name,
			p.start.HeapInuseMB, p.end.HeapInuseMB, p.start.HeapAllocMB, p.end.HeapAllocMB,
			p.start.RSSMB, p.end.RSSMB, p.start.Goroutines, p.end.Goroutines)
	}
	fmt.Fprintln(w, "(predictd restarts at every predictd fault: its figures are those of its last process)")
	b, _ := json.MarshalIndent(r, "", "  ")
	fmt.Fprintf(w, "\n%s\n", b)
}
