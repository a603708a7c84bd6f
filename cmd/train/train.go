package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/atomicfile"
	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/model"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/parallel"
	"github.com/nba-mlops/nba-mlops/internal/parquetio"
	"github.com/nba-mlops/nba-mlops/internal/stage"
	"github.com/nba-mlops/nba-mlops/internal/version"
)

// RunRecord is the JSON record of one training run, written beside the
// model file as <model file>.run.json and printed on stdout. It holds
// everything the MLflow run holds, so nothing is lost without a server.
type RunRecord struct {
	RunName         string              `json:"run_name"`
	Model           string              `json:"model"` // path of the model file
	Version         int                 `json:"version"`
	Promoted        bool                `json:"promoted"`
	Decision        Decision            `json:"decision"`
	Algorithm       string              `json:"algorithm"`
	FeatureSet      string              `json:"feature_set"`
	Features        int                 `json:"features"`
	Seed            uint64              `json:"seed"`
	Hyperparameters map[string]any      `json:"hyperparameters"`
	Search          *model.SearchResult `json:"search,omitempty"`
	// CV is the game-grouped cross-validation on the training rows: the
	// held-out scores after each step (model, effects, calibration) and
	// the choices it made.
	CV *model.CVReport `json:"cv,omitempty"`
	// TimeSplit is the validation on the latest training games
	// (--time-holdout).
	TimeSplit      *model.TimeSplitReport `json:"time_split,omitempty"`
	TimeSplitError string                 `json:"time_split_error,omitempty"` // why it could not run
	Calibration    string                 `json:"calibration,omitempty"`      // the method the model carries
	Prior          *model.PriorRef        `json:"prior,omitempty"`
	Fit            map[string]any         `json:"fit"`
	Challenger     model.Metrics          `json:"challenger"`
	Champion       *ChampionScore         `json:"champion,omitempty"`
	TrainRows      int64                  `json:"train_rows"`
	TestRows       int64                  `json:"test_rows"`
	Data           map[string]string      `json:"data_sha256"`
	StartedAt      time.Time              `json:"started_at"`
	DurationMS     int64                  `json:"duration_ms"`
	PhasesMS       map[string]int64       `json:"phases_ms"`
	MLflow         TrackingResult         `json:"mlflow"`
}

// Decision is the outcome of champion/challenger.
type Decision struct {
	Policy         string   `json:"policy"`
	Metric         string   `json:"metric"`
	MinImprovement float64  `json:"min_improvement"`
	Challenger     float64  `json:"challenger"`
	Champion       *float64 `json:"champion,omitempty"`
	Improvement    *float64 `json:"improvement,omitempty"`
	Reason         string   `json:"reason"`
}

// ChampionScore is the champion re-scored on the current test rows.
type ChampionScore struct {
	Model    string         `json:"model"`
	Version  int            `json:"version"`
	Metrics  *model.Metrics `json:"metrics,omitempty"` // on the current test rows
	Promoted model.Metrics  `json:"promoted_metrics"`  // as recorded when it was promoted
	Error    string         `json:"error,omitempty"`   // why it could not be scored
}

type trainer struct {
	cfg     *config
	st      *stage.Stage
	tracker *tracker
	phases  map[string]int64
	last    time.Time
}

func (t *trainer) phase(name string) {
	now := time.Now()
	t.phases[name] = now.Sub(t.last).Milliseconds()
	t.last = now
	t.st.Logger.Debug("phase done", "phase", name, "ms", t.phases[name])
}

