//go:build linux

package deploytest

// Helpers of the live monitoring check (livecheck_test.go): child processes
// in their own process groups, the test copies of the repository's
// Prometheus, rule and Alertmanager files rewritten for loopback ports, a
// small Prometheus HTTP API client and a webhook receiver for Alertmanager.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v4"
)

// freePorts returns n distinct free loopback ports. All listeners are held
// until every port is chosen, so the n ports differ; another process may
// still take one before its daemon binds it, which the daemon's start check
// then reports.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// daemon is a child process started by the test in its own process group,
// so that stopping it also stops anything it started.
type daemon struct {
	name    string
	bin     string
	args    []string
	env     []string
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	err  error         // cmd's exit status, valid once done is closed
}

// startDaemon starts bin with args and env (nil env: a minimal one with
// PATH), logging stdout and stderr to dir/name.log, and stops it when the
// test ends.
func startDaemon(tb testing.TB, dir, name, bin string, env []string, args ...string) *daemon {
	tb.Helper()
	if env == nil {
		env = []string{"PATH=" + os.Getenv("PATH")}
	}
	d := &daemon{name: name, bin: bin, args: args, env: env, logPath: filepath.Join(dir, name+".log")}
	if err := d.start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if err := d.stop(); err != nil {
			tb.Logf("stop %s: %v", name, err)
		}
	})
	return d
}

// start runs the process (again, after stop); its log file is appended to.
func (d *daemon) start() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done != nil {
		select {
		case <-d.done:
		default:
			return fmt.Errorf("%s is already running", d.name)
		}
	}
	logf, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(d.bin, d.args...)
	cmd.Env = d.env
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group: stop signals the whole group. Pdeathsig: the
	// child dies with the test binary even when cleanups cannot run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	d.cmd, d.done = cmd, done
	go func() {
		err := cmd.Wait()
		logf.Close()
		d.mu.Lock()
		d.err = err
		d.mu.Unlock()
		close(done)
	}()
	return nil
}

