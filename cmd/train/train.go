package main

import (
	"context"
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
	Fit             map[string]any      `json:"fit"`
	Challenger      model.Metrics       `json:"challenger"`
	Champion        *ChampionScore      `json:"champion,omitempty"`
	TrainRows       int64               `json:"train_rows"`
	TestRows        int64               `json:"test_rows"`
	Data            map[string]string   `json:"data_sha256"`
	StartedAt       time.Time           `json:"started_at"`
	DurationMS      int64               `json:"duration_ms"`
	PhasesMS        map[string]int64    `json:"phases_ms"`
	MLflow          TrackingResult      `json:"mlflow"`
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

func (t *trainer) run(ctx context.Context) (*RunRecord, error) {
	cfg, log := t.cfg, t.st.Logger
	start := time.Now()
	t.phases, t.last = map[string]int64{}, start
	rec := &RunRecord{Algorithm: algorithmName(cfg.Algorithm), FeatureSet: cfg.FeatureSet, Seed: cfg.Seed,
		StartedAt: start.UTC(), Hyperparameters: map[string]any{}, Fit: map[string]any{}}

	tr, err := loadTransform(filepath.Join(cfg.FeaturesDir, "transform.json"))
	if err != nil {
		return nil, err
	}
	if tr, err = tr.Select(cfg.featureNames()); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(cfg.FeaturesDir, "transform.json"), err)
	}
	rec.Features = tr.NumFeatures()
	rec.Data = dataHashes(cfg)

	X, y, groups, err := t.loadMatrix(ctx, filepath.Join(cfg.FeaturesDir, "train.parquet"), tr)
	if err != nil {
		return nil, err
	}
	rec.TrainRows = int64(X.Rows)
	t.phase("load_features")
	log.InfoContext(ctx, "training matrix loaded", "rows", X.Rows, "features", X.Cols)

	spec := model.Spec{Transform: tr, Threshold: cfg.Threshold}
	switch cfg.Algorithm {
	case "linear":
		fit, err := model.FitLinearProbability(X, y, model.LinearOptions{MaxRows: cfg.LinearRows, Seed: cfg.Seed})
		if err != nil {
			return nil, err
		}
		spec.Algorithm, spec.Intercept, spec.Weights = model.AlgorithmLinear, fit.Intercept, fit.Weights
		rec.Hyperparameters["linear_rows"] = cfg.LinearRows
		rec.Fit["rows"], rec.Fit["dropped_features"] = fit.Rows, droppedNames(tr, fit.Dropped)
		t.phase("fit")
	default:
		C := cfg.C
		var init []float64
		if C == 0 {
			res, err := model.SearchC(ctx, X, y, groups, model.SearchOptions{
				Folds: cfg.CVFolds, MaxRows: cfg.CVRows, Trials: cfg.SearchTrials, Seed: cfg.Seed, Workers: cfg.Workers})
			if err != nil {
				return nil, err
			}
			rec.Search, C, init = res, res.Best.C, res.Init
			t.phase("search")
			log.InfoContext(ctx, "hyperparameters chosen", "C", C, "cv_log_loss", res.Best.LogLoss,
				"cv_roc_auc", res.Best.ROCAUC, "cv_rows", res.Rows, "folds", res.Folds, "trials", len(res.Trials))
		}
		fit, err := model.FitLogistic(ctx, X, y, model.LogisticOptions{C: C, Workers: cfg.Workers, Init: init})
		if err != nil {
			return nil, err
		}
		spec.Algorithm, spec.Intercept, spec.Weights = model.AlgorithmLogistic, fit.Intercept, fit.Weights
		rec.Hyperparameters["C"] = C
		rec.Fit["iterations"], rec.Fit["evaluations"], rec.Fit["status"] = fit.Iterations, fit.Evaluations, fit.Status
		rec.Fit["gradient_inf_norm"], rec.Fit["objective"] = fit.GradNorm, fit.Objective
		t.phase("fit")
		log.InfoContext(ctx, "model fitted", "C", C, "iterations", fit.Iterations, "status", fit.Status, "gradient", fit.GradNorm)
	}
	X = nil // the matrix is the biggest allocation: let the scoring below reuse its memory
	rec.Hyperparameters["feature_set"] = cfg.FeatureSet
	rec.Hyperparameters["threshold"] = cfg.Threshold
	if rec.Search != nil {
		rec.Hyperparameters["cv_folds"], rec.Hyperparameters["cv_rows"], rec.Hyperparameters["search_trials"] = cfg.CVFolds, cfg.CVRows, cfg.SearchTrials
	}

	// Score the challenger, and the champion through its own transform, on
	// the same raw test rows.
	challenger, err := model.New(spec)
	if err != nil {
		return nil, err
	}
	lock, err := t.lockModels(ctx) // held until the model is saved (lock.go)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
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
		Fit: rec.Fit, Search: rec.Search,
	}
	m, err := model.New(spec)
	if err != nil {
		return nil, err
	}
	reg := model.NewRegistry(cfg.ModelsDir)
	var path string
	if rec.Promoted {
		path, err = reg.Promote(m, start)
	} else {
		path, err = reg.Discard(m, start)
	}
	if err != nil {
		return nil, err
	}
	rec.Model, rec.Version, rec.RunName = path, m.VersionNumber(), filepath.Base(path)
	if rec.Promoted {
		if err := t.st.CreateSignal(stage.SignalNewModel); err != nil {
			return nil, err
		}
		log.InfoContext(ctx, "model promoted", "model", path, "model_version", m.Version())
	} else {
		log.InfoContext(ctx, "model discarded", "model", path, "model_version", m.Version())
	}
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

// loadMatrix reads the training feature file into the design matrix: each
// row's 39 seed values through the transform's Vector, the one function
// serving also uses.
func (t *trainer) loadMatrix(ctx context.Context, path string, tr *features.Transform) (*model.Matrix, []int8, []int32, error) {
	r, err := parquetio.Open[features.Row](path)
	if err != nil {
		return nil, nil, nil, stage.MissingInput("training features", err, "featurize")
	}
	defer r.Close()
	n := int(r.NumRows())
	if n == 0 {
		return nil, nil, nil, fmt.Errorf("%s: no rows", path)
	}
	X := model.NewMatrix(n, tr.NumFeatures())
	y := make([]int8, n)
	groups := make([]int32, n)
	prog := t.st.Progress("train: load", int64(n))
	off := 0
	err = r.Each(ctx, func(b []features.Row) error {
		parallel.For(len(b), parallel.Workers(), func(_, lo, hi int) {
			v := make([]float64, tr.NumFeatures())
			for i := lo; i < hi; i++ {
				seed := b[i].Seed()
				X.SetRow(off+i, tr.Vector(&seed, v))
				y[off+i], groups[off+i] = b[i].ShotMadeFlag, b[i].GameID
			}
		})
		off += len(b)
		prog.Add(int64(len(b)))
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	prog.Done()
	for i, v := range y {
		if v != 0 && v != 1 {
			return nil, nil, nil, fmt.Errorf("%s: row %d: shot_made_flag is %d, want 0 or 1", path, i, v)
		}
	}
	return X, y, groups, nil
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
