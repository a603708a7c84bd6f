package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nba-mlops/nba-mlops/internal/atomicfile"
	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/model"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/parallel"
	"github.com/nba-mlops/nba-mlops/internal/parquetio"
	"github.com/nba-mlops/nba-mlops/internal/stage"
)

// Report is what infer prints on stdout.
type Report struct {
	Skipped      bool             `json:"skipped"` // no new model version: nothing scored
	Reason       string           `json:"reason,omitempty"`
	Model        string           `json:"model,omitempty"`
	ModelVersion string           `json:"model_version,omitempty"`
	Calibration  string           `json:"calibration,omitempty"` // the calibration the model applies to every probability
	Input        string           `json:"input,omitempty"`
	Output       string           `json:"output,omitempty"`
	Rows         int64            `json:"rows"`
	Predicted    int64            `json:"predicted_made"`
	Unparsed     int64            `json:"unparsed"`                 // --in rows that could not be read as a shot: not scored
	RuleErrors   map[string]int64 `json:"rule_errors,omitempty"`    // --in rows scored although they break a validation rule
	Metrics      *model.Metrics   `json:"metrics,omitempty"`        // when the input has labels: calibration error and reliability table included
	SignalExists bool             `json:"new_model_signal_present"` // as found at start
}

// header of the predictions CSV.
var header = []string{"Game ID", "Game Event ID", "probability", "prediction", "Shot Made Flag"}

const maxLoggedUnparsed = 10

func infer(ctx context.Context, cfg *config, st *stage.Stage) (*Report, error) {
	rep := &Report{Output: cfg.Out}
	if cfg.In == "" {
		sig := st.SignalPath(stage.SignalNewModel)
		_, err := os.Stat(sig)
		rep.SignalExists = err == nil
		// Remove the signal whatever happens below: a new model is
		// announced once, and a failure here must not make every later run
		// retry it.
		defer func() {
			if err := os.Remove(sig); err == nil {
				st.Logger.InfoContext(ctx, "signal removed", "file", sig)
			} else if !errors.Is(err, fs.ErrNotExist) {
				st.Logger.WarnContext(ctx, "signal not removed", "file", sig, "err", err)
			}
		}()
		if !rep.SignalExists && !cfg.Force {
			rep.Skipped, rep.Reason = true, "no "+stage.SignalNewModel+": no new model to score with (use --force to score anyway)"
			st.Logger.InfoContext(ctx, "nothing to do", "reason", rep.Reason)
			return rep, nil
		}
	}
	m, err := loadModel(cfg)
	if err != nil {
		return nil, err
	}
	rep.Model, rep.ModelVersion, rep.Calibration = m.File(), m.Version(), m.Calibration().Method
	st.Logger.InfoContext(ctx, "model loaded", "model", m.File(), "model_version", m.Version())

	out, err := atomicfile.Create(cfg.Out)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	w := bufio.NewWriterSize(out, 1<<20)
	if _, err := w.WriteString(strings.Join(header, ",") + "\n"); err != nil {
		return nil, err
	}
	var p []float64
	var y []int8
	if cfg.In == "" {
		rep.Input = filepath.Join(cfg.ProcessedDir, "test.parquet")
		p, y, err = scoreParquet(ctx, m, rep.Input, w, st)
	} else {
		rep.Input = cfg.In
		p, y, err = scoreCSV(ctx, m, cfg.In, w, st, rep)
	}
	if err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("write %s: %w", cfg.Out, err)
	}
	if err := out.Commit(); err != nil {
		return nil, err
	}
	rep.Rows = int64(len(p))
	for _, v := range p {
		rep.Predicted += int64(m.Predict(v))
	}
	if y != nil && len(y) > 0 {
		met := model.Evaluate(p, y, m.Threshold())
		rep.Metrics = &met
	}
	st.Logger.InfoContext(ctx, "predictions written", "file", cfg.Out, "rows", rep.Rows, "predicted_made", rep.Predicted)
	return rep, nil
}

func loadModel(cfg *config) (*model.Model, error) {
	if cfg.Model != "" {
		return model.Load(cfg.Model)
	}
	path, _, err := model.NewRegistry(cfg.ModelsDir).Champion()
	if errors.Is(err, model.ErrNoChampion) {
		return nil, command.Usagef("models dir %s has no %s (run train first)", cfg.ModelsDir, model.BestModelFile)
	}
	if err != nil {
		return nil, err
	}
	return model.Load(path)
}

