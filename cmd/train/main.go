// Command train fits a challenger model on the processed training split
// through the fitted transform: C, the action type, player and team-season
// effects and the calibration each chosen by game-grouped cross-validation
// (optionally around a prior model), and the whole procedure validated
// again on the latest games. It scores the challenger and the current
// champion on the same test rows (each through its own transform), promotes
// the challenger or discards it, and records the run: a JSON record beside
// the model file, and an MLflow run when MLFLOW_TRACKING_URI is an http(s)
// URL. It prints the run record on stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/envconf"
	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/mlflow"
	"github.com/nba-mlops/nba-mlops/internal/model"
	"github.com/nba-mlops/nba-mlops/internal/parallel"
	"github.com/nba-mlops/nba-mlops/internal/stage"
)

func main() { command.Main("train", run) }

// Environment variables read besides the common stage ones.
const (
	EnvSeed       = "NBA_SEED"
	EnvAlgorithm  = "NBA_ALGORITHM"
	EnvMetric     = "NBA_METRIC"
	EnvMinImprove = "NBA_MIN_IMPROVEMENT"
	EnvPromote    = "NBA_PROMOTE"
	EnvExperiment = "MLFLOW_EXPERIMENT_NAME" // MLflow's own name for it
)

// Promotion policies.
const (
	PromoteBetter = "better"
	PromoteAlways = "always"
	PromoteNever  = "never"
)

// Feature sets (--features).
const (
	FeatureSetDefault  = "default"
	FeatureSetV1       = "v1" // the default before shooter effects: with Action_Type_Frequency
	FeatureSetOriginal = "original"
	FeatureSetAll      = "all"
)

// Effects (--effects) and calibration (--calibration) choices besides the
// calibration methods themselves.
const (
	EffectsAuto     = "auto" // strengths chosen by grouped CV, "off" among them
	EffectsOff      = "off"
	CalibrationAuto = "auto" // none, Platt or isotonic, chosen by grouped CV
)

type config struct {
	FeaturesDir    string  `json:"features_dir"`
	ProcessedDir   string  `json:"processed_dir"`
	ModelsDir      string  `json:"models_dir"`
	Algorithm      string  `json:"algorithm"`
	FeatureSet     string  `json:"feature_set"`
	Seed           uint64  `json:"seed"`
	C              float64 `json:"C"` // 0: search
	CVFolds        int     `json:"cv_folds"`
	CVRows         int     `json:"cv_rows"`
	SearchTrials   int     `json:"search_trials"`
	LinearRows     int     `json:"linear_rows"`
	Threshold      float64 `json:"threshold"`
	Metric         string  `json:"metric"`
	MinImprovement float64 `json:"min_improvement"`
	Promote        string  `json:"promote"`
	Workers        int     `json:"workers"`
	Effects        string  `json:"effects"`
	Calibration    string  `json:"calibration"`
	TimeHoldout    float64 `json:"time_holdout"`
	Prior          string  `json:"prior"`
	MLflowURI      string  `json:"-"` // may hold credentials: shown through MLflow below, redacted
	Experiment     string  `json:"mlflow_experiment"`
	MLflow         any     `json:"mlflow"`
	stage          *stage.Flags
	getenv         func(string) string

	Lock lockConfig `json:"lock"` // the models directory's lock (lock.go)
}

