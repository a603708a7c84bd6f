// Package featuretest generates synthetic shots for the tests and benchmarks
// of the training pipeline (features, model, process, featurize, train,
// infer). Every row passes dataset.Check: zones, distance and shot type come
// from court.Classify, teams from league.TeamsIn, Game IDs and dates follow
// the league's rules. Make probabilities follow distance and action family
// roughly as docs/data.md §4 reports, so a model has signal to find.
//
// It is test support only: the product's generator is cmd/generate-data.
// Fixtures are synthetic because the real sample must never be copied into
// the repository.
package featuretest

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

const numSeasons = league.LastSeason - league.FirstSeason + 1

// Generator yields synthetic shots game by game, deterministically for a
// seed: the same seed and size give the same rows, and calling Game again on
// one generator makes the data grow by new games.
type Generator struct {
	rng      *rand.Rand
	perGame  int
	game     int // games emitted so far
	playoffs [numSeasons]int
	regular  [numSeasons]int
}

// New returns a generator of about n rows. The number of shots per game
// grows with n (1 for tiny fixtures, up to 200 for millions of rows) so that
// Game IDs never run out: each season has 1230 regular-season numbers.
func New(seed uint64, n int) *Generator {
	per := n / 20000
	per = max(2, min(per, 200))
	return &Generator{rng: rand.New(rand.NewPCG(seed, 0x6e6261)), perGame: per}
}

// Shots returns n shots.
func Shots(seed uint64, n int) []nba.Shot {
	g := New(seed, n)
	out := make([]nba.Shot, 0, n)
	for len(out) < n {
		out = g.Game(out, min(g.perGame, n-len(out)))
	}
	return out
}

// WriteCSV writes n shots in the Kaggle schema, header included.
func WriteCSV(w io.Writer, seed uint64, n int) error {
	g := New(seed, n)
	cw := dataset.NewWriter(w)
	if err := cw.WriteHeader(); err != nil {
		return err
	}
	var buf []nba.Shot
	for done := 0; done < n; {
		buf = g.Game(buf[:0], min(g.perGame, n-done))
		for i := range buf {
			if err := cw.Write(&buf[i]); err != nil {
				return err
			}
		}
		done += len(buf)
	}
	return cw.Flush()
}

// Game appends the k shots of the next game to dst.
func (g *Generator) Game(dst []nba.Shot, k int) []nba.Shot {
	r := g.rng
	si := g.game % numSeasons
	season := league.FirstSeason + si
	g.game++
	playoffs := r.IntN(20) == 0
	var id league.GameID
	var date int32
	if playoffs && g.playoffs[si] < 99 {
		g.playoffs[si]++
		n := g.playoffs[si]
		id = league.GameID{Type: league.GameTypePlayoffs, Season: season, Number: n}
		if season >= 2001 {
			// 4YY00RSG: spread the count over rounds, series and games.
			i := n - 1
			id.Number = league.PlayoffNumber(1+i/56%4, i/7%8, 1+i%7)
		}
		date = int32((season+1)*10000 + (4+r.IntN(2))*100 + 1 + r.IntN(28))
	} else {
		playoffs = false
		g.regular[si]++
		id = league.GameID{Type: league.GameTypeRegular, Season: season, Number: g.regular[si]}
		if g.regular[si] > league.MaxRegularGame {
			panic(fmt.Sprintf("featuretest: season %d ran out of game numbers", season))
		}
		month := []int{11, 12, 1, 2, 3}[r.IntN(5)]
		year := season
		if month < 8 {
			year++
		}
		date = int32(year*10000 + month*100 + 1 + r.IntN(28))
	}
	teams := league.TeamsIn(season)
	hi := r.IntN(len(teams))
	ai := (hi + 1 + r.IntN(len(teams)-1)) % len(teams)
	home, away := teams[hi], teams[ai]
	seasonType := nba.SeasonRegular
	if playoffs {
		seasonType = nba.SeasonPlayoffs
	}
	// Clock order: shots sorted by elapsed time, event ids increasing.
	times := make([]int, k)
	for i := range times {
		times[i] = r.IntN(4 * 720)
		if r.IntN(100) == 0 {
			times[i] = 4*720 + r.IntN(300) // overtime
		}
	}
	sort.Ints(times)
	event := int32(1)
	for _, t := range times {
		event += 1 + int32(r.IntN(4))
		team := home
		if r.IntN(2) == 0 {
			team = away
		}
		s := nba.Shot{
			GameID: id.Int(), GameEventID: event, TeamID: team.ID, TeamName: team.Name,
			GameDate: date, HomeTeam: home.Code, AwayTeam: away.Code, SeasonType: seasonType,
		}
		period, left := 1+t/720, 720-t%720
		if t >= 4*720 {
			period, left = 5, 300-(t-4*720)
		}
		if left == 720 || (period == 5 && left == 300) {
			left--
		}
		s.Period, s.MinutesRemaining, s.SecondsRemaining = int8(period), int8(left/60), int8(left%60)
		player := int(team.ID-league.MinTeamID)*15 + r.IntN(15)
		s.PlayerID = int32(200000 + player)
		s.PlayerName = fmt.Sprintf("Synthetic Player %d", player)
		g.shot(&s, season)
		dst = append(dst, s)
	}
	return dst
}

