package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// scorer is what predictd needs of a model; *model.Model implements it.
type scorer interface {
	Version() string
	ScoreSeed(seed *[nba.NumSeedFeatures]float64) float64
	ScoreShot(s *nba.Shot) float64
	Threshold() float64
	Predict(p float64) int // the label: the model owns its threshold rule
}

// loader loads and validates a model file.
type loader func(path string) (scorer, error)

// champion is the model being served and where it came from.
type champion struct {
	model   scorer
	file    string
	version string
	loaded  time.Time
}

// pointerFile is the champion pointer train rewrites atomically on promotion.
const pointerFile = "best_model_metrics.json"

// server state shared by the handlers: the champion is swapped atomically, so
// a request that has loaded it finishes on it even if a reload happens
// meanwhile.
type holder struct {
	current atomic.Pointer[champion]
}

func (h *holder) get() *champion { return h.current.Load() }

// reloader watches the models directory and swaps in a new champion when the
// pointer file names a new one. A file that fails to load is rejected: the
// old champion keeps serving and the failure is counted and logged.
type reloader struct {
	dir     string
	load    loader
	holder  *holder
	logger  *slog.Logger
	metrics *metrics

	lastSum  [32]byte // hash of the pointer file last acted on, good or bad
	lastStat statKey
}

type statKey struct {
	size  int64
	mtime time.Time
}

// check looks at the pointer file and reloads when it changed, or always when
// force is set (SIGHUP). It reports whether a new model is now serving.
func (r *reloader) check(force bool) bool {
	p := filepath.Join(r.dir, pointerFile)
	st, err := os.Stat(p)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) || force {
			r.logger.Warn("no champion pointer", "file", p, "err", err)
		}
		return false
	}
	sk := statKey{st.Size(), st.ModTime()}
	if !force && sk == r.lastStat {
		return false
	}
	r.lastStat = sk
	b, err := os.ReadFile(p)
	if err != nil {
		r.fail(p, fmt.Errorf("read %s: %w", p, err))
		return false
	}
	sum := sha256.Sum256(b)
	if !force && sum == r.lastSum {
		return false // touched, not changed
	}
	r.lastSum = sum
	var ptr struct {
		Model string `json:"model"`
	}
	if err := json.Unmarshal(b, &ptr); err != nil {
		r.fail(p, fmt.Errorf("%s: %w", p, err))
		return false
	}
	if ptr.Model == "" || filepath.Base(ptr.Model) != ptr.Model {
		r.fail(p, fmt.Errorf("%s: \"model\" must name a file in the models directory, got %q", p, ptr.Model))
		return false
	}
	file := filepath.Join(r.dir, ptr.Model)
	if cur := r.holder.get(); cur != nil && cur.file == file && !force {
		return false
	}
	m, err := r.load(file)
	if err != nil {
		r.fail(file, err)
		return false
	}
	old := r.holder.get()
	r.holder.current.Store(&champion{model: m, file: file, version: m.Version(), loaded: time.Now()})
	r.metrics.modelSwapped(old, m.Version())
	oldVersion := ""
	if old != nil {
		oldVersion = old.version
	}
	r.logger.Info("model loaded", "file", file, "model_version", m.Version(), "previous", oldVersion)
	return true
}

func (r *reloader) fail(file string, err error) {
	r.metrics.reloads.WithLabelValues("error").Inc()
	if cur := r.holder.get(); cur != nil {
		r.logger.Error("new model rejected; still serving the old one", "file", file, "model_version", cur.version, "err", err)
	} else {
		r.logger.Error("model rejected; no model is serving", "file", file, "err", err)
	}
}

// watch polls until ctx ends. A value on hup forces a reload.
func (r *reloader) watch(ctx context.Context, every time.Duration, hup <-chan os.Signal) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.check(false)
		case <-hup:
			r.logger.Info("SIGHUP: reloading the champion")
			r.check(true)
		}
	}
}
