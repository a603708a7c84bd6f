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

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
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
