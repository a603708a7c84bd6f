package deploytest

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// TestRunDetectsRunningInstance: a second `make run` finds the first one
// answering and says so, instead of printing the "running" banner (the first
// instance answers /healthz) and then failing as its apid cannot bind.
func TestRunDetectsRunningInstance(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		testenv.Missing(t, "curl is not installed (apt-get install curl); scripts/run.sh needs it")
	}
	// The first instance: something answering /healthz on the API address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	first := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	})}
	go first.Serve(ln)
	t.Cleanup(func() { first.Close() })
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	predictAddr := free.Addr().String()
	free.Close()

	// Stand-ins for the binaries: they fail at start, as a real daemon on a
	// taken port does, and leave a mark when they are started at all.
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	models := filepath.Join(dir, "trained_models")
	for _, d := range []string{bin, models} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"predictd", "apid"} {
		script := "#!/bin/sh\ntouch " + filepath.Join(dir, name+".started") + "\necho " + name + ": listen: address already in use >&2\nexit 1\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(models, "best_model_metrics.json"), []byte(`{"model":"m.json"}`), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "scripts/run.sh", bin, filepath.Join(dir, "data"), models)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "API_ADDR="+ln.Addr().String(), "PREDICT_ADDR="+predictAddr)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("run.sh with an instance already running exited 0:\n%s", out)
	}
	if strings.Contains(string(out), "is running (Ctrl-C") {
		t.Errorf("run.sh printed the running banner for the other instance:\n%s", out)
	}
	if !strings.Contains(string(out), "already running") {
		t.Errorf("run.sh does not say an instance is already running:\n%s", out)
	}
	for _, name := range []string{"predictd", "apid"} {
		if _, err := os.Stat(filepath.Join(dir, name+".started")); err == nil {
			t.Errorf("run.sh started %s although an instance is running", name)
		}
	}
}

// TestPipelineFailureIsLast: when a stage fails, the stages waiting for it are
// stopped quietly and the failing stage's own error is the last thing
// printed, not buried among the others' "context canceled" lines.
func TestPipelineFailureIsLast(t *testing.T) {
	bin := builtBinaries(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	missing := filepath.Join(dir, "nonexistent.csv")
	cmd := exec.CommandContext(ctx, "bash", "scripts/pipeline.sh", bin, filepath.Join(dir, "data"), filepath.Join(dir, "models"), "42", "1000", missing)
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("pipeline.sh with a missing SOURCE exited 0:\n%s", out)
	}
	text := strings.TrimSpace(string(out))
	if strings.Contains(text, "context canceled") {
		t.Errorf("the stopped stages' noise reached the terminal:\n%s", text)
	}
	lines := strings.Split(text, "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, "generate-data") || !strings.Contains(last, missing) {
		t.Errorf("last line = %q, want generate-data's error naming %s; all output:\n%s", last, missing, text)
	}
	if !strings.Contains(text, "generate-data FAILED") {
		t.Errorf("output does not name the failed stage:\n%s", text)
	}
}