func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{getenv: getenv}
	c.stage = stage.Register(fs, getenv, stage.Defaults{WaitFor: stage.SignalFeatures, Signal: stage.SignalTraining, Models: true})
	c.stage.SetUsage(fs, stderr, []string{"train [flags]"},
		"Trains a challenger, scores it and the champion on the same test rows, and promotes it or discards it.", ownEnv()...)
	var errs []error
	minImprove := 0.0
	if v := getenv(EnvMinImprove); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: not a number", EnvMinImprove, v))
		}
		minImprove = f
	}
	seed := uint64(42)
	if v := getenv(EnvSeed); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: not a non-negative integer", EnvSeed, v))
		}
		seed = s
	}
	fs.StringVar(&c.FeaturesDir, "features-dir", "", "feature files and transform.json (default <data-dir>/features)")
	fs.StringVar(&c.ProcessedDir, "processed-dir", "", "processed data; its test.parquet is what challenger and champion are scored on (default <data-dir>/processed)")
	fs.StringVar(&c.Algorithm, "algorithm", envconf.Or(getenv, EnvAlgorithm, "logistic"), "logistic (L2 logistic regression) or linear (linear-probability baseline) (env "+EnvAlgorithm+")")
	fs.StringVar(&c.FeatureSet, "features", FeatureSetDefault, "vector features: default (distance shape, shot type, angle, action family and Action_Plain, clock, era: 26, no frequency encoding), v1 (the default before effects and calibration, with Action_Type_Frequency instead of Action_Plain: 26), original (the 39 seed features) or all (every feature the code knows but Game_ID_Frequency)")
	fs.StringVar(&c.Effects, "effects", EffectsAuto, "action type, player and team-season effects (shrunk logit offsets): auto (each group's L2 strength chosen by game-grouped CV, off included) or off")
	fs.StringVar(&c.Calibration, "calibration", CalibrationAuto, "post-hoc calibration fitted out of fold: auto (none, platt or isotonic, chosen by game-grouped CV), none, platt or isotonic")
	fs.Float64Var(&c.TimeHoldout, "time-holdout", 0.2, "also validate on the latest games: train on the earlier dates of the training split, score this share of rows from the latest dates; 0 turns it off")
	fs.StringVar(&c.Prior, "prior", "", "model file whose weights (and effects) the L2 penalty is centred on instead of 0; its strength is chosen by grouped CV like C. Default: none")
	fs.Uint64Var(&c.Seed, "seed", seed, "random seed of the search subsample, folds and C draws (env "+EnvSeed+")")
	fs.Float64Var(&c.C, "C", 0, "inverse L2 strength as in scikit-learn; 0 chooses it by cross-validation")
	fs.IntVar(&c.CVFolds, "cv-folds", 5, "folds of the hyperparameter search (grouped by game)")
	fs.IntVar(&c.CVRows, "cv-rows", 40000, "the search runs on a seeded subsample of at most this many training rows")
	fs.IntVar(&c.SearchTrials, "search-trials", 8, "values of C the search tries (stratified log-uniform in [1e-4, 100])")
	fs.IntVar(&c.LinearRows, "linear-rows", 3000, "rows of the seeded subsample the linear baseline is fitted on (its QR solve grows with rows squared)")
	fs.Float64Var(&c.Threshold, "threshold", model.DefaultThreshold, "probability at or above which a shot is predicted made")
	fs.StringVar(&c.Metric, "metric", envconf.Or(getenv, EnvMetric, model.MetricROCAUC), "promotion metric: roc_auc, log_loss, brier, accuracy or calibration_error (env "+EnvMetric+")")
	fs.Float64Var(&c.MinImprovement, "min-improvement", minImprove, "the challenger must beat the champion on --metric by more than this (env "+EnvMinImprove+")")
	fs.StringVar(&c.Promote, "promote", envconf.Or(getenv, EnvPromote, PromoteBetter), "better (promote on improvement; ties keep the champion), always or never (env "+EnvPromote+")")
	fs.IntVar(&c.Workers, "workers", parallel.Workers(), "goroutines fitting over row ranges (the default is GOMAXPROCS)")
	fs.StringVar(&c.MLflowURI, "mlflow-tracking-uri", getenv(mlflow.EnvTrackingURI), "MLflow tracking server; runs are logged when it is http(s) and LOG_TO_MLFLOW is not false (env "+mlflow.EnvTrackingURI+")")
	fs.StringVar(&c.Experiment, "experiment", envconf.Or(getenv, EnvExperiment, "nba-shot-prediction"), "MLflow experiment (env "+EnvExperiment+")")
	c.Lock.register(fs, getenv, &errs)
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if err := c.Lock.validate(); err != nil {
		errs = append(errs, err)
	}
	switch c.Algorithm {
	case "logistic", "linear":
	default:
		errs = append(errs, fmt.Errorf("--algorithm: %q is neither logistic nor linear", c.Algorithm))
	}
	switch c.FeatureSet {
	case FeatureSetDefault, FeatureSetV1, FeatureSetOriginal, FeatureSetAll:
	default:
		errs = append(errs, fmt.Errorf("--features: %q is not %s, %s, %s or %s", c.FeatureSet, FeatureSetDefault, FeatureSetV1, FeatureSetOriginal, FeatureSetAll))
	}
	switch c.Effects {
	case EffectsAuto, EffectsOff:
	default:
		errs = append(errs, fmt.Errorf("--effects: %q is neither %s nor %s", c.Effects, EffectsAuto, EffectsOff))
	}
	if c.Calibration != CalibrationAuto && !slices.Contains(model.CalibrationMethods(), c.Calibration) {
		errs = append(errs, fmt.Errorf("--calibration: %q is not %s or one of %v", c.Calibration, CalibrationAuto, model.CalibrationMethods()))
	}
	if !(c.TimeHoldout >= 0 && c.TimeHoldout < 1) {
		errs = append(errs, fmt.Errorf("--time-holdout: %v is outside [0, 1)", c.TimeHoldout))
	}
	if c.Prior != "" && c.Algorithm != "logistic" {
		errs = append(errs, fmt.Errorf("--prior: needs --algorithm logistic, not %s", c.Algorithm))
	}
	if _, err := (model.Metrics{}).Get(c.Metric); err != nil {
		errs = append(errs, fmt.Errorf("--metric: %w", err))
	}
	switch c.Promote {
	case PromoteBetter, PromoteAlways, PromoteNever:
	default:
		errs = append(errs, fmt.Errorf("--promote: %q is not better, always or never", c.Promote))
	}
	if c.C < 0 {
		errs = append(errs, fmt.Errorf("--C: %v is negative (0 searches)", c.C))
	}
	if c.CVFolds < 2 {
		errs = append(errs, fmt.Errorf("--cv-folds: %d, want at least 2", c.CVFolds))
	}
	if c.CVRows < 10 || c.SearchTrials < 1 || c.LinearRows < 10 {
		errs = append(errs, errors.New("--cv-rows and --linear-rows want at least 10, --search-trials at least 1"))
	}
	if !(c.Threshold > 0 && c.Threshold < 1) {
		errs = append(errs, fmt.Errorf("--threshold: %v is outside (0, 1)", c.Threshold))
	}
	if c.MinImprovement < 0 {
		errs = append(errs, fmt.Errorf("--min-improvement: %v is negative", c.MinImprovement))
	}
	if c.Workers < 1 {
		errs = append(errs, fmt.Errorf("--workers: %d, want at least 1", c.Workers))
	}
	if _, err := mlflow.LoadConfig(c.MLflowURI, getenv); err != nil {
		errs = append(errs, err)
	}
	if err := c.stage.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if c.FeaturesDir == "" {
		c.FeaturesDir = filepath.Join(c.stage.DataDir, "features")
	}
	if c.ProcessedDir == "" {
		c.ProcessedDir = filepath.Join(c.stage.DataDir, "processed")
	}
	c.ModelsDir = c.stage.ModelsDir
	mc, _ := mlflow.LoadConfig(c.MLflowURI, getenv)
	c.MLflow = mc
	return c, nil
}

