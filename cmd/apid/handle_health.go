package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
)

func handleRoot() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Encode(w, http.StatusOK, map[string]string{"message": "Welcome to the NBA prediction API!"})
	})
}

// handleHealthz answers while the process serves: a liveness probe that
// does not depend on the database or predictd (restarting apid would not
// bring them back).
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

type readiness struct {
	Status string            `json:"status"`
	Detail string            `json:"detail,omitempty"`
	Checks map[string]string `json:"checks"`
}

// handleReadyz answers 200 when the database and predictd both answer, 503
// otherwise, naming which one is away.
func handleReadyz(db pinger, p predictor) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var dbErr, pErr error
		var wg sync.WaitGroup
		wg.Go(func() { dbErr = db.Ping(ctx) })
		wg.Go(func() { pErr = p.Ready(ctx) })
		wg.Wait()
		res := readiness{Status: "ready", Checks: map[string]string{"database": "ok", "prediction_service": "ok"}}
		if dbErr != nil {
			res.Checks["database"] = "unavailable"
		}
		if pErr != nil {
			res.Checks["prediction_service"] = "unavailable"
		}
		if dbErr != nil || pErr != nil {
			res.Status = "unavailable"
			res.Detail = "not ready"
			httpjson.Encode(w, http.StatusServiceUnavailable, res)
			return
		}
		httpjson.Encode(w, http.StatusOK, res)
	})
}

// slogErrorLog adapts the logger for promhttp's error reports.
type slogErrorLog struct{ logger *slog.Logger }

func (l slogErrorLog) Println(v ...any) { l.logger.Warn("metrics: " + fmt.Sprint(v...)) }
