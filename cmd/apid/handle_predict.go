package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

type predictResponse struct {
	PredictionID int64 `json:"prediction_id"`
	predict.Prediction
}

type shotPredictResponse struct {
	PredictionID int64 `json:"prediction_id"`
	predict.ShotPrediction
}

// handlePredict is POST /predict: the original's 39-feature body, checked
// with the decoder predictd uses, scored by predictd and stored before the
// answer goes out, so a 200 always means a stored row.
func handlePredict(logger *slog.Logger, p predictor, preds predictionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := httpjson.Decode[predict.Features](r)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		u, err := userFrom(r.Context())
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		res, err := p.Predict(r.Context(), f)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		input, err := json.Marshal(f)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		rec := store.Prediction{UserID: u.ID, Prediction: res.Prediction, Probability: res.Probability,
			ModelVersion: res.ModelVersion, Input: input}
		if err := preds.CreatePrediction(r.Context(), &rec); err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		httpjson.Encode(w, http.StatusOK, predictResponse{PredictionID: rec.ID, Prediction: res})
	})
}

// handlePredictShot is POST /predict/shot: a raw shot, checked and
// completed (zones, distance, shot type, team id) here, scored by predictd,
// and stored with its raw record so that, once verified, it can go back into
// the training data (apid export-feedback).
func handlePredictShot(logger *slog.Logger, p predictor, preds predictionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := httpjson.Decode[predict.ShotRequest](r)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		shot, err := req.Shot()
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		u, err := userFrom(r.Context())
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		full := req.WithDerived(shot)
		res, err := p.PredictShot(r.Context(), full)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		input, err1 := json.Marshal(req)
		raw, err2 := json.Marshal(full)
		if err1 != nil || err2 != nil {
			httpjson.Error(w, r, logger, fmt.Errorf("encode shot: %v %v", err1, err2))
			return
		}
		rec := store.Prediction{UserID: u.ID, Prediction: res.Prediction.Prediction, Probability: res.Probability,
			ModelVersion: res.ModelVersion, Input: input, RawShot: raw}
		if err := preds.CreatePrediction(r.Context(), &rec); err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		httpjson.Encode(w, http.StatusOK, shotPredictResponse{PredictionID: rec.ID, ShotPrediction: res})
	})
}
