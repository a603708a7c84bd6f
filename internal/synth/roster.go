package synth

import (
	"math"
	"sort"

	"github.com/nba-mlops/nba-mlops/internal/league"
)

// player is one synthetic player of the universe.
type player struct {
	id    int32
	name  string
	debut int     // first season
	usage float64 // share of his team's shots, before the age curve
	skill float64 // logit offset of his make probability
}

// roster is a team's players in one season with their cumulative shot
// shares, for drawing the shooter.
type roster struct {
	players []int
	cum     []float64
}

// rosters are the players of every team in every season of the data set.
type rosters struct {
	players []player
	teams   [][]roster // [season-FirstSeason][franchise index]
}

const franchises = int(league.MaxTeamID-league.MinTeamID) + 1

func franchise(id int32) int { return int(id - league.MinTeamID) }

// idRange is where the Player IDs of a debut season lie. The NBA's ids grow
// with time in three bands (docs/data.md §3): up to 2863 for players who debuted
// by 2004, 101106-204060 for 2005-2014, 1626143-1629730 from 2015.
func idRange(debut int) (lo, hi int32) {
	switch {
	case debut < league.FirstSeason:
		return 15, 1499
	case debut <= 2004:
		lo = 1500 + int32(debut-1997)*170
		return lo, lo + 169
	case debut <= 2007:
		lo = 101106 + int32(debut-2005)*100
		return lo, lo + 99
	case debut <= 2014:
		lo = 200746 + int32(debut-2008)*473
		return lo, lo + 472
	default:
		lo = 1626143 + int32(debut-2015)*717
		return lo, lo + 716
	}
}

// buildRosters runs the league's careers season by season: players debut,
// stay with their team or move as free agents, and retire. A franchise that
// moves (Charlotte to New Orleans in 2002) takes its roster along; an
// expansion team (Charlotte in 2004) signs free agents and rookies. Like the
// calendar it depends on no seed, so Player ID and name stay 1:1 across
// every batch.
func buildRosters(cals []seasonCal) *rosters {
	r := newRNG(hash(saltRoster))
	rs := &rosters{teams: make([][]roster, len(cals))}
	names := map[string]bool{}
	newPlayer := func(debut int) int {
		name := newName(&r)
		for names[name] {
			name = newName(&r)
		}
		names[name] = true
		rs.players = append(rs.players, player{
			name:  name,
			debut: debut,
			usage: math.Exp(0.6 * r.norm()),
			skill: 0.2 * r.norm(),
		})
		return len(rs.players) - 1
	}
	// assignIDs gives the players of one debut band increasing ids, spread
	// over the band: each player owns an equal slot of it and sits at a
	// random point inside, so ids never collide and never leave the band.
	assignIDs := func(ps []int, debut int) {
		lo, hi := idRange(debut)
		sort.SliceStable(ps, func(i, j int) bool { return rs.players[ps[i]].debut < rs.players[ps[j]].debut })
		span := int(hi - lo + 1)
		for k, p := range ps {
			start, end := k*span/len(ps), (k+1)*span/len(ps)
			// A band holds 100-1485 ids for ~40-80 debuts a season; if it
			// ever ran out, ids would carry on past hi rather than repeat.
			rs.players[p].id = lo + int32(start+r.intn(max(1, end-start)))
			if len(ps) > span {
				rs.players[p].id = lo + int32(k)
			}
		}
	}

	teams := make([][]int, franchises) // current roster per franchise
	var free []int                     // unsigned players
	for si := range cals {
		c := &cals[si]
		season := c.season
		var rookies []int
		active := make([]bool, franchises)
		for _, t := range c.teams {
			active[franchise(t.ID)] = true
		}
		if si == 0 {
			var vets []int
			for _, t := range c.teams {
				f := franchise(t.ID)
				for range 14 {
					yrs := int(13 * math.Pow(r.float(), 1.4))
					p := newPlayer(season - yrs)
					if yrs == 0 {
						rookies = append(rookies, p)
					} else {
						vets = append(vets, p)
					}
					teams[f] = append(teams[f], p)
				}
			}
			assignIDs(vets, season-1)
		} else {
			var moved []int // the roster of a franchise that left
			var signed []int
			for f := range teams {
				stay := teams[f][:0:0]
				for _, p := range teams[f] {
					switch {
					case retires(&r, season-rs.players[p].debut):
					case !active[f]:
						moved = append(moved, p)
					case r.float() < 0.7:
						stay = append(stay, p)
					default:
						signed = append(signed, p)
					}
				}
				teams[f] = stay
			}
			// Last year's unsigned players either retire or try again.
			pool := signed
			for _, p := range free {
				if r.float() < 0.5 {
					pool = append(pool, p)
				}
			}
			for _, t := range c.teams {
				f := franchise(t.ID)
				if len(teams[f]) == 0 && len(moved) > 0 {
					teams[f], moved = moved, nil
				}
				for target := 13 + r.intn(3); len(teams[f]) < target; {
					if len(pool) > 0 && r.float() < 0.6 {
						k := r.intn(len(pool))
						teams[f] = append(teams[f], pool[k])
						pool[k] = pool[len(pool)-1]
						pool = pool[:len(pool)-1]
						continue
					}
					p := newPlayer(season)
					rookies = append(rookies, p)
					teams[f] = append(teams[f], p)
				}
			}
			free = append(pool, moved...)
		}
		assignIDs(rookies, season)
		rs.teams[si] = make([]roster, franchises)
		for f, ps := range teams {
			if !active[f] {
				continue
			}
			ro := roster{players: append([]int(nil), ps...), cum: make([]float64, len(ps))}
			for k, p := range ps {
				ro.cum[k] = rs.players[p].usage * ageCurve(season-rs.players[p].debut)
			}
			cumulate(ro.cum)
			rs.teams[si][f] = ro
		}
	}
	return rs
}

// retires decides whether a player with yrs seasons behind him retires.
func retires(r *rng, yrs int) bool {
	p := 0.03 + 0.012*float64(yrs)
	if yrs > 12 {
		p += 0.15
	}
	return r.float() < min(p, 0.7)
}

// ageCurve scales a player's shot share: rookies and veterans shoot less.
func ageCurve(yrs int) float64 {
	switch {
	case yrs < 2:
		return 0.55 + 0.25*float64(yrs)
	case yrs <= 10:
		return 1
	default:
		return max(0.4, 1-0.08*float64(yrs-10))
	}
}

// shooter draws the player who takes a shot for a franchise in a season.
func (rs *rosters) shooter(r *rng, seasonIdx, f int) *player {
	ro := &rs.teams[seasonIdx][f]
	return &rs.players[ro.players[r.pick(ro.cum)]]
}
