// Package httpmetrics instruments HTTP handlers with the metric names of the
// original system's prometheus-fastapi-instrumentator, so its dashboards and
// alerts keep working: http_requests_total{handler,method,status} and
// http_request_duration_seconds{handler,method}. No label value comes
// unbounded from a request: handler is the chi route pattern, never the raw
// path; method is a standard method or "other"; status is the code the
// handler wrote (three digits).
package httpmetrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the request counters and latency histograms.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	// children caches the label-resolved series: resolving labels costs a
	// hash and a lock per request, which shows at 20k requests a second.
	mu       sync.RWMutex
	children map[seriesKey]series
}

type seriesKey struct {
	handler, method string
	status          int
}

type series struct {
	count prometheus.Counter
	dur   prometheus.Observer
}

// New registers the metrics on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"handler", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"handler", "method"}),
		children: map[seriesKey]series{},
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// Middleware records every request. It must run inside a chi router (use it
// with r.Use) so that the route pattern is known when the handler returns;
// requests that match no route are labelled "none".
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		pattern := "none"
		if rc := chi.RouteContext(r.Context()); rc != nil {
			if p := rc.RoutePattern(); p != "" {
				pattern = p
			}
		}
		s := m.series(seriesKey{pattern, Method(r.Method), sw.status})
		s.count.Inc()
		s.dur.Observe(time.Since(start).Seconds())
	})
}

// Method returns the label value of an HTTP method: the method itself when
// it is one of RFC 9110's (and PATCH), "other" for anything else. Go's server
// accepts any token as a method, so without this each request with a new
// method would add series that live as long as the process.
func Method(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "other"
}

func (m *Metrics) series(k seriesKey) series {
	m.mu.RLock()
	s, ok := m.children[k]
	m.mu.RUnlock()
	if ok {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok = m.children[k]; ok {
		return s
	}
	s = series{
		count: m.requests.WithLabelValues(k.handler, k.method, strconv.Itoa(k.status)),
		dur:   m.duration.WithLabelValues(k.handler, k.method),
	}
	m.children[k] = s
	return s
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
