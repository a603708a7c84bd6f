package main

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"
)

// addRoutes lists the whole API. Paths and bodies are the original system's,
// so its clients work unchanged; /predict/shot, the probes, /openapi.json,
// /docs, the web UI (/ui) and the routes it reads (/court/zones, /league,
// /predictions, /accuracy) are new.
func addRoutes(r chi.Router, d deps, m *metrics, sc *storeCollector) {
	logins := &loginLimits{store: d.logins, logger: d.logger, now: d.now,
		perAddr: d.loginPerAddr, perPair: d.loginPerUser, perUser: d.loginUserHour}
	users := newUserCache(d.users, d.userCacheTTL, d.now)
	accounts := cachedAccounts{accounts: d.accounts, cache: users}

	r.Method(http.MethodGet, "/", handleRoot())
	// Reference facts for the web UI: pure functions of their parameters,
	// public like /openapi.json.
	r.Method(http.MethodGet, "/court/zones", handleCourtZones(d.logger))
	r.Method(http.MethodGet, "/league", handleLeague(d.logger))
	r.Group(func(r chi.Router) {
		r.Use(withTimeout(d.requestTimeout))
		r.Method(http.MethodPost, "/signup", handleSignup(d.logger, d.users, d.hasher, logins))
		r.Method(http.MethodPost, "/token", handleToken(d.logger, d.users, d.hasher, d.tokens, logins))
		r.Method(http.MethodPost, "/login", handleToken(d.logger, d.users, d.hasher, d.tokens, logins)) // the original's path
	})
	r.Group(func(r chi.Router) {
		r.Use(withTimeout(d.requestTimeout), requireUser(d.logger, newTokenCache(d.tokens, d.tokenCacheTTL, d.now), users))
		r.Method(http.MethodPost, "/predict", handlePredict(d.logger, d.predictor, d.predictions))
		r.Method(http.MethodPost, "/predict/shot", handlePredictShot(d.logger, d.predictor, d.predictions))
		r.Method(http.MethodGet, "/verify_random_prediction", handleRandomPrediction(d.logger, d.feedback))
		r.Method(http.MethodPost, "/verify_random_prediction", handleVerify(d.logger, d.feedback, m, sc, d.now))
		r.Method(http.MethodGet, "/predictions", handleUserPredictions(d.logger, d.predictions))
		r.Method(http.MethodGet, "/accuracy", handleAccuracy(d.logger, d.stats, d.feedbackWindow))
		r.Method(http.MethodPost, "/logout", handleLogout(d.logger, accounts))
		r.Method(http.MethodPost, "/users/me/password", handlePasswordChange(d.logger, d.hasher, logins, accounts))
		r.Method(http.MethodDelete, "/users/me", handleDeleteAccount(d.logger, d.hasher, logins, accounts))
	})

	r.Method(http.MethodGet, "/healthz", handleHealthz())
	r.Method(http.MethodGet, "/readyz", handleReadyz(d.db, d.predictor))
	r.Method(http.MethodGet, "/openapi.json", handleOpenAPI())
	// Swagger UI, served from the binary (no CDN); "Authorize" uses the
	// document's OAuth2 password flow against /token.
	r.Method(http.MethodGet, "/docs", http.RedirectHandler("/docs/", http.StatusMovedPermanently))
	r.Method(http.MethodGet, "/docs/*", v5emb.NewHandlerWithConfig(swgui.Config{
		Title:       "NBA shot prediction API",
		SwaggerJSON: "/openapi.json",
		BasePath:    "/docs/",
		SettingsUI:  map[string]string{"persistAuthorization": "true"},
	}))

	// The web UI (internal/webui): one embedded page and its assets, which
	// call the routes above. Mounted only when provided (run always does).
	if d.ui != nil {
		r.Mount("/ui", d.ui)
	}
}

// newMetricsHandler serves GET /metrics from reg. run gives it a listener of
// its own (--metrics-addr, loopback by default): the gauges show how many
// users and predictions there are, which is not for whoever can reach the
// API port.
func newMetricsHandler(logger *slog.Logger, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogErrorLog{logger}}))
	return mux
}
