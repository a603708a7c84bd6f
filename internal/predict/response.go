package predict

// Prediction is predictd's answer to POST /predict.
type Prediction struct {
	Prediction   int     `json:"prediction"` // 1: the shot goes in
	Probability  float64 `json:"probability"`
	ModelVersion string  `json:"model_version"`
}

// ShotPrediction is predictd's answer to POST /predict/shot: the prediction
// and the fields derived from the raw shot.
type ShotPrediction struct {
	Prediction
	ShotDistance  int    `json:"shot_distance"`
	ShotType      string `json:"shot_type"`
	ShotZoneBasic string `json:"shot_zone_basic"`
	ShotZoneArea  string `json:"shot_zone_area"`
	ShotZoneRange string `json:"shot_zone_range"`
}
