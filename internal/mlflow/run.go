package mlflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Run is one training run to record.
type Run struct {
	Experiment string             // created if missing (experiments/get-by-name, experiments/create)
	RunName    string             // run_name and tag mlflow.runName: the model file's base name
	Params     map[string]string  // values longer than MLflow accepts are truncated, with a logged note
	Metrics    map[string]float64 // non-finite values are skipped (MLflow rejects NaN/Inf), with a logged note
	Tags       map[string]string
	// ArtifactPath is a local file uploaded at the root of the run's
	// artifacts (the model file); "" for none.
	ArtifactPath string
	// StartTime and EndTime are the run's bounds; zero means now. Metrics
	// are stamped with EndTime, when they were computed.
	StartTime, EndTime time.Time
}

// Run statuses (MLflow's RunStatus).
const (
	StatusFinished = "FINISHED"
	StatusFailed   = "FAILED"
	StatusKilled   = "KILLED"
)

// closeRunTimeout bounds the one attempt at marking a run FAILED after an
// error, so that a server that died mid-run costs at most MaxRetryTime plus
// this.
const closeRunTimeout = 2 * time.Second

// ErrDisabled is returned by LogRun when the configuration turns tracking off.
var ErrDisabled = errors.New("mlflow tracking is disabled")

// LogRun records r as a new run and returns its ID. It validates r before
// any request, so a bad key costs nothing on the network. Once the run
// exists, any later failure marks it FAILED (KILLED when ctx is done) with a
// single best-effort runs/update and returns the run ID with the error, so
// the caller can mention it in its local record.
func (c *Client) LogRun(ctx context.Context, r Run) (runID string, err error) {
	if c.cfgErr != nil {
		return "", fmt.Errorf("mlflow config: %w", c.cfgErr)
	}
	if !c.cfg.Enabled {
		return "", fmt.Errorf("%w: %s", ErrDisabled, c.cfg.Reason)
	}
	if c.ownedHC {
		// No keep-alive connection, and so no transport goroutine, outlives
		// the call.
		defer c.hc.CloseIdleConnections()
	}
	p, err := c.prepare(r)
	if err != nil {
		return "", err
	}
	for _, n := range p.notes {
		c.Logger.WarnContext(ctx, n.msg, n.args...)
	}

	expID, err := c.experimentID(ctx, r.Experiment)
	if err != nil {
		return "", err
	}
	info, err := c.createRun(ctx, expID, r.RunName, p.start)
	if err != nil {
		return "", err
	}
	err = c.logBatches(ctx, info.RunID, p.batches)
	if err == nil && p.artifact != "" {
		err = c.uploadArtifact(ctx, info, p.artifact)
	}

	status := StatusFinished
	updCtx := ctx
	attempts := 0
	if err != nil {
		status = StatusFailed
		if ctx.Err() != nil {
			status = StatusKilled
		}
		// The run must not stay RUNNING forever, even when ctx was
		// cancelled; but one short attempt is all a failing server gets.
		var cancel context.CancelFunc
		updCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), min(c.cfg.RequestTimeout, closeRunTimeout))
		defer cancel()
		attempts = 1
	}
	if uerr := c.updateRun(updCtx, info.RunID, status, p.end, attempts); uerr != nil {
		if err == nil {
			err = uerr
		} else {
			err = fmt.Errorf("%w; and marking the run %s: %w", err, status, uerr)
		}
	}
	if err != nil {
		return info.RunID, fmt.Errorf("mlflow run %s: %w", info.RunID, err)
	}
	return info.RunID, nil
}

type note struct {
	msg  string
	args []any
}

// prepared is a Run checked and cut into requests.
type prepared struct {
	start, end time.Time
	batches    []batch
	artifact   string
	notes      []note
}