// appendPrediction appends one CSV line; label < 0 leaves the label empty.
func appendPrediction(b []byte, m *model.Model, gameID, eventID int32, p float64, label int8) []byte {
	b = strconv.AppendInt(b, int64(gameID), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(eventID), 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p, 'f', 6, 64)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(m.Predict(p)), 10)
	b = append(b, ',')
	if label >= 0 {
		b = strconv.AppendInt(b, int64(label), 10)
	}
	return append(b, '\n')
}

// scoreParquet scores the processed test split, one goroutine per core
// over each row group.
func scoreParquet(ctx context.Context, m *model.Model, path string, w io.Writer, st *stage.Stage) ([]float64, []int8, error) {
	var p []float64
	var y []int8
	var line []byte
	prog := st.Progress("infer", 0)
	_, err := parquetio.Each(ctx, path, func(b []nba.Shot) error {
		off := len(p)
		p = append(p, make([]float64, len(b))...)
		parallel.For(len(b), parallel.Workers(), func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				p[off+i] = m.ScoreShot(&b[i])
			}
		})
		for i := range b {
			y = append(y, b[i].ShotMadeFlag)
			line = appendPrediction(line[:0], m, b[i].GameID, b[i].GameEventID, p[off+i], b[i].ShotMadeFlag)
			if _, err := w.Write(line); err != nil {
				return err
			}
		}
		prog.Add(int64(len(b)))
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("score %s: %w (run process first)", path, err)
	}
	prog.Done()
	return p, y, nil
}

// scoreCSV scores a Kaggle-schema CSV. Rows whose fields do not parse are
// skipped, counted and the first few logged with file, line and field; rows
// that parse are scored even when they break a validation rule (the rule is
// counted), because the model only needs the values.
func scoreCSV(ctx context.Context, m *model.Model, path string, w io.Writer, st *stage.Stage, rep *Report) ([]float64, []int8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("input: %w", err)
	}
	defer f.Close()
	rd, err := dataset.NewReader(f, path, dataset.Optional(nba.ColShotMadeFlag))
	if err != nil {
		return nil, nil, err
	}
	hasLabel := rd.Has(nba.ColShotMadeFlag)
	rep.RuleErrors = map[string]int64{}
	var (
		p      []float64
		y      []int8
		shot   nba.Shot
		dr     dataset.Report
		line   []byte
		fields = make([]string, nba.NumColumns)
		logged int
	)
	prog := st.Progress("infer", 0)
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *dataset.RowError
		if errors.As(err, &re) {
			rep.Unparsed++
			if logged++; logged <= maxLoggedUnparsed {
				st.Logger.WarnContext(ctx, "row not scored", "err", re.Error())
			}
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", path, err)
		}
		copy(fields, rec.Fields)
		if !hasLabel {
			fields[nba.ColShotMadeFlag] = "0" // parsed, then ignored
		}
		dr.Reset()
		if !dataset.Parse(fields, &shot, &dr) {
			rep.Unparsed++
			if logged++; logged <= maxLoggedUnparsed {
				e := &dataset.RowError{File: path, Line: rec.Line, Issue: dr.Errors[0]}
				st.Logger.WarnContext(ctx, "row not scored", "err", e.Error())
			}
			continue
		}
		dataset.Validate(&shot, &dr)
		badLabel := false
		for _, e := range dr.Errors {
			rep.RuleErrors[e.Rule]++
			badLabel = badLabel || (hasLabel && e.Rule == dataset.RuleMadeFlag)
		}
		if badLabel { // a label that is not 0/1 cannot be scored against
			rep.Unparsed++
			if logged++; logged <= maxLoggedUnparsed {
				st.Logger.WarnContext(ctx, "row not scored", "err", fmt.Sprintf("%s:%d: %s: %s", path, rec.Line, nba.ColumnName(nba.ColShotMadeFlag), dataset.RuleMadeFlag))
			}
			continue
		}
		pi := m.ScoreShot(&shot)
		p = append(p, pi)
		label := int8(-1)
		if hasLabel {
			label = shot.ShotMadeFlag
			y = append(y, label)
		}
		line = appendPrediction(line[:0], m, shot.GameID, shot.GameEventID, pi, label)
		if _, err := w.Write(line); err != nil {
			return nil, nil, err
		}
		if len(p)%65536 == 0 {
			prog.Add(65536)
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
	}
	prog.Done()
	if logged > maxLoggedUnparsed {
		st.Logger.WarnContext(ctx, "more rows not scored", "count", logged-maxLoggedUnparsed)
	}
	if !hasLabel {
		y = nil
	}
	return p, y, nil
}
