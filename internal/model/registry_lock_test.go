package model_test

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/dirlock"
	"github.com/nba-mlops/nba-mlops/internal/model"
	"github.com/nba-mlops/nba-mlops/internal/model/modeltest"
)

// TestRegistryLockSerialisesWriters runs writers that promote or discard at
// once, each under Registry.Lock, while readers follow the champion pointer
// as predictd does. Every writer gets its own version, the pointer ends at
// the highest promoted one, and no reader ever sees a pointer whose file is
// missing or holds another version.
func TestRegistryLockSerialisesWriters(t *testing.T) {
	t.Parallel()
	src := modeltest.Promote(t, t.TempDir(), 7, 400)
	dir := t.TempDir()
	reg := model.NewRegistry(dir)
	const writers = 8
	versions := make([]int, writers)
	promoted := make([]bool, writers)
	var wg sync.WaitGroup
	var stop atomic.Bool
	var reads atomic.Int64
	readErr := make(chan error, 1)
	for range 2 {
		wg.Go(func() {
			for !stop.Load() {
				bm, err := reg.BestModel()
				if errors.Is(err, model.ErrNoChampion) {
					continue
				}
				if err == nil {
					var m *model.Model
					if m, err = model.Load(filepath.Join(dir, bm.Model)); err == nil && m.VersionNumber() != bm.Version {
						err = errors.New(bm.Model + " does not hold the version its pointer names")
					}
				}
				if err != nil {
					select {
					case readErr <- err:
					default:
					}
					return
				}
				reads.Add(1)
			}
		})
	}
	var ww sync.WaitGroup
	for i := range writers {
		ww.Go(func() {
			m, err := model.Load(src)
			if err != nil {
				t.Error(err)
				return
			}
			l, err := reg.Lock(t.Context(), "writer", time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			defer l.Unlock()
			promoted[i] = i%3 != 2
			if promoted[i] {
				_, err = reg.Promote(m, time.Now())
			} else {
				_, err = reg.Discard(m, time.Now())
			}
			if err != nil {
				t.Error(err)
				return
			}
			versions[i] = m.VersionNumber()
		})
	}
	ww.Wait()
	stop.Store(true)
	wg.Wait()
	select {
	case err := <-readErr:
		t.Fatalf("a reader saw an inconsistent champion: %v", err)
	default:
	}
	seen := map[int]bool{}
	highest := 0
	for i, v := range versions {
		if seen[v] {
			t.Errorf("version %d given twice (versions %v)", v, versions)
		}
		seen[v] = true
		if promoted[i] {
			highest = max(highest, v)
		}
	}
	for v := 1; v <= writers; v++ {
		if !seen[v] {
			t.Errorf("versions %v: %d missing, want 1..%d", versions, v, writers)
		}
	}
	bm, err := reg.BestModel()
	if err != nil {
		t.Fatal(err)
	}
	if bm.Version != highest {
		t.Errorf("champion pointer names v%d, want the last promoted v%d", bm.Version, highest)
	}
	t.Logf("%d writers, %d consistent pointer reads", writers, reads.Load())
}

// TestRegistryLockRefusesSecondWriter: while one writer holds the lock, a
// second that will not wait is refused with an error naming the lock file.
func TestRegistryLockRefusesSecondWriter(t *testing.T) {
	t.Parallel()
	reg := model.NewRegistry(t.TempDir())
	l, err := reg.Lock(t.Context(), "train", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	_, err = reg.Lock(t.Context(), "train", 0)
	if !errors.Is(err, dirlock.ErrLocked) || !strings.Contains(err.Error(), model.LockFile) {
		t.Fatalf("second Lock = %v, want dirlock.ErrLocked naming %s", err, model.LockFile)
	}
}
