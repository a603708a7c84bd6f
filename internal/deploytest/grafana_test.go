package deploytest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// Datasource uids pinned in grafana/provisioning/datasources.
const (
	promUID     = "nba-prometheus"
	postgresUID = "nba-postgres"
)

// dashboardPanels are the panels the dashboard must have: the original's and the new ones.
var dashboardPanels = map[string]string{ // title -> datasource uid
	"Predict requests":                    promUID,
	"Inference time":                      promUID,
	"API up":                              promUID,
	"Number of users":                     postgresUID,
	"Total predictions":                   postgresUID,
	"Verified predictions":                postgresUID,
	"Request rate by handler":             promUID,
	"Latency percentiles by handler":      promUID,
	"Error ratio (5xx)":                   promUID,
	"Prediction probability distribution": promUID,
	"Predictions by model version":        promUID,
	"Online accuracy":                     promUID,
	"Model version serving":               promUID,
	"Model reloads":                       promUID,
	"Pipeline last success":               promUID,
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type dashboardTarget struct {
	Datasource *datasourceRef `json:"datasource"`
	RefID      string         `json:"refId"`
	Expr       string         `json:"expr"`
	RawSQL     string         `json:"rawSql"`
}

type dashboardPanel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource *datasourceRef           `json:"datasource"`
	GridPos    struct{ X, Y, W, H int } `json:"gridPos"`
	Targets    []dashboardTarget        `json:"targets"`
}

type dashboard struct {
	UID    string           `json:"uid"`
	Title  string           `json:"title"`
	Panels []dashboardPanel `json:"panels"`
}

// loadDashboard parses grafana/dashboards/nba.json.
func loadDashboard(tb testing.TB) dashboard {
	tb.Helper()
	var d dashboard
	if err := json.Unmarshal(readRepoFile(tb, "grafana/dashboards/nba.json"), &d); err != nil {
		tb.Fatalf("grafana/dashboards/nba.json: %v", err)
	}
	return d
}

// grafanaMacros replaces Grafana's range macros with durations so that a
// panel's expression is plain PromQL.
var grafanaMacros = strings.NewReplacer("$__rate_interval", "1m", "$__interval", "15s", "$__range", "1h")

// promQueries returns every Prometheus expression of the dashboard, by
// "panel title/refId", with Grafana macros replaced.
func promQueries(d dashboard) map[string]string {
	q := map[string]string{}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if tg.Expr != "" {
				q[p.Title+"/"+tg.RefID] = grafanaMacros.Replace(tg.Expr)
			}
		}
	}
	return q
}

// datasourcesFile is the subset of the provisioning file these tests read.
type datasourcesFile struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name           string            `yaml:"name"`
		UID            string            `yaml:"uid"`
		Type           string            `yaml:"type"`
		URL            string            `yaml:"url"`
		User           string            `yaml:"user"`
		Password       string            `yaml:"password"`
		JSONData       map[string]any    `yaml:"jsonData"`
		SecureJSONData map[string]string `yaml:"secureJsonData"`
	} `yaml:"datasources"`
}

// TestGrafanaDatasources: pinned uids and types, URLs of the compose
// services, and the PostgreSQL credentials from the compose secret file and
// the grafana service's environment, never inline.
func TestGrafanaDatasources(t *testing.T) {
	t.Parallel()
	var f datasourcesFile
	unmarshalRepoYAML(t, "grafana/provisioning/datasources/datasources.yaml", &f)
	got := map[string]string{}
	for _, ds := range f.Datasources {
		got[ds.UID] = ds.Type + " " + ds.URL
		if ds.Password != "" {
			t.Errorf("datasource %s: inline password", ds.Name)
		}
	}
	want := map[string]string{
		promUID:     "prometheus http://prometheus:9090",
		postgresUID: "grafana-postgresql-datasource db:5432",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("datasources uid -> type url (-want +got):\n%s", diff)
	}

	api := loadProject(t, apiCompose, "grafana") // Grafana has its own profile
	g := api.Services["grafana"]
	secrets := map[string]bool{}
	for _, s := range g.Secrets {
		secrets["/run/secrets/"+s.Source] = true
	}
	fileRE := regexp.MustCompile(`\$__file\{([^}]+)\}`)
	envRE := regexp.MustCompile(`\$__env\{([^}]+)\}`)
	raw := string(readRepoFile(t, "grafana/provisioning/datasources/datasources.yaml"))
	for _, ds := range f.Datasources {
		if ds.UID != postgresUID {
			continue
		}
		m := fileRE.FindStringSubmatch(ds.SecureJSONData["password"])
		if m == nil || !secrets[m[1]] {
			t.Errorf("PostgreSQL password = %q, want $__file{} of a secret mounted into grafana %v", ds.SecureJSONData["password"], sortedKeys(secrets))
		}
	}
	for _, m := range envRE.FindAllStringSubmatch(raw, -1) {
		if _, ok := g.Environment[m[1]]; !ok {
			t.Errorf("datasources.yaml reads $__env{%s}, which the grafana service does not set", m[1])
		}
	}

	// The dashboards provider reads the directory compose mounts grafana/dashboards on.
	var prov struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	unmarshalRepoYAML(t, "grafana/provisioning/dashboards/dashboards.yaml", &prov)
	if len(prov.Providers) != 1 {
		t.Fatalf("dashboard providers = %d, want 1", len(prov.Providers))
	}
	v, ok := volumeByTarget(g, prov.Providers[0].Options.Path)
	if !ok || v.Source != filepath.Join(repoRoot(t), "grafana", "dashboards") {
		t.Errorf("dashboard path %s is mounted as %+v, want grafana/dashboards", prov.Providers[0].Options.Path, v)
	}
	if v, ok := volumeByTarget(g, "/etc/grafana/provisioning"); !ok || v.Source != filepath.Join(repoRoot(t), "grafana", "provisioning") {
		t.Errorf("provisioning is mounted as %+v", v)
	}
}

