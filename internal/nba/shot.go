package nba

import "slices"

// Shot is one row of the Kaggle shot data set. Field types are the smallest
// that hold every value the real data can take, which keeps a few million
// shots in memory cheap; the Parquet tags name the columns of the processed
// data set.
type Shot struct {
	GameID           int32  `parquet:"game_id" json:"game_id"`                      // TYYNNNNN: type, season, game number
	GameEventID      int32  `parquet:"game_event_id" json:"game_event_id"`          // event number within the game
	PlayerID         int32  `parquet:"player_id" json:"player_id"`                  //
	PlayerName       string `parquet:"player_name,dict" json:"player_name"`         //
	TeamID           int32  `parquet:"team_id" json:"team_id"`                      // 1610612737..1610612766
	TeamName         string `parquet:"team_name,dict" json:"team_name"`             //
	Period           int8   `parquet:"period" json:"period"`                        // 1-4, 5+ is overtime
	MinutesRemaining int8   `parquet:"minutes_remaining" json:"minutes_remaining"`  //
	SecondsRemaining int8   `parquet:"seconds_remaining" json:"seconds_remaining"`  //
	ActionType       string `parquet:"action_type,dict" json:"action_type"`         //
	ShotType         string `parquet:"shot_type,dict" json:"shot_type"`             // "2PT Field Goal" or "3PT Field Goal"
	ShotZoneBasic    string `parquet:"shot_zone_basic,dict" json:"shot_zone_basic"` //
	ShotZoneArea     string `parquet:"shot_zone_area,dict" json:"shot_zone_area"`   //
	ShotZoneRange    string `parquet:"shot_zone_range,dict" json:"shot_zone_range"` //
	ShotDistance     int16  `parquet:"shot_distance" json:"shot_distance"`          // whole feet, truncated
	XLocation        int16  `parquet:"x_location" json:"x_location"`                // tenths of feet, rim at 0, x<0 is left
	YLocation        int16  `parquet:"y_location" json:"y_location"`                // tenths of feet, rim at 0, toward half court
	ShotMadeFlag     int8   `parquet:"shot_made_flag" json:"shot_made_flag"`        // 1 made, 0 missed
	GameDate         int32  `parquet:"game_date" json:"game_date"`                  // YYYYMMDD
	HomeTeam         string `parquet:"home_team,dict" json:"home_team"`             // three-letter code
	AwayTeam         string `parquet:"away_team,dict" json:"away_team"`             // three-letter code
	SeasonType       string `parquet:"season_type,dict" json:"season_type"`         // "Regular Season" or "Playoffs"
}

// Key is the natural key of a shot, (Game ID, Game Event ID), packed into one
// integer so that sets of millions of keys stay small.
type Key uint64

// Key returns the natural key of s.
func (s *Shot) Key() Key { return MakeKey(s.GameID, s.GameEventID) }

// MakeKey packs a (Game ID, Game Event ID) pair.
func MakeKey(gameID, gameEventID int32) Key {
	return Key(uint64(uint32(gameID))<<32 | uint64(uint32(gameEventID)))
}

// Column indexes of the Kaggle header, in Kaggle order.
const (
	ColGameID = iota
	ColGameEventID
	ColPlayerID
	ColPlayerName
	ColTeamID
	ColTeamName
	ColPeriod
	ColMinutesRemaining
	ColSecondsRemaining
	ColActionType
	ColShotType
	ColShotZoneBasic
	ColShotZoneArea
	ColShotZoneRange
	ColShotDistance
	ColXLocation
	ColYLocation
	ColShotMadeFlag
	ColGameDate
	ColHomeTeam
	ColAwayTeam
	ColSeasonType
	NumColumns
)

// columns are the Kaggle header names in Kaggle order. Names contain spaces
// and must match exactly.
var columns = [NumColumns]string{
	"Game ID", "Game Event ID", "Player ID", "Player Name", "Team ID", "Team Name",
	"Period", "Minutes Remaining", "Seconds Remaining", "Action Type", "Shot Type",
	"Shot Zone Basic", "Shot Zone Area", "Shot Zone Range", "Shot Distance",
	"X Location", "Y Location", "Shot Made Flag", "Game Date", "Home Team",
	"Away Team", "Season Type",
}

// Columns returns the Kaggle header names in Kaggle order (a copy).
func Columns() []string { return slices.Clone(columns[:]) }

// ColumnName returns the Kaggle header name of column col (one of the Col
// constants).
func ColumnName(col int) string { return columns[col] }

// Value sets of the categorical columns, as the data spells them.
const (
	ShotType2PT = "2PT Field Goal"
	ShotType3PT = "3PT Field Goal"

	ZoneRestrictedArea = "Restricted Area"
	ZonePaint          = "In The Paint (Non-RA)"
	ZoneMidRange       = "Mid-Range"
	ZoneLeftCorner3    = "Left Corner 3"
	ZoneRightCorner3   = "Right Corner 3"
	ZoneAboveBreak3    = "Above the Break 3"
	ZoneBackcourt      = "Backcourt"

	AreaCenter      = "Center(C)"
	AreaLeft        = "Left Side(L)"
	AreaRight       = "Right Side(R)"
	AreaLeftCenter  = "Left Side Center(LC)"
	AreaRightCenter = "Right Side Center(RC)"
	AreaBackCourt   = "Back Court(BC)"

	RangeLessThan8 = "Less Than 8 ft."
	Range8To16     = "8-16 ft."
	Range16To24    = "16-24 ft."
	Range24Plus    = "24+ ft."
	RangeBackCourt = "Back Court Shot"

	SeasonRegular  = "Regular Season"
	SeasonPlayoffs = "Playoffs"
)

// Category lists in the order the original system's one-hot columns use
// (alphabetical, as pandas.get_dummies sorts them). They are unexported
// arrays so that no caller can change them; the functions below return
// copies.
var (
	shotTypes   = [...]string{ShotType2PT, ShotType3PT}
	zoneBasics  = [...]string{ZoneAboveBreak3, ZoneBackcourt, ZonePaint, ZoneLeftCorner3, ZoneMidRange, ZoneRestrictedArea, ZoneRightCorner3}
	zoneAreas   = [...]string{AreaBackCourt, AreaCenter, AreaLeftCenter, AreaLeft, AreaRightCenter, AreaRight}
	zoneRanges  = [...]string{Range16To24, Range24Plus, Range8To16, RangeBackCourt, RangeLessThan8}
	seasonTypes = [...]string{SeasonPlayoffs, SeasonRegular}
)

// ShotTypes returns the Shot Type values in one-hot order.
func ShotTypes() []string { return slices.Clone(shotTypes[:]) }

// ZoneBasics returns the Shot Zone Basic values in one-hot order.
func ZoneBasics() []string { return slices.Clone(zoneBasics[:]) }

// ZoneAreas returns the Shot Zone Area values in one-hot order.
func ZoneAreas() []string { return slices.Clone(zoneAreas[:]) }

// ZoneRanges returns the Shot Zone Range values in one-hot order.
func ZoneRanges() []string { return slices.Clone(zoneRanges[:]) }

// SeasonTypes returns the Season Type values in one-hot order.
func SeasonTypes() []string { return slices.Clone(seasonTypes[:]) }