// run is the training run: load, fit (with its cross-validation and time
// split), champion/challenger, promote or discard, record.
func (t *trainer) run(ctx context.Context) (*RunRecord, error) {
	cfg := t.cfg
	start := time.Now()
	t.phases, t.last = map[string]int64{}, start
	rec := &RunRecord{Algorithm: algorithmName(cfg.Algorithm), FeatureSet: cfg.FeatureSet, Seed: cfg.Seed,
		StartedAt: start.UTC(), Hyperparameters: map[string]any{}, Fit: map[string]any{}}

	tr, data, err := t.loadTraining(ctx, rec)
	if err != nil {
		return nil, err
	}
	prior, err := t.loadPrior(rec)
	if err != nil {
		return nil, err
	}
	if err := t.validateOnLatest(ctx, data, tr, prior, rec); err != nil {
		return nil, err
	}
	spec, err := t.fit(ctx, data, tr, prior, rec)
	if err != nil {
		return nil, err
	}
	data = nil // the matrix is the biggest allocation: let the scoring below reuse its memory
	t.recordHyperparameters(rec)

	// The models directory is locked from reading the champion to saving
	// the model (lock.go): a training that runs at the same time waits, is
	// then judged against this one's result, and never takes its version.
	lock, err := t.lockModels(ctx)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	m, err := t.compete(ctx, spec, rec, start)
	if err != nil {
		return nil, err
	}
	path, err := t.publish(ctx, m, rec, start)
	if err != nil {
		return nil, err
	}
	rec.Model, rec.Version, rec.RunName = path, m.VersionNumber(), filepath.Base(path)
	t.phase("save")
	if err := lock.Unlock(); err != nil { // before MLflow, which may be slow
		return nil, err
	}

	rec.DurationMS = time.Since(start).Milliseconds()
	rec.PhasesMS = t.phases
	rec.MLflow = t.tracker.log(ctx, rec)
	if err := writeRecord(path+".run.json", rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// loadTraining reads the transform, narrowed to the configured features,
// and the training rows.
func (t *trainer) loadTraining(ctx context.Context, rec *RunRecord) (*features.Transform, *model.Data, error) {
	cfg := t.cfg
	tr, err := loadTransform(filepath.Join(cfg.FeaturesDir, "transform.json"))
	if err != nil {
		return nil, nil, err
	}
	if tr, err = tr.Select(cfg.featureNames()); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(cfg.FeaturesDir, "transform.json"), err)
	}
	rec.Features = tr.NumFeatures()
	rec.Data = dataHashes(cfg)
	data, err := t.loadData(ctx, filepath.Join(cfg.ProcessedDir, "train.parquet"), tr)
	if err != nil {
		return nil, nil, err
	}
	rec.TrainRows = int64(data.X.Rows)
	t.phase("load_features")
	t.st.Logger.InfoContext(ctx, "training matrix loaded", "rows", data.X.Rows, "features", data.X.Cols)
	return tr, data, nil
}

// loadPrior loads --prior, when given, and records it in the lineage.
func (t *trainer) loadPrior(rec *RunRecord) (*model.Model, error) {
	if t.cfg.Prior == "" {
		return nil, nil
	}
	m, err := model.Load(t.cfg.Prior)
	if err != nil {
		return nil, fmt.Errorf("--prior: %w", err)
	}
	if m.Algorithm() != model.AlgorithmLogistic || t.cfg.Algorithm != "logistic" {
		return nil, fmt.Errorf("--prior %s: a prior centres a logistic fit on logistic weights; the prior is %s and --algorithm is %s",
			t.cfg.Prior, m.Algorithm(), t.cfg.Algorithm)
	}
	b, err := os.ReadFile(t.cfg.Prior)
	if err != nil {
		return nil, fmt.Errorf("--prior: %w", err)
	}
	sum := sha256.Sum256(b)
	rec.Prior = &model.PriorRef{File: t.cfg.Prior, Version: m.VersionNumber(), SHA256: hex.EncodeToString(sum[:])}
	return m, nil
}

// trainOptions are the options of model.Train for this run.
func (t *trainer) trainOptions(tr *features.Transform, prior *model.Model) model.TrainOptions {
	cfg := t.cfg
	opt := model.TrainOptions{
		Search: model.SearchOptions{Folds: cfg.CVFolds, MaxRows: cfg.CVRows, Trials: cfg.SearchTrials, Seed: cfg.Seed, Workers: cfg.Workers},
		C:      cfg.C, Effects: cfg.Effects == EffectsAuto, Prior: prior, Transform: tr,
	}
	switch cfg.Calibration {
	case CalibrationAuto:
		opt.Calibrations = model.CalibrationMethods()
	default:
		opt.Calibrations = []string{cfg.Calibration}
	}
	return opt
}

// validateOnLatest trains on the earlier dates of the training rows and
// scores the latest ones (--time-holdout), beside the grouped CV.
func (t *trainer) validateOnLatest(ctx context.Context, d *model.Data, tr *features.Transform, prior *model.Model, rec *RunRecord) error {
	if t.cfg.TimeHoldout == 0 || t.cfg.Algorithm != "logistic" {
		return nil
	}
	ts, err := model.ValidateTimeSplit(ctx, d, t.cfg.TimeHoldout, t.trainOptions(tr, prior))
	if err != nil {
		// Too few dates is a property of the data, not a failure of the run.
		t.st.Logger.WarnContext(ctx, "no validation on the latest games", "err", err)
		rec.TimeSplitError = err.Error()
		return nil
	}
	rec.TimeSplit = ts
	t.phase("time_split")
	f := ts.Final()
	t.st.Logger.InfoContext(ctx, "validated on the latest games", "cutoff_date", ts.Cutoff, "train_rows", ts.TrainRows,
		"valid_rows", ts.ValidRows, "roc_auc", f.ROCAUC, "log_loss", f.LogLoss, "calibration_error", f.CalibrationError)
	return nil
}

