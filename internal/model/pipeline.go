package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/nba-mlops/nba-mlops/internal/features"
)

// Data is a labelled training set: the design matrix and, per row, the
// label, the game (the unit of every split), the shooter and the game date.
type Data struct {
	X     *Matrix
	Y     []int8
	Games []int32
	IDs   []features.Identifiers
	Dates []int32 // YYYYMMDD
}

// Subset copies the rows idx.
func (d *Data) Subset(idx []int) *Data {
	X, y := d.X.Subset(idx, d.Y)
	out := &Data{X: X, Y: y, Games: make([]int32, len(idx)), IDs: make([]features.Identifiers, len(idx)), Dates: make([]int32, len(idx))}
	for k, i := range idx {
		out.Games[k], out.IDs[k], out.Dates[k] = d.Games[i], d.IDs[i], d.Dates[i]
	}
	return out
}

// TrainOptions configure Train.
type TrainOptions struct {
	Search SearchOptions
	// C fixes the inverse L2 strength; 0 chooses it by the search. A fixed
	// C still runs the folds once, for the choices below.
	C float64
	// Effects lets cross-validation choose the strengths of the action
	// type, player and team-season effects (each possibly "off"); false
	// leaves them off.
	Effects bool
	// Calibrations are the candidate calibration methods, the simplest
	// first; cross-validation picks one. Nil means CalibrationNone.
	Calibrations []string
	// Prior, when set, centres the weights' penalty on the prior model's
	// weights (mapped into this transform's scaling) and the effects on
	// its effects.
	Prior *Model
	// Transform is the transform of d's matrix; needed with Prior.
	Transform *features.Transform
}

// Trained is the outcome of Train: everything a logistic model file holds
// besides the transform.
type Trained struct {
	Fit         *LogisticFit
	C           float64
	Search      *SearchResult
	Effects     *Effects
	Calibration Calibration
	CV          *CVReport
}

// CVStep is the score of the held-out predictions after one step of the
// model: the linear model alone, with identifier effects, then calibrated.
type CVStep struct {
	Step    string  `json:"step"`
	Metrics Metrics `json:"metrics"`
}

// Step names of CVReport and TimeSplitReport.
const (
	StepModel       = "model"
	StepEffects     = "+effects"
	StepCalibration = "+calibration"
	StepPrior       = "prior_alone"
)

// EffectTrial is one set of effect strengths, by group, and its
// cross-validated log loss. A strength of 0 is "off".
type EffectTrial struct {
	L2      map[string]float64 `json:"l2"`
	LogLoss float64            `json:"cv_log_loss"`
}

// CVReport is the game-grouped cross-validation behind a model's choices.
// Every probability it scores is held out: predicted by a fit that did not
// see the shot's game.
type CVReport struct {
	Rows         int                `json:"rows"`
	Folds        int                `json:"folds"`
	EffectTrials []EffectTrial      `json:"effect_trials,omitempty"`
	Effects      *EffectTrial       `json:"effects,omitempty"` // the chosen strengths
	Calibration  *CalibrationChoice `json:"calibration,omitempty"`
	Steps        []CVStep           `json:"steps"`

	effectL2 [numGroups]float64 // the chosen strengths, by group index
}

func l2Map(l2 [numGroups]float64) map[string]float64 {
	out := map[string]float64{}
	for g, name := range Groups() {
		out[name] = l2[g]
	}
	return out
}

// Final returns the metrics of the last step: the model as it is served.
func (r *CVReport) Final() Metrics { return r.Steps[len(r.Steps)-1].Metrics }

// TimeSplitReport is the validation on the latest games: the whole
// training procedure (search, effects, calibration) run on the games before
// Cutoff and scored on the games from Cutoff on, as a nightly model always
// predicts games that come after its data.
type TimeSplitReport struct {
	Cutoff    int32    `json:"cutoff_date"` // first validation date, YYYYMMDD
	Fraction  float64  `json:"fraction"`    // asked share of validation rows
	TrainRows int      `json:"train_rows"`
	ValidRows int      `json:"valid_rows"`
	Steps     []CVStep `json:"steps"`
}

