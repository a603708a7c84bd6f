package model

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nba-mlops/nba-mlops/internal/features"
)

// ShooterEffects are additive logit offsets for who takes a shot: one per
// player and one per team-season, each shrunk toward 0 (the league) by an
// L2 penalty. Its strength λ is a prior precision in units of shots: a
// player with n shots in training moves about n/(n+λ) of the way from the
// league to his own record, so a known shooter is scored as himself and an
// unseen one as the league average, whatever the size of the training set.
// A strength of 0 means the effect is off. It is immutable once fitted.
type ShooterEffects struct {
	PlayerL2     float64
	TeamSeasonL2 float64
	player       map[int32]float64
	teamSeason   map[teamSeason]float64
}

type teamSeason struct {
	team   int32
	season int16
}

// offset returns the logit offset of a shooter: 0 for one not seen.
func (e *ShooterEffects) offset(s *features.Shooter) float64 {
	if e == nil {
		return 0
	}
	v := 0.0
	if e.player != nil {
		v += e.player[s.PlayerID]
	}
	if e.teamSeason != nil {
		v += e.teamSeason[teamSeason{s.TeamID, s.Season}]
	}
	return v
}

// Offset returns the logit offset of a shooter: what the effects add to the
// model's logit. 0 for a shooter training did not see.
func (e *ShooterEffects) Offset(s features.Shooter) float64 { return e.offset(&s) }

// Players returns the number of players with an effect.
func (e *ShooterEffects) Players() int { return len(e.player) }

// TeamSeasons returns the number of team-seasons with an effect.
func (e *ShooterEffects) TeamSeasons() int { return len(e.teamSeason) }

type shooterJSON struct {
	PlayerL2     float64            `json:"player_l2"`
	TeamSeasonL2 float64            `json:"team_season_l2"`
	Player       map[string]float64 `json:"player"`      // Player ID → logit offset
	TeamSeason   map[string]float64 `json:"team_season"` // "TeamID/season" → logit offset
}