// prepare validates r, drops what MLflow would reject and splits the rest
// into log-batch requests.
func (c *Client) prepare(r Run) (prepared, error) {
	p := prepared{start: r.StartTime, end: r.EndTime}
	now := time.Now()
	if p.start.IsZero() {
		p.start = now
	}
	if p.end.IsZero() {
		p.end = now
	}
	if p.end.Before(p.start) {
		return p, fmt.Errorf("mlflow run: EndTime %v is before StartTime %v", p.end, p.start)
	}
	if err := validateExperimentName(r.Experiment); err != nil {
		return p, err
	}
	var errs []error
	if r.RunName != "" && len([]rune(r.RunName)) > maxTagValueLen {
		errs = append(errs, fmt.Errorf("mlflow run: RunName has %d characters, more than MLflow's %d", len([]rune(r.RunName)), maxTagValueLen))
	}

	ts := p.end.UnixMilli()
	metrics := make([]metric, 0, len(r.Metrics))
	for _, k := range sortedKeys(r.Metrics) {
		v := r.Metrics[k]
		if err := validateKey("metric", k); err != nil {
			errs = append(errs, err)
			continue
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			// JSON has no NaN or Inf, and MLflow would refuse them anyway;
			// the local run record keeps the value.
			p.notes = append(p.notes, note{"mlflow: metric skipped: value is not finite", []any{"metric", k, "value", fmt.Sprint(v)}})
			continue
		}
		metrics = append(metrics, metric{Key: k, Value: v, Timestamp: ts, Step: 0})
	}
	params := make([]kv, 0, len(r.Params))
	for _, k := range sortedKeys(r.Params) {
		if err := validateKey("param", k); err != nil {
			errs = append(errs, err)
			continue
		}
		v, cut := truncate(r.Params[k], c.limits.paramValueLen)
		if cut {
			p.notes = append(p.notes, note{"mlflow: param value truncated", []any{"param", k, "length", len([]rune(r.Params[k])), "limit", c.limits.paramValueLen}})
		}
		params = append(params, kv{Key: k, Value: v})
	}
	tags := make([]kv, 0, len(r.Tags))
	for _, k := range sortedKeys(r.Tags) {
		if k == tagRunName && r.RunName != "" {
			// runs/create sets it from RunName; MLflow rejects a run whose
			// run_name and mlflow.runName tag differ.
			if r.Tags[k] != r.RunName {
				p.notes = append(p.notes, note{"mlflow: tag ignored: RunName sets it", []any{"tag", k}})
			}
			continue
		}
		if err := validateKey("tag", k); err != nil {
			errs = append(errs, err)
			continue
		}
		v, cut := truncate(r.Tags[k], maxTagValueLen)
		if cut {
			p.notes = append(p.notes, note{"mlflow: tag value truncated", []any{"tag", k, "length", len([]rune(r.Tags[k])), "limit", maxTagValueLen}})
		}
		tags = append(tags, kv{Key: k, Value: v})
	}
	if r.ArtifactPath != "" {
		fi, err := os.Stat(r.ArtifactPath)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("mlflow run: ArtifactPath: %w", err))
		case !fi.Mode().IsRegular():
			errs = append(errs, fmt.Errorf("mlflow run: ArtifactPath %s is not a regular file", r.ArtifactPath))
		default:
			p.artifact = r.ArtifactPath
		}
	}
	if err := errors.Join(errs...); err != nil {
		return p, err
	}
	p.batches = c.limits.split(params, tags, metrics)
	return p, nil
}

