package main

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
)

// TestAppendPredictResponse holds the hand-written encoder of /predict's
// answer to encoding/json's output for the same value, byte for byte.
func TestAppendPredictResponse(t *testing.T) {
	tests := []struct {
		id int64
		p  predict.Prediction
	}{
		{1, predict.Prediction{Prediction: 0, Probability: 0.41, ModelVersion: "v1"}},
		{9007199254740993, predict.Prediction{Prediction: 1, Probability: 1, ModelVersion: "model_best_lr-v12-20261207"}},
		{0, predict.Prediction{Probability: 0, ModelVersion: ""}},
		{7, predict.Prediction{Probability: 1e-7, ModelVersion: "v"}},
		{7, predict.Prediction{Probability: 1.5e-10, ModelVersion: "v"}},
		{7, predict.Prediction{Probability: 0.000001, ModelVersion: "v"}},
		{7, predict.Prediction{Probability: math.Nextafter(1, 0), ModelVersion: "v"}},
		{7, predict.Prediction{Probability: 1e21, ModelVersion: "v"}},
		{7, predict.Prediction{Probability: 0.1 + 0.2, ModelVersion: `quote " back \ slash`}},
		{7, predict.Prediction{Probability: 0.5, ModelVersion: "<html> & é \u2028 \x01"}},
		{-3, predict.Prediction{Prediction: 1, Probability: 0.999999999, ModelVersion: "v2"}},
	}
	for _, tt := range tests {
		want, err := json.Marshal(predictResponse{PredictionID: tt.id, Prediction: tt.p})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n') // as httpjson.Encode writes it
		if got := appendPredictResponse(nil, tt.id, tt.p); string(got) != string(want) {
			t.Errorf("appendPredictResponse(%d, %+v) = %s, want %s", tt.id, tt.p, got, want)
		}
	}
}

// TestAppendShotPredictResponse holds the hand-written encoder of
// /predict/shot's answer to encoding/json's output, byte for byte.
func TestAppendShotPredictResponse(t *testing.T) {
	shots := []nba.Shot{
		{ShotDistance: 19, ShotType: "2PT Field Goal", ShotZoneBasic: "Mid-Range", ShotZoneArea: "Left Side Center(LC)", ShotZoneRange: "16-24 ft."},
		{ShotDistance: 0, ShotType: "3PT Field Goal", ShotZoneBasic: "Above the Break 3", ShotZoneArea: "Center(C)", ShotZoneRange: "24+ ft."},
		{ShotDistance: -1, ShotType: `<"quoted" & \ é>`, ShotZoneBasic: "\u2028", ShotZoneArea: "", ShotZoneRange: "\x00"},
	}
	preds := []predict.Prediction{
		{Prediction: 1, Probability: 0.41, ModelVersion: "model_best_lr-v12-20261207"},
		{Prediction: 0, Probability: 1.5e-10, ModelVersion: `v "q"`},
	}
	for _, s := range shots {
		for _, p := range preds {
			for _, id := range []int64{1, 9007199254740993} {
				want, err := json.Marshal(shotPredictResponse{PredictionID: id, ShotPrediction: predict.ShotPredictionOf(&s, p)})
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, '\n') // as httpjson.Encode writes it
				if got := appendShotPredictResponse([]byte("x"), id, p, &s); string(got) != "x"+string(want) {
					t.Errorf("appendShotPredictResponse(%d, %+v, %+v) = %s, want %s", id, p, s, got[1:], want)
				}
			}
		}
	}
}