// MarshalJSON encodes the effects; map keys come out sorted.
func (e *ShooterEffects) MarshalJSON() ([]byte, error) {
	w := shooterJSON{PlayerL2: e.PlayerL2, TeamSeasonL2: e.TeamSeasonL2, Player: map[string]float64{}, TeamSeason: map[string]float64{}}
	for k, v := range e.player {
		w.Player[strconv.FormatInt(int64(k), 10)] = v
	}
	for k, v := range e.teamSeason {
		w.TeamSeason[fmt.Sprintf("%d/%d", k.team, k.season)] = v
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes and validates the effects.
func (e *ShooterEffects) UnmarshalJSON(b []byte) error {
	var w shooterJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if !finite(w.PlayerL2) || !finite(w.TeamSeasonL2) || w.PlayerL2 < 0 || w.TeamSeasonL2 < 0 {
		return fmt.Errorf("shooter effects: strengths %v and %v, want finite values ≥ 0", w.PlayerL2, w.TeamSeasonL2)
	}
	out := ShooterEffects{PlayerL2: w.PlayerL2, TeamSeasonL2: w.TeamSeasonL2,
		player: make(map[int32]float64, len(w.Player)), teamSeason: make(map[teamSeason]float64, len(w.TeamSeason))}
	for k, v := range w.Player {
		id, err := strconv.ParseInt(k, 10, 32)
		if err != nil || !finite(v) {
			return fmt.Errorf("shooter effects: player %q: %v: want an int32 id and a finite offset", k, v)
		}
		out.player[int32(id)] = v
	}
	for k, v := range w.TeamSeason {
		team, season, ok := strings.Cut(k, "/")
		t, err1 := strconv.ParseInt(team, 10, 32)
		s, err2 := strconv.ParseInt(season, 10, 16)
		if !ok || err1 != nil || err2 != nil || !finite(v) {
			return fmt.Errorf("shooter effects: team-season %q: %v: want \"TeamID/season\" and a finite offset", k, v)
		}
		out.teamSeason[teamSeason{int32(t), int16(s)}] = v
	}
	*e = out
	return nil
}

// ShooterOptions configure FitShooterEffects.
type ShooterOptions struct {
	PlayerL2     float64 // 0: no player effect
	TeamSeasonL2 float64 // 0: no team-season effect
	// Prior centres the penalty on a prior model's effects instead of 0,
	// so a player the prior knew starts from his old effect; a player the
	// new rows do not have keeps it.
	Prior *ShooterEffects
}

// maxShooterSweeps bounds the backfitting sweeps; each is one Newton step
// per player and per team-season, and they converge in a few.
const maxShooterSweeps = 30

// FitShooterEffects fits the effects on top of a fixed model: z[i] is the
// model's logit for row i, and the effects maximise the penalised
// likelihood of y given z plus the shooter's offsets. Players and
// team-seasons are updated in turn (backfitting), each by a Newton step on
// its own one-dimensional problem.
func FitShooterEffects(z []float64, y []int8, who []features.Shooter, opt ShooterOptions) *ShooterEffects {
	e := &ShooterEffects{PlayerL2: opt.PlayerL2, TeamSeasonL2: opt.TeamSeasonL2}
	if opt.PlayerL2 <= 0 && opt.TeamSeasonL2 <= 0 {
		return e
	}
	g := newShooterGroups(who)
	var pc, tc []float64
	pc = make([]float64, len(g.players))
	tc = make([]float64, len(g.teams))
	if opt.Prior != nil {
		for k, id := range g.players {
			pc[k] = opt.Prior.player[id]
		}
		for k, ts := range g.teams {
			tc[k] = opt.Prior.teamSeason[ts]
		}
	}
	pb, tb := slices.Clone(pc), slices.Clone(tc)
	if opt.PlayerL2 <= 0 {
		pb = make([]float64, len(pc))
	}
	if opt.TeamSeasonL2 <= 0 {
		tb = make([]float64, len(tc))
	}
	gp, hp := make([]float64, len(pb)), make([]float64, len(pb))
	gt, ht := make([]float64, len(tb)), make([]float64, len(tb))
	step := func(b, c, grad, hess []float64, lambda float64, idx []int32, otherB []float64, otherIdx []int32) float64 {
		clear(grad)
		clear(hess)
		for i, zi := range z {
			q := sigmoid(zi + b[idx[i]] + otherB[otherIdx[i]])
			grad[idx[i]] += q - float64(y[i])
			hess[idx[i]] += q * (1 - q)
		}
		moved := 0.0
		for k := range b {
			d := (grad[k] + lambda*(b[k]-c[k])) / (hess[k] + lambda)
			b[k] -= d
			moved = math.Max(moved, math.Abs(d))
		}
		return moved
	}
	for range maxShooterSweeps {
		moved := 0.0
		if opt.PlayerL2 > 0 {
			moved = math.Max(moved, step(pb, pc, gp, hp, opt.PlayerL2, g.playerOf, tb, g.teamOf))
		}
		if opt.TeamSeasonL2 > 0 {
			moved = math.Max(moved, step(tb, tc, gt, ht, opt.TeamSeasonL2, g.teamOf, pb, g.playerOf))
		}
		if moved < 1e-7 {
			break
		}
	}
	if opt.PlayerL2 > 0 {
		e.player = make(map[int32]float64, len(pb))
		for k, id := range g.players {
			e.player[id] = pb[k]
		}
		if opt.Prior != nil {
			for id, v := range opt.Prior.player {
				if _, ok := e.player[id]; !ok {
					e.player[id] = v
				}
			}
		}
	}
	if opt.TeamSeasonL2 > 0 {
		e.teamSeason = make(map[teamSeason]float64, len(tb))
		for k, ts := range g.teams {
			e.teamSeason[ts] = tb[k]
		}
		if opt.Prior != nil {
			for ts, v := range opt.Prior.teamSeason {
				if _, ok := e.teamSeason[ts]; !ok {
					e.teamSeason[ts] = v
				}
			}
		}
	}
	return e
}

// shooterGroups numbers the players and team-seasons of a set of rows.
type shooterGroups struct {
	players  []int32
	teams    []teamSeason
	playerOf []int32 // row → index into players
	teamOf   []int32 // row → index into teams
}

func newShooterGroups(who []features.Shooter) *shooterGroups {
	g := &shooterGroups{playerOf: make([]int32, len(who)), teamOf: make([]int32, len(who))}
	pi := map[int32]int32{}
	ti := map[teamSeason]int32{}
	for i, s := range who {
		k, ok := pi[s.PlayerID]
		if !ok {
			k = int32(len(g.players))
			pi[s.PlayerID] = k
			g.players = append(g.players, s.PlayerID)
		}
		g.playerOf[i] = k
		ts := teamSeason{s.TeamID, s.Season}
		k, ok = ti[ts]
		if !ok {
			k = int32(len(g.teams))
			ti[ts] = k
			g.teams = append(g.teams, ts)
		}
		g.teamOf[i] = k
	}
	return g
}
