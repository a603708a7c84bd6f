package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/atomicfile"
	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Algorithms.
const (
	// AlgorithmLogistic is L2-penalised logistic regression: p = σ(b + w·x).
	AlgorithmLogistic = "logistic_regression"
	// AlgorithmLinear is the linear-probability baseline: p = clip(b + w·x, 0, 1).
	AlgorithmLinear = "linear_probability"
)

// DefaultThreshold is the probability at or above which a shot is
// predicted made. The models are fitted for calibrated probabilities, and
// the original system predicted with scikit-learn's 0.5.
const DefaultThreshold = 0.5

// Format identifies model files.
const (
	Format = "nba-mlops/model"
	// FormatVersion 2 added calibration and identifier effects. Version 1
	// files (no calibration: the identity; no shooter effects) still load,
	// so champions trained before keep serving; a build that reads only
	// version 1 refuses version 2 rather than serve uncalibrated answers.
	FormatVersion = 2
)

// Lineage records where a model came from.
type Lineage struct {
	CreatedAt   time.Time `json:"created_at"`
	Version     int       `json:"version"`
	CodeVersion string    `json:"code_version"`
	Seed        uint64    `json:"seed"`
	TrainRows   int64     `json:"train_rows"`
	TestRows    int64     `json:"test_rows"`
	// Data maps each input file (by role, e.g. "features/train.parquet") to
	// the SHA-256 of its bytes.
	Data            map[string]string `json:"data_sha256"`
	FeatureSet      string            `json:"feature_set"`
	Hyperparameters map[string]any    `json:"hyperparameters"`
	Fit             map[string]any    `json:"fit,omitempty"`    // optimiser outcome: iterations, status, gradient norm
	Search          *SearchResult     `json:"search,omitempty"` // the hyperparameter search, when one ran
	// Prior is the model whose weights the fit was regularised toward
	// (train --prior), nil for a fit from scratch.
	Prior *PriorRef `json:"prior,omitempty"`
	// CV is the game-grouped cross-validation on the training rows that
	// chose the effects' strengths and the calibration.
	CV *CVReport `json:"cv,omitempty"`
	// TimeSplit is the validation on the latest training games, when it ran.
	TimeSplit *TimeSplitReport `json:"time_split,omitempty"`
}

// PriorRef identifies a prior model in a lineage.
type PriorRef struct {
	File    string `json:"file"`
	Version int    `json:"version"`
	SHA256  string `json:"sha256"`
}

// Spec is what New builds a model from.
type Spec struct {
	Algorithm string
	Transform *features.Transform // its Features() are the weights' features
	Intercept float64
	Weights   []float64
	Threshold float64 // 0 means DefaultThreshold
	// Effects holds the player, team-season and action type effects, nil
	// for none.
	Effects *Effects
	// Calibration maps the raw probability to the served one; the zero
	// value is the identity.
	Calibration Calibration
	Metrics     Metrics
	Lineage     Lineage
}

// Model is a fitted model: transform plus weights. It is immutable and safe
// for concurrent use.
type Model struct {
	version   int
	file      string
	algorithm string
	threshold float64
	intercept float64
	weights   []float64
	tr        *features.Transform
	effects   *Effects    // nil: no effects
	cal       Calibration // Method is never "" once validated
	metrics   Metrics
	lineage   Lineage
}

