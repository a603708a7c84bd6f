package stage

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/command"
)

func openStage(t *testing.T, env map[string]string, args ...string) *Stage {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	f := Register(fs, func(k string) string { return env[k] }, Defaults{WaitFor: SignalIngestion, Signal: SignalProcessing})
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	s, err := Open("process", f, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestRunChainSuccess(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	s := openStage(t, nil, "--data-dir", data, "--chain", "--wait-timeout", "5s")
	awaited := filepath.Join(data, SignalIngestion)
	own := filepath.Join(data, SignalProcessing)
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(own, []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	ran := false
	go func() {
		time.Sleep(300 * time.Millisecond)
		os.WriteFile(awaited, nil, 0o644)
	}()
	err := s.Run(t.Context(), func(ctx context.Context) (int64, error) {
		if exists(own) {
			t.Error("stale own signal still there when the job runs")
		}
		if !exists(awaited) {
			t.Error("job ran before the awaited signal existed")
		}
		ran = true
		return 42, nil
	})
	if err != nil || !ran {
		t.Fatalf("Run = %v, ran %v", err, ran)
	}
	if exists(awaited) {
		t.Error("awaited signal not removed on success")
	}
	if !exists(own) {
		t.Error("own signal not created on success")
	}
	prom, err := os.ReadFile(filepath.Join(data, "metrics", "process.prom"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`nba_stage_rows{stage="process"} 42`, "nba_stage_last_success_timestamp_seconds", "nba_stage_duration_seconds"} {
		if !strings.Contains(string(prom), want) {
			t.Errorf("metrics file lacks %q:\n%s", want, prom)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "logs", "logs.log")); err != nil {
		t.Errorf("logs/logs.log beside the data dir: %v", err)
	}
}

func TestRunFailureKeepsAwaitedSignal(t *testing.T) {
	dir := t.TempDir()
	sig := filepath.Join(dir, "signals")
	os.MkdirAll(sig, 0o755)
	env := map[string]string{EnvSignalDir: sig, EnvWaitFor: "in_done", EnvSignal: "out_done"}
	s := openStage(t, env, "--data-dir", dir)
	os.WriteFile(filepath.Join(sig, "in_done"), nil, 0o644)
	boom := errors.New("boom")
	err := s.Run(t.Context(), func(ctx context.Context) (int64, error) { return 0, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want boom", err)
	}
	if !exists(filepath.Join(sig, "in_done")) {
		t.Error("awaited signal removed although the job failed")
	}
	if exists(filepath.Join(sig, "out_done")) {
		t.Error("own signal created although the job failed")
	}
	if !exists(filepath.Join(dir, "metrics", "process_failure.prom")) {
		t.Error("failure not recorded in metrics")
	}
}

func TestRunWaitTimeout(t *testing.T) {
	dir := t.TempDir()
	s := openStage(t, nil, "--data-dir", dir, "--wait-for", "never", "--wait-timeout", "300ms")
	ran := false
	err := s.Run(t.Context(), func(ctx context.Context) (int64, error) { ran = true; return 0, nil })
	if err == nil || ran || !strings.Contains(err.Error(), "--wait-timeout") {
		t.Fatalf("Run = %v (ran %v), want a timeout error naming --wait-timeout", err, ran)
	}
}

func TestNoChainNoSignals(t *testing.T) {
	dir := t.TempDir()
	s := openStage(t, nil, "--data-dir", dir)
	if err := s.Run(t.Context(), func(ctx context.Context) (int64, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(dir, SignalProcessing)) {
		t.Error("signal created without --chain or --signal")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad timeout env", map[string]string{EnvWaitTimeout: "soon"}, nil, EnvWaitTimeout},
		{"negative timeout", nil, []string{"--wait-timeout", "-1s"}, "--wait-timeout"},
		{"bad format", nil, []string{"--log-format", "xml"}, "--log-format"},
		{"bad level", nil, []string{"--log-level", "loud"}, "--log-level"},
		{"empty data dir", nil, []string{"--data-dir", ""}, "--data-dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			f := Register(fs, func(k string) string { return tt.env[k] }, Defaults{})
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := f.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestExitCodeAndParse(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(&bytes.Buffer{})
	f := Register(fs, func(string) string { return "" }, Defaults{})
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"x", "--bogus"}, 2},
		{[]string{"x", "stray"}, 2},
		{[]string{"x", "--log-format", "xml"}, 2},
		{[]string{"x", "-h"}, 0},
		{[]string{"x"}, 0},
	} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(&bytes.Buffer{})
		f = Register(fs, func(string) string { return "" }, Defaults{})
		if got := command.ExitCode(f.Parse(fs, tt.args)); got != tt.code {
			t.Errorf("Parse(%q): exit %d, want %d", tt.args, got, tt.code)
		}
	}
	if command.ExitCode(errors.New("disk full")) != 1 {
		t.Error("a runtime error must exit 1")
	}
}

func TestPrintConfig(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	f := Register(fs, func(string) string { return "" }, Defaults{Models: true})
	if err := f.Parse(fs, []string{"x", "--data-dir", "/d"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	own := struct {
		In string `json:"in"`
	}{"/d/x.csv"}
	if err := PrintConfig(&buf, own, f, "EXTRA_VAR"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"in": "/d/x.csv"`, `"data_dir": "/d"`, `"models_dir": "./trained_models"`, `"EXTRA_VAR"`, `"NBA_DATA_DIR"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("PrintConfig output lacks %s:\n%s", want, buf.String())
		}
	}
}

func TestMissingInput(t *testing.T) {
	_, notExist := os.Open(filepath.Join(t.TempDir(), "absent.csv"))
	err := MissingInput("raw dataset", notExist, "ingest")
	if command.ExitCode(err) != 2 || !strings.Contains(err.Error(), "raw dataset: ") || !strings.Contains(err.Error(), "(run ingest first)") {
		t.Errorf("MissingInput(not exist) = %v (exit %d), want a usage error naming ingest", err, command.ExitCode(err))
	}
	other := MissingInput("raw dataset", errors.New("disk on fire"), "ingest")
	if command.ExitCode(other) != 1 || strings.Contains(other.Error(), "run ingest") {
		t.Errorf("MissingInput(other) = %v (exit %d), want a plain error", other, command.ExitCode(other))
	}
}
