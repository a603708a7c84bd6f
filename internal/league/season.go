package league

import (
	"fmt"
	"time"
)

// FirstSeason and LastSeason bound the seasons of the Kaggle data set
// (1997-98 .. 2019-20), by the year each season starts.
const (
	FirstSeason = 1997
	LastSeason  = 2019
)

// Date is a calendar date as the data writes it: the integer YYYYMMDD.
type Date int32

// ParseDate checks that d is a real calendar date.
func ParseDate(d int32) (time.Time, error) {
	if d < 1000_01_01 || d > 9999_12_31 {
		return time.Time{}, fmt.Errorf("%d is not a YYYYMMDD date", d)
	}
	y, m, day := int(d/10000), time.Month(d/100%100), int(d%100)
	t := time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || t.Month() != m || t.Day() != day {
		return time.Time{}, fmt.Errorf("%d is not a calendar date", d)
	}
	return t, nil
}

// DateOf returns the YYYYMMDD integer of t.
func DateOf(t time.Time) int32 {
	return int32(t.Year()*10000 + int(t.Month())*100 + t.Day())
}

// SeasonOf returns the season (the year it starts) that a game on date t
// belongs to: from August on a date opens the next season. The 2019-20
// season, suspended in March 2020, ended in the Orlando bubble from July to
// October 2020, so its window runs to 31 October 2020 and 2020-21 opened in
// December 2020.
func SeasonOf(t time.Time) int {
	y := t.Year()
	if y == 2020 && t.Month() <= time.October {
		return 2019
	}
	if t.Month() >= time.August {
		return y
	}
	return y - 1
}

// SeasonLabel formats a season as the NBA does: 1997 → "1997-98".
func SeasonLabel(season int) string {
	return fmt.Sprintf("%d-%02d", season, (season+1)%100)
}

// SeasonMonths reports whether month m is one in which games of the given
// type are played in that season. Outside the usual windows (regular season
// October–April, playoffs April–June) it knows the lockout seasons and the
// 2020 bubble. A row outside the window is suspicious but possible, so the
// validator only warns.
func SeasonMonths(season int, playoffs bool, m time.Month) bool {
	switch {
	case season == 2019 && m >= time.July && m <= time.October:
		return true // Orlando bubble: seeding games and playoffs
	case season == 2020:
		if playoffs {
			return m >= time.May && m <= time.July
		}
		return m == time.December || m <= time.May
	case playoffs:
		return m >= time.April && m <= time.June
	case season == 1998 && m == time.May:
		return true // lockout: regular season ran into May 1999
	default:
		return m >= time.October || m <= time.April
	}
}
