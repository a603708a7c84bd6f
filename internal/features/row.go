package features

import (
	"unsafe"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Row is one row of data/features/{train,test}.parquet: the shot's key, its
// label and its 39 seed features, unscaled, under the /predict names.
// float32 holds every integer-valued feature exactly and the frequencies to
// about 7 digits; the reverse action lookup matches in float32 for that
// reason.
type Row struct {
	GameID       int32 `parquet:"game_id"`
	GameEventID  int32 `parquet:"game_event_id"`
	ShotMadeFlag int8  `parquet:"shot_made_flag"`

	// The seed features must stay contiguous, in nba.FeatureNames order:
	// Seed() views them as an array (checked by TestRowLayout).
	Period                        float32 `parquet:"Period"`
	MinutesRemaining              float32 `parquet:"Minutes_Remaining"`
	SecondsRemaining              float32 `parquet:"Seconds_Remaining"`
	ShotDistance                  float32 `parquet:"Shot_Distance"`
	XLocation                     float32 `parquet:"X_Location"`
	YLocation                     float32 `parquet:"Y_Location"`
	ActionTypeFrequency           float32 `parquet:"Action_Type_Frequency"`
	TeamNameFrequency             float32 `parquet:"Team_Name_Frequency"`
	HomeTeamFrequency             float32 `parquet:"Home_Team_Frequency"`
	AwayTeamFrequency             float32 `parquet:"Away_Team_Frequency"`
	ShotType2PTFieldGoal          float32 `parquet:"ShotType_2PT_Field_Goal"`
	ShotType3PTFieldGoal          float32 `parquet:"ShotType_3PT_Field_Goal"`
	ShotZoneBasicAboveTheBreak3   float32 `parquet:"ShotZoneBasic_Above_the_Break_3"`
	ShotZoneBasicBackcourt        float32 `parquet:"ShotZoneBasic_Backcourt"`
	ShotZoneBasicInThePaintNonRA  float32 `parquet:"ShotZoneBasic_In_The_Paint_Non_RA"`
	ShotZoneBasicLeftCorner3      float32 `parquet:"ShotZoneBasic_Left_Corner_3"`
	ShotZoneBasicMidRange         float32 `parquet:"ShotZoneBasic_Mid_Range"`
	ShotZoneBasicRestrictedArea   float32 `parquet:"ShotZoneBasic_Restricted_Area"`
	ShotZoneBasicRightCorner3     float32 `parquet:"ShotZoneBasic_Right_Corner_3"`
	ShotZoneAreaBackCourtBC       float32 `parquet:"ShotZoneArea_Back_Court_BC"`
	ShotZoneAreaCenterC           float32 `parquet:"ShotZoneArea_Center_C"`
	ShotZoneAreaLeftSideCenterLC  float32 `parquet:"ShotZoneArea_Left_Side_Center_LC"`
	ShotZoneAreaLeftSideL         float32 `parquet:"ShotZoneArea_Left_Side_L"`
	ShotZoneAreaRightSideCenterRC float32 `parquet:"ShotZoneArea_Right_Side_Center_RC"`
	ShotZoneAreaRightSideR        float32 `parquet:"ShotZoneArea_Right_Side_R"`
	ShotZoneRange1624ft           float32 `parquet:"ShotZoneRange_16_24_ft"`
	ShotZoneRange24ft             float32 `parquet:"ShotZoneRange_24_ft"`
	ShotZoneRange816ft            float32 `parquet:"ShotZoneRange_8_16_ft"`
	ShotZoneRangeBackCourtShot    float32 `parquet:"ShotZoneRange_Back_Court_Shot"`
	ShotZoneRangeLessThan8ft      float32 `parquet:"ShotZoneRange_Less_Than_8_ft"`
	SeasonTypePlayoffs            float32 `parquet:"SeasonType_Playoffs"`
	SeasonTypeRegularSeason       float32 `parquet:"SeasonType_Regular_Season"`
	GameIDFrequency               float32 `parquet:"Game_ID_Frequency"`
	GameEventIDFrequency          float32 `parquet:"Game_Event_ID_Frequency"`
	PlayerIDFrequency             float32 `parquet:"Player_ID_Frequency"`
	Year                          float32 `parquet:"Year"`
	Month                         float32 `parquet:"Month"`
	Day                           float32 `parquet:"Day"`
	DayOfWeek                     float32 `parquet:"Day_of_Week"`
}

// seedArray views the 39 seed fields as an array.
func (r *Row) seedArray() *[nba.NumSeedFeatures]float32 {
	return (*[nba.NumSeedFeatures]float32)(unsafe.Pointer(&r.Period))
}

// SetSeed stores a shot's key, label and seed features.
func (r *Row) SetSeed(s *nba.Shot, seed *[nba.NumSeedFeatures]float64) {
	r.GameID, r.GameEventID, r.ShotMadeFlag = s.GameID, s.GameEventID, s.ShotMadeFlag
	a := r.seedArray()
	for i, v := range seed {
		a[i] = float32(v)
	}
}

// Seed returns the row's seed features.
func (r *Row) Seed() [nba.NumSeedFeatures]float64 {
	var out [nba.NumSeedFeatures]float64
	for i, v := range r.seedArray() {
		out[i] = float64(v)
	}
	return out
}
