package features

import (
	"slices"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
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

// TestVectorOf: a named action type gives its own family and plainness,
// whatever its training count; the frequency lookup agrees whenever the
// type's count is its own, and mixes types that share one.
func TestVectorOf(t *testing.T) {
	t.Parallel()
	base := featuretest.Shots(2, 1)[0]
	var shots []nba.Shot
	for _, a := range []string{"Jump Shot", "Jump Shot", "Jump Shot", "Dunk Shot", "Turnaround Hook Shot", "Driving Layup Shot", "Driving Layup Shot"} {
		s := base
		s.ActionType = a
		shots = append(shots, s)
	}
	tr := fit(t, shots)
	tr, err := tr.Select([]string{"Action_Family_Dunk", "Action_Family_Hook", "Action_Family_Jumper", "Action_Family_Unknown", "Action_Plain"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		action       string
		byName, byFq []float64
	}{
		{"Jump Shot", []float64{0, 0, 1, 0, 1}, []float64{0, 0, 1, 0, 1}},
		{"Dunk Shot", []float64{1, 0, 0, 0, 1}, []float64{0.5, 0.5, 0, 0, 0.5}},     // shares its count with the hook
		{"Step Back Jump shot", []float64{0, 0, 1, 0, 0}, []float64{0, 0, 0, 1, 0}}, // never seen in training
	}
	for _, tt := range tests {
		s := base
		s.ActionType = tt.action
		seed := Seed(tr, &s)
		byName := tr.VectorOf(&seed, tt.action, make([]float64, 5))
		byFq := tr.Vector(&seed, make([]float64, 5))
		if !slices.Equal(byName, tt.byName) || !slices.Equal(byFq, tt.byFq) {
			t.Errorf("%s: VectorOf %v, Vector %v; want %v and %v", tt.action, byName, byFq, tt.byName, tt.byFq)
		}
	}
}
