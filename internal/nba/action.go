package nba

import (
	"slices"
	"strings"
)

// Action families group the data's ~70 Action Type spellings by how the shot
// is taken; make rates differ far more between families than within them
// (docs/data.md §4: dunk 91%, layup 53%, tip 52%, hook 41%, bank 73%, jumper 36%).
const (
	FamilyDunk   = "dunk"
	FamilyLayup  = "layup"
	FamilyTip    = "tip"
	FamilyHook   = "hook"
	FamilyBank   = "bank"
	FamilyJumper = "jumper"
)

var families = [...]string{FamilyDunk, FamilyLayup, FamilyTip, FamilyHook, FamilyBank, FamilyJumper}

// Families returns the action families in a fixed order (a copy).
func Families() []string { return slices.Clone(families[:]) }

// ActionFamily returns the family of an Action Type. The order of the tests
// matters: "Tip Layup Shot" is a layup, "Jump Bank Hook Shot" a hook.
func ActionFamily(actionType string) string {
	switch a := actionType; {
	case strings.Contains(a, "Dunk"):
		return FamilyDunk
	case strings.Contains(a, "Layup"), strings.Contains(a, "Finger Roll"):
		return FamilyLayup
	case strings.Contains(a, "Tip"):
		return FamilyTip
	case strings.Contains(a, "Hook"):
		return FamilyHook
	case strings.Contains(a, "Bank"):
		return FamilyBank
	default:
		return FamilyJumper
	}
}

// actionTypes lists the Action Type values the NBA's play-by-play uses in
// the seasons of the data set, spelled as the data spells them (the casing
// of "shot" is inconsistent and must be kept).
var actionTypes = [...]string{
	"Alley Oop Dunk Shot", "Alley Oop Layup shot", "Cutting Dunk Shot", "Cutting Finger Roll Layup Shot",
	"Cutting Layup Shot", "Driving Bank Hook Shot", "Driving Bank shot", "Driving Dunk Shot",
	"Driving Finger Roll Layup Shot", "Driving Finger Roll Shot", "Driving Floating Bank Jump Shot",
	"Driving Floating Jump Shot", "Driving Hook Shot", "Driving Jump shot", "Driving Layup Shot",
	"Driving Reverse Dunk Shot", "Driving Reverse Layup Shot", "Driving Slam Dunk Shot", "Dunk Shot",
	"Fadeaway Bank shot", "Fadeaway Jump Shot", "Finger Roll Layup Shot", "Finger Roll Shot",
	"Floating Jump shot", "Follow Up Dunk Shot", "Hook Bank Shot", "Hook Shot", "Jump Bank Hook Shot",
	"Jump Bank Shot", "Jump Hook Shot", "Jump Shot", "Layup Shot", "Pullup Bank shot",
	"Pullup Jump shot", "Putback Dunk Shot", "Putback Layup Shot", "Putback Reverse Dunk Shot",
	"Putback Slam Dunk Shot", "Reverse Dunk Shot", "Reverse Layup Shot", "Reverse Slam Dunk Shot",
	"Running Alley Oop Dunk Shot", "Running Alley Oop Layup Shot", "Running Bank Hook Shot",
	"Running Bank shot", "Running Dunk Shot", "Running Finger Roll Layup Shot", "Running Finger Roll Shot",
	"Running Hook Shot", "Running Jump Shot", "Running Layup Shot", "Running Pull-Up Jump Shot",
	"Running Reverse Dunk Shot", "Running Reverse Layup Shot", "Running Slam Dunk Shot", "Running Tip Shot",
	"Slam Dunk Shot", "Step Back Bank Jump Shot", "Step Back Jump shot", "Tip Dunk Shot", "Tip Layup Shot",
	"Tip Shot", "Turnaround Bank Hook Shot", "Turnaround Bank shot", "Turnaround Fadeaway Bank Jump Shot",
	"Turnaround Fadeaway shot", "Turnaround Finger Roll Shot", "Turnaround Hook Shot", "Turnaround Jump Shot",
}

// ActionTypes returns the known Action Type values (a copy).
func ActionTypes() []string { return slices.Clone(actionTypes[:]) }

var knownAction = func() map[string]bool {
	m := make(map[string]bool, len(actionTypes))
	for _, a := range actionTypes {
		m[a] = true
	}
	return m
}()

// KnownActionType reports whether a is one of ActionTypes().
func KnownActionType(a string) bool { return knownAction[a] }
