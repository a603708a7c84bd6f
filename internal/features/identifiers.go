package features

import (
	"maps"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Identifiers say who took a shot and how: the player, the shooter's team
// in one season, and the action type. The 39 seed features cannot carry
// them as identities (the original body's Player_ID_Frequency says how
// often a player appeared in training, not who he is), so they travel
// beside the seed to the models' effects. The zero value is an unknown
// shooter and action, scored as the league average.
type Identifiers struct {
	PlayerID   int32
	TeamID     int32
	Season     int16 // the year the season started: 2019 for 2019-20
	ActionType string
}

// IdentifiersOf returns the identifiers of a shot.
func IdentifiersOf(s *nba.Shot) Identifiers {
	return Identifiers{PlayerID: s.PlayerID, TeamID: s.TeamID, Season: SeasonOf(s.GameDate), ActionType: s.ActionType}
}

// SeasonOf returns the season of a YYYYMMDD game date by the league's
// calendar: league.SeasonOf (from August a date opens the next season;
// the 2019-20 season ran to October 2020), in integer arithmetic because
// every scored shot calls it. TestSeasonOf holds the two to the same answer.
func SeasonOf(date int32) int16 {
	y, m := date/10000, date/100%100
	switch {
	case y == 2020 && m <= 10:
		return 2019
	case m >= 8:
		return int16(y)
	}
	return int16(y - 1)
}

// ActionTypes returns the action types of the training split with their
// Action_Type_Frequency, the value a /predict body carries for them. It is
// nil when the transform dropped the table (no chosen feature reads it).
func (t *Transform) ActionTypes() map[string]float64 {
	return maps.Clone(t.tables[tableActionType].str)
}
