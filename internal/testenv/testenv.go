// Package testenv is what the tests of several packages share: whether
// integration is required (NBA_REQUIRE_INTEGRATION=1, set by .ci/run), the
// one way to skip or fail when a service or tool is missing, a log buffer
// safe for concurrent writers, and the repository's binaries built once per
// test process. Only tests import it.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// RequireVar is the variable that turns a missing service into a failure.
const RequireVar = "NBA_REQUIRE_INTEGRATION"

// Required reports whether NBA_REQUIRE_INTEGRATION=1: a missing service,
// tool or data file is then a test failure, never a skip.
func Required() bool { return os.Getenv(RequireVar) == "1" }

// Missing ends the test because something it needs is absent: a skip with
// the message, or a failure under NBA_REQUIRE_INTEGRATION=1. The message
// should say what is missing and how to provide it.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		tb.Fatalf("%s; required under %s=1", msg, RequireVar)
	}
	tb.Skip(msg)
}

// SyncBuffer is a bytes.Buffer that goroutines may write concurrently: the
// log sink of a server a test runs.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ModuleRoot returns the directory of the repository's go.mod, found by
// walking up from the working directory (a test runs in its package's).
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Build builds pkgs (module-relative patterns such as "./cmd/process") into
// dir.
func Build(tb testing.TB, dir string, pkgs ...string) error {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("go is not on PATH: %w", err)
	}
	cmd := exec.Command(goBin, append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = ModuleRoot(tb)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %v: %v\n%s", pkgs, err, out)
	}
	return nil
}

type build struct {
	once sync.Once
	dir  string
	err  error
}

var (
	buildsMu sync.Mutex
	builds   = map[string]*build{}
)

// Binaries builds pkgs once per test process, however many tests ask, and
// returns the directory holding the binaries. Main removes it.
func Binaries(tb testing.TB, pkgs ...string) string {
	tb.Helper()
	key := strings.Join(pkgs, " ")
	buildsMu.Lock()
	b, ok := builds[key]
	if !ok {
		b = &build{}
		builds[key] = b
	}
	buildsMu.Unlock()
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "nba-mlops-bin-")
		if b.err == nil {
			b.err = Build(tb, b.dir, pkgs...)
		}
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.dir
}

// Main runs the package's tests and removes what Binaries built. A package
// that uses Binaries calls it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	buildsMu.Lock()
	for _, b := range builds {
		if b.dir != "" {
			os.RemoveAll(b.dir)
		}
	}
	buildsMu.Unlock()
	os.Exit(code)
}
