package httpmetrics

import (
	"net/http"
	"net/http/httptest"
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
