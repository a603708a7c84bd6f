package model

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// playerFixture relabels a fixture's shots so that who shoots matters: 40
// players, each with a true logit effect in [-0.8, 0.8], on top of the
// fixture's own signal (a fit's logit).
func playerFixture(tb testing.TB, seed uint64, n int) (*fixture, map[int32]float64) {
	tb.Helper()
	fx := newFixture(tb, seed, n)
	base := trained(tb, fx)
	b, w := base.Weights()
	rng := rand.New(rand.NewPCG(seed, 11))
	truth := map[int32]float64{}
	for p := range int32(40) {
		truth[1000+p] = -0.8 + 1.6*float64(p)/39
	}
	for i := range fx.shots {
		pid := 1000 + int32(rng.IntN(40))
		fx.shots[i].PlayerID = pid
		z := b + dot(w, fx.X.Row(i)) + truth[pid]
		fx.y[i] = int8(b2i(rng.Float64() < sigmoid(z)))
		fx.shots[i].ShotMadeFlag = fx.y[i]
	}
	return fx, truth
}

func dataOf(fx *fixture) *Data {
	d := &Data{X: fx.X, Y: fx.y}
	for i := range fx.shots {
		d.Games = append(d.Games, fx.shots[i].GameID)
		d.IDs = append(d.IDs, features.IdentifiersOf(&fx.shots[i]))
		d.Dates = append(d.Dates, fx.shots[i].GameDate)
	}
	return d
}

// TestFitEffects: the fitted player effects follow the true ones, a
// stronger penalty shrinks them toward the league, and a player training
// never saw is the league average.
func TestFitEffects(t *testing.T) {
	t.Parallel()
	fx, truth := playerFixture(t, 41, 20000)
	base := trained(t, fx)
	b, w := base.Weights()
	z := make([]float64, fx.X.Rows)
	for i := range z {
		z[i] = b + dot(w, fx.X.Row(i))
	}
	d := dataOf(fx)
	var spread [2]float64
	for k, l := range []float64{5, 5000} {
		e := FitEffects(z, fx.y, d.IDs, EffectOptions{L2: [numGroups]float64{gPlayer: l}})
		if e.Len(GroupPlayer) != 40 || e.Len(GroupTeamSeason) != 0 || e.Len(GroupActionType) != 0 {
			t.Fatalf("λ=%v: %d player, %d team-season, %d action effects; want 40, 0, 0", l, e.Len(GroupPlayer), e.Len(GroupTeamSeason), e.Len(GroupActionType))
		}
		// Effects are identified up to a shift the intercept absorbs:
		// compare centred values.
		var mt, mf float64
		for id, v := range truth {
			mt += v / 40
			mf += e.Offset(features.Identifiers{PlayerID: id}) / 40
		}
		var num, dt, df float64
		for id, v := range truth {
			f := e.Offset(features.Identifiers{PlayerID: id}) - mf
			num += (v - mt) * f
			dt += (v - mt) * (v - mt)
			df += f * f
			spread[k] += math.Abs(f) / 40
		}
		if k == 0 && num/math.Sqrt(dt*df) < 0.9 {
			t.Errorf("λ=%v: correlation of fitted and true effects %.3f, want > 0.9", l, num/math.Sqrt(dt*df))
		}
		if got := e.Offset(features.Identifiers{PlayerID: 99}); got != 0 {
			t.Errorf("unseen player: offset %v, want 0 (the league)", got)
		}
	}
	if !(spread[1] < spread[0]/3) {
		t.Errorf("mean |effect| %.4f at λ=5 and %.4f at λ=5000: want strong shrinkage", spread[0], spread[1])
	}
}

