package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/model"
	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// trainBinary builds this package's binary once per test process.
func trainBinary(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(testenv.Binaries(tb, "./cmd/train"), "train")
}

// trainProc is one train process on a shared data and models directory.
type trainProc struct {
	cmd            *exec.Cmd
	stdout, stderr testenv.SyncBuffer
	done           chan struct{}
	err            error
}

func startTrain(t *testing.T, dir string, args ...string) *trainProc {
	t.Helper()
	args = append([]string{"--data-dir", dir, "--models-dir", filepath.Join(dir, "models"),
		"--C", "1", "--promote", "always", "--workers", "1"}, args...)
	p := &trainProc{cmd: exec.Command(trainBinary(t), args...), done: make(chan struct{})}
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LOG_TO_MLFLOW=false"}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	return p
}

// wait waits for the process (at most two minutes) and returns its run
// record, or nil and the error with its stderr.
func (p *trainProc) wait(t *testing.T) (*RunRecord, error) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("train did not finish in 2 minutes:\n%s", p.stderr.String())
	}
	if p.err != nil {
		return nil, fmt.Errorf("%w\n%s", p.err, p.stderr.String())
	}
	var rec RunRecord
	if err := json.Unmarshal([]byte(p.stdout.String()), &rec); err != nil {
		t.Fatalf("run record: %v\n%s", err, p.stdout.String())
	}
	return &rec, nil
}

