package features

import (
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// TestSeasonOf holds the integer rule to the league's calendar on every day
// from 1996 to 2025.
func TestSeasonOf(t *testing.T) {
	t.Parallel()
	for d := time.Date(1996, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() < 2026; d = d.AddDate(0, 0, 1) {
		if got, want := SeasonOf(league.DateOf(d)), league.SeasonOf(d); int(got) != want {
			t.Fatalf("SeasonOf(%d) = %d, league.SeasonOf = %d", league.DateOf(d), got, want)
		}
	}
}

func TestIdentifiersOf(t *testing.T) {
	t.Parallel()
	s := nba.Shot{PlayerID: 2544, TeamID: 1610612747, GameDate: 20200815, ActionType: "Driving Layup Shot"}
	want := Identifiers{PlayerID: 2544, TeamID: 1610612747, Season: 2019, ActionType: "Driving Layup Shot"}
	if got := IdentifiersOf(&s); got != want {
		t.Errorf("IdentifiersOf = %+v, want %+v", got, want)
	}
}
