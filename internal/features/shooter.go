package features

import (
	"time"

	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Shooter identifies who took a shot: the player and the shooter's team in
// one season. The 39 seed features cannot carry it (the original body's
// Player_ID_Frequency says how often a player appeared in training, not who
// he is), so it travels beside them to the models' shooter effects. The
// zero value is an unknown shooter, scored as the league average.
type Shooter struct {
	PlayerID int32
	TeamID   int32
	Season   int16 // the year the season started: 2019 for 2019-20
}

// ShooterOf returns the shooter of a shot.
func ShooterOf(s *nba.Shot) Shooter {
	return Shooter{PlayerID: s.PlayerID, TeamID: s.TeamID, Season: SeasonOf(s.GameDate)}
}

// SeasonOf returns the season of a YYYYMMDD game date by the league's
// calendar (league.SeasonOf, the 2020 bubble included).
func SeasonOf(date int32) int16 {
	t := time.Date(int(date/10000), time.Month(date/100%100), int(date%100), 12, 0, 0, 0, time.UTC)
	return int16(league.SeasonOf(t))
}
