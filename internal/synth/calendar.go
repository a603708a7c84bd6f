package synth

import (
	"time"

	"github.com/nba-mlops/nba-mlops/internal/league"
)

// Salts keep the universe's random streams apart. Changing any of them, or
// the model, changes every synthetic row: bump UniverseVersion with them.
const (
	saltSchedule uint64 = iota + 0x5eed_0001
	saltPlayoffs
	saltGame
	saltPeriod
	saltEventTime
	saltShot
	saltRoster
	saltSelect
)

// regularSeason holds a season's real calendar: how many regular-season
// games it had and the dates of its first and last game. Game numbers are
// spread over the dates in order, as the NBA numbers them.
type regularSeason struct {
	games      int
	start, end time.Time
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// regularSeasons are the 23 seasons of the Kaggle data. 29 teams played 1189
// games until 2003-04; the lockouts cut 1998-99 (Feb-May, 725 games) and
// 2011-12 (from Christmas, 990); the data ends with the suspension of
// 2019-20 on 11 March 2020 (971 games played).
var regularSeasons = map[int]regularSeason{
	1997: {1189, day(1997, 10, 31), day(1998, 4, 19)},
	1998: {725, day(1999, 2, 5), day(1999, 5, 5)},
	1999: {1189, day(1999, 11, 2), day(2000, 4, 19)},
	2000: {1189, day(2000, 10, 31), day(2001, 4, 18)},
	2001: {1189, day(2001, 10, 30), day(2002, 4, 17)},
	2002: {1189, day(2002, 10, 29), day(2003, 4, 16)},
	2003: {1189, day(2003, 10, 28), day(2004, 4, 14)},
	2004: {1230, day(2004, 11, 2), day(2005, 4, 20)},
	2005: {1230, day(2005, 11, 1), day(2006, 4, 19)},
	2006: {1230, day(2006, 10, 31), day(2007, 4, 18)},
	2007: {1230, day(2007, 10, 30), day(2008, 4, 16)},
	2008: {1230, day(2008, 10, 28), day(2009, 4, 16)},
	2009: {1230, day(2009, 10, 27), day(2010, 4, 14)},
	2010: {1230, day(2010, 10, 26), day(2011, 4, 13)},
	2011: {990, day(2011, 12, 25), day(2012, 4, 26)},
	2012: {1230, day(2012, 10, 30), day(2013, 4, 17)},
	2013: {1230, day(2013, 10, 29), day(2014, 4, 16)},
	2014: {1230, day(2014, 10, 28), day(2015, 4, 15)},
	2015: {1230, day(2015, 10, 27), day(2016, 4, 13)},
	2016: {1230, day(2016, 10, 25), day(2017, 4, 12)},
	2017: {1230, day(2017, 10, 17), day(2018, 4, 11)},
	2018: {1230, day(2018, 10, 16), day(2019, 4, 10)},
	2019: {971, day(2019, 10, 22), day(2020, 3, 11)},
}

// hasPlayoffs mirrors the Kaggle data, which holds no playoff games of
// 1997-98 and ends before the 2020 bubble.
func hasPlayoffs(season int) bool { return season > league.FirstSeason && season < league.LastSeason }

// playoffGame is one game of a season's playoffs.
type playoffGame struct {
	number     int // the last five digits of the Game ID
	home, away int // indexes into the season's teams
	date       int32
}

// seasonCal is everything about one season's games that does not depend on
// the run's seed.
type seasonCal struct {
	season   int
	regular  regularSeason
	teams    []league.Team // one per franchise, by ID
	playoffs []playoffGame
}

// games is the number of games of the season in the universe.
func (c *seasonCal) games() int { return c.regular.games + len(c.playoffs) }

// gameInfo is what a row says about its game: constant on every row of a
// Game ID, in every batch and for every seed.
type gameInfo struct {
	id         int32
	season     int
	playoffs   bool
	date       int32
	home, away league.Team
}

// gameID returns the Game ID of the k-th game (0-based) of the season.
func (c *seasonCal) gameID(k int) int32 {
	if k >= c.regular.games {
		return league.GameID{Type: league.GameTypePlayoffs, Season: c.season, Number: c.playoffs[k-c.regular.games].number}.Int()
	}
	return league.GameID{Type: league.GameTypeRegular, Season: c.season, Number: k + 1}.Int()
}

// game returns the k-th game (0-based) of the season: regular-season games
// in number order, then the playoffs.
func (c *seasonCal) game(k int) gameInfo {
	if k >= c.regular.games {
		p := c.playoffs[k-c.regular.games]
		id := league.GameID{Type: league.GameTypePlayoffs, Season: c.season, Number: p.number}.Int()
		return gameInfo{id: id, season: c.season, playoffs: true, date: p.date,
			home: c.teams[p.home], away: c.teams[p.away]}
	}
	n := k + 1
	id := league.GameID{Type: league.GameTypeRegular, Season: c.season, Number: n}.Int()
	r := newRNG(hash(saltSchedule, uint64(id)))
	h := r.intn(len(c.teams))
	a := r.intn(len(c.teams) - 1)
	if a >= h {
		a++
	}
	span := int(c.regular.end.Sub(c.regular.start).Hours() / 24)
	d := c.regular.start.AddDate(0, 0, (n-1)*(span+1)/c.regular.games)
	return gameInfo{id: id, season: c.season, date: league.DateOf(d), home: c.teams[h], away: c.teams[a]}
}

// buildCalendar lays out every season of the data set. It depends on no
// seed: the same Game ID names the same teams and date in every batch, so
// batches of different seeds can be ingested into one dataset.
func buildCalendar() []seasonCal {
	cals := make([]seasonCal, 0, league.LastSeason-league.FirstSeason+1)
	for s := league.FirstSeason; s <= league.LastSeason; s++ {
		c := seasonCal{season: s, regular: regularSeasons[s], teams: league.TeamsIn(s)}
		if hasPlayoffs(s) {
			c.playoffs = buildPlayoffs(s, c.regular.end, len(c.teams))
		}
		cals = append(cals, c)
	}
	return cals
}

// buildPlayoffs draws a bracket: 16 teams, four rounds of series (best of
// five in the first round until 2002, best of seven otherwise), home court
// to the first-named team in 2-2-1-1-1. From 2001-02 a game is numbered
// 00RSG (round, series, game); before that the data numbers playoff games in
// sequence, so they are numbered 1, 2, ... in bracket order.
func buildPlayoffs(season int, regEnd time.Time, nTeams int) []playoffGame {
	r := newRNG(hash(saltPlayoffs, uint64(season)))
	// Sixteen distinct teams: a partial Fisher-Yates shuffle.
	idx := make([]int, nTeams)
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < 16; i++ {
		j := i + r.intn(nTeams-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	alive := append([]int(nil), idx[:16]...)

	start := regEnd.AddDate(0, 0, 4)
	last := time.Date(start.Year(), time.June, 28, 0, 0, 0, 0, time.UTC)
	scale := 1.0
	if span := last.Sub(start).Hours() / 24; span < 60 {
		scale = span / 60 // the 1999 playoffs started in May
	}
	roundStart := [4]int{0, 16, 31, 45}
	var out []playoffGame
	seq := 0
	for round := 1; round <= 4; round++ {
		var next []int
		for s := 0; s < len(alive)/2; s++ {
			hi, lo := alive[2*s], alive[2*s+1]
			wins := 4
			if round == 1 && season <= 2001 {
				wins = 3
			}
			// A series lasts wins..2·wins-1 games.
			n := wins + r.intn(wins)
			for g := 1; g <= n; g++ {
				seq++
				home, away := hi, lo
				if g == 3 || g == 4 || g == 6 {
					home, away = lo, hi
				}
				num := seq
				if season >= 2001 {
					num = league.PlayoffNumber(round, s, g)
				}
				offset := float64(roundStart[round-1]+2*(g-1)+s%2) * scale
				d := start.AddDate(0, 0, int(offset))
				out = append(out, playoffGame{number: num, home: home, away: away, date: league.DateOf(d)})
			}
			if r.intn(3) == 0 {
				hi = lo // an upset
			}
			next = append(next, hi)
		}
		alive = next
	}
	return out
}
