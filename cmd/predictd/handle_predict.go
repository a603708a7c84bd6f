package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
)

// errNotReady answers prediction requests before any model is loaded.
var errNotReady = nba.Errorf(nba.EUnavailable, "no model is loaded yet: train one (make pipeline) and predictd picks it up within seconds")

// handlePredict scores the original system's 39-feature body.
func handlePredict(h *holder, m *metrics, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := h.get() // this request finishes on this model whatever reloads meanwhile
		if c == nil {
			httpjson.Error(w, r, logger, errNotReady)
			return
		}
		body, err := httpjson.ReadBody(r)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		f, err := predict.DecodeFeatures(body)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		seed := f.Vector()
		start := time.Now()
		p := c.model.ScoreSeed(&seed)
		m.inference.Observe(time.Since(start).Seconds())
		resp := predict.Prediction{Prediction: c.model.Predict(p), Probability: p, ModelVersion: c.version}
		m.observeOne(c.version, p, resp.Prediction)
		httpjson.Encode(w, http.StatusOK, resp)
	})
}

// handlePredictShot scores a raw shot: the model's own transform turns it
// into features, and the answer carries the fields derived from x/y.
func handlePredictShot(h *holder, m *metrics, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := h.get()
		if c == nil {
			httpjson.Error(w, r, logger, errNotReady)
			return
		}
		body, err := httpjson.ReadBody(r)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		req, err := predict.DecodeShotRequest(body)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		s, err := req.Shot()
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		start := time.Now()
		p := c.model.ScoreShot(&s)
		m.inference.Observe(time.Since(start).Seconds())
		pred := c.model.Predict(p)
		m.observeOne(c.version, p, pred)
		httpjson.Encode(w, http.StatusOK, predict.ShotPrediction{
			Prediction:    predict.Prediction{Prediction: pred, Probability: p, ModelVersion: c.version},
			ShotDistance:  int(s.ShotDistance),
			ShotType:      s.ShotType,
			ShotZoneBasic: s.ShotZoneBasic,
			ShotZoneArea:  s.ShotZoneArea,
			ShotZoneRange: s.ShotZoneRange,
		})
	})
}