// fit fits the challenger on all training rows and returns its spec,
// metrics and lineage still to fill.
func (t *trainer) fit(ctx context.Context, d *model.Data, tr *features.Transform, prior *model.Model, rec *RunRecord) (model.Spec, error) {
	cfg, log := t.cfg, t.st.Logger
	spec := model.Spec{Transform: tr, Threshold: cfg.Threshold}
	if cfg.Algorithm == "linear" {
		fit, err := model.FitLinearProbability(d.X, d.Y, model.LinearOptions{MaxRows: cfg.LinearRows, Seed: cfg.Seed})
		if err != nil {
			return spec, err
		}
		spec.Algorithm, spec.Intercept, spec.Weights = model.AlgorithmLinear, fit.Intercept, fit.Weights
		rec.Hyperparameters["linear_rows"] = cfg.LinearRows
		rec.Fit["rows"], rec.Fit["dropped_features"] = fit.Rows, droppedNames(tr, fit.Dropped)
		t.phase("fit")
		return spec, nil
	}
	res, err := model.Train(ctx, d, t.trainOptions(tr, prior))
	if err != nil {
		return spec, err
	}
	fit := res.Fit
	spec.Algorithm, spec.Intercept, spec.Weights = model.AlgorithmLogistic, fit.Intercept, fit.Weights
	spec.Effects, spec.Calibration = res.Effects, res.Calibration
	rec.Search, rec.CV, rec.Calibration = res.Search, res.CV, res.Calibration.Method
	rec.Hyperparameters["C"] = res.C
	if res.CV.Effects != nil {
		for g, l := range res.CV.Effects.L2 {
			rec.Hyperparameters[g+"_l2"] = l
		}
	}
	rec.Fit["iterations"], rec.Fit["evaluations"], rec.Fit["status"] = fit.Iterations, fit.Evaluations, fit.Status
	rec.Fit["gradient_inf_norm"], rec.Fit["objective"] = fit.GradNorm, fit.Objective
	for _, g := range model.Groups() {
		if n := res.Effects.Len(g); n > 0 {
			rec.Fit[g+"_effects"] = n
		}
	}
	t.phase("fit")
	cvf := res.CV.Final()
	log.InfoContext(ctx, "model fitted", "C", res.C, "iterations", fit.Iterations, "status", fit.Status, "gradient", fit.GradNorm,
		"calibration", res.Calibration.String(), "cv_roc_auc", cvf.ROCAUC, "cv_log_loss", cvf.LogLoss, "cv_calibration_error", cvf.CalibrationError)
	return spec, nil
}

func (t *trainer) recordHyperparameters(rec *RunRecord) {
	cfg := t.cfg
	rec.Hyperparameters["feature_set"] = cfg.FeatureSet
	rec.Hyperparameters["threshold"] = cfg.Threshold
	if rec.Search != nil {
		rec.Hyperparameters["cv_folds"], rec.Hyperparameters["cv_rows"], rec.Hyperparameters["search_trials"] = cfg.CVFolds, cfg.CVRows, cfg.SearchTrials
	}
	if cfg.Algorithm == "logistic" {
		rec.Hyperparameters["effects"], rec.Hyperparameters["calibration"] = cfg.Effects, cfg.Calibration
		rec.Hyperparameters["time_holdout"] = cfg.TimeHoldout
	}
	if rec.Prior != nil {
		rec.Hyperparameters["prior"] = rec.Prior.File
	}
}

