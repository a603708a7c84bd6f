package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/stage"
	"github.com/nba-mlops/nba-mlops/internal/synth"
)

func noEnv(string) string { return "" }

// runGen runs the command and decodes its JSON summary.
func runGen(t *testing.T, getenv func(string) string, args ...string) (*summary, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(t.Context(), append([]string{name}, args...), getenv, &out, &errb)
	if err != nil {
		return nil, err
	}
	var s summary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("stdout is not one JSON summary: %v\n%s", err, out.String())
	}
	return &s, nil
}

// readBatch reads a CSV and validates every row, failing on any hard error.
func readBatch(t *testing.T, path string) ([]nba.Shot, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := dataset.NewReader(f, path)
	if err != nil {
		t.Fatal(err)
	}
	if !rd.InKaggleOrder() {
		t.Errorf("%s: header %q is not in Kaggle order", path, rd.Header())
	}
	var (
		shots []nba.Shot
		lines []string
		rep   dataset.Report
	)
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return shots, lines
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.Join(rec.Fields, ","))
		var s nba.Shot
		if dataset.Check(rec.Fields, &s, &rep) {
			shots = append(shots, s)
		}
	}
}

func TestSyntheticEndToEnd(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	sum, err := runGen(t, noEnv, "--synthetic", "3000", "--seed", "7", "--data-dir", data)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(data, "new_data", "new_data.csv")
	want := &summary{Mode: modeSynthetic, Out: out, Seed: 7, Written: 3000, Seasons: "1997-2019",
		Universe: synth.UniverseVersion, Available: sum.Available, DurationMS: sum.DurationMS}
	if diff := cmp.Diff(want, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if sum.Available < 4_000_000 {
		t.Errorf("available %d, want the ~4.8M shots of the synthetic league", sum.Available)
	}
	shots, lines := readBatch(t, out)
	if len(lines) != 3000 || len(shots) != 3000 {
		t.Errorf("%d rows, %d valid; want 3000 valid rows", len(lines), len(shots))
	}
	// The stage protocol: metrics written, no signal unless asked for.
	if _, err := os.Stat(filepath.Join(data, "metrics", name+".prom")); err != nil {
		t.Errorf("stage metrics: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, stage.SignalNewData)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("signal created without --signal or --chain (stat: %v)", err)
	}
	assertNoTemp(t, filepath.Dir(out))
}

func TestSyntheticDeterministic(t *testing.T) {
	dir := t.TempDir()
	gen := func(file, seed string, extra ...string) []byte {
		t.Helper()
		p := filepath.Join(dir, file)
		args := append([]string{"--synthetic", "2000", "--seed", seed, "--data-dir", dir, "--out", p}, extra...)
		if _, err := runGen(t, noEnv, args...); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := gen("a.csv", "42"), gen("b.csv", "42"), gen("c.csv", "43")
	if !bytes.Equal(a, b) {
		t.Error("same seed wrote different bytes")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds wrote the same bytes")
	}
	seasons := gen("d.csv", "42", "--seasons", "2016")
	shots, _ := readBatch(t, filepath.Join(dir, "d.csv"))
	for _, s := range shots {
		if s.GameID/100_000%100 != 16 {
			t.Fatalf("--seasons 2016 wrote game %d", s.GameID)
		}
	}
	if bytes.Equal(a, seasons) {
		t.Error("--seasons changed nothing")
	}
}

// writeSource writes a source CSV: synthetic shots with the columns in
// reverse order, one row with a value ingest will reject, and malformed
// rows (a short one, a long one).
func writeSource(t *testing.T, path string, rows int) map[string]bool {
	t.Helper()
	g, err := synth.New(synth.Config{Rows: int64(rows), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	header := slices.Clone(nba.Columns())
	slices.Reverse(header)
	var b strings.Builder
	b.WriteString(strings.Join(header, ",") + "\n")
	want := map[string]bool{} // rows in Kaggle order, as the sample must write them
	n := 0
	err = g.Run(t.Context(), func(s *nba.Shot) error {
		line := strings.TrimSuffix(string(dataset.AppendShot(nil, s)), "\n")
		fields := strings.Split(line, ",") // synthetic rows hold no commas
		if n == 10 {
			fields[nba.ColShotDistance] = "999" // bad value: passes through, ingest quarantines it
			line = strings.Join(fields, ",")
		}
		want[line] = true
		rev := slices.Clone(fields)
		slices.Reverse(rev)
		b.WriteString(strings.Join(rev, ",") + "\n")
		if n == 20 {
			b.WriteString("1,2,3\n")
			b.WriteString(strings.Join(rev, ",") + ",extra\n")
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return want
}

func TestSampleEndToEnd(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "source.csv")
	want := writeSource(t, src, 4000)
	sampleOf := func(fraction, seed string) (*summary, []string) {
		t.Helper()
		out := filepath.Join(dir, "out-"+fraction+"-"+seed+".csv")
		sum, err := runGen(t, noEnv, "--source", src, "--fraction", fraction, "--seed", seed, "--data-dir", dir, "--out", out)
		if err != nil {
			t.Fatal(err)
		}
		_, lines := readBatch(t, out)
		return sum, lines
	}

	// Everything: every good row, in Kaggle order, the bad value included;
	// the two malformed rows skipped and counted.
	sum, lines := sampleOf("1", "5")
	if sum.Read != 4002 || sum.Written != 4000 || sum.MalformedSkipped != 2 || len(lines) != 4000 {
		t.Errorf("fraction 1: summary %+v with %d rows, want read 4002, written 4000, malformed_skipped 2", sum, len(lines))
	}
	for _, l := range lines {
		if !want[l] {
			t.Fatalf("row %q is not a source row in Kaggle order", l)
		}
	}

	sum, lines = sampleOf("0.25", "5")
	// Binomial(4002, 0.25): mean 1000, sd 27.
	if sum.Written < 900 || sum.Written > 1100 || int64(len(lines)) != sum.Written {
		t.Errorf("fraction 0.25: wrote %d (%d lines), want about 1000", sum.Written, len(lines))
	}
	for _, l := range lines {
		if !want[l] {
			t.Fatalf("row %q is not a source row", l)
		}
	}
	_, again := sampleOf("0.25", "5")
	if !slices.Equal(lines, again) {
		t.Error("same seed, different sample")
	}
	_, other := sampleOf("0.25", "6")
	if slices.Equal(lines, other) {
		t.Error("different seeds, same sample")
	}
}

func TestEmptySource(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "empty.csv")
	if err := os.WriteFile(src, []byte(strings.Join(nba.Columns(), ",")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := runGen(t, noEnv, "--source", src, "--seed", "1", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 0 || sum.Written != 0 {
		t.Errorf("summary %+v, want nothing read or written", sum)
	}
	if _, lines := readBatch(t, sum.Out); len(lines) != 0 {
		t.Errorf("%d rows written from an empty source", len(lines))
	}
}

func TestBadUsage(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "source.csv")
	writeSource(t, src, 10)
	badHeader := filepath.Join(dir, "bad.csv")
	os.WriteFile(badHeader, []byte("Game ID,Shot Made Flag,Colour\n1,2,3\n"), 0o644)
	out := filepath.Join(dir, "out.csv")
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"neither mode", nil, nil, "give --source FILE"},
		{"both modes", []string{"--source", src, "--synthetic", "10"}, nil, "not both"},
		{"both modes from env", nil, map[string]string{envSource: src, envSynthetic: "10"}, "not both"},
		{"fraction zero", []string{"--source", src, "--fraction", "0"}, nil, "--fraction"},
		{"fraction above one", []string{"--source", src, "--fraction", "1.5"}, nil, "--fraction"},
		{"fraction NaN", []string{"--source", src, "--fraction", "NaN"}, nil, "--fraction"},
		{"fraction text", []string{"--source", src, "--fraction", "ten"}, nil, "--fraction"},
		{"fraction env", []string{"--source", src}, map[string]string{envFraction: "-1"}, "--fraction"},
		{"fraction with synthetic", []string{"--synthetic", "10", "--fraction", "0.5"}, nil, "--fraction: applies to --source only"},
		{"seasons with source", []string{"--source", src, "--seasons", "2010"}, nil, "--seasons: applies to --synthetic only"},
		{"rows zero", []string{"--synthetic", "0"}, nil, "--synthetic"},
		{"rows text", []string{"--synthetic", "many"}, nil, "--synthetic"},
		{"rows beyond the league", []string{"--synthetic", "9000000"}, nil, "--synthetic: rows 9000000"},
		{"seasons out of range", []string{"--synthetic", "10", "--seasons", "1990-2000"}, nil, "--seasons"},
		{"seasons reversed", []string{"--synthetic", "10", "--seasons", "2012-2010"}, nil, "--seasons"},
		{"seasons text", []string{"--synthetic", "10", "--seasons", "recent"}, nil, "--seasons"},
		{"negative seed", []string{"--synthetic", "10", "--seed", "-1"}, nil, "--seed"},
		{"unknown flag", []string{"--synthetic", "10", "--colour", "red"}, nil, "colour"},
		{"stray argument", []string{"--synthetic", "10", "extra"}, nil, "unexpected arguments"},
		{"bad stage flag", []string{"--synthetic", "10", "--log-format", "xml"}, nil, "--log-format"},
		{"missing source", []string{"--source", filepath.Join(dir, "nope.csv")}, nil, "nope.csv"},
		{"source is a directory", []string{"--source", dir}, nil, "is a directory"},
		{"source without Kaggle header", []string{"--source", badHeader}, nil, `missing columns "Game Event ID"`},
		{"out is the source", []string{"--source", src, "--out", src}, nil, "is the source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			args := append([]string{"--data-dir", dir, "--out", out}, tt.args...)
			if slices.Contains(tt.args, "--out") {
				args = append([]string{"--data-dir", dir}, tt.args...)
			}
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), append([]string{name}, args...), getenv, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
			if code := command.ExitCode(err); code != 2 {
				t.Errorf("exit code %d, want 2 (usage) for %v", code, err)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("output written despite the error (stat: %v)", err)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{name, "-h"}, noEnv, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) || command.ExitCode(err) != 0 {
		t.Errorf("-h: err %v, exit %d; want flag.ErrHelp and 0", err, command.ExitCode(err))
	}
	if !strings.Contains(stderr.String(), "--synthetic N") {
		t.Errorf("usage text lacks the modes:\n%s", stderr.String())
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	check := func(getenv func(string) string, args ...string) map[string]any {
		t.Helper()
		var stdout, stderr bytes.Buffer
		all := append([]string{name, "--check-config", "--data-dir", dir}, args...)
		if err := run(t.Context(), all, getenv, &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
			t.Fatalf("--check-config output is not JSON: %v\n%s", err, stdout.String())
		}
		return m
	}
	m := check(noEnv, "--synthetic", "100", "--chain")
	today, _ := strconv.ParseFloat(time.Now().UTC().Format("20060102"), 64)
	if m["mode"] != modeSynthetic || m["synthetic"] != 100.0 || m["seed_from"] != "date" || m["seed"].(float64) < today-1 ||
		m["signal"] != stage.SignalNewData || m["out"] != filepath.Join(dir, "new_data", "new_data.csv") {
		t.Errorf("config %v: want synthetic 100, a date seed, signal %s, the default out", m, stage.SignalNewData)
	}
	var env []string
	for _, v := range m["env"].([]any) {
		env = append(env, v.(string))
	}
	for _, k := range []string{envSource, envFraction, envSynthetic, envSeed, envSeasons, stage.EnvDataDir, stage.EnvWaitFor, stage.EnvSignal} {
		if !slices.Contains(env, k) {
			t.Errorf("env list %v lacks %s", env, k)
		}
	}
	// Environment as defaults; a mode flag overrides the environment's mode.
	envs := map[string]string{envSynthetic: "50", envSeed: "9", envSeasons: "2005-2006"}
	getenv := func(k string) string { return envs[k] }
	m = check(getenv)
	if m["mode"] != modeSynthetic || m["synthetic"] != 50.0 || m["seed"] != 9.0 || m["seed_from"] != "env" || m["seasons"] != "2005-2006" {
		t.Errorf("config from env %v", m)
	}
	src := filepath.Join(dir, "s.csv")
	m = check(getenv, "--source", src, "--seed", "3")
	if m["mode"] != modeSample || m["source"] != src || m["fraction"] != 0.1 || m["seed"] != 3.0 || m["seed_from"] != "flag" {
		t.Errorf("config with --source over env synthetic: %v", m)
	}
}

// TestChain honours the signal-file protocol: --chain creates the signal
// ingest waits for; a --wait-for that never comes fails and writes nothing.
func TestChain(t *testing.T) {
	dir := t.TempDir()
	if _, err := runGen(t, noEnv, "--synthetic", "50", "--seed", "1", "--data-dir", dir, "--chain"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, stage.SignalNewData)); err != nil {
		t.Errorf("--chain: signal not created: %v", err)
	}
	dir2 := t.TempDir()
	_, err := runGen(t, noEnv, "--synthetic", "50", "--seed", "1", "--data-dir", dir2,
		"--wait-for", "never", "--signal", "done", "--wait-timeout", "300ms")
	if err == nil || !strings.Contains(err.Error(), "never") {
		t.Fatalf("run with a missing --wait-for = %v, want a timeout naming the file", err)
	}
	for _, f := range []string{"done", filepath.Join("new_data", "new_data.csv")} {
		if _, err := os.Stat(filepath.Join(dir2, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a failed wait (stat: %v)", f, err)
		}
	}
}

func TestCancelLeavesNoOutput(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{name, "--synthetic", "100000", "--seed", "1", "--data-dir", dir, "--signal", "done"}, noEnv, &stdout, &stderr)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run on a cancelled context = %v, want context.Canceled", err)
	}
	out := filepath.Join(dir, "new_data", "new_data.csv")
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output exists after cancel (stat: %v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "done")); !errors.Is(err, os.ErrNotExist) {
		t.Error("signal created after cancel")
	}
	assertNoTemp(t, filepath.Dir(out))
}

// assertNoTemp fails if a temporary file is left in dir.
func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left in %s", e.Name(), dir)
		}
	}
}