// featureNames returns the vector features of the configured set.
func (c *config) featureNames() []string {
	switch c.FeatureSet {
	case FeatureSetOriginal:
		return features.Original()
	case FeatureSetAll:
		return features.All()
	case FeatureSetV1:
		return features.DefaultV1()
	}
	return features.Default()
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return command.Usage(err)
	}
	if cfg.stage.CheckConfig {
		return printConfig(stdout, cfg)
	}
	return stage.Execute(ctx, "train", cfg.stage, stdout, stderr, func(ctx context.Context, st *stage.Stage) (*RunRecord, int64, error) {
		t := &trainer{cfg: cfg, st: st, tracker: newTracker(cfg, st)}
		rec, err := t.run(ctx)
		if err != nil {
			return nil, 0, err
		}
		return rec, rec.TrainRows, nil
	})
}

func printConfig(w io.Writer, c *config) error {
	return stage.PrintConfig(w, c, c.stage, ownEnv()...)
}

// ownEnv lists the environment variables train reads besides the stage's.
func ownEnv() []string {
	return append([]string{EnvSeed, EnvAlgorithm, EnvMetric, EnvMinImprove, EnvPromote, EnvExperiment, EnvIfLocked, EnvLockTimeout, mlflow.EnvTrackingURI}, mlflow.Env()...)
}