// Final returns the metrics of the last step.
func (r *TimeSplitReport) Final() Metrics { return r.Steps[len(r.Steps)-1].Metrics }

// effectGrid are the strengths (prior precision in shots) the search tries
// for each effect group, 0 being "off". One decade in about three steps covers a
// player who must take a handful of shots to move the needle to one who
// needs hundreds.
var effectGrid = [...]float64{0, 1, 2, 5, 15, 50, 150, 500}

// Train fits a logistic model with the procedure of the pipeline: C by
// game-grouped cross-validation on a subsample, the fit on all rows, then on
// the same folds the effects' strengths and the calibration, each chosen by
// held-out log loss, and the effects fitted on all rows.
func Train(ctx context.Context, d *Data, opt TrainOptions) (*Trained, error) {
	var centre []float64
	var prior *priorMap
	if opt.Prior != nil {
		if opt.Transform == nil {
			return nil, errors.New("train: a prior needs the transform of the data")
		}
		var err error
		if prior, err = mapPrior(opt.Prior, opt.Transform); err != nil {
			return nil, err
		}
		centre = prior.centre
	}
	so := opt.Search
	so.Centre = centre
	if opt.C > 0 {
		so.Trials, so.CMin, so.CMax = 1, opt.C, opt.C
	}
	res, err := SearchC(ctx, d.X, d.Y, d.Games, so)
	if err != nil {
		return nil, err
	}
	fit, err := FitLogistic(ctx, d.X, d.Y, LogisticOptions{C: res.Best.C, Workers: so.Workers, Init: res.Init, Centre: centre})
	if err != nil {
		return nil, err
	}
	out := &Trained{Fit: fit, C: res.Best.C, Search: res}
	cv, err := crossValidate(res.cv, d, opt, prior)
	if err != nil {
		return nil, err
	}
	out.CV = cv
	res.cv = nil // the subsample and its fold fits are no longer needed
	if cv.Effects != nil && (cv.effectL2 != [numGroups]float64{} || prior.effects() != nil) {
		z := make([]float64, d.X.Rows)
		for i := range z {
			z[i] = fit.Intercept + dot(fit.Weights, d.X.Row(i))
		}
		out.Effects = FitEffects(z, d.Y, d.IDs, EffectOptions{L2: cv.effectL2, Prior: prior.effects()})
		if opt.Transform != nil {
			out.Effects.bind(opt.Transform)
		}
	}
	out.Calibration = Calibration{Method: CalibrationNone}
	if cv.Calibration != nil {
		out.Calibration = cv.Calibration.Calibration
	}
	return out, nil
}

// Probabilities returns the served probabilities of the rows of d.
func (t *Trained) Probabilities(d *Data) []float64 {
	p := make([]float64, d.X.Rows)
	for i := range p {
		z := t.Fit.Intercept + dot(t.Fit.Weights, d.X.Row(i))
		z += t.Effects.offset(&d.IDs[i])
		p[i] = t.Calibration.apply(sigmoid(z), z)
	}
	return p
}

