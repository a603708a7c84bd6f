package nba

import (
	"strings"
	"testing"
)

// TestFeatureNames pins the one-hot names built from the value lists to the
// original system's spelling, and checks that the list is a set.
func TestFeatureNames(t *testing.T) {
	names := FeatureNames()
	for i, want := range map[int]string{
		0: "Period", 9: "Away_Team_Frequency",
		10: "ShotType_2PT_Field_Goal", 11: "ShotType_3PT_Field_Goal",
		12: "ShotZoneBasic_Above_the_Break_3", 14: "ShotZoneBasic_In_The_Paint_Non_RA", 16: "ShotZoneBasic_Mid_Range",
		19: "ShotZoneArea_Back_Court_BC", 21: "ShotZoneArea_Left_Side_Center_LC",
		25: "ShotZoneRange_16_24_ft", 26: "ShotZoneRange_24_ft", 28: "ShotZoneRange_Back_Court_Shot",
		29: "ShotZoneRange_Less_Than_8_ft", 30: "SeasonType_Playoffs", 31: "SeasonType_Regular_Season",
		32: "Game_ID_Frequency", 38: "Day_of_Week",
	} {
		if names[i] != want || FeatureName(i) != want {
			t.Errorf("feature %d = %q, want %q", i, names[i], want)
		}
	}
	for i, n := range names {
		if j, ok := FeatureIndex(n); !ok || j != i {
			t.Errorf("FeatureIndex(%q) = %d, %v; want %d", n, j, ok, i)
		}
	}
	if _, ok := FeatureIndex("period"); ok {
		t.Error("FeatureIndex is case-insensitive; the names are exact")
	}
}

// TestValueListsAreCopies proves that no caller can change the lists the
// package relies on.
func TestValueListsAreCopies(t *testing.T) {
	for name, get := range map[string]func() []string{
		"FeatureNames": FeatureNames, "Columns": Columns, "ShotTypes": ShotTypes, "ZoneBasics": ZoneBasics,
		"ZoneAreas": ZoneAreas, "ZoneRanges": ZoneRanges, "SeasonTypes": SeasonTypes,
		"ActionTypes": ActionTypes, "Families": Families,
	} {
		first := get()
		want := first[0]
		first[0] = "changed by a caller"
		if got := get()[0]; got != want {
			t.Errorf("%s()[0] = %q after a caller changed its copy, want %q", name, got, want)
		}
	}
	if !KnownActionType("Jump Shot") || strings.Contains(FeatureName(10), "changed") {
		t.Error("package state changed through a returned slice")
	}
}
