package predict

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Features is the body of POST /predict: the original system's 39 features,
// named and ordered as nba.FeatureNames, values unscaled. The decoder does
// not judge the values (the README's own example sets two zones at once):
// it only insists on exactly these 39 numbers, each finite.
type Features struct {
	Period                        float64 `json:"Period"`
	MinutesRemaining              float64 `json:"Minutes_Remaining"`
	SecondsRemaining              float64 `json:"Seconds_Remaining"`
	ShotDistance                  float64 `json:"Shot_Distance"`
	XLocation                     float64 `json:"X_Location"`
	YLocation                     float64 `json:"Y_Location"`
	ActionTypeFrequency           float64 `json:"Action_Type_Frequency"`
	TeamNameFrequency             float64 `json:"Team_Name_Frequency"`
	HomeTeamFrequency             float64 `json:"Home_Team_Frequency"`
	AwayTeamFrequency             float64 `json:"Away_Team_Frequency"`
	ShotType2PTFieldGoal          float64 `json:"ShotType_2PT_Field_Goal"`
	ShotType3PTFieldGoal          float64 `json:"ShotType_3PT_Field_Goal"`
	ShotZoneBasicAboveTheBreak3   float64 `json:"ShotZoneBasic_Above_the_Break_3"`
	ShotZoneBasicBackcourt        float64 `json:"ShotZoneBasic_Backcourt"`
	ShotZoneBasicInThePaintNonRA  float64 `json:"ShotZoneBasic_In_The_Paint_Non_RA"`
	ShotZoneBasicLeftCorner3      float64 `json:"ShotZoneBasic_Left_Corner_3"`
	ShotZoneBasicMidRange         float64 `json:"ShotZoneBasic_Mid_Range"`
	ShotZoneBasicRestrictedArea   float64 `json:"ShotZoneBasic_Restricted_Area"`
	ShotZoneBasicRightCorner3     float64 `json:"ShotZoneBasic_Right_Corner_3"`
	ShotZoneAreaBackCourtBC       float64 `json:"ShotZoneArea_Back_Court_BC"`
	ShotZoneAreaCenterC           float64 `json:"ShotZoneArea_Center_C"`
	ShotZoneAreaLeftSideCenterLC  float64 `json:"ShotZoneArea_Left_Side_Center_LC"`
	ShotZoneAreaLeftSideL         float64 `json:"ShotZoneArea_Left_Side_L"`
	ShotZoneAreaRightSideCenterRC float64 `json:"ShotZoneArea_Right_Side_Center_RC"`
	ShotZoneAreaRightSideR        float64 `json:"ShotZoneArea_Right_Side_R"`
	ShotZoneRange16To24Ft         float64 `json:"ShotZoneRange_16_24_ft"`
	ShotZoneRange24Ft             float64 `json:"ShotZoneRange_24_ft"`
	ShotZoneRange8To16Ft          float64 `json:"ShotZoneRange_8_16_ft"`
	ShotZoneRangeBackCourtShot    float64 `json:"ShotZoneRange_Back_Court_Shot"`
	ShotZoneRangeLessThan8Ft      float64 `json:"ShotZoneRange_Less_Than_8_ft"`
	SeasonTypePlayoffs            float64 `json:"SeasonType_Playoffs"`
	SeasonTypeRegularSeason       float64 `json:"SeasonType_Regular_Season"`
	GameIDFrequency               float64 `json:"Game_ID_Frequency"`
	GameEventIDFrequency          float64 `json:"Game_Event_ID_Frequency"`
	PlayerIDFrequency             float64 `json:"Player_ID_Frequency"`
	Year                          float64 `json:"Year"`
	Month                         float64 `json:"Month"`
	Day                           float64 `json:"Day"`
	DayOfWeek                     float64 `json:"Day_of_Week"`
}