// New validates spec and returns an unversioned model (Version "v0"); the
// registry assigns the version when it saves the model.
func New(spec Spec) (*Model, error) {
	if spec.Threshold == 0 {
		spec.Threshold = DefaultThreshold
	}
	m := &Model{
		algorithm: spec.Algorithm, threshold: spec.Threshold, intercept: spec.Intercept,
		weights: slices.Clone(spec.Weights), tr: spec.Transform, effects: spec.Effects, cal: spec.Calibration,
		metrics: spec.Metrics, lineage: spec.Lineage,
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) validate() error {
	switch m.algorithm {
	case AlgorithmLogistic, AlgorithmLinear:
	default:
		return fmt.Errorf("algorithm %q is neither %q nor %q", m.algorithm, AlgorithmLogistic, AlgorithmLinear)
	}
	if m.tr == nil {
		return errors.New("no transform")
	}
	if !(m.threshold > 0 && m.threshold < 1) {
		return fmt.Errorf("threshold %v is outside (0, 1)", m.threshold)
	}
	if len(m.weights) != m.tr.NumFeatures() {
		return fmt.Errorf("%d weights for %d features", len(m.weights), m.tr.NumFeatures())
	}
	if !finite(m.intercept) {
		return fmt.Errorf("intercept %v is not finite", m.intercept)
	}
	names := m.tr.Features()
	for i, w := range m.weights {
		if !finite(w) {
			return fmt.Errorf("weight of %q is %v, not finite", names[i], w)
		}
	}
	if m.version < 0 {
		return fmt.Errorf("version %d is negative", m.version)
	}
	if err := m.cal.validate(); err != nil {
		return err
	}
	if m.cal.Method == "" {
		m.cal.Method = CalibrationNone
	}
	if m.effects != nil {
		// A copy: bind adds the frequency lookup of this model's transform.
		e := *m.effects
		e.bind(m.tr)
		m.effects = &e
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Version returns the model's version, "v3" for version 3.
func (m *Model) Version() string { return fmt.Sprintf("v%d", m.version) }

// VersionNumber returns the model's version number N.
func (m *Model) VersionNumber() int { return m.version }

// File returns the path the model was loaded from or saved to, "" for a
// model that has never been on disk.
func (m *Model) File() string { return m.file }

// Threshold returns the probability at or above which a shot is predicted
// made.
func (m *Model) Threshold() float64 { return m.threshold }

// Algorithm returns AlgorithmLogistic or AlgorithmLinear.
func (m *Model) Algorithm() string { return m.algorithm }

// Metrics returns the test metrics recorded when the model was trained.
func (m *Model) Metrics() Metrics { return m.metrics }

// Lineage returns the model's lineage.
func (m *Model) Lineage() Lineage { return m.lineage }

// Transform returns the model's feature transform.
func (m *Model) Transform() *features.Transform { return m.tr }

// Features returns the names of the model's input features, in weight
// order.
func (m *Model) Features() []string { return m.tr.Features() }

// Weights returns the intercept and a copy of the weights.
func (m *Model) Weights() (float64, []float64) { return m.intercept, slices.Clone(m.weights) }

// Calibration returns the calibration the model applies to its raw
// probability.
func (m *Model) Calibration() Calibration { return m.cal }

// Effects returns the model's identifier effects, nil when it has none.
func (m *Model) Effects() *Effects { return m.effects }

// ScoreSeed returns the probability that a shot with these 39 seed values
// (the /predict body, unscaled) is made. The body does not name the
// shooter, so he is the league average; its action type counts through
// Action_Type_Frequency. It does not allocate. Values are not checked:
// a NaN or infinite input gives a NaN probability, so callers validate
// what they receive.
func (m *Model) ScoreSeed(seed *[nba.NumSeedFeatures]float64) float64 {
	return m.score(seed, nil)
}

// ScoreShot returns the probability that a raw shot is made, through the
// model's own transform and with the effects of its player, team-season
// and action type. It does not allocate.
func (m *Model) ScoreShot(s *nba.Shot) float64 {
	seed := features.Seed(m.tr, s)
	ids := features.IdentifiersOf(s)
	return m.score(&seed, &ids)
}

// score is the one scoring function: linear predictor, identifier effects
// (ids nil: a /predict body, which carries only the action type's
// frequency) and calibration. Every scorer (train's evaluation, infer,
// predictd and through it apid) ends here.
func (m *Model) score(seed *[nba.NumSeedFeatures]float64, ids *features.Identifiers) float64 {
	var buf [features.MaxFeatures]float64
	var v []float64
	if ids != nil {
		v = m.tr.VectorOf(seed, ids.ActionType, buf[:])
	} else {
		v = m.tr.Vector(seed, buf[:])
	}
	z := m.intercept
	for i, x := range v {
		z += m.weights[i] * x
	}
	if m.effects != nil {
		if ids != nil {
			z += m.effects.offset(ids)
		} else {
			z += m.effects.seedOffset(seed[features.SeedActionTypeFrequency])
		}
	}
	if m.algorithm == AlgorithmLinear {
		return m.cal.apply(math.Min(math.Max(z, 0), 1), math.NaN())
	}
	if m.cal.Method == CalibrationNone {
		return sigmoid(z)
	}
	return m.cal.apply(sigmoid(z), z)
}

// Predict returns 1 when p is at or above the threshold, else 0.
func (m *Model) Predict(p float64) int {
	if p >= m.threshold {
		return 1
	}
	return 0
}

type fileJSON struct {
	Format        string              `json:"format"`
	FormatVersion int                 `json:"format_version"`
	Version       int                 `json:"version"`
	Algorithm     string              `json:"algorithm"`
	Threshold     float64             `json:"threshold"`
	SeedFeatures  []string            `json:"seed_features"`
	Features      []string            `json:"features"`
	Intercept     float64             `json:"intercept"`
	Weights       []float64           `json:"weights"`
	Calibration   *Calibration        `json:"calibration"` // absent in version 1 files: the identity
	Effects       *Effects            `json:"effects,omitempty"`
	Metrics       Metrics             `json:"metrics"`
	Lineage       Lineage             `json:"lineage"`
	Transform     *features.Transform `json:"transform"`
}

// MarshalJSON encodes the self-contained model file.
func (m *Model) MarshalJSON() ([]byte, error) {
	return json.Marshal(fileJSON{
		Format: Format, FormatVersion: FormatVersion, Version: m.version, Algorithm: m.algorithm,
		Threshold: m.threshold, SeedFeatures: nba.FeatureNames(), Features: m.tr.Features(),
		Intercept: m.intercept, Weights: m.weights, Calibration: &m.cal, Effects: m.effects,
		Metrics: m.metrics, Lineage: m.lineage, Transform: m.tr,
	})
}

// Decode parses and validates a model file's bytes.
func Decode(b []byte) (*Model, error) {
	var f fileJSON
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	switch {
	case f.Format != Format:
		return nil, fmt.Errorf("format is %q, want %q", f.Format, Format)
	case f.FormatVersion != 1 && f.FormatVersion != FormatVersion:
		return nil, fmt.Errorf("format_version is %d, this build reads 1 and %d", f.FormatVersion, FormatVersion)
	case !slices.Equal(f.SeedFeatures, nba.FeatureNames()):
		return nil, errors.New("seed_features differ from the 39 features of the /predict body")
	case f.Transform == nil:
		return nil, errors.New("transform is missing")
	case !slices.Equal(f.Features, f.Transform.Features()):
		return nil, errors.New("features differ from the transform's vector features")
	case f.Version < 1:
		return nil, fmt.Errorf("version is %d, want a version ≥ 1 assigned by the registry", f.Version)
	}
	m := &Model{
		version: f.Version, algorithm: f.Algorithm, threshold: f.Threshold, intercept: f.Intercept,
		weights: f.Weights, tr: f.Transform, effects: f.Effects, metrics: f.Metrics, lineage: f.Lineage,
	}
	if f.Calibration != nil {
		m.cal = *f.Calibration
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Load reads and validates a model file: format and version, the 39 seed
// feature names, the vector features (each known to this build, with its
// scaler), one finite weight per feature, the algorithm and the threshold.
// Errors name the file and what is wrong.
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	m.file = path
	return m, nil
}

// save writes the model with version n to path atomically.
func (m *Model) save(path string, n int) error {
	c := *m
	c.version = n
	c.lineage.Version = n
	b, err := json.MarshalIndent(&c, "", " ")
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n')); err != nil {
		return err
	}
	m.version, m.lineage.Version, m.file = n, n, path
	return nil
}

// FileName is the name of model version n trained on date:
// model_best_lr-v{N}-{YYYYMMDD}.json, the original system's pattern, kept
// for the linear baseline too (the algorithm is inside the file).
func FileName(n int, date time.Time) string {
	return fmt.Sprintf("model_best_lr-v%d-%s.json", n, date.UTC().Format("20060102"))
}
