package main

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// addRoutes lists predictd's whole API.
func addRoutes(r chi.Router, logger *slog.Logger, reg *prometheus.Registry, m *metrics, h *holder) {
	r.Method(http.MethodGet, "/healthz", handleHealthz())
	r.Method(http.MethodGet, "/readyz", handleReadyz(h, logger))
	r.Method(http.MethodGet, "/metrics", handleMetrics(reg))

	r.Method(http.MethodPost, "/predict", handlePredict(h, m, logger))
	r.Method(http.MethodPost, "/predict/shot", handlePredictShot(h, m, logger))
	r.Method(http.MethodPost, "/predict/record", handlePredictRecord(h, m, logger)) // apid's /predict/shot, validated there

	// Open Inference Protocol v2.
	r.Method(http.MethodGet, "/v2", handleV2Server())
	r.Method(http.MethodGet, "/v2/health/live", handleV2Live())
	r.Method(http.MethodGet, "/v2/health/ready", handleV2Ready(h))
	r.Method(http.MethodGet, "/v2/models/nba-shot", handleV2Metadata(h))
	r.Method(http.MethodGet, "/v2/models/nba-shot/ready", handleV2ModelReady(h))
	r.Method(http.MethodPost, "/v2/models/nba-shot/infer", handleV2Infer(h, m))
	r.Method(http.MethodGet, "/v2/models/nba-shot/versions/{version}", handleV2Metadata(h))
	r.Method(http.MethodPost, "/v2/models/nba-shot/versions/{version}/infer", handleV2Infer(h, m))

	r.NotFound(handleNotFound(logger).ServeHTTP)
}
