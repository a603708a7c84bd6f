package dirlock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrLocked is wrapped by the error of Acquire when another holder has the
// lock and the wait (if any) has run out.
var ErrLocked = errors.New("locked by another process")

// Lock is a held lock. Release it with Unlock; the kernel also releases it
// when the process exits.
type Lock struct {
	f    *os.File
	path string
}

// Path returns the lock file's path.
func (l *Lock) Path() string { return l.path }

// Unlock releases the lock. It may be called more than once; calls after the
// first do nothing.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	// Closing the file releases the flock; an explicit unlock first keeps
	// the release independent of other descriptors of the same file.
	uerr := unlock(f)
	cerr := f.Close()
	if err := errors.Join(uerr, cerr); err != nil {
		return fmt.Errorf("unlock %s: %w", l.path, err)
	}
	return nil
}

// firstPoll and maxPoll bound the wait between attempts while the lock is
// held by someone else. flock's blocking form cannot be interrupted by a context or
// a timer, so Acquire polls the non-blocking form instead.
const (
	firstPoll = 10 * time.Millisecond
	maxPoll   = 250 * time.Millisecond
)

// Acquire takes the exclusive lock on the file name in dir, creating both
// if needed. With wait = 0 it tries once; otherwise it retries until it gets
// the lock, wait has passed or ctx ends. owner is a short description of the
// holder ("train"), recorded in the lock file with the process id, host and
// time so that a refused caller can say who holds the lock.
//
// When the lock stays held, the error wraps ErrLocked and names the lock
// file and the holder.
func Acquire(ctx context.Context, dir, name, owner string, wait time.Duration) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	deadline := time.Now().Add(wait)
	poll := firstPoll
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			break
		}
		left := time.Until(deadline)
		if left <= 0 {
			holder := readHolder(f)
			f.Close()
			if wait > 0 {
				return nil, fmt.Errorf("%s: still %w after waiting %s (holder: %s)", path, ErrLocked, wait, holder)
			}
			return nil, fmt.Errorf("%s: %w (holder: %s)", path, ErrLocked, holder)
		}
		t := time.NewTimer(min(poll, left))
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-t.C:
		}
		poll = min(2*poll, maxPoll)
	}
	// Record who holds the lock. A failure here only costs a less helpful
	// message for a refused caller, so it does not give the lock back.
	host, _ := os.Hostname()
	info := fmt.Sprintf("%s pid %d on %s since %s\n", owner, os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(info), 0)
	}
	return &Lock{f: f, path: path}, nil
}

// readHolder returns what the holder wrote into the lock file, or "unknown".
func readHolder(f *os.File) string {
	b := make([]byte, 256)
	n, _ := f.ReadAt(b, 0)
	s := strings.TrimSpace(string(b[:n]))
	if s == "" {
		return "unknown"
	}
	return s
}
