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

// Effect groups: identifier-like inputs that enter a model as one shrunk
// logit offset per value, never as a frequency encoding.
const (
	GroupPlayer     = "player"      // Player ID
	GroupTeamSeason = "team_season" // the shooter's team in one season
	GroupActionType = "action_type" // Action Type, on top of its action family
	numGroups       = 3
)

// Groups returns the effect groups in the order the search and the
// backfitting visit them.
func Groups() []string { return []string{GroupActionType, GroupPlayer, GroupTeamSeason} }

// groupIndex numbers the groups in the order of Groups.
const (
	gAction = iota
	gPlayer
	gTeam
)

// Effects are additive logit offsets for who takes a shot and how: one per
// player, per team-season and per action type, each shrunk toward 0 (the
// league; for an action type, its family's level that the linear part
// holds) by an L2 penalty. A group's strength λ is a prior precision in
// units of shots: a player with n shots in training moves about n/(n+λ) of
// the way from the league to his own record, so a known shooter is scored
// as himself and an unseen one as the league average, whatever the size of
// the training set. A strength of 0 means the group is off. Effects are
// immutable once fitted.
type Effects struct {
	L2 [numGroups]float64
	// values per group, keyed by the group's key (see key).
	values [numGroups]map[effectKey]float64
	// byFrequency maps an Action_Type_Frequency (float32, as the family
	// lookup matches it) to the mean effect of the action types with that
	// training frequency: the /predict body names its action type only
	// through it. Built by bind.
	byFrequency map[float32]float64
}

// effectKey is a group's key: a Player ID, a team and season, or an action
// type.
type effectKey struct {
	id     int32
	season int16
	name   string
}

func keyOf(g int, ids *features.Identifiers) effectKey {
	switch g {
	case gPlayer:
		return effectKey{id: ids.PlayerID}
	case gTeam:
		return effectKey{id: ids.TeamID, season: ids.Season}
	}
	return effectKey{name: ids.ActionType}
}

// offset returns the logit offset of a shot's identifiers: 0 for values
// training did not see.
func (e *Effects) offset(ids *features.Identifiers) float64 {
	if e == nil {
		return 0
	}
	v := 0.0
	if m := e.values[gPlayer]; m != nil {
		v += m[effectKey{id: ids.PlayerID}]
	}
	if m := e.values[gTeam]; m != nil {
		v += m[effectKey{id: ids.TeamID, season: ids.Season}]
	}
	if m := e.values[gAction]; m != nil {
		v += m[effectKey{name: ids.ActionType}]
	}
	return v
}

// seedOffset returns the offset a /predict body can have: the action type
// effect found through its Action_Type_Frequency; the player and team are
// unknown, so league average.
func (e *Effects) seedOffset(actionFreq float64) float64 {
	if e == nil || e.byFrequency == nil {
		return 0
	}
	return e.byFrequency[float32(actionFreq)]
}

// bind builds the frequency lookup of the action type effects from the
// transform's action type frequencies.
func (e *Effects) bind(tr *features.Transform) {
	if e == nil || e.values[gAction] == nil {
		return
	}
	sum, n := map[float32]float64{}, map[float32]float64{}
	for a, f := range tr.ActionTypes() {
		k := float32(f)
		sum[k] += e.values[gAction][effectKey{name: a}]
		n[k]++
	}
	e.byFrequency = make(map[float32]float64, len(sum))
	for k, s := range sum {
		e.byFrequency[k] = s / n[k]
	}
}

// Offset returns the logit offset the effects add for a shot with these
// identifiers: 0 for values training did not see.
func (e *Effects) Offset(ids features.Identifiers) float64 { return e.offset(&ids) }

// Len returns the number of values with an effect in a group.
func (e *Effects) Len(group string) int {
	g := slices.Index(Groups(), group)
	if e == nil || g < 0 {
		return 0
	}
	return len(e.values[g])
}

