package predict

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Bounds of the raw shot's numbers, shared by the 39-feature ranges and
// the /predict/shot checks.
const (
	maxPeriod  = 10 // four quarters and up to six overtimes
	maxMinutes = 11 // a quarter is 12 minutes: 11:59 .. 0:00
	maxSeconds = 59
	// minY and maxY bound Y Location as the data set's location rule does
	// (tenths of feet from the rim: just behind the baseline to the far
	// baseline); X Location is within the sidelines, ±court.SidelineX.
	minY = -60
	maxY = 890
)

// maxShotDistance is the longest distance a shot on the court can have, in
// whole feet: from the rim to a far corner.
var maxShotDistance = court.Distance(court.SidelineX, maxY)

// featureRange is what one of the 39 features may be.
type featureRange struct {
	min, max func() float64 // the bounds, inclusive; Year's upper bound moves with the clock
	whole    bool           // a whole number (clock, period, calendar)
	oneHot   bool           // 0 or 1
}

func bound(x float64) func() float64 { return func() float64 { return x } }

// lastYear is the last calendar year a game can be in: the one in which the
// current season ends.
func lastYear() float64 { return float64(league.SeasonOf(time.Now()) + 1) }

// ranges holds the range of each feature, in nba.FeatureNames order. The
// data set and the league's calendar bound the raw numbers; frequencies are
// shares of the training rows; one-hots are 0 or 1.
var ranges = func() [nba.NumSeedFeatures]featureRange {
	var r [nba.NumSeedFeatures]featureRange
	freq := featureRange{min: bound(0), max: bound(1)}
	for i := range r {
		switch {
		case i >= features.SeedShotType && i < features.SeedGameIDFrequency:
			r[i] = featureRange{min: bound(0), max: bound(1), oneHot: true}
		default:
			r[i] = freq
		}
	}
	r[features.SeedPeriod] = featureRange{min: bound(1), max: bound(maxPeriod), whole: true}
	r[features.SeedMinutesRemaining] = featureRange{min: bound(0), max: bound(maxMinutes), whole: true}
	r[features.SeedSecondsRemaining] = featureRange{min: bound(0), max: bound(maxSeconds), whole: true}
	r[features.SeedShotDistance] = featureRange{min: bound(0), max: bound(float64(maxShotDistance))}
	r[features.SeedXLocation] = featureRange{min: bound(-court.SidelineX), max: bound(court.SidelineX)}
	r[features.SeedYLocation] = featureRange{min: bound(minY), max: bound(maxY)}
	r[features.SeedYear] = featureRange{min: bound(league.FirstSeason), max: lastYear, whole: true}
	r[features.SeedMonth] = featureRange{min: bound(1), max: bound(12), whole: true}
	r[features.SeedDay] = featureRange{min: bound(1), max: bound(31), whole: true}
	r[features.SeedDayOfWeek] = featureRange{min: bound(0), max: bound(6), whole: true}
	return r
}()

// Bounds returns the range feature i (in nba.FeatureNames order) may take:
// its inclusive bounds now (Year's upper bound is the year the current
// season ends, so it moves with the clock) and whether it must be a whole
// number. The OpenAPI document states the same bounds (a test holds them
// together).
func Bounds(i int) (min, max float64, whole bool) {
	r := ranges[i]
	return r.min(), r.max(), r.whole || r.oneHot
}

// oneHotGroup is a group of one-hot features and its rule.
type oneHotGroup struct {
	first, end int // [first, end) in the vector
	// exactlyOne: the category is a closed pair (2PT or 3PT, Regular Season
	// or Playoffs), so every shot has exactly one. The zone groups need
	// only at least one: every point of the court is in some zone, but the
	// original README's example sets two zones at once and clients send it,
	// so a service scores it rather than judge it.
	exactlyOne bool
}

var oneHotGroups = [...]oneHotGroup{
	{features.SeedShotType, features.SeedZoneBasic, true},
	{features.SeedZoneBasic, features.SeedZoneArea, false},
	{features.SeedZoneArea, features.SeedZoneRange, false},
	{features.SeedZoneRange, features.SeedSeasonType, false},
	{features.SeedSeasonType, features.SeedGameIDFrequency, true},
}

// Problems calls report for each value of f outside the range the data
// allows, with the index of the feature, a message in pydantic's words and
// its error type: Period 1..10, Minutes_Remaining 0..11, Seconds_Remaining
// 0..59, Shot_Distance and X/Y_Location on the court, frequencies 0..1, each
// one-hot 0 or 1 with exactly one 1 in the Shot Type and the Season Type
// groups and at least one in each zone group, Year from the first season of
// the data set to the end of the current one, Month 1..12, Day 1..31,
// Day_of_Week 0..6; the clock, period and calendar values are whole numbers.
func (f *Features) Problems(report func(i int, msg, typ string)) {
	all := [nba.NumSeedFeatures]bool{}
	for i := range all {
		all[i] = true
	}
	checkRanges(f, &all, true, report)
}

// Check returns a *httpjson.ValidationError listing the problems of f, or
// nil.
func (f *Features) Check() error {
	var ve httpjson.ValidationError
	f.Problems(func(i int, msg, typ string) { ve.Add(httpjson.Body(msg, typ, nba.FeatureName(i))) })
	return ve.Err()
}

// checkRanges checks the values marked in have; the group rules run only
// when every value is there (all).
func checkRanges(f *Features, have *[nba.NumSeedFeatures]bool, all bool, report func(i int, msg, typ string)) {
	for i, x := range f {
		if !have[i] {
			continue
		}
		r := ranges[i]
		switch lo, hi := r.min(), r.max(); {
		case r.oneHot && x != 0 && x != 1:
			report(i, "Input should be 0 or 1", "literal_error")
		case x < lo:
			report(i, "Input should be greater than or equal to "+format(lo), "greater_than_equal")
		case x > hi:
			report(i, "Input should be less than or equal to "+format(hi), "less_than_equal")
		case r.whole && x != math.Trunc(x):
			report(i, "Input should be a whole number, got a number with a fractional part", "int_from_float")
		}
	}
	if !all {
		return
	}
	for _, g := range oneHotGroups {
		ones := 0
		for _, x := range f[g.first:g.end] {
			if x == 1 {
				ones++
			}
		}
		switch {
		case g.exactlyOne && ones != 1:
			report(g.first, fmt.Sprintf("Value error, exactly one of %s must be 1, got %d", groupNames(g), ones), "value_error")
		case ones == 0:
			report(g.first, fmt.Sprintf("Value error, at least one of %s must be 1", groupNames(g)), "value_error")
		}
	}
}

func groupNames(g oneHotGroup) string {
	names := make([]string, 0, g.end-g.first)
	for i := g.first; i < g.end; i++ {
		names = append(names, nba.FeatureName(i))
	}
	return strings.Join(names, ", ")
}

func format(x float64) string { return string(appendFloat(nil, x)) }