// exited reports whether the process has ended, and how.
func (d *daemon) exited() (bool, error) {
	d.mu.Lock()
	done := d.done
	d.mu.Unlock()
	select {
	case <-done:
		d.mu.Lock()
		defer d.mu.Unlock()
		return true, d.err
	default:
		return false, nil
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after 10 s, and
// waits for the process to end. Stopping a stopped daemon does nothing.
func (d *daemon) stop() error {
	d.mu.Lock()
	cmd, done := d.cmd, d.done
	d.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	default:
	}
	pgid := cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	<-done
	return fmt.Errorf("%s ignored SIGTERM for 10 s and was killed", d.name)
}

// logTail returns the end of the daemon's log, for failure messages.
func (d *daemon) logTail() string {
	b, err := os.ReadFile(d.logPath)
	if err != nil {
		return err.Error()
	}
	const maxLog = 3000
	if len(b) > maxLog {
		b = b[len(b)-maxLog:]
	}
	return string(b)
}

// waitReady polls url until it answers 200, failing the test with the
// daemon's log when the daemon exits or timeout passes.
func waitReady(tb testing.TB, d *daemon, url string, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if ok, err := d.exited(); ok {
			tb.Fatalf("%s exited (%v) before %s answered 200; log:\n%s", d.name, err, url, d.logTail())
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: %s not ready within %s (last: %s); log:\n%s", d.name, url, timeout, last, d.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rewritePrometheusConfig returns prometheus.yml rewritten for the test: every
// scrape job's targets replaced by the loopback address targets gives for
// its job name, the Alertmanager target replaced by amAddr, scrape and
// evaluation every second. Everything else (rule files, external labels,
// metrics paths) is kept. A job the test has no address for, or an address
// for a job the file does not scrape, is an error: the test must follow the
// file.
func rewritePrometheusConfig(src []byte, targets map[string]string, amAddr string) ([]byte, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		return nil, err
	}
	global, _ := cfg["global"].(map[string]any)
	if global == nil {
		global = map[string]any{}
	}
	global["scrape_interval"], global["evaluation_interval"], global["scrape_timeout"] = "1s", "1s", "1s"
	cfg["global"] = global

	alerting, _ := cfg["alerting"].(map[string]any)
	ams, _ := alerting["alertmanagers"].([]any)
	if len(ams) == 0 {
		return nil, errors.New("alerting.alertmanagers: none configured")
	}
	for i, am := range ams {
		m, _ := am.(map[string]any)
		if m == nil || m["static_configs"] == nil {
			return nil, fmt.Errorf("alerting.alertmanagers[%d]: only static_configs can be rewritten", i)
		}
		m["static_configs"] = []any{map[string]any{"targets": []any{amAddr}}}
	}

	jobs, _ := cfg["scrape_configs"].([]any)
	seen := map[string]bool{}
	for i, j := range jobs {
		m, _ := j.(map[string]any)
		name, _ := m["job_name"].(string)
		addr, ok := targets[name]
		if !ok {
			return nil, fmt.Errorf("scrape_configs[%d]: job %q has no address in the test", i, name)
		}
		seen[name] = true
		for k := range m {
			if strings.HasSuffix(k, "_sd_configs") {
				return nil, fmt.Errorf("job %s: %s cannot be rewritten to a loopback target", name, k)
			}
		}
		scs, _ := m["static_configs"].([]any)
		if len(scs) == 0 {
			return nil, fmt.Errorf("job %s: no static_configs", name)
		}
		for _, sc := range scs {
			scm, _ := sc.(map[string]any)
			if scm == nil {
				return nil, fmt.Errorf("job %s: static_configs entry is not a mapping", name)
			}
			scm["targets"] = []any{addr} // labels, if any, are kept
		}
	}
	for _, name := range sortedKeys(targets) {
		if !seen[name] {
			return nil, fmt.Errorf("prometheus.yml does not scrape job %q", name)
		}
	}
	return yaml.Marshal(cfg)
}

// rewriteRules returns a rule file with every `for:` longer than maxFor
// shortened to maxFor (and every group interval set to 1s), and the list of
// changes made. Expressions, labels and annotations are kept as they are.
func rewriteRules(src []byte, maxFor time.Duration) ([]byte, []string, error) {
	var rf map[string]any
	if err := yaml.Unmarshal(src, &rf); err != nil {
		return nil, nil, err
	}
	groups, _ := rf["groups"].([]any)
	if len(groups) == 0 {
		return nil, nil, errors.New("no rule groups")
	}
	var changes []string
	for _, g := range groups {
		gm, _ := g.(map[string]any)
		if _, ok := gm["interval"]; ok {
			changes = append(changes, fmt.Sprintf("group %v: interval %v -> 1s", gm["name"], gm["interval"]))
			gm["interval"] = "1s"
		}
		rules, _ := gm["rules"].([]any)
		for _, r := range rules {
			rm, _ := r.(map[string]any)
			f, ok := rm["for"].(string)
			if !ok {
				continue
			}
			d, err := model.ParseDuration(f) // Prometheus's syntax: 30s, 5m, 1d, ...
			if err != nil {
				return nil, nil, fmt.Errorf("rule %v: for %q: %v", rm["alert"], f, err)
			}
			if time.Duration(d) > maxFor {
				rm["for"] = maxFor.String()
				changes = append(changes, fmt.Sprintf("%v: for %s -> %s", rm["alert"], f, maxFor))
			}
		}
	}
	out, err := yaml.Marshal(rf)
	return out, changes, err
}

// rewriteAlertmanagerConfig returns alertmanager.yml with its routing tree and
// inhibit rules kept, and each receiver replaced by a webhook to
// webhookBase/<receiver name>. The global notifier settings (SMTP, Slack
// credential files) go, and the root route waits 1 s instead of minutes
// before notifying.
func rewriteAlertmanagerConfig(src []byte, webhookBase string) ([]byte, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		return nil, err
	}
	global := map[string]any{}
	if g, _ := cfg["global"].(map[string]any); g != nil && g["resolve_timeout"] != nil {
		global["resolve_timeout"] = g["resolve_timeout"]
	}
	cfg["global"] = global
	delete(cfg, "templates")

	route, _ := cfg["route"].(map[string]any)
	if route == nil {
		return nil, errors.New("no route")
	}
	var clearTimings func(routes []any)
	clearTimings = func(routes []any) {
		for _, r := range routes {
			rm, _ := r.(map[string]any)
			delete(rm, "group_wait")
			delete(rm, "group_interval")
			sub, _ := rm["routes"].([]any)
			clearTimings(sub)
		}
	}
	sub, _ := route["routes"].([]any)
	clearTimings(sub)
	route["group_wait"], route["group_interval"] = "1s", "1s"

	recs, _ := cfg["receivers"].([]any)
	if len(recs) == 0 {
		return nil, errors.New("no receivers")
	}
	for i, r := range recs {
		rm, _ := r.(map[string]any)
		name, _ := rm["name"].(string)
		if name == "" {
			return nil, fmt.Errorf("receivers[%d]: no name", i)
		}
		recs[i] = map[string]any{
			"name": name,
			"webhook_configs": []any{map[string]any{
				"url":           webhookBase + "/" + url.PathEscape(name),
				"send_resolved": true,
			}},
		}
	}
	return yaml.Marshal(cfg)
}

// amNotification is the body Alertmanager posts to a webhook receiver.
type amNotification struct {
	Receiver string    `json:"receiver"`
	Status   string    `json:"status"`
	Alerts   []amAlert `json:"alerts"`
}

type amAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
}

