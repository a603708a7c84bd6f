package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/atomicfile"
	"github.com/nba-mlops/nba-mlops/internal/dirlock"
)

// Names inside a models directory.
const (
	// BestModelFile points at the champion and holds its metrics.
	BestModelFile = "best_model_metrics.json"
	// DiscardedDir holds models that were not promoted.
	DiscardedDir = "discarded"
	// LockFile is the file Lock holds an flock on. It stays in the
	// directory; only the lock on it comes and goes.
	LockFile = ".registry.lock"
)

// ErrNoChampion is returned by Champion when the models directory has no
// best_model_metrics.json yet. It wraps fs.ErrNotExist.
var ErrNoChampion = fmt.Errorf("no champion model: %w", fs.ErrNotExist)

// BestModel is the content of best_model_metrics.json: the champion's test
// metrics at promotion (the keys of the original system's file, accuracy
// first among them) and which file it is.
type BestModel struct {
	Metrics
	Model      string    `json:"model"`   // file name inside the models directory
	Version    int       `json:"version"` // N of model_best_lr-vN-…
	Algorithm  string    `json:"algorithm"`
	PromotedAt time.Time `json:"promoted_at"`
}

// Registry manages the models of one directory: versions, the champion
// pointer, promotion and discarded models. A writer holds Lock from reading
// the champion it competes with until Promote or Discard has returned, so
// two writers (two trainings, on one host or on pods sharing a volume) never
// pick the same version and each decides against the champion that is
// really current. Readers take no lock: the pointer is replaced by rename.
type Registry struct {
	Dir string
}

// NewRegistry returns the registry of a models directory.
func NewRegistry(dir string) *Registry { return &Registry{Dir: dir} }

var modelName = regexp.MustCompile(`^model_best_lr-v([0-9]+)-([0-9]{8})\.json`)

// BestModel reads and checks best_model_metrics.json. It returns
// ErrNoChampion when the file does not exist.
func (r *Registry) BestModel() (BestModel, error) {
	p := filepath.Join(r.Dir, BestModelFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return BestModel{}, ErrNoChampion
	}
	if err != nil {
		return BestModel{}, err
	}
	var bm BestModel
	if err := json.Unmarshal(b, &bm); err != nil {
		return BestModel{}, fmt.Errorf("%s: %w", p, err)
	}
	if bm.Model != filepath.Base(bm.Model) || !modelName.MatchString(bm.Model) {
		return BestModel{}, fmt.Errorf("%s: model %q is not a model file name in the models directory", p, bm.Model)
	}
	return bm, nil
}

// Champion returns the path of the champion model file and its metrics at
// promotion, from best_model_metrics.json. It returns ErrNoChampion when
// there is none yet.
func (r *Registry) Champion() (path string, meta Metrics, err error) {
	bm, err := r.BestModel()
	if err != nil {
		return "", Metrics{}, err
	}
	return filepath.Join(r.Dir, bm.Model), bm.Metrics, nil
}

// Lock takes the directory's exclusive lock for a writer described by
// owner. With wait = 0 it fails at once when another writer holds it;
// otherwise it waits up to wait. The error then wraps dirlock.ErrLocked and
// names the lock file and its holder.
func (r *Registry) Lock(ctx context.Context, owner string, wait time.Duration) (*dirlock.Lock, error) {
	return dirlock.Acquire(ctx, r.Dir, LockFile, owner, wait)
}

// NextVersion returns 1 + the highest version among the model files of the
// directory, those in discarded/, and best_model_metrics.json, so a version
// is never reused even after files are cleaned up by hand.
func (r *Registry) NextVersion() (int, error) {
	highest := 0
	for _, dir := range []string{r.Dir, filepath.Join(r.Dir, DiscardedDir)} {
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("next model version: %w", err)
		}
		for _, e := range ents {
			if m := modelName.FindStringSubmatch(e.Name()); m != nil {
				if n, err := strconv.Atoi(m[1]); err == nil {
					highest = max(highest, n)
				}
			}
		}
	}
	if bm, err := r.BestModel(); err == nil {
		highest = max(highest, bm.Version)
	} else if !errors.Is(err, ErrNoChampion) {
		return 0, fmt.Errorf("next model version: %w", err)
	}
	return highest + 1, nil
}

// Promote gives m the next version, writes it to the models directory and
// then rewrites best_model_metrics.json to point at it, both atomically: a
// reader sees the old champion or the new one, and the pointer never names
// a file that is not complete. It returns the model file's path.
// The caller holds Lock, so no other writer picks the same version.
func (r *Registry) Promote(m *Model, now time.Time) (string, error) {
	n, err := r.NextVersion()
	if err != nil {
		return "", err
	}
	name := FileName(n, now)
	path := filepath.Join(r.Dir, name)
	if err := m.save(path, n); err != nil {
		return "", fmt.Errorf("promote: %w", err)
	}
	bm := BestModel{Metrics: m.metrics, Model: name, Version: n, Algorithm: m.algorithm, PromotedAt: now.UTC()}
	b, err := json.MarshalIndent(bm, "", "  ")
	if err != nil {
		return "", err
	}
	if err := atomicfile.WriteFile(filepath.Join(r.Dir, BestModelFile), append(b, '\n')); err != nil {
		return "", fmt.Errorf("promote: %w", err)
	}
	return path, nil
}

// Discard gives m the next version and writes it to discarded/, where it
// stays for inspection. It returns the file's path. The caller holds Lock.
func (r *Registry) Discard(m *Model, now time.Time) (string, error) {
	n, err := r.NextVersion()
	if err != nil {
		return "", err
	}
	path := filepath.Join(r.Dir, DiscardedDir, FileName(n, now))
	if err := m.save(path, n); err != nil {
		return "", fmt.Errorf("discard: %w", err)
	}
	return path, nil
}
