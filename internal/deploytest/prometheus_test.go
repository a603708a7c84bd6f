package deploytest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v4"
)

// wantAlerts are the alerts of issue 6 and the severity each routes with.
var wantAlerts = map[string]string{
	"APIDown":               "critical",
	"PredictionServiceDown": "critical",
	"HighErrorRatio":        "critical",
	"HighLatencyP99":        "warning",
	"ModelReloadFailing":    "warning",
	"OnlineAccuracyDrop":    "warning",
	"PipelineStale":         "warning",
}

// ruleFile is the subset of a Prometheus rule file these tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// ruleTestFile is the subset of a promtool unit-test file these tests read.
type ruleTestFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		Name          string `yaml:"name"`
		AlertRuleTest []struct {
			EvalTime  string `yaml:"eval_time"`
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `yaml:"exp_labels"`
				ExpAnnotations map[string]string `yaml:"exp_annotations"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// prometheusConfig is the subset of prometheus.yml these tests read.
type prometheusConfig struct {
	RuleFiles []string `yaml:"rule_files"`
	Alerting  struct {
		Alertmanagers []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"alertmanagers"`
	} `yaml:"alerting"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

// unmarshalRepoYAML decodes a YAML file of the repository into v.
func unmarshalRepoYAML(tb testing.TB, rel string, v any) {
	tb.Helper()
	if err := yaml.Unmarshal(readRepoFile(tb, rel), v); err != nil {
		tb.Fatalf("%s: %v", rel, err)
	}
}

func TestPromtoolCheckConfig(t *testing.T) {
	t.Parallel()
	promtool := lookTool(t, "promtool")
	dir := filepath.Join(repoRoot(t), "prometheus")
	out := runTool(t, dir, promtool, "check", "config", "prometheus.yml")
	if !strings.Contains(out, "SUCCESS: 1 rule files found") {
		t.Errorf("promtool check config did not check the rule file:\n%s", out)
	}
	runTool(t, dir, promtool, "check", "rules", "alerting_rules.yml")
}

func TestPromtoolTestRules(t *testing.T) {
	t.Parallel()
	promtool := lookTool(t, "promtool")
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "prometheus", "tests", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule tests in prometheus/tests: %v", err)
	}
	out := runTool(t, root, promtool, append([]string{"test", "rules"}, files...)...)
	if strings.Count(out, "SUCCESS") != len(files) {
		t.Errorf("promtool test rules: want SUCCESS for %d files:\n%s", len(files), out)
	}
}

// TestPromtoolTestRulesCatchesABrokenRule runs the unit tests against a copy
// of the rules with HighErrorRatio's threshold raised tenfold: the tests
// must notice, or they prove nothing.
func TestPromtoolTestRulesCatchesABrokenRule(t *testing.T) {
	t.Parallel()
	promtool := lookTool(t, "promtool")
	rules := string(readRepoFile(t, "prometheus/alerting_rules.yml"))
	broken := strings.Replace(rules, ") > 0.05", ") > 0.5", 1)
	if broken == rules {
		t.Fatal("HighErrorRatio threshold ') > 0.05' not found in alerting_rules.yml")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tests"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerting_rules.yml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tests", "t.yml"), readRepoFile(t, "prometheus/tests/alerting_rules_test.yml"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "tests/t.yml")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "HighErrorRatio") {
		t.Errorf("promtool test rules passed a broken HighErrorRatio (err %v):\n%s", err, out)
	}
}

// TestAlertRules checks the rule file without promtool: the alerts of
// issue 6, each with a severity and summary, description and runbook_url
// annotations; the runbook anchors; the metric names; and unit tests that
// show every alert both firing and not firing.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	var rf ruleFile
	unmarshalRepoYAML(t, "prometheus/alerting_rules.yml", &rf)
	got := map[string]string{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("group %s: recording rule %q: this file holds alerts only", g.Name, r.Record)
				continue
			}
			where := fmt.Sprintf("alert %s", r.Alert)
			got[r.Alert] = r.Labels["severity"]
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s: no %s annotation", where, a)
				}
			}
			wantRunbook := "https://github.com/nba-mlops/nba-mlops/blob/main/README.md#" + strings.ToLower(r.Alert)
			if r.Annotations["runbook_url"] != wantRunbook {
				t.Errorf("%s: runbook_url = %q, want %q", where, r.Annotations["runbook_url"], wantRunbook)
			}
			checkKnownMetrics(t, where, r.Expr)
		}
	}
	if diff := cmp.Diff(wantAlerts, got); diff != "" {
		t.Errorf("alerts and severities (-want +got):\n%s", diff)
	}

	files, err := filepath.Glob(filepath.Join(repoRoot(t), "prometheus", "tests", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule tests in prometheus/tests: %v", err)
	}
	firing, quiet := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		var tf ruleTestFile
		unmarshalRepoYAML(t, "prometheus/tests/"+filepath.Base(f), &tf)
		if !slices.Equal(tf.RuleFiles, []string{"../alerting_rules.yml"}) {
			t.Errorf("%s loads %v, want ../alerting_rules.yml", f, tf.RuleFiles)
		}
		countRuleTests(t, tf, firing, quiet)
	}
	for _, a := range sortedKeys(wantAlerts) {
		if !firing[a] || !quiet[a] {
			t.Errorf("alert %s: unit tests show it firing %v and not firing %v, want both", a, firing[a], quiet[a])
		}
	}
}

// countRuleTests records which alerts the unit tests of tf show firing and
// which not firing.
func countRuleTests(t *testing.T, tf ruleTestFile, firing, quiet map[string]bool) {
	t.Helper()
	for _, tc := range tf.Tests {
		for _, at := range tc.AlertRuleTest {
			if _, ok := wantAlerts[at.Alertname]; !ok {
				t.Errorf("test %q checks unknown alert %q", tc.Name, at.Alertname)
			}
			if len(at.ExpAlerts) == 0 {
				quiet[at.Alertname] = true
				continue
			}
			firing[at.Alertname] = true
			for _, ea := range at.ExpAlerts {
				if ea.ExpLabels["severity"] != wantAlerts[at.Alertname] || len(ea.ExpAnnotations) == 0 {
					t.Errorf("test %q: %s expects labels %v and annotations %v, want its severity and annotations", tc.Name, at.Alertname, ea.ExpLabels, ea.ExpAnnotations)
				}
			}
		}
	}
}

// TestPrometheusConfigMatchesCompose checks that the scrape targets are the
// compose services on the ports their commands listen on, that the rule
// file reaches the container, and that the jobs the alerts select exist.
func TestPrometheusConfigMatchesCompose(t *testing.T) {
	t.Parallel()
	var cfg prometheusConfig
	unmarshalRepoYAML(t, "prometheus/prometheus.yml", &cfg)
	jobs := map[string][]string{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			jobs[sc.JobName] = append(jobs[sc.JobName], st.Targets...)
		}
	}
	want := map[string][]string{
		"api":                {"api:8002"},
		"prediction-service": {"prediction-service:8001"},
		"node-exporter":      {"node-exporter:9100"},
		"alertmanager":       {"alertmanager:9093"},
		"prometheus":         {"localhost:9090"},
	}
	if diff := cmp.Diff(want, jobs); diff != "" {
		t.Errorf("scrape jobs (-want +got):\n%s", diff)
	}

	api := loadProject(t, apiCompose)
	for _, svc := range []string{"api", "prediction-service", "node-exporter", "alertmanager", "prometheus"} {
		if _, ok := api.Services[svc]; !ok {
			t.Errorf("scraped service %s is not in %s", svc, apiCompose)
		}
	}
	// predictd serves metrics on its API port; apid on METRICS_ADDR (its
	// default is loopback, which Prometheus in another container cannot reach).
	if addr, _ := flagValue(api.Services["prediction-service"].Command, "addr"); addr != ":8001" {
		t.Errorf("prediction-service listens on --addr=%q, Prometheus scrapes port 8001", addr)
	}
	apiSvc := api.Services["api"]
	metricsAddr, ok := flagValue(apiSvc.Command, "metrics-addr")
	if !ok {
		if v := apiSvc.Environment["METRICS_ADDR"]; v != nil {
			metricsAddr = *v
		}
	}
	if host, port, err := net.SplitHostPort(metricsAddr); err != nil || port != "8002" || (host != "" && host != "0.0.0.0" && host != "::") {
		t.Errorf("api serves metrics on %q (--metrics-addr or METRICS_ADDR), Prometheus scrapes api:8002: want :8002 or 0.0.0.0:8002", metricsAddr)
	}
	if got := cfg.Alerting.Alertmanagers; len(got) != 1 || !slices.Equal(got[0].StaticConfigs[0].Targets, []string{"alertmanager:9093"}) {
		t.Errorf("alerting targets = %+v, want alertmanager:9093", got)
	}

	// The config names its rule files relative to itself; compose mounts
	// both into /etc/prometheus.
	prom := api.Services["prometheus"]
	mounted := map[string]string{}
	for _, v := range prom.Volumes {
		mounted[v.Target] = v.Source
	}
	if cf, _ := flagValue(prom.Command, "config.file"); mounted[cf] != filepath.Join(repoRoot(t), "prometheus", "prometheus.yml") {
		t.Errorf("prometheus --config.file=%s is mounted from %q, want prometheus/prometheus.yml", cf, mounted[cf])
	}
	for _, rf := range cfg.RuleFiles {
		if filepath.IsAbs(rf) {
			t.Errorf("rule file %s: use a path relative to prometheus.yml so promtool can check it here", rf)
		}
		if src := mounted["/etc/prometheus/"+rf]; src != filepath.Join(repoRoot(t), "prometheus", rf) {
			t.Errorf("rule file %s is mounted from %q", rf, src)
		}
	}

	// Alerts select jobs by name: each must be a scrape job.
	jobRE := regexp.MustCompile(`job="([^"]+)"`)
	for _, m := range jobRE.FindAllStringSubmatch(string(readRepoFile(t, "prometheus/alerting_rules.yml")), -1) {
		if _, ok := jobs[m[1]]; !ok {
			t.Errorf("alerting_rules.yml selects job %q, which prometheus.yml does not scrape", m[1])
		}
	}
}

