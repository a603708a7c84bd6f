package httpmetrics

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMiddlewareLabelsByRoutePattern(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	r := chi.NewRouter()
	r.Use(m.Middleware)
	r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		if chi.URLParam(r, "id") == "bad" {
			http.Error(w, "no", http.StatusTeapot)
			return
		}
		w.Write([]byte("ok"))
	})
	for _, p := range []string{"/items/1", "/items/2", "/items/bad", "/nope"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	want := `
# HELP http_requests_total HTTP requests by route pattern, method and status code.
# TYPE http_requests_total counter
http_requests_total{handler="/items/{id}",method="GET",status="200"} 2
http_requests_total{handler="/items/{id}",method="GET",status="418"} 1
http_requests_total{handler="none",method="GET",status="404"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "http_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.duration); n != 2 {
		t.Errorf("%d duration series, want 2 (one per pattern)", n)
	}
}

// TestUnknownMethodsShareOneSeries sends requests with unique methods (as an
// attacker would, to grow the metrics without bound): they all land in
// method="other", on matched and unmatched routes alike, so the exposition
// does not grow with them.
func TestUnknownMethodsShareOneSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	r := chi.NewRouter()
	r.Use(m.Middleware)
	r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	scrape := func() int {
		t.Helper()
		n, err := testutil.GatherAndCount(reg)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	send := func(method, path string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Method = method
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
	send("FOO", "/items/1")
	send("FOO", "/nope")
	before := scrape()
	for i := range 500 {
		method := "X" + strings.Repeat("M", 1000) + strconv.Itoa(i)
		send(method, "/items/1")
		send(method, "/nope")
	}
	if after := scrape(); after != before {
		t.Errorf("%d series after 1000 requests with unique methods, %d before: unknown methods must share a label", after, before)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("none", "other", "405")); got != 1002 {
		t.Errorf(`http_requests_total{handler="none",method="other",status="405"} = %v, want 1002`, got)
	}
	for _, tt := range []struct{ in, want string }{
		{"GET", "GET"}, {"PATCH", "PATCH"}, {"OPTIONS", "OPTIONS"}, {"get", "other"}, {"PROPFIND", "other"}, {"", "other"},
	} {
		if got := Method(tt.in); got != tt.want {
			t.Errorf("Method(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