// alertSink records what Alertmanager posts; the receiver name is the
// request path.
type alertSink struct {
	mu    sync.Mutex
	notes []amNotification
	bad   []string
}

func (s *alertSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var n amNotification
	err := json.NewDecoder(r.Body).Decode(&n)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil:
		s.bad = append(s.bad, fmt.Sprintf("%s: %v", r.URL.Path, err))
	case "/"+url.PathEscape(n.Receiver) != r.URL.Path:
		s.bad = append(s.bad, fmt.Sprintf("receiver %q posted to %s", n.Receiver, r.URL.Path))
	default:
		s.notes = append(s.notes, n)
	}
}

// find returns the first alert, of a notification to receiver, for which
// match is true.
func (s *alertSink) find(receiver string, match func(amAlert) bool) (amAlert, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.notes {
		if n.Receiver != receiver {
			continue
		}
		for _, a := range n.Alerts {
			if match(a) {
				return a, true
			}
		}
	}
	return amAlert{}, false
}

// badPosts returns the posts that were not a notification to the receiver
// of their path.
func (s *alertSink) badPosts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bad)
}

// summary lists what arrived, for failure messages and the log.
func (s *alertSink) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, n := range s.notes {
		for _, a := range n.Alerts {
			fmt.Fprintf(&b, "%s <- %s %s %v\n", n.Receiver, a.Labels["alertname"], a.Status, a.Labels)
		}
	}
	for _, m := range s.bad {
		fmt.Fprintf(&b, "bad post: %s\n", m)
	}
	return b.String()
}

// promAPI is a client of Prometheus's HTTP API.
type promAPI struct{ base string }

// promSample is one element of an instant vector, or a scalar (no labels).
type promSample struct {
	Metric map[string]string
	Value  float64
}

// get fetches an API path and decodes its data member into v.
func (p promAPI) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		return err
	}
	return p.do(req, v)
}

func (p promAPI) do(req *http.Request, v any) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("%s: %s: %w", req.URL.Path, resp.Status, err)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s: %s: %s", req.URL.Path, resp.Status, env.Error)
	}
	return json.Unmarshal(env.Data, v)
}

// query runs an instant query now, by POST as Grafana's datasource does
// (httpMethod: POST in the provisioning file).
func (p promAPI) query(ctx context.Context, expr string) ([]promSample, error) {
	form := url.Values{"query": {expr}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/api/v1/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.do(req, &data); err != nil {
		return nil, err
	}
	switch data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(data.Result, &vec); err != nil {
			return nil, err
		}
		out := make([]promSample, 0, len(vec))
		for _, s := range vec {
			v, err := sampleValue(s.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, promSample{Metric: s.Metric, Value: v})
		}
		return out, nil
	case "scalar":
		var sc [2]any
		if err := json.Unmarshal(data.Result, &sc); err != nil {
			return nil, err
		}
		v, err := sampleValue(sc)
		return []promSample{{Value: v}}, err
	}
	return nil, fmt.Errorf("result type %q, want vector or scalar", data.ResultType)
}

// sampleValue parses the [timestamp, "value"] pair of the API.
func sampleValue(v [2]any) (float64, error) {
	s, ok := v[1].(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v is not a string", v[1])
	}
	return strconv.ParseFloat(s, 64) // accepts NaN, +Inf, -Inf
}

