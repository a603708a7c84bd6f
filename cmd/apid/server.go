package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nba-mlops/nba-mlops/internal/auth"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/httpmetrics"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// The store as each part of apid sees it. Both adapters (store/postgres and
// store/sqlite) satisfy all of them; tests may pass fakes above this line.
type (
	userStore interface {
		CreateUser(ctx context.Context, u *store.User) error
		UserByName(ctx context.Context, name string) (store.User, error)
	}
	predictionStore interface {
		CreatePrediction(ctx context.Context, p *store.Prediction) error
		// UserPredictions lists a user's last n predictions, newest first
		// (GET /predictions, the web UI's shot chart).
		UserPredictions(ctx context.Context, userID int64, n int) ([]store.Prediction, error)
	}
	feedbackStore interface {
		RandomUnverified(ctx context.Context) (store.Prediction, error)
		Verify(ctx context.Context, v store.Verify) (store.Verification, error)
	}
	statsStore interface {
		Stats(ctx context.Context) (store.Stats, error)
		RecentFeedback(ctx context.Context, n int) ([]store.Feedback, error)
	}
	pinger interface {
		Ping(ctx context.Context) error
	}
	// predictor is the prediction service (predict.Client).
	predictor interface {
		Predict(ctx context.Context, f predict.Features) (predict.Prediction, error)
		// PredictRecord scores the record (predict.ShotRequest.Record) of a
		// shot validated and completed here, which predictd does not
		// validate again.
		PredictRecord(ctx context.Context, record []byte) (predict.Prediction, error)
		Ready(ctx context.Context) error
	}
)

// deps are everything the HTTP surface needs.
type deps struct {
	logger      *slog.Logger
	reg         *prometheus.Registry // metrics are registered here and /metrics serves it
	users       userStore
	predictions predictionStore
	feedback    feedbackStore
	stats       statsStore
	db          pinger
	predictor   predictor
	tokens      *auth.Tokens
	hasher      *auth.Hasher
	accounts    accountStore // logout, password change, deletion
	logins      loginStore   // the login limits' buckets

	corsOrigins    []string
	feedbackWindow int
	loginPerUser   int // failed password checks per username and address, a minute
	loginPerAddr   int // attempts per address, a minute
	loginUserHour  int // failed password checks per username from all addresses, an hour
	requestTimeout time.Duration
	statsTTL       time.Duration // cache of the gauges read from the store
	userCacheTTL   time.Duration // cache of the users of authenticated requests; 0: none
	tokenCacheTTL  time.Duration // cache of verified access tokens; 0: none
	now            func() time.Time

	// ui is the web UI (internal/webui), mounted at /ui when not nil; run
	// always passes it, handler tests may leave it out.
	ui http.Handler
}

// NewServer returns apid's HTTP handler: the middleware stack and every
// route (routes.go).
func NewServer(d deps) http.Handler {
	if d.now == nil {
		d.now = time.Now
	}
	m := newMetrics(d.reg)
	sc := newStoreCollector(d.logger, d.stats, d.feedbackWindow, d.statsTTL)
	d.reg.MustRegister(sc)

	r := chi.NewRouter()
	r.Use(withRequestID, httpmetrics.New(d.reg).Middleware, accessLog(d.logger), recoverer(d.logger),
		cors(d.corsOrigins), limitBody(d.logger))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Error(w, r, d.logger, nba.Errorf(nba.ENotFound, "Not Found"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Encode(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method Not Allowed"})
	})
	addRoutes(r, d, m, sc)
	return r
}