// alertmanagerConfig is the subset of alertmanager.yml these tests read.
type alertmanagerConfig struct {
	Global    map[string]any `yaml:"global"`
	Receivers []struct {
		Name         string           `yaml:"name"`
		EmailConfigs []map[string]any `yaml:"email_configs"`
		SlackConfigs []map[string]any `yaml:"slack_configs"`
	} `yaml:"receivers"`
}

func TestAmtoolCheckConfig(t *testing.T) {
	t.Parallel()
	amtool := lookTool(t, "amtool")
	dir := filepath.Join(repoRoot(t), "prometheus")
	out := runTool(t, dir, amtool, "check-config", "alertmanager.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("amtool check-config:\n%s", out)
	}
	tests := []struct {
		labels []string
		want   string
	}{
		{[]string{"severity=critical", "alertname=APIDown"}, "oncall-critical"},
		{[]string{"severity=warning", "alertname=PipelineStale"}, "slack-warnings"},
		{[]string{"alertname=Unlabelled"}, "slack-warnings"},
	}
	for _, tt := range tests {
		args := append([]string{"config", "routes", "test", "--config.file=alertmanager.yml"}, tt.labels...)
		got := strings.TrimSpace(lastLine(runTool(t, dir, amtool, args...)))
		if got != tt.want {
			t.Errorf("amtool routes test %v = %q, want %q", tt.labels, got, tt.want)
		}
	}
}

