package predict

import "github.com/nba-mlops/nba-mlops/internal/nba"

// Prediction is predictd's answer to POST /predict.
type Prediction struct {
	Prediction   int     `json:"prediction"` // 1: the shot goes in
	Probability  float64 `json:"probability"`
	ModelVersion string  `json:"model_version"`
}

// ShotPrediction is the answer to POST /predict/shot: the prediction and
// the fields derived from the raw shot.
type ShotPrediction struct {
	Prediction
	ShotDistance  int    `json:"shot_distance"`
	ShotType      string `json:"shot_type"`
	ShotZoneBasic string `json:"shot_zone_basic"`
	ShotZoneArea  string `json:"shot_zone_area"`
	ShotZoneRange string `json:"shot_zone_range"`
}

// ShotPredictionOf returns the answer to POST /predict/shot for a shot
// completed by ShotRequest.Shot and its prediction.
func ShotPredictionOf(s *nba.Shot, p Prediction) ShotPrediction {
	return ShotPrediction{
		Prediction:    p,
		ShotDistance:  int(s.ShotDistance),
		ShotType:      s.ShotType,
		ShotZoneBasic: s.ShotZoneBasic,
		ShotZoneArea:  s.ShotZoneArea,
		ShotZoneRange: s.ShotZoneRange,
	}
}
