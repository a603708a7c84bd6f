package nba

import (
	"slices"
	"strings"
)

// NumSeedFeatures is the length of the original system's feature vector.
const NumSeedFeatures = 39

// featureNames are the 39 features of the original system's /predict body,
// in order. The order is also the column order of the Open Inference
// Protocol input tensor and of the feature Parquet files, so it must never
// change. Values are unscaled; Year/Month/Day/Day_of_Week come from Game Date
// (Monday = 0).
//
// It is the one list of the names: the one-hot names are not written out but
// built from the value lists as the original's pandas.get_dummies built them
// (prefix, then the value with every run of other characters than letters
// and digits turned into "_": "In The Paint (Non-RA)" → "In_The_Paint_Non_RA").
var featureNames = func() [NumSeedFeatures]string {
	names := []string{
		"Period", "Minutes_Remaining", "Seconds_Remaining", "Shot_Distance", "X_Location", "Y_Location",
		"Action_Type_Frequency", "Team_Name_Frequency", "Home_Team_Frequency", "Away_Team_Frequency",
	}
	for _, g := range oneHotGroups {
		for _, v := range g.values {
			names = append(names, g.prefix+"_"+dummyName(v))
		}
	}
	names = append(names, "Game_ID_Frequency", "Game_Event_ID_Frequency", "Player_ID_Frequency",
		"Year", "Month", "Day", "Day_of_Week")
	return [NumSeedFeatures]string(names) // panics at start if the count is wrong
}()

// oneHotGroups are the categorical columns one-hot encoded in the feature
// vector, in vector order.
var oneHotGroups = [...]struct {
	prefix string
	values []string
}{
	{"ShotType", shotTypes[:]},
	{"ShotZoneBasic", zoneBasics[:]},
	{"ShotZoneArea", zoneAreas[:]},
	{"ShotZoneRange", zoneRanges[:]},
	{"SeasonType", seasonTypes[:]},
}

// dummyName turns a category value into the suffix of its one-hot feature.
func dummyName(v string) string {
	f := strings.FieldsFunc(v, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
	return strings.Join(f, "_")
}

// FeatureNames returns the names of the 39 features in vector order (a copy:
// callers may keep or change it).
func FeatureNames() []string { return slices.Clone(featureNames[:]) }

// FeatureName returns the name of feature i (0 ≤ i < NumSeedFeatures).
func FeatureName(i int) string { return featureNames[i] }

var featureIndex = func() map[string]int {
	m := make(map[string]int, NumSeedFeatures)
	for i, n := range featureNames {
		m[n] = i
	}
	return m
}()

// FeatureIndex returns the position of the feature with this name, and
// whether there is one.
func FeatureIndex(name string) (int, bool) {
	i, ok := featureIndex[name]
	return i, ok
}