// crossValidate chooses the shooter strengths and the calibration on the
// folds of the search, and scores each step on the held-out rows.
func crossValidate(cv *cvFolds, d *Data, opt TrainOptions, prior *priorMap) (*CVReport, error) {
	n := len(cv.idx)
	who := make([]features.Identifiers, n)
	for k, i := range cv.idx {
		who[k] = d.IDs[i]
	}
	// z[f][k]: the logit of subsample row k under fold f's fit.
	z := make([][]float64, cv.folds)
	for f, params := range cv.fits {
		if params == nil {
			continue
		}
		z[f] = make([]float64, n)
		for k := range n {
			z[f][k] = params[0] + dot(params[1:], cv.sub.Row(k))
		}
	}
	rep := &CVReport{Rows: n, Folds: cv.folds}
	held := make([]float64, n)
	for k := range n {
		held[k] = sigmoid(z[cv.fold[k]][k])
	}
	rep.Steps = append(rep.Steps, CVStep{StepModel, Evaluate(held, cv.y, 0.5)})

	if opt.Effects {
		// Each fold's training rows, gathered once for every trial.
		type foldRows struct {
			z []float64
			y []int8
			w []features.Identifiers
		}
		rows := make([]foldRows, cv.folds)
		for f := range cv.folds {
			if z[f] == nil {
				continue
			}
			for k := range n {
				if cv.fold[k] != f {
					r := &rows[f]
					r.z, r.y, r.w = append(r.z, z[f][k]), append(r.y, cv.y[k]), append(r.w, who[k])
				}
			}
		}
		// heldOut fits the effects on each fold's training rows and scores
		// its held-out rows, the folds on up to GOMAXPROCS goroutines:
		// each writes only its own rows of out.
		heldOut := func(l2 [numGroups]float64) []float64 {
			out := make([]float64, n)
			var g errgroup.Group
			g.SetLimit(runtime.GOMAXPROCS(0))
			for f := range cv.folds {
				if z[f] == nil {
					continue
				}
				g.Go(func() error {
					e := FitEffects(rows[f].z, rows[f].y, rows[f].w, EffectOptions{L2: l2, Prior: prior.effects()})
					for k := range n {
						if cv.fold[k] == f {
							out[k] = sigmoid(z[f][k] + e.offset(&who[k]))
						}
					}
					return nil
				})
			}
			g.Wait() //nolint:errcheck // the goroutines return no error
			return out
		}
		// Coordinate search, one group at a time in the order of Groups,
		// each given the strengths already chosen. A group stays off
		// unless it lowers the held-out log loss.
		// All strengths 0: no effects, or the prior's effects held.
		var best [numGroups]float64
		bestP := held
		if prior.effects() != nil {
			bestP = heldOut(best)
		}
		bestLL := Evaluate(bestP, cv.y, 0.5).LogLoss
		rep.EffectTrials = append(rep.EffectTrials, EffectTrial{L2: l2Map(best), LogLoss: bestLL})
		for g := range numGroups {
			cur := best
			for _, l := range effectGrid[1:] {
				try := cur
				try[g] = l
				p := heldOut(try)
				ll := Evaluate(p, cv.y, 0.5).LogLoss
				rep.EffectTrials = append(rep.EffectTrials, EffectTrial{L2: l2Map(try), LogLoss: ll})
				if ll < bestLL {
					best, bestLL, bestP = try, ll, p
				}
			}
		}
		rep.Effects = &EffectTrial{L2: l2Map(best), LogLoss: bestLL}
		rep.effectL2 = best
		held = bestP
		rep.Steps = append(rep.Steps, CVStep{StepEffects, Evaluate(held, cv.y, 0.5)})
	}

	if len(opt.Calibrations) > 0 {
		ch, err := ChooseCalibration(held, cv.y, cv.fold, cv.folds, opt.Calibrations)
		if err != nil {
			return nil, err
		}
		rep.Calibration = ch
		rep.Steps = append(rep.Steps, CVStep{StepCalibration, Evaluate(ch.Calibrated, cv.y, 0.5)})
	}
	if prior != nil {
		p := make([]float64, n)
		for k := range n {
			zk := prior.intercept + dot(prior.weights, cv.sub.Row(k)) + prior.model.effects.offset(&who[k])
			p[k] = prior.model.cal.apply(sigmoid(zk), zk)
		}
		// The prior never saw these rows: all of them are held out.
		rep.Steps = append([]CVStep{{StepPrior, Evaluate(p, cv.y, 0.5)}}, rep.Steps...)
	}
	return rep, nil
}

// priorMap is a prior model expressed in another transform's scaling.
type priorMap struct {
	model     *Model
	intercept float64
	weights   []float64 // per feature of the new transform
	centre    []float64 // intercept then weights: LogisticOptions.Centre
	matched   int
}

func (p *priorMap) effects() *Effects {
	if p == nil {
		return nil
	}
	return p.model.effects
}