// compete scores the challenger, and the champion through its own
// transform, on the same raw test rows, decides, and returns the
// challenger with its metrics and lineage.
func (t *trainer) compete(ctx context.Context, spec model.Spec, rec *RunRecord, start time.Time) (*model.Model, error) {
	cfg, log := t.cfg, t.st.Logger
	challenger, err := model.New(spec)
	if err != nil {
		return nil, err
	}
	champ, champScore := t.loadChampion()
	chalM, champM, testRows, err := t.score(ctx, challenger, champ)
	if err != nil {
		return nil, err
	}
	t.phase("score_test")
	rec.TestRows, rec.Challenger = testRows, chalM
	if champScore != nil {
		if champ != nil {
			champScore.Metrics = &champM
		}
		rec.Champion = champScore
	}
	rec.Decision = t.decide(chalM, rec.Champion)
	rec.Promoted = promoted(rec.Decision)
	attrs := []any{"promoted", rec.Promoted, "reason", rec.Decision.Reason, "metric", cfg.Metric, "challenger", rec.Decision.Challenger}
	if rec.Decision.Champion != nil {
		attrs = append(attrs, "champion", *rec.Decision.Champion)
	}
	log.InfoContext(ctx, "champion/challenger", attrs...)

	spec.Metrics = chalM
	spec.Lineage = model.Lineage{
		CreatedAt: start.UTC(), CodeVersion: version.Version, Seed: cfg.Seed, TrainRows: rec.TrainRows,
		TestRows: rec.TestRows, Data: rec.Data, FeatureSet: cfg.FeatureSet, Hyperparameters: rec.Hyperparameters,
		Fit: rec.Fit, Search: rec.Search, Prior: rec.Prior, CV: rec.CV, TimeSplit: rec.TimeSplit,
	}
	return model.New(spec)
}

// publish promotes the model (champion pointer and signal) or discards it,
// and returns its file.
func (t *trainer) publish(ctx context.Context, m *model.Model, rec *RunRecord, start time.Time) (string, error) {
	log := t.st.Logger
	reg := model.NewRegistry(t.cfg.ModelsDir)
	var path string
	var err error
	if rec.Promoted {
		path, err = reg.Promote(m, start)
	} else {
		path, err = reg.Discard(m, start)
	}
	if err != nil {
		return "", err
	}
	if rec.Promoted {
		if err := t.st.CreateSignal(stage.SignalNewModel); err != nil {
			return "", err
		}
		log.InfoContext(ctx, "model promoted", "model", path, "model_version", m.Version())
	} else {
		log.InfoContext(ctx, "model discarded", "model", path, "model_version", m.Version())
	}
	return path, nil
}

func algorithmName(flag string) string {
	if flag == "linear" {
		return model.AlgorithmLinear
	}
	return model.AlgorithmLogistic
}

func promoted(d Decision) bool {
	switch d.Reason {
	case reasonNoChampion, reasonAlways, reasonBetter, reasonBroken:
		return true
	}
	return false
}

// Decision reasons.
const (
	reasonNoChampion = "no champion yet"
	reasonAlways     = "--promote always"
	reasonNever      = "--promote never"
	reasonBetter     = "challenger beats the champion by more than --min-improvement"
	reasonNotBetter  = "challenger does not beat the champion by more than --min-improvement (ties keep the champion)"
	reasonBroken     = "champion could not be loaded: see champion.error"
	reasonNaN        = "challenger's metric is not a number"
)

func (t *trainer) decide(chal model.Metrics, champ *ChampionScore) Decision {
	cfg := t.cfg
	d := Decision{Policy: cfg.Promote, Metric: cfg.Metric, MinImprovement: cfg.MinImprovement}
	d.Challenger, _ = chal.Get(cfg.Metric)
	if champ != nil && champ.Metrics != nil {
		v, _ := champ.Metrics.Get(cfg.Metric)
		imp := model.Improvement(cfg.Metric, d.Challenger, v)
		d.Champion, d.Improvement = &v, &imp
	}
	switch {
	case cfg.Promote == PromoteAlways:
		d.Reason = reasonAlways
	case cfg.Promote == PromoteNever:
		d.Reason = reasonNever
	case champ == nil:
		d.Reason = reasonNoChampion
	case champ.Metrics == nil:
		// A champion that cannot be loaded or scored cannot defend its
		// title. Replacing it silently would hide the problem, so the
		// error is in the record and logged as an error; the challenger
		// wins.
		d.Reason = reasonBroken
	case math.IsNaN(d.Challenger):
		d.Reason = reasonNaN
	case math.IsNaN(*d.Champion) || *d.Improvement > cfg.MinImprovement:
		d.Reason = reasonBetter
	default:
		d.Reason = reasonNotBetter
	}
	return d
}

// loadChampion loads the current champion. It returns (nil, nil) when
// there is none, and (nil, score with Error) when it cannot be loaded.
func (t *trainer) loadChampion() (*model.Model, *ChampionScore) {
	reg := model.NewRegistry(t.cfg.ModelsDir)
	bm, err := reg.BestModel()
	if errors.Is(err, model.ErrNoChampion) {
		return nil, nil
	}
	if err != nil {
		t.st.Logger.Error("champion pointer unreadable: the challenger will replace it", "err", err)
		return nil, &ChampionScore{Error: err.Error()}
	}
	cs := &ChampionScore{Model: bm.Model, Version: bm.Version, Promoted: bm.Metrics}
	m, err := model.Load(filepath.Join(t.cfg.ModelsDir, bm.Model))
	if err != nil {
		t.st.Logger.Error("champion unreadable: the challenger will replace it", "err", err)
		cs.Error = err.Error()
		return nil, cs
	}
	return m, cs
}

