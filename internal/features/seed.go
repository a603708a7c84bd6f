package features

import (
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Indexes of the seed features, in nba.FeatureNames order.
const (
	SeedPeriod = iota
	SeedMinutesRemaining
	SeedSecondsRemaining
	SeedShotDistance
	SeedXLocation
	SeedYLocation
	SeedActionTypeFrequency
	SeedTeamNameFrequency
	SeedHomeTeamFrequency
	SeedAwayTeamFrequency
	SeedShotType // first of the 2 Shot Type one-hots, nba.ShotTypes order
	_
	SeedZoneBasic // first of the 7 Shot Zone Basic one-hots, nba.ZoneBasics order
	_
	_
	_
	_
	_
	_
	SeedZoneArea // first of the 6 Shot Zone Area one-hots, nba.ZoneAreas order
	_
	_
	_
	_
	_
	SeedZoneRange // first of the 5 Shot Zone Range one-hots, nba.ZoneRanges order
	_
	_
	_
	_
	SeedSeasonType // first of the 2 Season Type one-hots, nba.SeasonTypes order
	_
	SeedGameIDFrequency
	SeedGameEventIDFrequency
	SeedPlayerIDFrequency
	SeedYear
	SeedMonth
	SeedDay
	SeedDayOfWeek
)

// Seed returns the 39 features of the original /predict body for a shot:
// unscaled, in nba.FeatureNames order. It is the one function that maps a
// raw shot to features; featurize, train, infer and the prediction service
// all call it. It does not allocate.
func Seed(t *Transform, s *nba.Shot) [nba.NumSeedFeatures]float64 {
	var f [nba.NumSeedFeatures]float64
	f[SeedPeriod] = float64(s.Period)
	f[SeedMinutesRemaining] = float64(s.MinutesRemaining)
	f[SeedSecondsRemaining] = float64(s.SecondsRemaining)
	f[SeedShotDistance] = float64(s.ShotDistance)
	f[SeedXLocation] = float64(s.XLocation)
	f[SeedYLocation] = float64(s.YLocation)
	f[SeedActionTypeFrequency] = t.tables[tableActionType].str[s.ActionType]
	f[SeedTeamNameFrequency] = t.tables[tableTeamName].str[s.TeamName]
	f[SeedHomeTeamFrequency] = t.tables[tableHomeTeam].str[s.HomeTeam]
	f[SeedAwayTeamFrequency] = t.tables[tableAwayTeam].str[s.AwayTeam]
	oneHot(f[SeedShotType:SeedZoneBasic], shotTypes, s.ShotType)
	oneHot(f[SeedZoneBasic:SeedZoneArea], zoneBasics, s.ShotZoneBasic)
	oneHot(f[SeedZoneArea:SeedZoneRange], zoneAreas, s.ShotZoneArea)
	oneHot(f[SeedZoneRange:SeedSeasonType], zoneRanges, s.ShotZoneRange)
	oneHot(f[SeedSeasonType:SeedGameIDFrequency], seasonTypes, s.SeasonType)
	f[SeedGameIDFrequency] = t.tables[tableGameID].num[s.GameID]
	f[SeedGameEventIDFrequency] = t.tables[tableGameEventID].num[s.GameEventID]
	f[SeedPlayerIDFrequency] = t.tables[tablePlayerID].num[s.PlayerID]
	y, m, d := int(s.GameDate/10000), int(s.GameDate/100%100), int(s.GameDate%100)
	f[SeedYear], f[SeedMonth], f[SeedDay] = float64(y), float64(m), float64(d)
	f[SeedDayOfWeek] = float64(DayOfWeek(y, m, d))
	return f
}

// The one-hot vocabularies, copied once so that Seed does not allocate.
var (
	shotTypes   = nba.ShotTypes()
	zoneBasics  = nba.ZoneBasics()
	zoneAreas   = nba.ZoneAreas()
	zoneRanges  = nba.ZoneRanges()
	seasonTypes = nba.SeasonTypes()
)

// oneHot sets dst[i] to 1 where cats[i] == v. A value outside the
// vocabulary leaves the whole group at 0, as pandas.get_dummies would for a
// category it never saw.
func oneHot(dst []float64, cats []string, v string) {
	for i, c := range cats {
		if c == v {
			dst[i] = 1
			return
		}
	}
}

// DayOfWeek returns the weekday of a proleptic Gregorian date with Monday =
// 0 .. Sunday = 6, as pandas' dayofweek does. It is pure arithmetic (Howard
// Hinnant's days_from_civil) so that Seed stays free of allocations.
func DayOfWeek(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := era*146097 + doe - 719468 // days since 1970-01-01, a Thursday
	w := (days + 3) % 7
	if w < 0 {
		w += 7
	}
	return w
}
