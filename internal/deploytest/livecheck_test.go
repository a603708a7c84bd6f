//go:build linux

package deploytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/store/storetest"
	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// Settings of the live check.
const (
	liveRows   = 20000           // synthetic shots the pipeline trains on
	liveMaxFor = 3 * time.Second // `for:` of the test copy of the rules
	// The receiver prometheus/alertmanager.yml routes critical alerts to.
	criticalReceiver = "oncall-critical"
)

// liveStages are the pipeline stages the test runs, in order; each writes
// <data-dir>/metrics/<stage>.prom.
var liveStages = []string{"generate-data", "ingest", "process", "featurize", "train", "infer"}

// readmePredictBody is the original README's /predict example.
const readmePredictBody = predict.ExampleBody

// liveShots are synthetic raw shots for /predict/shot.
var liveShots = []string{
	`{"player_id": 1, "player_name": "Test Player", "team_name": "Boston Celtics", "home_team": "BOS",
	  "away_team": "NYK", "period": 2, "minutes_remaining": 5, "seconds_remaining": 12, "action_type": "Jump Shot",
	  "x_location": -120, "y_location": 150, "game_date": 20191105, "season_type": "Regular Season"}`,
	`{"player_id": 2, "player_name": "Other Player", "team_name": "New York Knicks", "home_team": "BOS",
	  "away_team": "NYK", "period": 4, "minutes_remaining": 0, "seconds_remaining": 40, "action_type": "Layup Shot",
	  "x_location": 5, "y_location": 10, "game_date": 20200115, "season_type": "Regular Season"}`,
}