// score streams the processed test split once, scoring every shot with the
// challenger and the champion (when there is one), each through its own
// transform, on two goroutines.
func (t *trainer) score(ctx context.Context, chal, champ *model.Model) (chalM, champM model.Metrics, rows int64, err error) {
	path := filepath.Join(t.cfg.ProcessedDir, "test.parquet")
	var pc, pk []float64
	var y []int8
	_, err = parquetio.Each(ctx, path, func(b []nba.Shot) error {
		off := len(y)
		for i := range b {
			y = append(y, b[i].ShotMadeFlag)
		}
		pc = append(pc, make([]float64, len(b))...)
		if champ != nil {
			pk = append(pk, make([]float64, len(b))...)
		}
		parallel.For(len(b), parallel.Workers(), func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				pc[off+i] = chal.ScoreShot(&b[i])
				if champ != nil {
					pk[off+i] = champ.ScoreShot(&b[i])
				}
			}
		})
		return nil
	})
	if err != nil {
		return chalM, champM, 0, fmt.Errorf("score test split: %w", err)
	}
	chalM = model.Evaluate(pc, y, chal.Threshold())
	if champ != nil {
		champM = model.Evaluate(pk, y, champ.Threshold())
	}
	return chalM, champM, int64(len(y)), nil
}

// loadData reads the processed training split into the design matrix:
// each shot through the transform's Seed and Vector, the functions serving
// uses, with its game, identifiers and date beside it.
func (t *trainer) loadData(ctx context.Context, path string, tr *features.Transform) (*model.Data, error) {
	r, err := parquetio.Open[nba.Shot](path)
	if err != nil {
		return nil, stage.MissingInput("processed training rows", err, "process")
	}
	n := int(r.NumRows())
	r.Close()
	if n == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	d := &model.Data{X: model.NewMatrix(n, tr.NumFeatures()), Y: make([]int8, n), Games: make([]int32, n),
		IDs: make([]features.Identifiers, n), Dates: make([]int32, n)}
	prog := t.st.Progress("train: load", int64(n))
	off := 0
	_, err = parquetio.Each(ctx, path, func(b []nba.Shot) error {
		if off+len(b) > n {
			return fmt.Errorf("%s: more rows than its footer's %d", path, n)
		}
		parallel.For(len(b), parallel.Workers(), func(_, lo, hi int) {
			v := make([]float64, tr.NumFeatures())
			for i := lo; i < hi; i++ {
				s := &b[i]
				seed := features.Seed(tr, s)
				k := off + i
				d.X.SetRow(k, tr.VectorOf(&seed, s.ActionType, v))
				d.Y[k], d.Games[k], d.Dates[k] = s.ShotMadeFlag, s.GameID, s.GameDate
				d.IDs[k] = features.IdentifiersOf(s)
			}
		})
		off += len(b)
		prog.Add(int64(len(b)))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("training rows: %w", err)
	}
	prog.Done()
	for i, v := range d.Y {
		if v != 0 && v != 1 {
			return nil, fmt.Errorf("%s: row %d: shot_made_flag is %d, want 0 or 1", path, i, v)
		}
	}
	return d, nil
}

func loadTransform(path string) (*features.Transform, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, stage.MissingInput("transform", err, "featurize")
	}
	var tr features.Transform
	if err := json.Unmarshal(b, &tr); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &tr, nil
}

// dataHashes collects the SHA-256 of every input from featurize's
// manifest, for the lineage.
func dataHashes(cfg *config) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(filepath.Join(cfg.FeaturesDir, "manifest.json"))
	if err != nil {
		return out
	}
	var m struct {
		SHA256 map[string]string `json:"sha256"`
	}
	if json.Unmarshal(b, &m) == nil {
		for k, v := range m.SHA256 {
			if filepath.Dir(k) == "." {
				k = "features/" + k
			}
			out[k] = v
		}
	}
	return out
}

func droppedNames(tr *features.Transform, idx []int) []string {
	names := tr.Features()
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = names[j]
	}
	return out
}

func writeRecord(path string, rec *RunRecord) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}