// lastLine returns the last non-empty line of s that is not a warning.
func lastLine(s string) string {
	var last string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "Warning:") {
			last = l
		}
	}
	return last
}

// TestAlertmanagerCredentialsFromFiles: critical alerts reach e-mail and
// Slack, warnings Slack; the credentials are *_file settings naming secrets
// that compose mounts into the alertmanager container, never inline.
func TestAlertmanagerCredentialsFromFiles(t *testing.T) {
	t.Parallel()
	var cfg alertmanagerConfig
	unmarshalRepoYAML(t, "prometheus/alertmanager.yml", &cfg)
	inline := []string{"slack_api_url", "smtp_auth_password", "smtp_auth_secret", "api_url", "auth_password", "auth_secret"}
	check := func(where string, m map[string]any) {
		for _, k := range inline {
			if _, ok := m[k]; ok {
				t.Errorf("%s: %s is inline, use %s_file", where, k, k)
			}
		}
	}
	check("global", cfg.Global)
	receivers := map[string][2]int{}
	for _, r := range cfg.Receivers {
		receivers[r.Name] = [2]int{len(r.EmailConfigs), len(r.SlackConfigs)}
		for _, c := range r.EmailConfigs {
			check("receiver "+r.Name, c)
		}
		for _, c := range r.SlackConfigs {
			check("receiver "+r.Name, c)
		}
	}
	if diff := cmp.Diff(map[string][2]int{"oncall-critical": {1, 1}, "slack-warnings": {0, 1}}, receivers); diff != "" {
		t.Errorf("receivers: [email, slack] configs (-want +got):\n%s", diff)
	}

	api := loadProject(t, apiCompose)
	am := api.Services["alertmanager"]
	mounted := map[string]bool{}
	for _, s := range am.Secrets {
		mounted["/run/secrets/"+s.Source] = true
	}
	for _, k := range []string{"slack_api_url_file", "smtp_auth_password_file"} {
		path, _ := cfg.Global[k].(string)
		if !mounted[path] {
			t.Errorf("global %s = %q, which is not a secret mounted into alertmanager (%v)", k, path, sortedKeys(mounted))
		}
	}
	if cf, _ := flagValue(am.Command, "config.file"); cf == "" {
		t.Error("alertmanager has no --config.file")
	} else if v, ok := volumeByTarget(am, cf); !ok || v.Source != filepath.Join(repoRoot(t), "prometheus", "alertmanager.yml") || !v.ReadOnly {
		t.Errorf("alertmanager --config.file=%s is mounted as %+v", cf, v)
	}
}
