package deploytest

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// knownMetrics are the metric names the binaries export (docs/architecture.md,
// "Observability", and the stage textfiles), plus those of Prometheus
// itself that the rules use. An expression naming anything else has a typo.
var knownMetrics = []string{
	"up", "process_start_time_seconds",
	"http_requests_total",
	"http_request_duration_seconds_bucket", "http_request_duration_seconds_sum", "http_request_duration_seconds_count",
	"inference_time_seconds_bucket", "inference_time_seconds_sum", "inference_time_seconds_count",
	"nba_predictions_total",
	"nba_prediction_probability_bucket", "nba_prediction_probability_sum", "nba_prediction_probability_count",
	"nba_feedback_total", "nba_online_accuracy", "nba_online_accuracy_samples", "nba_model_info", "nba_model_reloads_total",
	"nba_users", "nba_predictions_stored",
	"nba_stage_last_success_timestamp_seconds", "nba_stage_duration_seconds", "nba_stage_rows",
}

// promqlWords are PromQL keywords, aggregation and function names.
var promqlWords = []string{
	"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool",
	"sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
	"inf", "nan",
}

var (
	promqlStringRE = regexp.MustCompile(`"(\\.|[^"\\])*"|'(\\.|[^'\\])*'|` + "`[^`]*`")
	promqlBraceRE  = regexp.MustCompile(`\{[^{}]*\}|\[[^\[\]]*\]`)
	promqlGroupRE  = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promqlIdentRE  = regexp.MustCompile(`\b[A-Za-z_:][A-Za-z0-9_:]*\s*\(?`)
)

// metricNames returns the metric names an expression selects. It is a
// lexical approximation of PromQL (strings, matchers, ranges and grouping
// clauses removed; function calls skipped), enough to catch misspelt names;
// promtool checks the syntax.
func metricNames(expr string) []string {
	s := promqlStringRE.ReplaceAllString(expr, `""`)
	for prev := ""; prev != s; {
		prev = s
		s = promqlBraceRE.ReplaceAllString(s, " ")
	}
	s = promqlGroupRE.ReplaceAllString(s, " ")
	var names []string
	for _, m := range promqlIdentRE.FindAllString(s, -1) {
		if strings.HasSuffix(m, "(") {
			continue // function or aggregation call
		}
		m = strings.TrimSpace(m)
		if slices.Contains(promqlWords, strings.ToLower(m)) || strings.HasPrefix(m, "$") {
			continue
		}
		if !slices.Contains(names, m) {
			names = append(names, m)
		}
	}
	slices.Sort(names)
	return names
}

func TestMetricNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want []string
	}{
		{`up{job="api"} == 0`, []string{"up"}},
		{`sum by (job) (rate(http_requests_total{status=~"5..", handler!~"/metrics|/healthz"}[5m])) > 0.05`, []string{"http_requests_total"}},
		{`histogram_quantile(0.99, sum by (job, le) (rate(x_bucket[$__rate_interval])))`, []string{"x_bucket"}},
		{`a > 0 unless a offset 15m or b and on () (time() - min(c{job="p"}) > 26 * 3600)`, []string{"a", "b", "c"}},
		{`avg by (model_version) (nba_online_accuracy) < 0.55 and on (model_version) max by (model_version) (f) >= 50`, []string{"f", "nba_online_accuracy"}},
		{`max by (stage) (nba_stage_rows) * 1000`, []string{"nba_stage_rows"}},
		{`absent_over_time(m{stage="train"}[26h])`, []string{"m"}},
	}
	for _, tt := range tests {
		if got := metricNames(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("metricNames(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

// checkKnownMetrics reports the metric names of expr that no binary exports.
func checkKnownMetrics(tb testing.TB, where, expr string) {
	tb.Helper()
	for _, m := range metricNames(expr) {
		if !slices.Contains(knownMetrics, m) {
			tb.Errorf("%s: unknown metric %q in %s", where, m, expr)
		}
	}
}