// finite returns the samples whose value is a number.
func finite(ss []promSample) []promSample {
	var out []promSample
	for _, s := range ss {
		if !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0) {
			out = append(out, s)
		}
	}
	return out
}

// String prints samples compactly for failure messages.
func (s promSample) String() string {
	var b bytes.Buffer
	b.WriteString("{")
	for i, k := range sortedKeys(s.Metric) {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%s=%q", k, s.Metric[k])
	}
	fmt.Fprintf(&b, "} %g", s.Value)
	return b.String()
}

// scrapedSince reports whether Prometheus has scraped job since t: the
// timestamp of up is the scrape's start, so anything done before t is in
// that scrape.
func (p promAPI) scrapedSince(ctx context.Context, job string, t time.Time) (bool, error) {
	ss, err := p.query(ctx, fmt.Sprintf(`timestamp(up{job=%q})`, job))
	if err != nil || len(ss) == 0 {
		return false, err
	}
	for _, s := range ss {
		if s.Value*1e3 < float64(t.UnixMilli()) {
			return false, nil
		}
	}
	return true, nil
}

func TestRewritePrometheusConfig(t *testing.T) {
	t.Parallel()
	src := readRepoFile(t, "prometheus/prometheus.yml")
	all := map[string]string{
		"api": "127.0.0.1:1", "prediction-service": "127.0.0.1:2", "node-exporter": "127.0.0.1:3",
		"alertmanager": "127.0.0.1:4", "prometheus": "127.0.0.1:5",
	}
	without := func(job string) map[string]string {
		m := maps(all)
		delete(m, job)
		return m
	}
	with := func(job string) map[string]string {
		m := maps(all)
		m[job] = "127.0.0.1:6"
		return m
	}
	tests := []struct {
		name    string
		targets map[string]string
		wantErr string
	}{
		{"every job", all, ""},
		{"a job the test cannot run", without("node-exporter"), `job "node-exporter" has no address`},
		{"a job the file does not scrape", with("pushgateway"), `does not scrape job "pushgateway"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := rewritePrometheusConfig(src, tt.targets, "127.0.0.1:9")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("rewritePrometheusConfig = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got, orig prometheusConfig
			if err := yaml.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal(src, &orig); err != nil {
				t.Fatal(err)
			}
			jobs := map[string][]string{}
			for _, sc := range got.ScrapeConfigs {
				for _, st := range sc.StaticConfigs {
					jobs[sc.JobName] = append(jobs[sc.JobName], st.Targets...)
				}
			}
			want := map[string][]string{}
			for j, a := range tt.targets {
				want[j] = []string{a}
			}
			if diff := cmp.Diff(want, jobs); diff != "" {
				t.Errorf("scrape targets (-want +got):\n%s", diff)
			}
			if am := got.Alerting.Alertmanagers; len(am) != 1 || !cmp.Equal(am[0].StaticConfigs[0].Targets, []string{"127.0.0.1:9"}) {
				t.Errorf("alertmanagers = %+v, want 127.0.0.1:9", am)
			}
			if !cmp.Equal(got.RuleFiles, orig.RuleFiles) {
				t.Errorf("rule_files = %v, want %v (kept)", got.RuleFiles, orig.RuleFiles)
			}
			var raw struct {
				Global map[string]any `yaml:"global"`
			}
			if err := yaml.Unmarshal(out, &raw); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"scrape_interval", "evaluation_interval", "scrape_timeout"} {
				if raw.Global[k] != "1s" {
					t.Errorf("global.%s = %v, want 1s", k, raw.Global[k])
				}
			}
			if raw.Global["external_labels"] == nil {
				t.Error("global.external_labels dropped")
			}
		})
	}
}

func TestRewriteRules(t *testing.T) {
	t.Parallel()
	src := readRepoFile(t, "prometheus/alerting_rules.yml")
	out, changes, err := rewriteRules(src, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var orig, got ruleFile
	if err := yaml.Unmarshal(src, &orig); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	// Only `for:` may change, and only downwards to the cap.
	for gi, g := range got.Groups {
		for ri, r := range g.Rules {
			o := orig.Groups[gi].Rules[ri]
			if o.For != "" {
				od, _ := model.ParseDuration(o.For)
				want := min(time.Duration(od), 3*time.Second)
				if d, err := model.ParseDuration(r.For); err != nil || time.Duration(d) != want {
					t.Errorf("%s: for %q -> %q, want %s", r.Alert, o.For, r.For, want)
				}
			}
			r.For, o.For = "", ""
			if diff := cmp.Diff(o, r); diff != "" {
				t.Errorf("%s changed beyond for: (-orig +test copy):\n%s", o.Alert, diff)
			}
		}
	}
	if !slices.Contains(changes, "APIDown: for 30s -> 3s") {
		t.Errorf("changes %q do not list APIDown's", changes)
	}

	tests := []struct {
		name, rules, wantFor, wantErr string
	}{
		{"days", "groups: [{name: g, rules: [{alert: A, expr: up == 0, for: 1d}]}]", "3s", ""},
		{"already short", "groups: [{name: g, rules: [{alert: A, expr: up == 0, for: 1s}]}]", "1s", ""},
		{"bad duration", "groups: [{name: g, rules: [{alert: A, expr: up == 0, for: soon}]}]", "", `for "soon"`},
		{"no groups", "groups: []", "", "no rule groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := rewriteRules([]byte(tt.rules), 3*time.Second)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("rewriteRules = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var rf ruleFile
			if err := yaml.Unmarshal(out, &rf); err != nil {
				t.Fatal(err)
			}
			if got := rf.Groups[0].Rules[0].For; got != tt.wantFor {
				t.Errorf("rewriteRules(for %s): for = %q, want %q", tt.name, got, tt.wantFor)
			}
		})
	}
}

func TestRewriteAlertmanagerConfig(t *testing.T) {
	t.Parallel()
	src := readRepoFile(t, "prometheus/alertmanager.yml")
	out, err := rewriteAlertmanagerConfig(src, "http://127.0.0.1:7")
	if err != nil {
		t.Fatal(err)
	}
	type route struct {
		Receiver      string   `yaml:"receiver"`
		Matchers      []string `yaml:"matchers"`
		GroupWait     string   `yaml:"group_wait"`
		GroupInterval string   `yaml:"group_interval"`
		Routes        []route  `yaml:"routes"`
	}
	type config struct {
		Global    map[string]any   `yaml:"global"`
		Route     route            `yaml:"route"`
		Inhibit   []map[string]any `yaml:"inhibit_rules"`
		Receivers []struct {
			Name    string           `yaml:"name"`
			Webhook []map[string]any `yaml:"webhook_configs"`
			Email   []map[string]any `yaml:"email_configs"`
			Slack   []map[string]any `yaml:"slack_configs"`
		} `yaml:"receivers"`
	}
	var orig, got config
	if err := yaml.Unmarshal(src, &orig); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Route.GroupWait != "1s" || got.Route.GroupInterval != "1s" {
		t.Errorf("root route waits %s / %s, want 1s / 1s", got.Route.GroupWait, got.Route.GroupInterval)
	}
	// The routing tree is kept but for the timings.
	strip := func(r route) route {
		r.GroupWait, r.GroupInterval = "", ""
		for i := range r.Routes {
			r.Routes[i].GroupWait, r.Routes[i].GroupInterval = "", ""
		}
		return r
	}
	if diff := cmp.Diff(strip(orig.Route), strip(got.Route)); diff != "" {
		t.Errorf("routing tree changed (-orig +test copy):\n%s", diff)
	}
	if diff := cmp.Diff(orig.Inhibit, got.Inhibit); diff != "" {
		t.Errorf("inhibit rules changed (-orig +test copy):\n%s", diff)
	}
	for k := range got.Global {
		if k != "resolve_timeout" {
			t.Errorf("global.%s kept: the test copy has no credential files", k)
		}
	}
	if len(got.Receivers) != len(orig.Receivers) {
		t.Fatalf("%d receivers, want %d", len(got.Receivers), len(orig.Receivers))
	}
	for i, r := range got.Receivers {
		if r.Name != orig.Receivers[i].Name || len(r.Email)+len(r.Slack) != 0 || len(r.Webhook) != 1 ||
			r.Webhook[0]["url"] != "http://127.0.0.1:7/"+r.Name {
			t.Errorf("receiver %d = %+v, want %s with one webhook to http://127.0.0.1:7/%s", i, r, orig.Receivers[i].Name, orig.Receivers[i].Name)
		}
	}
}