// waitLog waits (at most a minute) until the process logs want.
func (p *trainProc) waitLog(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(p.stderr.String(), want) {
		select {
		case <-p.done:
			t.Fatalf("train exited before logging %q: %v\n%s", want, p.err, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("train did not log %q in a minute:\n%s", want, p.stderr.String())
		}
	}
}

var modelFile = regexp.MustCompile(`^model_best_lr-v([0-9]+)-[0-9]{8}\.json$`)

// checkOneChampion checks the models directory after concurrent trainings:
// the versions of the successful runs are distinct, each has its own file,
// and the one champion pointer names the highest of them, a file holding
// that version.
func checkOneChampion(t *testing.T, models string, recs []*RunRecord) {
	t.Helper()
	seen := map[int]string{}
	highest := 0
	for _, r := range recs {
		if prev, ok := seen[r.Version]; ok {
			t.Errorf("version %d given to two trainings: %s and %s", r.Version, prev, r.Model)
		}
		seen[r.Version] = r.Model
		highest = max(highest, r.Version)
	}
	ents, err := os.ReadDir(models)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, e := range ents {
		if modelFile.MatchString(e.Name()) {
			files++
		}
	}
	if files != len(recs) {
		t.Errorf("%d model files in %s, want one per successful training (%d)", files, models, len(recs))
	}
	bm, err := model.NewRegistry(models).BestModel()
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(filepath.Join(models, bm.Model))
	if err != nil {
		t.Fatal(err)
	}
	if bm.Version != highest || m.VersionNumber() != highest {
		t.Errorf("champion pointer names %s (v%d, file v%d), want the last promoted, v%d", bm.Model, bm.Version, m.VersionNumber(), highest)
	}
}

// TestConcurrentTrainingsWait runs two train processes on one models
// directory at once, first racing freely, then both started while the lock
// is held so that both must wait. Every run succeeds with its own version,
// the later run is judged against the champion the earlier one promoted,
// and one champion is left.
func TestConcurrentTrainingsWait(t *testing.T) {
	t.Parallel()
	dir := synthetic(t, 11, 3000)
	models := filepath.Join(dir, "models")
	var recs []*RunRecord
	for round := range 2 {
		var lock interface{ Unlock() error }
		if round == 1 {
			l, err := model.NewRegistry(models).Lock(t.Context(), "test", 0)
			if err != nil {
				t.Fatal(err)
			}
			lock = l
		}
		a, b := startTrain(t, dir, "--if-locked", "wait"), startTrain(t, dir, "--if-locked", "wait")
		if lock != nil {
			a.waitLog(t, "another training holds the models directory: waiting")
			b.waitLog(t, "another training holds the models directory: waiting")
			if err := lock.Unlock(); err != nil {
				t.Fatal(err)
			}
		}
		ra, err := a.wait(t)
		if err != nil {
			t.Fatalf("round %d: first train: %v", round, err)
		}
		rb, err := b.wait(t)
		if err != nil {
			t.Fatalf("round %d: second train: %v", round, err)
		}
		first, second := ra, rb
		if rb.Version < ra.Version {
			first, second = rb, ra
		}
		if second.Champion == nil || second.Champion.Version != first.Version {
			t.Errorf("round %d: v%d was judged against champion %+v, want v%d, promoted just before it", round, second.Version, second.Champion, first.Version)
		}
		recs = append(recs, ra, rb)
	}
	checkOneChampion(t, models, recs)
	t.Logf("versions %d %d %d %d", recs[0].Version, recs[1].Version, recs[2].Version, recs[3].Version)
}

// TestConcurrentTrainingsFail: with --if-locked fail, a training that finds
// the lock held exits at once with a message naming the lock and the way
// out, writing no model; two such trainings racing leave distinct versions
// and one champion, whichever of them got through.
func TestConcurrentTrainingsFail(t *testing.T) {
	t.Parallel()
	dir := synthetic(t, 12, 3000)
	models := filepath.Join(dir, "models")
	l, err := model.NewRegistry(models).Lock(t.Context(), "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = startTrain(t, dir, "--if-locked", "fail").wait(t)
	for _, want := range []string{"exit status 1", model.LockFile, "test pid", "--if-locked wait"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("train while the lock is held: %v; want a failure mentioning %q", err, want)
		}
	}
	if ents, _ := filepath.Glob(filepath.Join(models, "*.json")); len(ents) != 0 {
		t.Errorf("a refused training wrote %v", ents)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}

	var recs []*RunRecord
	refused := 0
	for range 2 {
		a, b := startTrain(t, dir, "--if-locked", "fail"), startTrain(t, dir, "--if-locked", "fail")
		for _, p := range []*trainProc{a, b} {
			rec, err := p.wait(t)
			switch {
			case err == nil:
				recs = append(recs, rec)
			case strings.Contains(err.Error(), "another training is promoting in the models directory"):
				refused++
			default:
				t.Fatal(err)
			}
		}
	}
	if len(recs) < 2 {
		t.Errorf("%d of 4 racing trainings succeeded, want at least one per round", len(recs))
	}
	checkOneChampion(t, models, recs)
	t.Logf("racing with --if-locked fail: %d succeeded, %d refused", len(recs), refused)
}

func TestLockFlags(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    lockConfig
		wantErr string
	}{
		{"default", nil, nil, lockConfig{IfLocked: IfLockedWait, Timeout: 10 * time.Minute}, ""},
		{"env", nil, map[string]string{EnvIfLocked: "fail", EnvLockTimeout: "30s"}, lockConfig{IfLocked: IfLockedFail, Timeout: 30 * time.Second}, ""},
		{"flag over env", []string{"--if-locked", "wait", "--lock-timeout", "1m"}, map[string]string{EnvIfLocked: "fail"}, lockConfig{IfLocked: IfLockedWait, Timeout: time.Minute}, ""},
		{"bad mode", []string{"--if-locked", "queue"}, nil, lockConfig{}, `--if-locked: "queue" is neither wait nor fail`},
		{"bad timeout", []string{"--lock-timeout", "0s"}, nil, lockConfig{}, "--lock-timeout: 0s must be positive"},
		{"bad env timeout", nil, map[string]string{EnvLockTimeout: "soon"}, lockConfig{}, EnvLockTimeout + `="soon": not a duration`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(append([]string{"train"}, tt.args...), envOf(tt.env), &bytes.Buffer{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadConfig(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Lock != tt.want {
				t.Errorf("loadConfig(%q).Lock = %+v, want %+v", tt.args, c.Lock, tt.want)
			}
		})
	}
}
