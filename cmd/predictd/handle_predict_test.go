package main

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/predict"
)

// TestAppendPrediction holds the hand-written encoder of /predict/record's
// answer to what httpjson.Encode writes (encoding/json and a newline).
func TestAppendPrediction(t *testing.T) {
	for _, p := range []predict.Prediction{
		{Prediction: 0, Probability: 0.41, ModelVersion: "v1"},
		{Prediction: 1, Probability: 1, ModelVersion: "model_best_lr-v12-20261207"},
		{Probability: 0, ModelVersion: ""},
		{Probability: 1e-7, ModelVersion: "v"},
		{Probability: 1.5e-10, ModelVersion: "v"},
		{Probability: math.Nextafter(1, 0), ModelVersion: "v"},
		{Probability: 0.1 + 0.2, ModelVersion: `quote " back \ slash`},
		{Probability: 0.5, ModelVersion: "<html> & é \u2028 \x01"},
	} {
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		if got := appendPrediction([]byte("x"), p); string(got) != "x"+string(want) {
			t.Errorf("appendPrediction(%+v) = %s, want %s", p, got[1:], want)
		}
	}
}
