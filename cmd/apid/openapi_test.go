package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nba-mlops/nba-mlops/internal/auth"
	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/version"
)

// undocumented routes serve the documentation itself or another issue's UI.
var undocumented = map[string]bool{"GET /docs": true, "GET /docs/*": true}

// TestOpenAPICoversRoutes checks that every route is documented and every
// documented operation is served.
func TestOpenAPICoversRoutes(t *testing.T) {
	s := newTestServer(t, openSQLite)
	r := s.do("GET", "/openapi.json", "", "")
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("/openapi.json = %d %q", r.status, r.header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			if _, ok := op["responses"]; !ok {
				t.Errorf("%s %s has no responses", method, path)
			}
		}
	}
	router := chi.NewRouter()
	reg := prometheus.NewRegistry()
	// With the /ui hook in use: its routes are another issue's.
	d := deps{logger: discard, reg: reg, ui: http.NotFoundHandler()}
	addRoutes(router, d, newMetrics(reg), newStoreCollector(discard, s.db, 1, 0))
	var served []string
	sawUI := false
	if err := chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		switch {
		case strings.HasPrefix(route, "/ui/"):
			sawUI = true
		case !undocumented[method+" "+route]:
			served = append(served, method+" "+route)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !sawUI {
		t.Error("the /ui hook mounted nothing")
	}
	sort.Strings(documented)
	sort.Strings(served)
	if diff := cmp.Diff(served, documented); diff != "" {
		t.Errorf("routes (-served +documented):\n%s", diff)
	}
	// Every documented operation answers on the live server with something
	// other than 404/405 (auth failures and validation errors are fine).
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		if r := s.do(method, path, "", ""); r.status == 404 || r.status == 405 {
			t.Errorf("%s is documented but answers %d", op, r.status)
		}
	}
}

// TestOpenAPISchemas checks the schemas against the code: the 39 features,
// the raw-shot fields, and that every $ref resolves.
func TestOpenAPISchemas(t *testing.T) {
	b, err := openAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	features := schemas["Features"].(map[string]any)
	var required []string
	for _, r := range features["required"].([]any) {
		required = append(required, r.(string))
	}
	if diff := cmp.Diff(nba.FeatureNames(), required); diff != "" {
		t.Errorf("Features.required differs from nba.FeatureNames():\n%s", diff)
	}
	// Each feature's documented range is the decoder's.
	featureProps := features["properties"].(map[string]any)
	for i, name := range nba.FeatureNames() {
		lo, hi, whole := predict.Bounds(i)
		p, _ := featureProps[name].(map[string]any)
		if got, _ := p["minimum"].(float64); p["minimum"] == nil || got != lo {
			t.Errorf("Features.%s.minimum = %v, the decoder's is %v", name, p["minimum"], lo)
		}
		if name == "Year" { // moves with the clock: documented in words
			if p["maximum"] != nil {
				t.Errorf("Features.Year.maximum = %v: it moves with the current season (now %v)", p["maximum"], hi)
			}
		} else if got, _ := p["maximum"].(float64); p["maximum"] == nil || got != hi {
			t.Errorf("Features.%s.maximum = %v, the decoder's is %v", name, p["maximum"], hi)
		}
		if got := p["multipleOf"] == 1.0; got != whole {
			t.Errorf("Features.%s whole number documented %v, the decoder's %v", name, got, whole)
		}
	}
	// The documented example must pass the real decoder.
	ex, _ := json.Marshal(features["example"])
	if _, err := predict.DecodeFeatures(ex); err != nil {
		t.Errorf("Features example refused: %v", err)
	}
	shot := schemas["ShotRequest"].(map[string]any)
	var props []string
	for k := range shot["properties"].(map[string]any) {
		props = append(props, k)
	}
	var tags []string
	st := reflect.TypeFor[predict.ShotRequest]()
	for i := range st.NumField() {
		tags = append(tags, strings.Split(st.Field(i).Tag.Get("json"), ",")[0])
	}
	slices.Sort(props)
	slices.Sort(tags)
	if diff := cmp.Diff(tags, props); diff != "" {
		t.Errorf("ShotRequest properties differ from the struct's JSON names:\n%s", diff)
	}
	ex, _ = json.Marshal(shot["example"])
	if req, err := predict.DecodeShotRequest(ex); err != nil {
		t.Errorf("ShotRequest example refused: %v", err)
	} else if _, err := req.Shot(); err != nil {
		t.Errorf("ShotRequest example invalid: %v", err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				name := strings.TrimPrefix(r, "#/components/schemas/")
				if _, ok := schemas[name]; !ok {
					t.Errorf("dangling $ref %s", r)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	flows := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["OAuth2PasswordBearer"].(map[string]any)["flows"].(map[string]any)
	if flows["password"].(map[string]any)["tokenUrl"] != "/token" {
		t.Errorf("the OAuth2 password flow does not point at /token: %v", flows)
	}
}

// TestOpenAPIFactsMatchCode holds the facts openapi.json states to the code
// that enforces them: the value sets of the shot fields, the account rules,
// the court example, and the version served.
func TestOpenAPIFactsMatchCode(t *testing.T) {
	b, err := openAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Info       struct{ Version string }
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum      []any
					MinLength *int
					MaxLength *int
				}
				Example map[string]any
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Info.Version != version.Version {
		t.Errorf("info.version = %q, want the build's %q", doc.Info.Version, version.Version)
	}
	schemas := doc.Components.Schemas
	strs := func(v []any) []string {
		var out []string
		for _, x := range v {
			s, _ := x.(string)
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(v []string) []string { v = slices.Clone(v); slices.Sort(v); return v }
	for _, schema := range []string{"ShotRequest", "ShotPredictResponse", "CourtZones"} {
		for field, want := range map[string][]string{
			"shot_type": nba.ShotTypes(), "shot_zone_basic": nba.ZoneBasics(), "shot_zone_area": nba.ZoneAreas(), "shot_zone_range": nba.ZoneRanges(),
		} {
			if diff := cmp.Diff(sorted(want), strs(schemas[schema].Properties[field].Enum)); diff != "" {
				t.Errorf("%s.%s enum differs from the code (-code +document):\n%s", schema, field, diff)
			}
		}
	}
	if diff := cmp.Diff(sorted(nba.SeasonTypes()), strs(schemas["ShotRequest"].Properties["season_type"].Enum)); diff != "" {
		t.Errorf("ShotRequest.season_type enum differs from the code:\n%s", diff)
	}
	user := schemas["UserCreate"].Properties
	for _, c := range []struct {
		name string
		got  *int
		want int
	}{
		{"username minLength", user["username"].MinLength, auth.MinUsername},
		{"username maxLength", user["username"].MaxLength, auth.MaxUsername},
		{"password minLength", user["password"].MinLength, auth.MinPassword},
		{"password maxLength", user["password"].MaxLength, auth.MaxPassword},
	} {
		if c.got == nil || *c.got != c.want {
			t.Errorf("UserCreate %s = %v, want %d (package auth)", c.name, c.got, c.want)
		}
	}
	ex := schemas["CourtZones"].Example
	x, y := int(ex["x_location"].(float64)), int(ex["y_location"].(float64))
	z := court.Classify(x, y)
	want := map[string]any{"x_location": float64(x), "y_location": float64(y), "shot_distance": float64(z.Distance),
		"shot_type": z.ShotType, "shot_zone_basic": z.Basic, "shot_zone_area": z.Area, "shot_zone_range": z.Range}
	if diff := cmp.Diff(want, ex); diff != "" {
		t.Errorf("CourtZones example differs from court.Classify(%d, %d):\n%s", x, y, diff)
	}
}