// TestTrainChoosesEffects: when who shoots matters, grouped CV turns the
// player effect on and it lowers the held-out log loss; the model scores a
// known shooter as himself and a /predict body (no player) as the league.
func TestTrainChoosesEffects(t *testing.T) {
	t.Parallel()
	fx, _ := playerFixture(t, 42, 12000)
	d := dataOf(fx)
	res, err := Train(t.Context(), d, TrainOptions{Search: SearchOptions{Seed: 1, Trials: 3}, Effects: true,
		Calibrations: CalibrationMethods(), Transform: fx.tr})
	if err != nil {
		t.Fatal(err)
	}
	if res.CV.Effects == nil || res.CV.Effects.L2[GroupPlayer] == 0 || res.Effects.Len(GroupPlayer) != 40 {
		t.Fatalf("effects chosen %+v, %d players; want the player effect on for 40 players", res.CV.Effects, res.Effects.Len(GroupPlayer))
	}
	steps := res.CV.Steps
	if len(steps) != 3 || steps[0].Step != StepModel || steps[1].Step != StepEffects || steps[2].Step != StepCalibration {
		t.Fatalf("CV steps %+v", steps)
	}
	if !(steps[1].Metrics.LogLoss < steps[0].Metrics.LogLoss-0.005) || !(steps[2].Metrics.LogLoss <= steps[1].Metrics.LogLoss+1e-12) {
		t.Errorf("CV log loss %.4f → %.4f (effects) → %.4f (calibration); want the effects to help and calibration not to hurt",
			steps[0].Metrics.LogLoss, steps[1].Metrics.LogLoss, steps[2].Metrics.LogLoss)
	}
	// Without calibration, so that logits can be compared.
	m, err := New(Spec{Algorithm: AlgorithmLogistic, Transform: fx.tr, Intercept: res.Fit.Intercept, Weights: res.Fit.Weights,
		Effects: res.Effects})
	if err != nil {
		t.Fatal(err)
	}
	s := fx.shots[0]
	seed := features.Seed(fx.tr, &s)
	ids := features.IdentifiersOf(&s)
	known := logit(m.ScoreShot(&s))
	s.PlayerID, s.TeamID = 7, 0 // a shooter and team training never saw
	unseen := logit(m.ScoreShot(&s))
	pe := m.effects.Offset(features.Identifiers{PlayerID: ids.PlayerID}) + m.effects.Offset(features.Identifiers{TeamID: ids.TeamID, Season: ids.Season})
	if math.Abs(known-unseen-pe) > 1e-9 || pe == 0 {
		t.Errorf("logit of the known shooter %v, of an unseen one %v: want them %v apart (his effects)", known, unseen, pe)
	}
	base := res.Fit.Intercept
	var v [features.MaxFeatures]float64
	for i, x := range fx.tr.Vector(&seed, v[:]) {
		base += res.Fit.Weights[i] * x
	}
	if got, want := logit(m.ScoreSeed(&seed)), base+m.effects.seedOffset(seed[features.SeedActionTypeFrequency]); math.Abs(got-want) > 1e-9 {
		t.Errorf("/predict body: logit %v, want the model's %v plus its action type's effect only", got, want)
	}
	// The effects survive the file.
	b, err := json.Marshal(m.effects)
	if err != nil {
		t.Fatal(err)
	}
	var back Effects
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for id := range int32(40) {
		who := features.Identifiers{PlayerID: 1000 + id}
		if back.Offset(who) != m.effects.Offset(who) {
			t.Fatalf("player %d: %v after a JSON round trip, %v before", 1000+id, back.Offset(who), m.effects.Offset(who))
		}
	}
}

// TestActionEffectBySeed: a /predict body names its action type only by
// Action_Type_Frequency; the action type effect reaches it through that
// value, and matches the effect a raw shot of that type gets.
func TestActionEffectBySeed(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 43, 3000)
	m := trained(t, fx)
	e := &Effects{L2: [numGroups]float64{gAction: 10}, values: [numGroups]map[effectKey]float64{gAction: {}}}
	acts := fx.tr.ActionTypes()
	byFreq := map[float32]int{}
	for _, f := range acts {
		byFreq[float32(f)]++
	}
	var unique string
	for a, f := range acts {
		e.values[gAction][effectKey{name: a}] = 0.5
		if byFreq[float32(f)] == 1 && unique == "" {
			unique = a
		}
	}
	e.values[gAction][effectKey{name: unique}] = -1
	me := withCalibration(t, m, Calibration{}, e)
	var s nba.Shot
	for i := range fx.shots {
		if fx.shots[i].ActionType == unique {
			s = fx.shots[i]
			break
		}
	}
	seed := features.Seed(fx.tr, &s)
	if got, want := me.ScoreSeed(&seed), me.ScoreShot(&s); math.Abs(got-want) > 1e-12 {
		t.Errorf("%s: /predict body %v, raw shot %v; want the same action effect", unique, got, want)
	}
	if got, want := me.ScoreSeed(&seed), sigmoid(logit(m.ScoreSeed(&seed))-1); math.Abs(got-want) > 1e-9 {
		t.Errorf("%s: body scored %v, want the base model's logit −1 = %v", unique, got, want)
	}
}
