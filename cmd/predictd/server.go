package main

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// NewServer returns predictd's whole HTTP surface.
func NewServer(logger *slog.Logger, reg *prometheus.Registry, m *metrics, h *holder) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Use(m.http.Middleware)
	addRoutes(r, logger, reg, m, h)
	return r
}

func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

func handleReadyz(h *holder, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := h.get()
		if c == nil {
			httpjson.Error(w, r, logger, errNotReady)
			return
		}
		httpjson.Encode(w, http.StatusOK, map[string]string{"status": "ready", "model_version": c.version})
	})
}

func handleMetrics(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

func handleNotFound(logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Error(w, r, logger, nba.Errorf(nba.ENotFound, "Not Found"))
	})
}
