package stage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nba-mlops/nba-mlops/internal/atomicfile"
)

// pollInterval is how often Run looks for the awaited signal file.
var pollInterval = 250 * time.Millisecond

// Stage is one run of a batch binary.
type Stage struct {
	Name   string
	Logger *slog.Logger
	Flags  *Flags

	stderr io.Writer
	closer io.Closer
}

// Open validates the flags and opens the logger.
func Open(name string, f *Flags, stderr io.Writer) (*Stage, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	logger, closer, err := NewLogger(stderr, f.LogFile, f.LogLevel, f.LogFormat)
	if err != nil {
		return nil, err
	}
	return &Stage{Name: name, Logger: logger.With("stage", name), Flags: f, stderr: stderr, closer: closer}, nil
}

// Close closes the log file.
func (s *Stage) Close() error { return s.closer.Close() }

// SignalPath resolves a signal name in the signal directory.
func (s *Stage) SignalPath(name string) string { return s.Flags.SignalPath(name) }

// CreateSignal creates a signal file atomically. Its content, the time and
// the stage, is for people; only its existence means anything.
func (s *Stage) CreateSignal(name string) error {
	p := s.SignalPath(name)
	body := fmt.Sprintf("%s %s\n", time.Now().UTC().Format(time.RFC3339), s.Name)
	if err := atomicfile.WriteFile(p, []byte(body)); err != nil {
		return fmt.Errorf("create signal: %w", err)
	}
	s.Logger.Info("signal created", "file", p)
	return nil
}

// Progress returns a progress reporter on the stage's stderr.
func (s *Stage) Progress(label string, total int64) *Progress {
	return NewProgress(s.stderr, label, total)
}

// Run carries out the signal-file protocol around job:
//  1. remove this stage's own signal if a stale one is left over;
//  2. wait for --wait-for, if set, until it exists or --wait-timeout passes;
//  3. run job;
//  4. on success only, remove the awaited file, create this stage's signal
//     and record the run in <data-dir>/metrics/<stage>.prom.
//
// On failure nothing is created and the awaited file stays, so a rerun
// picks up where this one stopped.
func (s *Stage) Run(ctx context.Context, job func(ctx context.Context) (rows int64, err error)) error {
	f := s.Flags
	own := s.SignalPath(f.Signal)
	if own != "" {
		if err := os.Remove(own); err == nil {
			s.Logger.Info("removed stale signal", "file", own)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale signal: %w", err)
		}
	}
	awaited := s.SignalPath(f.WaitFor)
	if awaited != "" {
		if err := s.wait(ctx, awaited); err != nil {
			return err
		}
	}
	start := time.Now()
	s.Logger.Info("stage started")
	rows, err := job(ctx)
	dur := time.Since(start)
	if err != nil {
		s.writeMetrics(false, dur, rows)
		return err
	}
	if awaited != "" {
		if err := os.Remove(awaited); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove awaited signal: %w", err)
		}
	}
	if own != "" {
		if err := s.CreateSignal(own); err != nil {
			return err
		}
	}
	s.writeMetrics(true, dur, rows)
	s.Logger.Info("stage done", "rows", rows, "duration_ms", dur.Milliseconds())
	return nil
}

func (s *Stage) wait(ctx context.Context, path string) error {
	deadline := time.Now().Add(s.Flags.WaitTimeout)
	logged := false
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("wait for %s: %w", path, err)
		}
		if !logged {
			s.Logger.Info("waiting for signal", "file", path, "timeout", s.Flags.WaitTimeout.String())
			logged = true
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for %s: not there after %s (--wait-timeout)", path, s.Flags.WaitTimeout)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", path, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// writeMetrics records the run for node-exporter's textfile collector. A
// failure to write metrics is logged, not returned: the stage's real work
// has already succeeded or failed on its own.
func (s *Stage) writeMetrics(ok bool, dur time.Duration, rows int64) {
	dir := filepath.Join(s.Flags.DataDir, "metrics")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.Logger.Warn("stage metrics not written", "err", err)
		return
	}
	reg := prometheus.NewRegistry()
	labels := prometheus.Labels{"stage": s.Name}
	gauge := func(name, help string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels})
		g.Set(v)
		reg.MustRegister(g)
	}
	now := float64(time.Now().UnixNano()) / 1e9
	file := filepath.Join(dir, s.Name+".prom")
	if ok {
		gauge("nba_stage_last_success_timestamp_seconds", "Unix time of the stage's last successful run.", now)
		gauge("nba_stage_duration_seconds", "Wall time of the stage's last successful run.", dur.Seconds())
		gauge("nba_stage_rows", "Rows the stage's last successful run handled.", float64(rows))
	} else {
		// A separate file, so a failure does not erase the last success.
		file = filepath.Join(dir, s.Name+"_failure.prom")
		gauge("nba_stage_last_failure_timestamp_seconds", "Unix time of the stage's last failed run.", now)
	}
	if err := prometheus.WriteToTextfile(file, reg); err != nil {
		s.Logger.Warn("stage metrics not written", "file", file, "err", err)
	}
}