// experimentID returns the ID of the experiment called name, creating it
// when it does not exist.
func (c *Client) experimentID(ctx context.Context, name string) (string, error) {
	id, err := c.getExperiment(ctx, name)
	if err == nil {
		return id, nil
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "RESOURCE_DOES_NOT_EXIST" {
		return "", err
	}
	var resp struct {
		ExperimentID string `json:"experiment_id"`
	}
	err = c.postJSON(ctx, "experiments/create", struct {
		Name string `json:"name"`
	}{name}, &resp)
	if errors.As(err, &apiErr) && apiErr.Code == "RESOURCE_ALREADY_EXISTS" {
		// Another trainer created it between our two calls.
		return c.getExperiment(ctx, name)
	}
	if err != nil {
		return "", err
	}
	if resp.ExperimentID == "" {
		return "", errors.New("mlflow experiments/create: response has no experiment_id")
	}
	return resp.ExperimentID, nil
}

func (c *Client) getExperiment(ctx context.Context, name string) (string, error) {
	const op = "experiments/get-by-name"
	var resp struct {
		Experiment struct {
			ExperimentID   string `json:"experiment_id"`
			LifecycleStage string `json:"lifecycle_stage"`
		} `json:"experiment"`
	}
	u := c.endpoint(op) + "?" + url.Values{"experiment_name": {name}}.Encode()
	if err := c.do(ctx, call{op: op, method: http.MethodGet, url: u, auth: true}, &resp); err != nil {
		return "", err
	}
	e := resp.Experiment
	switch {
	case e.ExperimentID == "":
		return "", fmt.Errorf("mlflow %s: response has no experiment_id", op)
	case e.LifecycleStage == "deleted":
		// The name stays taken until the experiment is purged, and runs
		// cannot be created in it; restoring it is a human's decision.
		return "", fmt.Errorf("mlflow experiment %q (id %s) is deleted: restore it (mlflow experiments restore) or purge it (mlflow gc)", name, e.ExperimentID)
	}
	return e.ExperimentID, nil
}

// runInfo is the part of runs/create's answer the client uses.
type runInfo struct {
	RunID        string `json:"run_id"`
	RunUUID      string `json:"run_uuid"` // deprecated twin of run_id
	ExperimentID string `json:"experiment_id"`
	ArtifactURI  string `json:"artifact_uri"`
}

const tagRunName = "mlflow.runName"

func (c *Client) createRun(ctx context.Context, expID, name string, start time.Time) (runInfo, error) {
	type request struct {
		ExperimentID string `json:"experiment_id"`
		StartTime    int64  `json:"start_time"`
		RunName      string `json:"run_name,omitempty"`
		Tags         []kv   `json:"tags"`
	}
	req := request{ExperimentID: expID, StartTime: start.UnixMilli(), RunName: name, Tags: []kv{}}
	if name != "" {
		req.Tags = append(req.Tags, kv{Key: tagRunName, Value: name})
	}
	var resp struct {
		Run struct {
			Info runInfo `json:"info"`
		} `json:"run"`
	}
	if err := c.postJSON(ctx, "runs/create", req, &resp); err != nil {
		return runInfo{}, err
	}
	info := resp.Run.Info
	if info.RunID == "" {
		info.RunID = info.RunUUID
	}
	if info.RunID == "" {
		return runInfo{}, errors.New("mlflow runs/create: response has no run_id")
	}
	if info.ExperimentID == "" {
		info.ExperimentID = expID
	}
	return info, nil
}

func (c *Client) logBatches(ctx context.Context, runID string, batches []batch) error {
	for i, b := range batches {
		req := logBatchRequest{RunID: runID, Metrics: b.metrics, Params: b.params, Tags: b.tags}
		if err := c.postJSON(ctx, "runs/log-batch", req, nil); err != nil {
			return fmt.Errorf("batch %d of %d: %w", i+1, len(batches), err)
		}
	}
	return nil
}

// updateRun sets the run's final status and end time. attempts 0 means the
// configured retries.
func (c *Client) updateRun(ctx context.Context, runID, status string, end time.Time, attempts int) error {
	body, err := jsonBody(struct {
		RunID   string `json:"run_id"`
		Status  string `json:"status"`
		EndTime int64  `json:"end_time"`
	}{runID, status, end.UnixMilli()})
	if err != nil {
		return err
	}
	const op = "runs/update"
	return c.do(ctx, call{op: op, method: http.MethodPost, url: c.endpoint(op), body: body,
		contentType: "application/json", auth: true, maxAttempts: attempts}, nil)
}

// uploadArtifact PUTs the file at the root of the run's artifacts.
func (c *Client) uploadArtifact(ctx context.Context, info runInfo, path string) error {
	name := filepath.Base(path)
	target, err := c.artifactURL(info.ArtifactURI, name)
	if err != nil {
		return err
	}
	body := func() (io.ReadCloser, int64, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, fi.Size(), nil
	}
	return c.do(ctx, call{op: "mlflow-artifacts/artifacts", method: http.MethodPut, url: target.String(),
		body: body, contentType: contentType(name), auth: c.sameOrigin(target)}, nil)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