var (
	nearActions  = []string{"Layup Shot", "Driving Layup Shot", "Dunk Shot", "Slam Dunk Shot", "Tip Shot", "Reverse Layup Shot", "Jump Shot", "Hook Shot"}
	paintActions = []string{"Jump Shot", "Hook Shot", "Turnaround Jump Shot", "Driving Floating Jump Shot", "Jump Bank Shot", "Layup Shot"}
	jumpActions  = []string{"Jump Shot", "Jump Shot", "Jump Shot", "Pullup Jump shot", "Step Back Jump shot", "Fadeaway Jump Shot", "Turnaround Jump Shot", "Jump Bank Shot"}
	threeActions = []string{"Jump Shot", "Jump Shot", "Jump Shot", "Pullup Jump shot", "Step Back Jump shot"}
)

// shot fills location, zones, action and outcome.
func (g *Generator) shot(s *nba.Shot, season int) {
	r := g.rng
	var x, y int
	var actions []string
	switch u := r.Float64(); {
	case u < 0.30: // at the rim, many at exactly (0,0) before 2010
		if season < 2010 && r.IntN(4) == 0 {
			x, y = 0, 0
		} else {
			x, y = r.IntN(61)-30, r.IntN(40)-10
		}
		actions = nearActions
	case u < 0.44: // paint
		x, y = r.IntN(161)-80, 40+r.IntN(95)
		actions = paintActions
	case u < 0.70: // mid-range
		a := (r.Float64() - 0.5) * 2.6
		rad := 90 + r.Float64()*140
		x, y = int(rad*math.Sin(a)), int(rad*math.Cos(a))
		actions = jumpActions
	case u < 0.998: // three: corners and above the break
		if r.IntN(5) == 0 {
			x, y = 225+r.IntN(20), r.IntN(85)
			if r.IntN(2) == 0 {
				x = -x
			}
		} else {
			a := (r.Float64() - 0.5) * 2.2
			rad := 240 + r.Float64()*45
			x, y = int(rad*math.Sin(a)), int(rad*math.Cos(a))
		}
		actions = threeActions
	default: // heave from the backcourt
		x, y = r.IntN(301)-150, 430+r.IntN(300)
		actions = []string{"Jump Shot"}
	}
	x = max(-247, min(247, x))
	y = max(-40, y)
	z := court.Classify(x, y)
	s.XLocation, s.YLocation, s.ShotDistance = int16(x), int16(y), int16(z.Distance)
	s.ShotZoneBasic, s.ShotZoneArea, s.ShotZoneRange, s.ShotType = z.Basic, z.Area, z.Range, z.ShotType
	s.ActionType = actions[r.IntN(len(actions))]
	if z.Distance > 4 && nba.ActionFamily(s.ActionType) == nba.FamilyDunk {
		s.ActionType = "Layup Shot"
	}
	if z.Distance > 7 && nba.ActionFamily(s.ActionType) != nba.FamilyJumper && nba.ActionFamily(s.ActionType) != nba.FamilyBank {
		s.ActionType = "Jump Shot"
	}
	p := makeProb(s, z.Distance)
	if r.Float64() < p {
		s.ShotMadeFlag = 1
	}
}

// makeProb is the synthetic truth: family base rate, falling with distance,
// plus a small player effect.
func makeProb(s *nba.Shot, d int) float64 {
	var logit float64
	switch nba.ActionFamily(s.ActionType) {
	case nba.FamilyDunk:
		logit = 2.2
	case nba.FamilyLayup:
		logit = 0.3
	case nba.FamilyTip:
		logit = 0.0
	case nba.FamilyHook:
		logit = -0.3
	case nba.FamilyBank:
		logit = 0.4
	default:
		logit = -0.1 - 0.035*float64(d)
	}
	if d < 3 {
		logit += 0.3
	}
	if d > 30 {
		logit = -4
	}
	logit += float64(s.PlayerID%15-7) * 0.03
	if s.MinutesRemaining == 0 && s.SecondsRemaining < 5 {
		logit -= 0.5
	}
	return 1 / (1 + math.Exp(-logit))
}
