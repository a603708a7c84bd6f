package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/dirlock"
	"github.com/nba-mlops/nba-mlops/internal/envconf"
	"github.com/nba-mlops/nba-mlops/internal/model"
)

// Environment variables of the models directory lock.
const (
	EnvIfLocked    = "NBA_IF_LOCKED"
	EnvLockTimeout = "NBA_LOCK_TIMEOUT"
)

// What a training does when another one holds the models directory.
const (
	IfLockedWait = "wait"
	IfLockedFail = "fail"
)

// lockConfig says what train does when another training holds the models
// directory's lock. The default is to wait: the lock covers only the
// champion/challenger comparison and the promotion, seconds after a fit of
// minutes, so failing would throw a finished fit away to save those seconds,
// and the waiting run is then judged against the champion the other one just
// promoted. The timeout bounds a wait behind a holder that is stuck (a hung
// network volume); a holder that dies releases the lock at once.
type lockConfig struct {
	IfLocked string
	Timeout  time.Duration
}

func (c lockConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"if_locked": c.IfLocked, "lock_timeout": c.Timeout.String()})
}

// register adds --if-locked and --lock-timeout to fs, with the environment
// as defaults; a bad environment value is appended to errs.
func (c *lockConfig) register(fs *flag.FlagSet, getenv func(string) string, errs *[]error) {
	timeout := 10 * time.Minute
	if v := getenv(EnvLockTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("%s=%q: not a duration such as 10m", EnvLockTimeout, v))
		}
		timeout = d
	}
	fs.StringVar(&c.IfLocked, "if-locked", envconf.Or(getenv, EnvIfLocked, IfLockedWait),
		"when another training holds the models directory: wait (up to --lock-timeout) or fail at once (env "+EnvIfLocked+")")
	fs.DurationVar(&c.Timeout, "lock-timeout", timeout, "with --if-locked wait, how long to wait for the models directory (env "+EnvLockTimeout+")")
}

func (c *lockConfig) validate() error {
	switch {
	case c.IfLocked != IfLockedWait && c.IfLocked != IfLockedFail:
		return fmt.Errorf("--if-locked: %q is neither %s nor %s", c.IfLocked, IfLockedWait, IfLockedFail)
	case c.Timeout <= 0:
		return fmt.Errorf("--lock-timeout: %v must be positive", c.Timeout)
	}
	return nil
}

// lockModels takes the models directory's lock, held from reading the
// champion until the challenger is promoted or discarded, so that two
// trainings never share a version and each is judged against the champion
// that is current when it promotes.
func (t *trainer) lockModels(ctx context.Context) (*dirlock.Lock, error) {
	reg := model.NewRegistry(t.cfg.ModelsDir)
	lc := t.cfg.Lock
	l, err := reg.Lock(ctx, "train", 0)
	if err == nil || !errors.Is(err, dirlock.ErrLocked) {
		return l, err
	}
	if lc.IfLocked == IfLockedFail {
		return nil, fmt.Errorf("another training is promoting in the models directory: %w; rerun when it is done, or use --if-locked wait", err)
	}
	t.st.Logger.InfoContext(ctx, "another training holds the models directory: waiting", "lock", err.Error(), "timeout", lc.Timeout.String())
	l, err = reg.Lock(ctx, "train", lc.Timeout)
	if err != nil {
		return nil, fmt.Errorf("another training is promoting in the models directory: %w (--lock-timeout)", err)
	}
	return l, nil
}
