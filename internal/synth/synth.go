package synth

import (
	"context"
	"fmt"

	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// UniverseVersion names the synthetic league: its calendar, rosters,
// play-by-play and shot model. Rows of one version never contradict each
// other, whatever the seed; a new version may give an existing key other
// content (ingest keeps the first it saw), so change it with the model.
const UniverseVersion = 1

// Config says what to generate.
type Config struct {
	// Rows is how many shots to draw from the universe.
	Rows int64
	// Seed picks which shots. The same seed gives the same rows, in the
	// same order, byte for byte.
	Seed uint64
	// FirstSeason and LastSeason restrict the draw to a range of seasons
	// (start years, 1997 = 1997-98); 0 means the data set's first or last.
	FirstSeason, LastSeason int
}

// Generator draws synthetic shots from the universe.
type Generator struct {
	cfg     Config
	cals    []seasonCal
	rosters *rosters
	models  []*seasonModel // by season index; nil outside the configured range
	total   int64          // shots of the universe in the configured seasons
}

// New checks cfg and builds the universe's tables: the calendar, rosters and
// per-season shot models (a few milliseconds, independent of cfg.Rows).
func New(cfg Config) (*Generator, error) {
	if cfg.FirstSeason == 0 {
		cfg.FirstSeason = league.FirstSeason
	}
	if cfg.LastSeason == 0 {
		cfg.LastSeason = league.LastSeason
	}
	switch {
	case cfg.Rows <= 0:
		return nil, fmt.Errorf("rows %d: must be at least 1", cfg.Rows)
	case cfg.FirstSeason < league.FirstSeason || cfg.LastSeason > league.LastSeason:
		return nil, fmt.Errorf("seasons %d-%d: the synthetic league covers %d-%d (%s to %s)",
			cfg.FirstSeason, cfg.LastSeason, league.FirstSeason, league.LastSeason,
			league.SeasonLabel(league.FirstSeason), league.SeasonLabel(league.LastSeason))
	case cfg.FirstSeason > cfg.LastSeason:
		return nil, fmt.Errorf("seasons %d-%d: the first season is after the last", cfg.FirstSeason, cfg.LastSeason)
	}
	g := &Generator{cfg: cfg, cals: buildCalendar()}
	g.rosters = buildRosters(g.cals)
	g.models = make([]*seasonModel, len(g.cals))
	for s := cfg.FirstSeason; s <= cfg.LastSeason; s++ {
		si := seasonIndex(s)
		g.models[si] = newSeasonModel(s)
		c := &g.cals[si]
		for k := range c.games() {
			tl := timeline(c.gameID(k))
			g.total += int64(tl.total)
		}
	}
	if cfg.Rows > g.total {
		return nil, fmt.Errorf("rows %d: the synthetic league has only %d shots in seasons %s to %s; ask for fewer or widen the seasons",
			cfg.Rows, g.total, league.SeasonLabel(cfg.FirstSeason), league.SeasonLabel(cfg.LastSeason))
	}
	return g, nil
}

// Available returns how many shots the universe holds in the configured
// seasons: the most one run can draw, and the size of the whole synthetic
// data set that nightly batches sample from.
func (g *Generator) Available() int64 { return g.total }

// Run draws cfg.Rows shots and passes each to emit, in Game ID and event
// order. The *nba.Shot is reused: emit must copy it to keep it.
//
// The draw is a uniform random subset of the universe's shots (selection
// sampling, Knuth's Algorithm S), streamed game by game: memory does not
// grow with Rows. Every field of a shot is a function of its (Game ID, Game
// Event ID) alone, so two runs that draw the same key write the same row,
// and a fresh seed draws mostly fresh keys (a fraction Rows/Available of
// one run's keys are expected in another's).
func (g *Generator) Run(ctx context.Context, emit func(*nba.Shot) error) error {
	sel := newRNG(hash(saltSelect, g.cfg.Seed))
	need, left := g.cfg.Rows, g.total
	var (
		picks []int
		shot  nba.Shot
		err   error
	)
	for s := g.cfg.FirstSeason; s <= g.cfg.LastSeason && need > 0; s++ {
		si := seasonIndex(s)
		c := &g.cals[si]
		m := g.models[si]
		for k := 0; k < c.games() && need > 0; k++ {
			if k&0xff == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			id := c.gameID(k)
			tl := timeline(id)
			picks = picks[:0]
			for i := range tl.total {
				if sel.float()*float64(left) < float64(need) {
					picks = append(picks, i)
					need--
				}
				left--
			}
			if len(picks) == 0 {
				continue
			}
			gi := c.game(k)
			tl.pickedShots(id, picks, func(ev shotEvent) bool {
				g.fill(&shot, &gi, si, m, ev)
				err = emit(&shot)
				return err == nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// fill writes the shot of one event. Everything random is drawn from a
// stream keyed by (Game ID, Game Event ID).
func (g *Generator) fill(s *nba.Shot, gi *gameInfo, si int, m *seasonModel, ev shotEvent) {
	r := newRNG(hash(saltShot, uint64(gi.id), uint64(ev.eventID)))
	team := gi.away
	if r.float() < 0.488 { // home 976 vs away 1024 in the sample
		team = gi.home
	}
	p := g.rosters.shooter(&r, si, franchise(team.ID))

	var (
		x, y int
		z    court.Zones
		act  string
		made bool
	)
	if ev.buzzer && r.float() < heaveShare {
		x, y, z = heave(&r)
		t := &m.actions[ctxHeave]
		act = t.names[r.pick(t.cum)]
	} else {
		class := r.pick(m.classCum[:])
		x, y, z = location(&r, class)
		t := &m.actions[contextOf(class, z.Distance)]
		a := r.pick(t.cum)
		act = t.names[a]
		logit := m.alpha[class][z.Distance] + t.offsets[a] + p.skill
		if ev.remaining < lateSeconds {
			logit += lateOffset
		}
		made = r.float() < sigmoid(logit)
	}

	*s = nba.Shot{
		GameID:           gi.id,
		GameEventID:      ev.eventID,
		PlayerID:         p.id,
		PlayerName:       p.name,
		TeamID:           team.ID,
		TeamName:         team.Name,
		Period:           int8(ev.period),
		MinutesRemaining: int8(ev.remaining / 60),
		SecondsRemaining: int8(ev.remaining % 60),
		ActionType:       act,
		ShotType:         z.ShotType,
		ShotZoneBasic:    z.Basic,
		ShotZoneArea:     z.Area,
		ShotZoneRange:    z.Range,
		ShotDistance:     int16(z.Distance),
		XLocation:        int16(x),
		YLocation:        int16(y),
		GameDate:         gi.date,
		HomeTeam:         gi.home.Code,
		AwayTeam:         gi.away.Code,
		SeasonType:       nba.SeasonRegular,
	}
	if made {
		s.ShotMadeFlag = 1
	}
	if gi.playoffs {
		s.SeasonType = nba.SeasonPlayoffs
	}
}