// TestLiveMonitoring is the real check of the monitoring setup:
// the binaries built from cmd/, a model trained by the pipeline binaries on
// synthetic shots, predictd and apid on loopback ports (apid on a
// throwaway PostgreSQL schema when TEST_DATABASE_URL is set), node-exporter
// exporting the stages' metrics textfiles with the command line of
// docker-compose.api.yml, a real Prometheus with the repository's
// prometheus.yml and alerting_rules.yml rewritten to those ports, and a
// real Alertmanager with the repository's routing tree and webhook
// receivers served by the test.
//
// After traffic (signup, token, /predict, /predict/shot, verifications,
// 4xx, and 503s while predictd is stopped for a moment), every Prometheus
// expression of every panel of grafana/dashboards/nba.json must return
// data, the PostgreSQL panels must count what the test did, every rule must
// evaluate without error, and stopping apid must bring APIDown to the
// critical receiver.
//
// The test copy of the rules differs from the repository's only in `for:`
// (capped at liveMaxFor, so that APIDown fires in seconds; the durations
// themselves are covered by promtool's unit tests) and the scrape and
// evaluation intervals (1 s).
func TestLiveMonitoring(t *testing.T) {
	if testing.Short() && !testenv.Required() {
		t.Skip("-short: skips the live Prometheus/Alertmanager check")
	}
	t.Parallel()
	promBin := lookTool(t, "prometheus")
	amBin := lookTool(t, "prometheus-alertmanager")
	neBin := lookTool(t, "prometheus-node-exporter")
	began := time.Now()
	last := began
	phase := func(name string) {
		now := time.Now()
		t.Logf("%-28s %5.1fs (total %5.1fs)", name, now.Sub(last).Seconds(), now.Sub(began).Seconds())
		last = now
	}

	work := t.TempDir()
	var daemons []*daemon
	t.Cleanup(func() { // runs after the daemons are stopped, before work is removed
		if t.Failed() {
			for _, d := range daemons {
				t.Logf("--- %s log (tail):\n%s", d.name, d.logTail())
			}
		}
	})

	// PostgreSQL when available: the Grafana SQL panels read apid's real
	// schema. Under NBA_REQUIRE_INTEGRATION=1 it is required.
	var dbURL string
	if os.Getenv("TEST_DATABASE_URL") != "" || testenv.Required() {
		dbURL = storetest.PostgresDSN(t)
	} else {
		t.Log("TEST_DATABASE_URL is unset: apid uses SQLite and the PostgreSQL panels are not checked")
	}

	bin := builtBinaries(t)
	phase("build")

	dataDir, modelsDir := filepath.Join(work, "data"), filepath.Join(work, "models")
	baseEnv := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work, "LOG_TO_MLFLOW=false"}
	version := runLivePipeline(t, bin, baseEnv, dataDir, modelsDir)
	phase("pipeline")

	// Ports: predictd, apid, apid's metrics, node-exporter, Alertmanager,
	// Prometheus.
	ports := freePorts(t, 6)
	addr := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", ports[i]) }
	pdAddr, apiAddr, apiMetricsAddr, neAddr, amAddr, promAddr := addr(0), addr(1), addr(2), addr(3), addr(4), addr(5)

	sink := &alertSink{}
	hook := httptest.NewServer(sink) // closed after Alertmanager stops (cleanups run last-in first-out)
	t.Cleanup(hook.Close)

	pd := startDaemon(t, work, "predictd", filepath.Join(bin, "predictd"), baseEnv,
		"--addr", pdAddr, "--models-dir", modelsDir)
	daemons = append(daemons, pd)
	apiEnv := append(slices.Clone(baseEnv), "JWT_SECRET="+randomHex(t, 32), "BCRYPT_COST=4", "PREDICT_URL=http://"+pdAddr)
	if dbURL != "" {
		apiEnv = append(apiEnv, "DATABASE_URL="+dbURL)
	}
	// apid serves metrics on a listener of its own, given here as compose
	// gives it (METRICS_ADDR); Prometheus scrapes that one.
	apiEnv = append(apiEnv, "METRICS_ADDR="+apiMetricsAddr)
	api := startDaemon(t, work, "apid", filepath.Join(bin, "apid"), apiEnv, "--addr", apiAddr, "--data-dir", dataDir)
	daemons = append(daemons, api)
	ne := startDaemon(t, work, "node-exporter", neBin, nil, nodeExporterArgs(t, dataDir, neAddr)...)
	daemons = append(daemons, ne)

	amDir := filepath.Join(work, "alertmanager")
	amCfg, err := rewriteAlertmanagerConfig(readRepoFile(t, "prometheus/alertmanager.yml"), hook.URL)
	if err != nil {
		t.Fatalf("prometheus/alertmanager.yml: %v", err)
	}
	writeFile(t, filepath.Join(amDir, "alertmanager.yml"), amCfg)
	am := startDaemon(t, work, "alertmanager", amBin, nil,
		"--config.file="+filepath.Join(amDir, "alertmanager.yml"), "--storage.path="+filepath.Join(amDir, "data"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=")
	daemons = append(daemons, am)

	promDir := writePrometheusFiles(t, filepath.Join(work, "prometheus"), map[string]string{
		"api": apiMetricsAddr, "prediction-service": pdAddr, "node-exporter": neAddr,
		"alertmanager": amAddr, "prometheus": promAddr,
	}, amAddr)
	none := filepath.Join(work, "none") // Debian's console defaults point at /etc
	prom := startDaemon(t, work, "prometheus", promBin, nil,
		"--config.file="+filepath.Join(promDir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(promDir, "tsdb"),
		"--web.listen-address="+promAddr, "--web.console.templates="+none, "--web.console.libraries="+none)
	daemons = append(daemons, prom)

	waitReady(t, pd, "http://"+pdAddr+"/readyz", 30*time.Second)
	waitReady(t, api, "http://"+apiAddr+"/readyz", 60*time.Second)
	waitReady(t, ne, "http://"+neAddr+"/metrics", 30*time.Second)
	waitReady(t, am, "http://"+amAddr+"/-/ready", 30*time.Second)
	waitReady(t, prom, "http://"+promAddr+"/-/ready", 30*time.Second)
	papi := promAPI{base: "http://" + promAddr}
	jobs := waitTargetsUp(t, papi, 30*time.Second)
	phase("start, first scrape")
	if want := []string{"alertmanager", "api", "node-exporter", "prediction-service", "prometheus"}; !slices.Equal(jobs, want) {
		t.Errorf("scrape jobs = %v, want %v", jobs, want)
	}

	// Traffic. Each round is followed by a scrape of both services, so
	// that every counter it creates is seen before it grows again: rate()
	// needs two samples of a series.
	c := &liveClient{t: t, base: "http://" + apiAddr}
	c.signUp()
	c.round(0)
	waitScraped(t, papi, time.Now(), "api", "prediction-service")
	if alerts := promAlerts(t, papi); len(alerts) > 0 {
		t.Errorf("alerts pending or firing on a healthy system: %v", alerts)
	}
	c.round(1)
	waitScraped(t, papi, time.Now(), "api", "prediction-service")

	// predictd stopped: apid answers 503, in two scrapes so that the 5xx
	// counter grows between samples and the error ratio is above zero.
	if err := pd.stop(); err != nil {
		t.Fatal(err)
	}
	c.expect("POST", "/predict", c.tokens[0], readmePredictBody, http.StatusServiceUnavailable)
	waitScraped(t, papi, time.Now(), "api")
	c.expect("POST", "/predict", c.tokens[0], readmePredictBody, http.StatusServiceUnavailable)
	c.expect("POST", "/predict/shot", c.tokens[1], liveShots[0], http.StatusServiceUnavailable)
	waitScraped(t, papi, time.Now(), "api")
	if err := pd.start(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, pd, "http://"+pdAddr+"/readyz", 30*time.Second)
	waitReady(t, api, "http://"+apiAddr+"/readyz", 30*time.Second)
	c.round(2)
	waitScraped(t, papi, time.Now(), "api", "prediction-service", "node-exporter")
	phase("traffic")
	t.Logf("traffic: %d users, %d predictions stored, %d verified (%d correct)", len(c.tokens), c.stored, c.verified, c.correct)

	checkDashboardLive(t, papi, dashboardWant{
		version: version, users: len(c.tokens), stored: c.stored,
		accuracy: float64(c.correct) / float64(c.verified), apiInstance: apiMetricsAddr, began: began,
	})
	checkRulesHealthy(t, papi)
	// node-exporter parsed every stage textfile (a malformed one is dropped
	// whole, with this gauge at 1).
	if ss, err := papi.query(t.Context(), `node_textfile_scrape_error{job="node-exporter"}`); err != nil || len(ss) != 1 || ss[0].Value != 0 {
		t.Errorf("node_textfile_scrape_error = %v (err %v), want one series at 0", ss, err)
	}
	if dbURL != "" {
		checkDashboardSQLLive(t, dbURL, map[string]int64{
			"Number of users": int64(len(c.tokens)), "Total predictions": int64(c.stored), "Verified predictions": int64(c.verified),
		})
	}
	phase("dashboard queries")

	// apid stops: APIDown must reach the critical receiver.
	stoppedAt := time.Now()
	if err := api.stop(); err != nil {
		t.Fatal(err)
	}
	isAPIDown := func(a amAlert) bool {
		return a.Labels["alertname"] == "APIDown" && a.Status == "firing" && a.StartsAt.After(stoppedAt.Add(-time.Second))
	}
	deadline := time.Now().Add(45 * time.Second)
	var got amAlert
	for {
		var ok bool
		if got, ok = sink.find(criticalReceiver, isAPIDown); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("APIDown did not reach receiver %s within 45 s of stopping apid; notifications:\n%s", criticalReceiver, sink.summary())
		}
		time.Sleep(200 * time.Millisecond)
	}
	phase("APIDown at Alertmanager")
	wantLabels := map[string]string{"alertname": "APIDown", "job": "api", "instance": apiMetricsAddr, "severity": "critical", "system": "nba-mlops"}
	if diff := cmp.Diff(wantLabels, got.Labels); diff != "" {
		t.Errorf("APIDown labels (-want +got):\n%s", diff)
	}
	if want := "API " + apiMetricsAddr + " is down"; got.Annotations["summary"] != want {
		t.Errorf("APIDown summary = %q, want %q", got.Annotations["summary"], want)
	}
	if bad := sink.badPosts(); len(bad) > 0 {
		t.Errorf("Alertmanager posted what the webhook receiver cannot read: %q", bad)
	}
	t.Logf("alert notifications received:\n%s", sink.summary())
}

// runLivePipeline runs the batch stages one after another on a synthetic
// batch and returns the champion's model version ("v1").
func runLivePipeline(t *testing.T, bin string, env []string, dataDir, modelsDir string) string {
	t.Helper()
	for _, st := range liveStages {
		args := []string{"--data-dir", dataDir}
		switch st {
		case "generate-data":
			args = append(args, "--synthetic", fmt.Sprint(liveRows), "--seed", "7")
		case "train", "infer":
			args = append(args, "--models-dir", modelsDir)
		}
		cmd := exec.CommandContext(t.Context(), filepath.Join(bin, st), args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", st, strings.Join(args, " "), err, out)
		}
	}
	var champ struct {
		Version int `json:"version"`
	}
	b, err := os.ReadFile(filepath.Join(modelsDir, "best_model_metrics.json"))
	if err == nil {
		err = json.Unmarshal(b, &champ)
	}
	if err != nil || champ.Version < 1 {
		t.Fatalf("best_model_metrics.json after train: version %d, %v", champ.Version, err)
	}
	return fmt.Sprintf("v%d", champ.Version)
}

// nodeExporterArgs returns the command line docker-compose.api.yml gives
// node-exporter, with its data volume mapped to dataDir and a loopback
// listen address.
func nodeExporterArgs(t *testing.T, dataDir, listen string) []string {
	t.Helper()
	svc, ok := loadProject(t, apiCompose).Services["node-exporter"]
	if !ok {
		t.Fatalf("%s has no node-exporter service", apiCompose)
	}
	if len(svc.Volumes) != 1 {
		t.Fatalf("node-exporter mounts %d volumes, want 1 (the data volume)", len(svc.Volumes))
	}
	m := pathMapper{from: []string{svc.Volumes[0].Target}, to: []string{dataDir}}
	var args []string
	for _, a := range svc.Command {
		args = append(args, m.rewrite(a))
	}
	if dir, _ := flagValue(args, "collector.textfile.directory"); dir != filepath.Join(dataDir, "metrics") {
		t.Fatalf("node-exporter reads textfiles from %q, want the data volume's metrics/ (%s)", dir, filepath.Join(dataDir, "metrics"))
	}
	return append(args, "--web.listen-address="+listen)
}

// writePrometheusFiles writes the test copies of prometheus.yml and its
// rule files into dir and returns dir.
func writePrometheusFiles(t *testing.T, dir string, targets map[string]string, amAddr string) string {
	t.Helper()
	cfg, err := rewritePrometheusConfig(readRepoFile(t, "prometheus/prometheus.yml"), targets, amAddr)
	if err != nil {
		t.Fatalf("prometheus/prometheus.yml: %v", err)
	}
	writeFile(t, filepath.Join(dir, "prometheus.yml"), cfg)
	var pc prometheusConfig
	unmarshalRepoYAML(t, "prometheus/prometheus.yml", &pc)
	for _, rf := range pc.RuleFiles {
		rules, changes, err := rewriteRules(readRepoFile(t, "prometheus/"+rf), liveMaxFor)
		if err != nil {
			t.Fatalf("prometheus/%s: %v", rf, err)
		}
		t.Logf("test copy of %s: %s", rf, strings.Join(changes, "; "))
		writeFile(t, filepath.Join(dir, rf), rules)
	}
	return dir
}

// writeFile writes b to path, creating its directory.
func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// randomHex returns n random bytes, hex-encoded.
func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// waitTargetsUp waits until Prometheus has scraped every target
// successfully, and returns the scrape jobs.
func waitTargetsUp(t *testing.T, p promAPI, timeout time.Duration) []string {
	t.Helper()
	type target struct {
		Labels    map[string]string `json:"labels"`
		Health    string            `json:"health"`
		LastError string            `json:"lastError"`
	}
	deadline := time.Now().Add(timeout)
	for {
		var data struct {
			ActiveTargets []target `json:"activeTargets"`
		}
		err := p.get(t.Context(), "/api/v1/targets", &data)
		var jobs, down []string
		for _, tg := range data.ActiveTargets {
			jobs = append(jobs, tg.Labels["job"])
			if tg.Health != "up" {
				down = append(down, fmt.Sprintf("%s %s (%s)", tg.Labels["job"], tg.Health, tg.LastError))
			}
		}
		if err == nil && len(jobs) > 0 && len(down) == 0 {
			slices.Sort(jobs)
			return jobs
		}
		if time.Now().After(deadline) {
			t.Fatalf("targets not all up within %s: err %v, not up: %v", timeout, err, down)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitScraped waits until Prometheus has scraped each job since t.
func waitScraped(tb testing.TB, p promAPI, since time.Time, jobs ...string) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, job := range jobs {
		for {
			ok, err := p.scrapedSince(tb.Context(), job, since)
			if ok {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("Prometheus has not scraped %s since %s (err %v)", job, since.Format(time.RFC3339Nano), err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// promAlerts returns the alerts Prometheus holds pending or firing.
func promAlerts(t *testing.T, p promAPI) []string {
	t.Helper()
	var data struct {
		Alerts []struct {
			Labels map[string]string `json:"labels"`
			State  string            `json:"state"`
		} `json:"alerts"`
	}
	if err := p.get(t.Context(), "/api/v1/alerts", &data); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range data.Alerts {
		out = append(out, fmt.Sprintf("%s %s %v", a.Labels["alertname"], a.State, a.Labels))
	}
	return out
}

// checkRulesHealthy requires every rule of every group to have been
// evaluated without error, and the test copy to hold the required alerts.
func checkRulesHealthy(t *testing.T, p promAPI) {
	t.Helper()
	var data struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := p.get(t.Context(), "/api/v1/rules", &data); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			got[r.Name] = true
			if r.Health != "ok" || r.LastError != "" {
				t.Errorf("rule %s/%s: health %q, last error %q", g.Name, r.Name, r.Health, r.LastError)
			}
		}
	}
	if diff := cmp.Diff(sortedKeys(wantAlerts), sortedKeys(got)); diff != "" {
		t.Errorf("rules loaded by Prometheus (-want +got):\n%s", diff)
	}
}

// dashboardWant is what the test knows the dashboard must show.
type dashboardWant struct {
	version     string // model version serving
	users       int
	stored      int // predictions stored
	accuracy    float64
	apiInstance string
	began       time.Time
}

// checkDashboardLive runs every Prometheus expression of the dashboard, as
// Grafana would (macros replaced as in promQueries), until each returns at
// least one finite sample and the panels whose value the test knows show
// it; it fails with the last result of those that never do.
func checkDashboardLive(t *testing.T, p promAPI, w dashboardWant) {
	t.Helper()
	queries := promQueries(loadDashboard(t))
	if len(queries) == 0 {
		t.Fatal("no Prometheus queries in the dashboard")
	}
	value := func(want float64, match map[string]string) func([]promSample) error {
		return func(ss []promSample) error {
			for _, s := range ss {
				if labelsMatch(s.Metric, match) {
					if math.Abs(s.Value-want) > 1e-9 {
						return fmt.Errorf("%v = %g, want %g", match, s.Value, want)
					}
					return nil
				}
			}
			return fmt.Errorf("no series %v", match)
		}
	}
	positive := func(match map[string]string) func([]promSample) error {
		return func(ss []promSample) error {
			for _, s := range ss {
				if labelsMatch(s.Metric, match) && s.Value > 0 {
					return nil
				}
			}
			return fmt.Errorf("no series %v above 0", match)
		}
	}
	series := func(matches ...map[string]string) func([]promSample) error {
		return func(ss []promSample) error {
			for _, m := range matches {
				if !slices.ContainsFunc(ss, func(s promSample) bool { return labelsMatch(s.Metric, m) }) {
					return fmt.Errorf("no series %v", m)
				}
			}
			return nil
		}
	}
	stages := func(lo, hi float64) func([]promSample) error {
		return func(ss []promSample) error {
			var got []string
			for _, s := range ss {
				got = append(got, s.Metric["stage"])
				if s.Value < lo || s.Value > hi {
					return fmt.Errorf("stage %s: %g outside [%g, %g]", s.Metric["stage"], s.Value, lo, hi)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(liveStages))
			if !slices.Equal(got, want) {
				return fmt.Errorf("stages %v, want %v", got, want)
			}
			return nil
		}
	}
	// Panels whose value the test knows, by "title/refId".
	known := map[string]func([]promSample) error{
		"API up/A":                         value(1, map[string]string{"job": "api", "instance": w.apiInstance}),
		"Prediction service up/A":          value(1, map[string]string{"job": "prediction-service"}),
		"Model version serving/A":          value(1, map[string]string{"model_version": w.version}),
		"Users and stored predictions/A":   value(float64(w.users), nil),
		"Users and stored predictions/B":   value(float64(w.stored), nil),
		"Online accuracy/A":                value(w.accuracy, map[string]string{"model_version": w.version}),
		"Error ratio (5xx)/A":              positive(map[string]string{"job": "api"}),
		"Predictions by model version/A":   positive(map[string]string{"model_version": w.version}),
		"Request rate by handler/A":        positive(map[string]string{"job": "prediction-service", "handler": "/predict"}),
		"Latency percentiles by handler/C": positive(map[string]string{"job": "api", "handler": "/predict"}),
		"Predict requests/A": series(
			map[string]string{"handler": "/predict", "status": "200"},
			map[string]string{"handler": "/predict/shot", "status": "200"},
			map[string]string{"handler": "/predict", "status": "503"}),
		"Pipeline last success/A": stages(float64(w.began.UnixMilli()), float64(time.Now().Add(time.Minute).UnixMilli())),
		"Stage rows/A":            value(liveRows, map[string]string{"stage": "generate-data"}),
	}
	for k := range known {
		if _, ok := queries[k]; !ok {
			t.Errorf("the test checks panel %q, which the dashboard does not have", k)
		}
	}

	keys := sortedKeys(queries)
	pending := map[string]string{} // key -> why it is not done yet
	for _, k := range keys {
		pending[k] = "not run"
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(pending) > 0 {
		for _, k := range keys {
			if _, ok := pending[k]; !ok {
				continue
			}
			ss, err := p.query(t.Context(), queries[k])
			switch {
			case err != nil:
				pending[k] = err.Error()
			case len(finite(ss)) == 0:
				pending[k] = fmt.Sprintf("no finite sample in %v", ss)
			case known[k] != nil && known[k](ss) != nil:
				pending[k] = fmt.Sprintf("%v; result %v", known[k](ss), ss)
			default:
				delete(pending, k)
			}
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, k := range sortedKeys(pending) {
				t.Errorf("panel %s: %s\n  query: %s", k, pending[k], queries[k])
			}
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("all %d Prometheus queries of the dashboard returned data", len(queries))
}

// labelsMatch reports whether m has every label of want.
func labelsMatch(m, want map[string]string) bool {
	for k, v := range want {
		if m[k] != v {
			return false
		}
	}
	return true
}

// checkDashboardSQLLive runs the dashboard's PostgreSQL panels on apid's
// own schema and compares their values with want (by panel title).
func checkDashboardSQLLive(t *testing.T, dsn string, want map[string]int64) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect to apid's schema: %v", err)
	}
	defer conn.Close(context.Background())
	got := map[string]int64{}
	for _, p := range loadDashboard(t).Panels {
		for _, tg := range p.Targets {
			if tg.RawSQL == "" {
				continue
			}
			var n int64
			if err := conn.QueryRow(t.Context(), tg.RawSQL).Scan(&n); err != nil {
				t.Errorf("panel %q on apid's schema: %s: %v", p.Title, tg.RawSQL, err)
			}
			got[p.Title] = n
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PostgreSQL panels on apid's schema (-want +got):\n%s", diff)
	}
}

// liveClient drives apid like the original's clients, counting what it
// did so the dashboard can be checked against it.
type liveClient struct {
	t      *testing.T
	base   string
	tokens []string
	// Successful predictions, verifications, and verifications where the
	// model was right.
	stored, verified, correct int
}

// call sends a request and returns the status and body.
func (c *liveClient) call(method, path, token, body string) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	switch {
	case path == "/token":
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// expect sends a request and requires the status; it returns the body.
func (c *liveClient) expect(method, path, token, body string, status int) []byte {
	c.t.Helper()
	got, b := c.call(method, path, token, body)
	if got != status {
		c.t.Fatalf("%s %s = %d %s, want %d", method, path, got, b, status)
	}
	return b
}

// signUp creates two users and logs them in, with the 4xx of a taken name
// and a wrong password on the way.
func (c *liveClient) signUp() {
	c.t.Helper()
	for _, u := range []string{"alice", "bob"} {
		pw := u + "-password-1"
		c.expect("POST", "/signup", "", fmt.Sprintf(`{"username": %q, "password": %q, "disabled": false}`, u, pw), http.StatusOK)
		b := c.expect("POST", "/token", "", url.Values{"username": {u}, "password": {pw}}.Encode(), http.StatusOK)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal(b, &tok); err != nil || tok.AccessToken == "" {
			c.t.Fatalf("POST /token: %s: %v", b, err)
		}
		c.tokens = append(c.tokens, tok.AccessToken)
	}
	c.expect("POST", "/signup", "", `{"username": "alice", "password": "another-password", "disabled": false}`, http.StatusBadRequest)
	c.expect("POST", "/token", "", "username=alice&password=wrong-password", http.StatusUnauthorized)
}

// round is one burst of traffic: a prediction of each kind, a verification
// (right twice in three rounds), and the usual client mistakes.
func (c *liveClient) round(i int) {
	c.t.Helper()
	tok := c.tokens[i%len(c.tokens)]
	c.expect("POST", "/predict", tok, readmePredictBody, http.StatusOK)
	c.expect("POST", "/predict/shot", tok, liveShots[i%len(liveShots)], http.StatusOK)
	c.stored += 2

	b := c.expect("GET", "/verify_random_prediction", tok, "", http.StatusOK)
	var p struct {
		PredictionID    int64 `json:"prediction_id"`
		ModelPrediction *int  `json:"model_prediction"`
	}
	if err := json.Unmarshal(b, &p); err != nil || p.PredictionID == 0 || p.ModelPrediction == nil {
		c.t.Fatalf("GET /verify_random_prediction: %s: %v", b, err)
	}
	truth := *p.ModelPrediction
	if i%3 == 2 {
		truth = 1 - truth
	} else {
		c.correct++
	}
	c.expect("POST", "/verify_random_prediction", tok, fmt.Sprintf(`{"prediction_id": %d, "true_value": %d}`, p.PredictionID, truth), http.StatusOK)
	c.verified++

	c.expect("POST", "/predict", "", readmePredictBody, http.StatusUnauthorized)
	c.expect("POST", "/predict", tok, `{"Period": "first"}`, http.StatusUnprocessableEntity)
	c.expect("POST", "/verify_random_prediction", tok, `{"prediction_id": 999999999, "true_value": 1}`, http.StatusNotFound)
}