// TestDashboard checks grafana/dashboards/nba.json: the required panels on
// the right datasources, unique ids, no overlapping panels, and metric
// names that the binaries export.
func TestDashboard(t *testing.T) {
	t.Parallel()
	d := loadDashboard(t)
	if d.UID != "nba-mlops" {
		t.Errorf("dashboard uid = %q, want nba-mlops (pinned for links)", d.UID)
	}
	ids := map[int]string{}
	titles := map[string]dashboardPanel{}
	type cell struct{ x, y int }
	occupied := map[cell]string{}
	for _, p := range d.Panels {
		if prev, dup := ids[p.ID]; dup {
			t.Errorf("panels %q and %q share id %d", prev, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		titles[p.Title] = p
		if p.GridPos.X+p.GridPos.W > 24 || p.GridPos.W <= 0 || p.GridPos.H <= 0 {
			t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, p.GridPos)
		}
		for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
			for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
				if other, ok := occupied[cell{x, y}]; ok {
					t.Errorf("panels %q and %q overlap at %d,%d", other, p.Title, x, y)
				}
				occupied[cell{x, y}] = p.Title
			}
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			ds := tg.Datasource
			if ds == nil {
				ds = p.Datasource
			}
			where := fmt.Sprintf("panel %q/%s", p.Title, tg.RefID)
			switch {
			case ds == nil:
				t.Errorf("%s: no datasource", where)
			case ds.UID == promUID:
				if tg.Expr == "" {
					t.Errorf("%s: Prometheus query without expr", where)
				}
				checkKnownMetrics(t, where, grafanaMacros.Replace(tg.Expr))
			case ds.UID == postgresUID:
				if !strings.HasPrefix(strings.ToUpper(tg.RawSQL), "SELECT ") {
					t.Errorf("%s: PostgreSQL query %q, want a SELECT", where, tg.RawSQL)
				}
			default:
				t.Errorf("%s: datasource uid %q is not provisioned", where, ds.UID)
			}
		}
	}
	for _, title := range sortedKeys(dashboardPanels) {
		p, ok := titles[title]
		if !ok {
			t.Errorf("no panel %q", title)
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != dashboardPanels[title] {
			t.Errorf("panel %q uses datasource %+v, want uid %s", title, p.Datasource, dashboardPanels[title])
		}
	}
}

// TestDashboardPromQLParses checks every Prometheus expression of the
// dashboard with promtool, as recording rules of a throwaway rule file.
func TestDashboardPromQLParses(t *testing.T) {
	t.Parallel()
	promtool := lookTool(t, "promtool")
	queries := promQueries(loadDashboard(t))
	if len(queries) < len(dashboardPanels) {
		t.Fatalf("only %d Prometheus queries in the dashboard", len(queries))
	}
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	keys := sortedKeys(queries)
	for i, k := range keys {
		expr, _ := json.Marshal(queries[k]) // a JSON string is a YAML string
		fmt.Fprintf(&b, "      - record: dashboard:query_%d\n        expr: %s\n", i, expr)
	}
	path := filepath.Join(t.TempDir(), "dashboard_rules.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Errorf("promtool check rules on the dashboard's queries: %v\n%s\nqueries, in order: %q", err, out, keys)
	}
}

// contractSchema is the application schema of docs/architecture.md, enough to
// run the dashboard's SQL; apid's migrations are the real one.
const contractSchema = `
CREATE TABLE users (id bigserial PRIMARY KEY, username text UNIQUE NOT NULL, hashed_password text NOT NULL,
  disabled boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE predictions (id bigserial PRIMARY KEY, user_id bigint REFERENCES users(id), prediction int NOT NULL,
  probability double precision NOT NULL, model_version text NOT NULL, input_parameters jsonb NOT NULL,
  raw_shot jsonb, user_verification int, verified_by bigint, verified_at timestamptz,
  timestamp timestamptz NOT NULL DEFAULT now());
INSERT INTO users (username, hashed_password) VALUES ('a', 'x'), ('b', 'x');
INSERT INTO predictions (user_id, prediction, probability, model_version, input_parameters, user_verification)
  VALUES (1, 1, 0.7, 'v1', '{}', 1), (1, 0, 0.2, 'v1', '{}', NULL), (2, 1, 0.6, 'v1', '{}', 0);
`

// TestDashboardSQL runs the PostgreSQL panels' queries against a real
// PostgreSQL (TEST_DATABASE_URL) holding the contract schema with known
// rows, in a throwaway schema.
func TestDashboardSQL(t *testing.T) {
	t.Parallel()
	dsn := os.Getenv("TEST_DATABASE_URL")
	if dsn == "" {
		testenv.Missing(t, "TEST_DATABASE_URL is unset; set it to a PostgreSQL URL to run")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	schema := fmt.Sprintf("deploytest_%d", rand.Uint32())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	if _, err := conn.Exec(ctx, "SET search_path TO "+schema); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, contractSchema); err != nil {
		t.Fatalf("contract schema: %v", err)
	}
	want := map[string]int64{"Number of users": 2, "Total predictions": 3, "Verified predictions": 2}
	got := map[string]int64{}
	for _, p := range loadDashboard(t).Panels {
		for _, tg := range p.Targets {
			if tg.RawSQL == "" {
				continue
			}
			var n int64
			if err := conn.QueryRow(ctx, tg.RawSQL).Scan(&n); err != nil {
				t.Errorf("panel %q: %s: %v", p.Title, tg.RawSQL, err)
			}
			got[p.Title] = n
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SQL panel values (-want +got):\n%s", diff)
	}
}