// mapPrior expresses a prior model's weights in the scaling of tr: a
// feature's effect per raw unit, w₀/s₀, is kept, so its weight on tr's
// standardised value is w₀·s/s₀, and the intercept absorbs the shift of the
// means. Features the prior does not have get a centre of 0, as without a
// prior.
func mapPrior(prior *Model, tr *features.Transform) (*priorMap, error) {
	if prior.algorithm != AlgorithmLogistic {
		return nil, fmt.Errorf("prior %s: algorithm %s, want %s (only logistic weights are log-odds)", prior.file, prior.algorithm, AlgorithmLogistic)
	}
	pos := map[string]int{}
	for i, name := range prior.tr.Features() {
		pos[name] = i
	}
	out := &priorMap{model: prior, intercept: prior.intercept, weights: make([]float64, tr.NumFeatures())}
	for j, name := range tr.Features() {
		i, ok := pos[name]
		if !ok {
			continue
		}
		m0, s0 := prior.tr.Scale(i)
		m, s := tr.Scale(j)
		w0 := prior.weights[i]
		out.weights[j] = w0 * s / s0
		out.intercept += w0 * (m - m0) / s0
		out.matched++
	}
	if out.matched == 0 {
		return nil, fmt.Errorf("prior %s shares no feature with this model's", prior.file)
	}
	if !finite(out.intercept) {
		return nil, fmt.Errorf("prior %s: mapped intercept %v is not finite", prior.file, out.intercept)
	}
	out.centre = append([]float64{out.intercept}, out.weights...)
	return out, nil
}

// TimeSplit returns the rows of d before and from the cutoff date that
// leaves about frac of the rows (whole dates, so whole games) for
// validation. It fails when the rows span a single date.
func TimeSplit(d *Data, frac float64) (train, valid []int, cutoff int32, err error) {
	if !(frac > 0 && frac < 1) {
		return nil, nil, 0, fmt.Errorf("time split: fraction %v is outside (0, 1)", frac)
	}
	dates := slices.Clone(d.Dates)
	slices.Sort(dates)
	k := int(math.Round(float64(len(dates)) * (1 - frac)))
	k = min(max(k, 1), len(dates)-1)
	cutoff = dates[k]
	if cutoff == dates[0] {
		// Move the cut to the next date so the earlier side is not empty.
		i, _ := slices.BinarySearch(dates, cutoff+1)
		if i == len(dates) {
			return nil, nil, 0, errors.New("time split: every training row has the same game date")
		}
		cutoff = dates[i]
	}
	for i, v := range d.Dates {
		if v < cutoff {
			train = append(train, i)
		} else {
			valid = append(valid, i)
		}
	}
	return train, valid, cutoff, nil
}

// ValidateTimeSplit runs Train on the rows before the cutoff and scores
// every step on the rows from it.
func ValidateTimeSplit(ctx context.Context, d *Data, frac float64, opt TrainOptions) (*TimeSplitReport, error) {
	tri, vai, cutoff, err := TimeSplit(d, frac)
	if err != nil {
		return nil, err
	}
	tr, va := d.Subset(tri), d.Subset(vai)
	t, err := Train(ctx, tr, opt)
	if err != nil {
		return nil, fmt.Errorf("time split: %w", err)
	}
	rep := &TimeSplitReport{Cutoff: cutoff, Fraction: frac, TrainRows: len(tri), ValidRows: len(vai)}
	base := *t
	base.Effects, base.Calibration = nil, Calibration{Method: CalibrationNone}
	rep.Steps = append(rep.Steps, CVStep{StepModel, Evaluate(base.Probabilities(va), va.Y, 0.5)})
	if opt.Effects {
		withEffects := base
		withEffects.Effects = t.Effects
		rep.Steps = append(rep.Steps, CVStep{StepEffects, Evaluate(withEffects.Probabilities(va), va.Y, 0.5)})
	}
	if len(opt.Calibrations) > 0 {
		rep.Steps = append(rep.Steps, CVStep{StepCalibration, Evaluate(t.Probabilities(va), va.Y, 0.5)})
	}
	if opt.Prior != nil {
		pm, err := mapPrior(opt.Prior, opt.Transform)
		if err != nil {
			return nil, err
		}
		p := make([]float64, va.X.Rows)
		for i := range p {
			z := pm.intercept + dot(pm.weights, va.X.Row(i)) + pm.model.effects.offset(&va.IDs[i])
			p[i] = pm.model.cal.apply(sigmoid(z), z)
		}
		rep.Steps = append([]CVStep{{StepPrior, Evaluate(p, va.Y, 0.5)}}, rep.Steps...)
	}
	return rep, nil
}
