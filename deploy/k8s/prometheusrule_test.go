package k8s

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v4"
)

var update = flag.Bool("update", false, "regenerate base/prometheusrule.yaml from prometheus/alerting_rules.yml")

// prometheusRuleHeader is everything of base/prometheusrule.yaml above the
// rule groups.
const prometheusRuleHeader = `# Generated from prometheus/alerting_rules.yml by
#   go test ./deploy/k8s -run TestPrometheusRuleMatchesAlertingRules -update
# Do not edit: change prometheus/alerting_rules.yml and regenerate.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: nba-mlops-alerts
  labels:
    app.kubernetes.io/name: nba-mlops-alerts
    # A Prometheus of prometheus-operator loads the rules its ruleSelector
    # matches: select this label (README.md, "Kubernetes").
    prometheus: nba-mlops
spec:
`

// generatePrometheusRule wraps the groups of an alerting rules file in a
// PrometheusRule, as text, so the comments that explain each rule stay.
func generatePrometheusRule(rules []byte) ([]byte, bool) {
	i := bytes.Index(rules, []byte("\ngroups:"))
	if i < 0 {
		return nil, false
	}
	var out bytes.Buffer
	out.WriteString(prometheusRuleHeader)
	for _, line := range strings.SplitAfter(string(rules[i+1:]), "\n") {
		if strings.TrimSpace(line) != "" {
			out.WriteString("  ")
		}
		out.WriteString(line)
	}
	return out.Bytes(), true
}

// TestPrometheusRuleMatchesAlertingRules checks that the PrometheusRule the
// cluster gets holds the same rule groups as prometheus/alerting_rules.yml,
// which promtool tests (prometheus/tests). -update regenerates it.
func TestPrometheusRuleMatchesAlertingRules(t *testing.T) {
	t.Parallel()
	rulesPath := filepath.Join(here(t), "..", "..", "prometheus", "alerting_rules.yml")
	prPath := filepath.Join(here(t), "base", "prometheusrule.yaml")
	rules, err := os.ReadFile(rulesPath)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		gen, ok := generatePrometheusRule(rules)
		if !ok {
			t.Fatalf("%s: no top-level groups: key", rulesPath)
		}
		if err := os.WriteFile(prPath, gen, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pr, err := os.ReadFile(prPath)
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Groups []any `yaml:"groups"`
	}
	var got struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			Groups []any `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(rules, &want); err != nil {
		t.Fatalf("%s: %v", rulesPath, err)
	}
	if err := yaml.Unmarshal(pr, &got); err != nil {
		t.Fatalf("%s: %v", prPath, err)
	}
	if got.APIVersion != "monitoring.coreos.com/v1" || got.Kind != "PrometheusRule" {
		t.Errorf("%s: %s %s, want monitoring.coreos.com/v1 PrometheusRule", prPath, got.APIVersion, got.Kind)
	}
	if len(want.Groups) == 0 {
		t.Fatalf("%s: no rule groups", rulesPath)
	}
	if diff := cmp.Diff(want.Groups, got.Spec.Groups); diff != "" {
		t.Errorf("base/prometheusrule.yaml differs from prometheus/alerting_rules.yml (-alerting_rules +PrometheusRule); run go test ./deploy/k8s -run TestPrometheusRuleMatchesAlertingRules -update:\n%s", diff)
	}
}