// fields returns pointers to the fields in nba.FeatureNames order (a test
// checks the order against the JSON tags).
func (f *Features) fields() [nba.NumSeedFeatures]*float64 {
	return [...]*float64{
		&f.Period, &f.MinutesRemaining, &f.SecondsRemaining, &f.ShotDistance, &f.XLocation, &f.YLocation,
		&f.ActionTypeFrequency, &f.TeamNameFrequency, &f.HomeTeamFrequency, &f.AwayTeamFrequency,
		&f.ShotType2PTFieldGoal, &f.ShotType3PTFieldGoal,
		&f.ShotZoneBasicAboveTheBreak3, &f.ShotZoneBasicBackcourt, &f.ShotZoneBasicInThePaintNonRA,
		&f.ShotZoneBasicLeftCorner3, &f.ShotZoneBasicMidRange, &f.ShotZoneBasicRestrictedArea,
		&f.ShotZoneBasicRightCorner3,
		&f.ShotZoneAreaBackCourtBC, &f.ShotZoneAreaCenterC, &f.ShotZoneAreaLeftSideCenterLC,
		&f.ShotZoneAreaLeftSideL, &f.ShotZoneAreaRightSideCenterRC, &f.ShotZoneAreaRightSideR,
		&f.ShotZoneRange16To24Ft, &f.ShotZoneRange24Ft, &f.ShotZoneRange8To16Ft, &f.ShotZoneRangeBackCourtShot,
		&f.ShotZoneRangeLessThan8Ft,
		&f.SeasonTypePlayoffs, &f.SeasonTypeRegularSeason,
		&f.GameIDFrequency, &f.GameEventIDFrequency, &f.PlayerIDFrequency,
		&f.Year, &f.Month, &f.Day, &f.DayOfWeek,
	}
}

// Vector returns the features in nba.FeatureNames order, the column order of
// the model's input.
func (f Features) Vector() [nba.NumSeedFeatures]float64 {
	var v [nba.NumSeedFeatures]float64
	for i, p := range f.fields() {
		v[i] = *p
	}
	return v
}

// FeaturesFromVector is the inverse of Vector.
func FeaturesFromVector(v [nba.NumSeedFeatures]float64) Features {
	var f Features
	for i, p := range f.fields() {
		*p = v[i]
	}
	return f
}

var featureIndex = func() map[string]int {
	m := make(map[string]int, nba.NumSeedFeatures)
	for i, n := range nba.FeatureNames() {
		m[n] = i
	}
	return m
}()

// DecodeFeatures decodes a /predict body strictly: one JSON object holding
// exactly the 39 keys of nba.FeatureNames, each a finite number. Every
// problem is reported at once in a *httpjson.ValidationError, located like
// FastAPI's (["body", "Period"]): a missing key ("missing"), an unknown one
// ("extra_forbidden"), a key given twice ("duplicate_key"), a string
// ("float_parsing"), any other non-number ("float_type") and a number too
// large for a float64, such as 1e999 ("finite_number").
func DecodeFeatures(data []byte) (Features, error) {
	var (
		v    [nba.NumSeedFeatures]float64
		have [nba.NumSeedFeatures]bool
		ve   httpjson.ValidationError
	)
	err := httpjson.EachMember(data, func(k []byte, raw json.RawMessage) {
		i, ok := featureIndex[string(k)]
		if !ok {
			ve.Add(httpjson.Body("Extra inputs are not permitted", "extra_forbidden", string(k)))
			return
		}
		key := nba.FeatureName(i)
		if have[i] {
			ve.Add(httpjson.Body("Duplicate key in JSON object", "duplicate_key", key))
			return
		}
		have[i] = true
		switch httpjson.Kind(raw) {
		case '0':
		case '"':
			ve.Add(httpjson.Body("Input should be a valid number, unable to parse string as a number", "float_parsing", key))
			return
		default:
			ve.Add(httpjson.Body("Input should be a valid number", "float_type", key))
			return
		}
		x, err := strconv.ParseFloat(string(raw), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			ve.Add(httpjson.Body("Input should be a valid number", "float_type", key))
			return
		}
		// ErrRange with a finite result is an underflow to (nearly) zero,
		// which is a fine number; an overflow gives ±Inf.
		if math.IsInf(x, 0) || math.IsNaN(x) {
			ve.Add(httpjson.Body("Input should be a finite number", "finite_number", key))
			return
		}
		v[i] = x
	})
	if err != nil {
		return Features{}, err
	}
	for i, ok := range have {
		if !ok {
			ve.Add(httpjson.Body("Field required", "missing", nba.FeatureName(i)))
		}
	}
	if err := ve.Err(); err != nil {
		return Features{}, err
	}
	return FeaturesFromVector(v), nil
}

// UnmarshalJSON decodes strictly with DecodeFeatures, so that
// httpjson.Decode[Features] and json.Unmarshal apply the same rules.
func (f *Features) UnmarshalJSON(data []byte) error {
	got, err := DecodeFeatures(data)
	if err != nil {
		return err
	}
	*f = got
	return nil
}