type effectsJSON struct {
	PlayerL2     float64            `json:"player_l2"`
	TeamSeasonL2 float64            `json:"team_season_l2"`
	ActionTypeL2 float64            `json:"action_type_l2"`
	Player       map[string]float64 `json:"player"`      // Player ID → logit offset
	TeamSeason   map[string]float64 `json:"team_season"` // "TeamID/season" → logit offset
	ActionType   map[string]float64 `json:"action_type"` // Action Type → logit offset
}

// MarshalJSON encodes the effects; map keys come out sorted.
func (e *Effects) MarshalJSON() ([]byte, error) {
	w := effectsJSON{PlayerL2: e.L2[gPlayer], TeamSeasonL2: e.L2[gTeam], ActionTypeL2: e.L2[gAction],
		Player: map[string]float64{}, TeamSeason: map[string]float64{}, ActionType: map[string]float64{}}
	for k, v := range e.values[gPlayer] {
		w.Player[strconv.FormatInt(int64(k.id), 10)] = v
	}
	for k, v := range e.values[gTeam] {
		w.TeamSeason[fmt.Sprintf("%d/%d", k.id, k.season)] = v
	}
	for k, v := range e.values[gAction] {
		w.ActionType[k.name] = v
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes and validates the effects. A group whose strength
// is 0 is off and must have no values.
func (e *Effects) UnmarshalJSON(b []byte) error {
	var w effectsJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	out := Effects{L2: [numGroups]float64{gPlayer: w.PlayerL2, gTeam: w.TeamSeasonL2, gAction: w.ActionTypeL2}}
	for g, l := range out.L2 {
		if !finite(l) || l < 0 {
			return fmt.Errorf("effects: %s strength %v, want a finite value ≥ 0", Groups()[g], l)
		}
	}
	raw := [numGroups]map[string]float64{gPlayer: w.Player, gTeam: w.TeamSeason, gAction: w.ActionType}
	for g, m := range raw {
		if len(m) > 0 && out.L2[g] == 0 {
			return fmt.Errorf("effects: %s has values but strength 0 (off)", Groups()[g])
		}
		if out.L2[g] == 0 {
			continue
		}
		out.values[g] = make(map[effectKey]float64, len(m))
		for k, v := range m {
			key, err := parseKey(g, k)
			if err != nil || !finite(v) {
				return fmt.Errorf("effects: %s %q: %v: want a valid key and a finite offset", Groups()[g], k, v)
			}
			out.values[g][key] = v
		}
	}
	*e = out
	return nil
}

func parseKey(g int, k string) (effectKey, error) {
	switch g {
	case gPlayer:
		id, err := strconv.ParseInt(k, 10, 32)
		return effectKey{id: int32(id)}, err
	case gTeam:
		team, season, ok := strings.Cut(k, "/")
		t, err1 := strconv.ParseInt(team, 10, 32)
		s, err2 := strconv.ParseInt(season, 10, 16)
		if !ok || err1 != nil || err2 != nil {
			return effectKey{}, fmt.Errorf("not TeamID/season")
		}
		return effectKey{id: int32(t), season: int16(s)}, nil
	}
	return effectKey{name: k}, nil
}

// EffectOptions configure FitEffects.
type EffectOptions struct {
	// L2 is each group's strength, in the order of Groups' indexes
	// (action type, player, team-season); 0 leaves a group off, or with a
	// Prior, holds it at the prior's values (an infinite strength).
	L2 [numGroups]float64
	// Prior centres the penalty on a prior model's effects instead of 0,
	// so a player the prior knew starts from his old effect, and one the
	// new rows do not have keeps it.
	Prior *Effects
}

// maxEffectSweeps bounds the backfitting sweeps; each is one Newton step
// per value of every group. effectTol stops them when no row's offset
// moved by more than that in logit units during a sweep: a probability
// change below 3e-5. Convergence is linear once groups overlap (a player
// and his team-season share rows), at about 0.9 per sweep near the end,
// so a tighter tolerance would cost many sweeps for changes no metric's
// fourth decimal shows.
const (
	maxEffectSweeps = 30
	effectTol       = 1e-4
)

// FitEffects fits the effects on top of a fixed model: z[i] is the model's
// logit for row i, and the effects maximise the penalised likelihood of y
// given z plus the offsets of the row's identifiers. Groups are updated in
// turn (backfitting), each value by a Newton step on its own
// one-dimensional problem.
func FitEffects(z []float64, y []int8, ids []features.Identifiers, opt EffectOptions) *Effects {
	e := &Effects{L2: opt.L2}
	var active []int
	for g, l := range opt.L2 {
		switch {
		case l > 0:
			active = append(active, g)
		case opt.Prior != nil && opt.Prior.values[g] != nil:
			// Held at the prior: its values and the strength they were
			// fitted with.
			e.values[g], e.L2[g] = opt.Prior.values[g], opt.Prior.L2[g]
		}
	}
	if len(active) == 0 {
		return e
	}
	type group struct {
		keys   []effectKey
		of     []int32 // row → index into keys
		b, c   []float64
		gr, hs []float64
	}
	var gs [numGroups]*group
	for _, g := range active {
		gr := &group{of: make([]int32, len(ids))}
		index := map[effectKey]int32{}
		for i := range ids {
			k := keyOf(g, &ids[i])
			j, ok := index[k]
			if !ok {
				j = int32(len(gr.keys))
				index[k] = j
				gr.keys = append(gr.keys, k)
			}
			gr.of[i] = j
		}
		gr.c = make([]float64, len(gr.keys))
		if opt.Prior != nil && opt.Prior.values[g] != nil {
			for j, k := range gr.keys {
				gr.c[j] = opt.Prior.values[g][k]
			}
		}
		gr.b = slices.Clone(gr.c)
		gr.gr, gr.hs = make([]float64, len(gr.keys)), make([]float64, len(gr.keys))
		gs[g] = gr
	}
	// off[i] is the sum of every group's current offset for row i, held
	// groups included.
	off := make([]float64, len(z))
	for _, g := range active {
		for i := range off {
			off[i] += gs[g].b[gs[g].of[i]]
		}
	}
	for g, m := range e.values {
		if m != nil && opt.L2[g] == 0 {
			for i := range off {
				off[i] += m[keyOf(g, &ids[i])]
			}
		}
	}
	prev := make([]float64, len(off))
	for range maxEffectSweeps {
		copy(prev, off)
		for _, g := range active {
			gr, lambda := gs[g], opt.L2[g]
			clear(gr.gr)
			clear(gr.hs)
			for i, zi := range z {
				q := sigmoid(zi + off[i])
				gr.gr[gr.of[i]] += q - float64(y[i])
				gr.hs[gr.of[i]] += q * (1 - q)
			}
			for j := range gr.b {
				d := (gr.gr[j] + lambda*(gr.b[j]-gr.c[j])) / (gr.hs[j] + lambda)
				gr.b[j] -= d
				gr.gr[j] = d // reuse: the step of value j, applied to the rows below
			}
			for i := range off {
				off[i] -= gr.gr[gr.of[i]]
			}
		}
		// Converged when no row's total offset moves: groups can trade a
		// common shift (a player and his team-season) that the penalties
		// settle only slowly, and that changes no prediction.
		moved := 0.0
		for i, v := range off {
			moved = math.Max(moved, math.Abs(v-prev[i]))
		}
		if moved < effectTol {
			break
		}
	}
	for _, g := range active {
		gr := gs[g]
		e.values[g] = make(map[effectKey]float64, len(gr.keys))
		for j, k := range gr.keys {
			e.values[g][k] = gr.b[j]
		}
		if opt.Prior != nil {
			for k, v := range opt.Prior.values[g] {
				if _, ok := e.values[g][k]; !ok {
					e.values[g][k] = v
				}
			}
		}
	}
	return e
}
