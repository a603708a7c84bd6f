package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

type randomPrediction struct {
	PredictionID    int64           `json:"prediction_id"`
	ModelPrediction int             `json:"model_prediction"`
	DateTime        string          `json:"date_time"`
	InputParameters json.RawMessage `json:"input_parameters"`
	Probability     float64         `json:"probability"`
	ModelVersion    string          `json:"model_version"`
}

// handleRandomPrediction is GET /verify_random_prediction: an unverified
// prediction picked at random for a user to verify, or a message that there
// is none.
func handleRandomPrediction(logger *slog.Logger, fb feedbackStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := fb.RandomUnverified(r.Context())
		switch {
		case nba.ErrorCode(err) == nba.ENotFound:
			httpjson.Encode(w, http.StatusOK, map[string]string{"message": "No unverified predictions available"})
			return
		case err != nil:
			httpjson.Error(w, r, logger, err)
			return
		}
		httpjson.Encode(w, http.StatusOK, randomPrediction{
			PredictionID:    p.ID,
			ModelPrediction: p.Prediction,
			DateTime:        p.CreatedAt.UTC().Format(time.RFC3339Nano),
			InputParameters: p.Input,
			Probability:     p.Probability,
			ModelVersion:    p.ModelVersion,
		})
	})
}

type verifyRequest struct {
	PredictionID *int64 `json:"prediction_id"`
	TrueValue    *int   `json:"true_value"`
}

func (v *verifyRequest) Valid(context.Context) error {
	var ve httpjson.ValidationError
	if v.PredictionID == nil {
		ve.Add(httpjson.Body("Field required", "missing", "prediction_id"))
	}
	switch {
	case v.TrueValue == nil:
		ve.Add(httpjson.Body("Field required", "missing", "true_value"))
	case *v.TrueValue != 0 && *v.TrueValue != 1:
		ve.Add(httpjson.Body("Input should be 0 or 1", "literal_error", "true_value"))
	}
	return ve.Err()
}

// handleVerify is POST /verify_random_prediction {"prediction_id",
// "true_value"}: records what really happened. The first verification wins:
// repeating it is 200, contradicting it is 409, an unknown id is 404.
func handleVerify(logger *slog.Logger, fb feedbackStore, m *metrics, sc *storeCollector, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := httpjson.Decode[verifyRequest](r)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		u, err := userFrom(r.Context())
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		res, err := fb.Verify(r.Context(), store.Verify{PredictionID: *req.PredictionID, Value: *req.TrueValue, UserID: u.ID, At: now()})
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		if res.Changed {
			m.feedback.WithLabelValues(res.ModelVersion, strconv.FormatBool(res.Prediction == *req.TrueValue)).Inc()
			sc.invalidate()
			logger.InfoContext(r.Context(), "prediction verified", "prediction_id", *req.PredictionID,
				"model_version", res.ModelVersion, "correct", res.Prediction == *req.TrueValue, "user_id", u.ID)
		}
		httpjson.Encode(w, http.StatusOK, map[string]string{"message": fmt.Sprintf("Prediction_id:%d verified successfully", *req.PredictionID)})
	})
}
