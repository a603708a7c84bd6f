package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/nba-mlops/nba-mlops/internal/model"

	"github.com/nba-mlops/nba-mlops/internal/mlflow"
	"github.com/nba-mlops/nba-mlops/internal/stage"
)

// runLogger is what train needs of an MLflow client.
type runLogger interface {
	LogRun(ctx context.Context, r mlflow.Run) (runID string, err error)
}

// tracker logs a training run to MLflow when tracking is configured.
type tracker struct {
	client     runLogger
	experiment string
	reason     string // why tracking is off
	st         *stage.Stage
}

// TrackingResult is what became of the MLflow side of a run.
type TrackingResult struct {
	Enabled bool   `json:"enabled"`
	Reason  string `json:"reason,omitempty"` // why it is off
	RunID   string `json:"run_id,omitempty"`
	Error   string `json:"error,omitempty"`
}

func newTracker(cfg *config, st *stage.Stage) *tracker {
	t := &tracker{experiment: cfg.Experiment, st: st}
	mc, err := mlflow.LoadConfig(cfg.MLflowURI, cfg.getenv)
	switch {
	case err != nil:
		t.reason = err.Error() // loadConfig already refused this; kept for safety
	case !mc.Enabled:
		t.reason = mc.Reason
	default:
		c := mlflow.NewClient(cfg.MLflowURI, cfg.getenv, nil)
		c.Logger = st.Logger
		t.client = c
	}
	return t
}

// log records the run. A server that is down or refuses the run costs a
// warning: training has succeeded and the local record keeps everything.
func (t *tracker) log(ctx context.Context, rec *RunRecord) TrackingResult {
	if t.client == nil {
		return TrackingResult{Reason: t.reason}
	}
	res := TrackingResult{Enabled: true}
	run := mlflow.Run{
		Experiment:   t.experiment,
		RunName:      rec.RunName,
		Params:       map[string]string{},
		Metrics:      map[string]float64{},
		Tags:         map[string]string{},
		ArtifactPath: rec.Model,
		StartTime:    rec.StartedAt,
	}
	for k, v := range rec.Hyperparameters {
		run.Params[k] = fmt.Sprint(v)
	}
	run.Params["algorithm"] = rec.Algorithm
	run.Params["seed"] = strconv.FormatUint(rec.Seed, 10)
	run.Params["features"] = strconv.Itoa(rec.Features)
	run.Params["train_rows"] = strconv.FormatInt(rec.TrainRows, 10)
	run.Params["test_rows"] = strconv.FormatInt(rec.TestRows, 10)
	run.Params["promotion_metric"] = rec.Decision.Metric
	run.Params["promotion_policy"] = rec.Decision.Policy
	addMetrics(run.Metrics, "", rec.Challenger)
	for _, b := range rec.Challenger.Reliability {
		run.Metrics[fmt.Sprintf("reliability_bin_%02d_mean_predicted", b.Bin)] = b.MeanPredicted
		run.Metrics[fmt.Sprintf("reliability_bin_%02d_observed_rate", b.Bin)] = b.ObservedRate
	}
	if c := rec.Champion; c != nil && c.Metrics != nil {
		addMetrics(run.Metrics, "champion_", *c.Metrics)
	}
	if rec.Search != nil {
		run.Metrics["cv_log_loss"], run.Metrics["cv_roc_auc"] = rec.Search.Best.LogLoss, rec.Search.Best.ROCAUC
	}
	// Held-out scores after each step: cv_model_*, cv_effects_*,
	// cv_calibration_* and the same with time_split_ for the latest games.
	if rec.CV != nil {
		for _, st := range rec.CV.Steps {
			addMetrics(run.Metrics, "cv_"+strings.TrimPrefix(st.Step, "+")+"_", st.Metrics)
		}
	}
	if rec.TimeSplit != nil {
		for _, st := range rec.TimeSplit.Steps {
			addMetrics(run.Metrics, "time_split_"+strings.TrimPrefix(st.Step, "+")+"_", st.Metrics)
		}
	}
	if rec.Calibration != "" {
		run.Params["calibration_method"] = rec.Calibration
	}
	if rec.Prior != nil {
		run.Tags["prior.file"], run.Tags["prior.sha256"] = rec.Prior.File, rec.Prior.SHA256
	}
	run.Tags["model_version"] = strconv.Itoa(rec.Version)
	run.Tags["promoted"] = strconv.FormatBool(rec.Promoted)
	run.Tags["decision"] = rec.Decision.Reason
	for k, v := range rec.Data {
		run.Tags["data_sha256."+k] = v
	}
	id, err := t.client.LogRun(ctx, run)
	res.RunID = id
	if err != nil {
		res.Error = err.Error()
		t.st.Logger.WarnContext(ctx, "mlflow logging failed: the run is recorded locally only", "err", err)
	} else {
		t.st.Logger.InfoContext(ctx, "run logged to mlflow", "run_id", id, "experiment", t.experiment)
	}
	return res
}

// addMetrics adds the scores of m under prefix: ROC AUC, log loss, Brier,
// calibration error, accuracy and base rate.
func addMetrics(dst map[string]float64, prefix string, m model.Metrics) {
	dst[prefix+"accuracy"], dst[prefix+"roc_auc"], dst[prefix+"log_loss"] = m.Accuracy, m.ROCAUC, m.LogLoss
	dst[prefix+"brier"], dst[prefix+"calibration_error"], dst[prefix+"base_rate"] = m.Brier, m.CalibrationError, m.BaseRate
}
