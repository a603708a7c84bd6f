package main

import (
	"bytes"
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

// handlePredictShot is POST /predict/shot: a raw shot, decoded once,
// validated and completed (zones, distance, shot type, team id) once, here;
// predictd scores the completed record without validating it again
// (predict.PathPredictRecord). The row stores the body as the caller sent it
// and the record, so that, once verified, the shot can go back into the
// training data (apid export-feedback).
func handlePredictShot(logger *slog.Logger, p predictor, preds predictionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := httpjson.ReadJSON(r)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		req, err := predict.DecodeShotRequest(body)
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
		// One encoding of the completed shot: predictd scores it and the row
		// stores it (the form export-feedback reads).
		record, err := req.Record(shot)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		res, err := p.PredictRecord(r.Context(), record)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		// The input as sent, compacted (the body is valid JSON), not
		// encoded again from what was decoded.
		var input bytes.Buffer
		if err := json.Compact(&input, body); err != nil {
			httpjson.Error(w, r, logger, fmt.Errorf("compact shot body: %w", err))
			return
		}
		rec := store.Prediction{UserID: u.ID, Prediction: res.Prediction, Probability: res.Probability,
			ModelVersion: res.ModelVersion, Input: input.Bytes(), RawShot: record}
		if err := preds.CreatePrediction(r.Context(), &rec); err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		httpjson.Encode(w, http.StatusOK, shotPredictResponse{PredictionID: rec.ID, ShotPrediction: predict.ShotPredictionOf(&shot, res)})
	})
}
