package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/parquetio"
)

func noEnv(string) string { return "" }

// processed writes a processed split of synthetic shots (every fifth game
// in test) and returns both halves.
func processed(tb testing.TB, dir string, n int) (train, test []nba.Shot) {
	tb.Helper()
	for _, s := range featuretest.Shots(31, n) {
		if s.GameID%5 == 0 {
			test = append(test, s)
		} else {
			train = append(train, s)
		}
	}
	for name, rows := range map[string][]nba.Shot{"train.parquet": train, "test.parquet": test} {
		w, err := parquetio.Create[nba.Shot](filepath.Join(dir, "processed", name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := w.Write(rows); err != nil {
			tb.Fatal(err)
		}
		if err := w.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	return train, test
}

func runFeaturize(tb testing.TB, dir string) (*Report, error) {
	tb.Helper()
	var out bytes.Buffer
	if err := run(tb.Context(), []string{"featurize", "--data-dir", dir}, noEnv, &out, &bytes.Buffer{}); err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		tb.Fatalf("report: %v\n%s", err, out.Bytes())
	}
	return &rep, nil
}

func readRows(tb testing.TB, path string) []features.Row {
	tb.Helper()
	var out []features.Row
	if _, err := parquetio.Each(tb.Context(), path, func(b []features.Row) error {
		out = append(out, b...)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestFeaturize checks the outputs against the shared feature function:
// every row of both feature files holds Seed(transform, shot) of its
// processed shot, the transform is fitted on the training split only, and
// a rerun writes the same bytes.
func TestFeaturize(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	train, test := processed(t, dir, 20000)
	rep, err := runFeaturize(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.TrainRows != int64(len(train)) || rep.TestRows != int64(len(test)) {
		t.Errorf("report rows %d/%d, want %d/%d", rep.TrainRows, rep.TestRows, len(train), len(test))
	}
	b, err := os.ReadFile(rep.TransformFile)
	if err != nil {
		t.Fatal(err)
	}
	var tr features.Transform
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	if tr.Rows() != int64(len(train)) {
		t.Errorf("transform fitted on %d rows, want the %d training rows", tr.Rows(), len(train))
	}
	for name, c := range map[string]struct {
		shots []nba.Shot
		file  string
	}{"train": {train, rep.TrainFile}, "test": {test, rep.TestFile}} {
		rows := readRows(t, c.file)
		if len(rows) != len(c.shots) {
			t.Fatalf("%s: %d feature rows, want %d", name, len(rows), len(c.shots))
		}
		for i := range rows {
			want := features.Seed(&tr, &c.shots[i])
			got := rows[i].Seed()
			for j := range got {
				if float32(want[j]) != float32(got[j]) {
					t.Fatalf("%s row %d: %s = %v, want %v", name, i, nba.FeatureName(j), got[j], want[j])
				}
			}
			if rows[i].GameID != c.shots[i].GameID || rows[i].ShotMadeFlag != c.shots[i].ShotMadeFlag {
				t.Fatalf("%s row %d: key or label differs", name, i)
			}
			if name == "test" && got[features.SeedGameIDFrequency] != 0 {
				t.Fatalf("test row %d: Game_ID_Frequency %v, want 0 (the game is not in training)", i, got[features.SeedGameIDFrequency])
			}
		}
	}
	// The scaler standardises the training split.
	var sum, sumSq float64
	v := make([]float64, tr.NumFeatures())
	k := indexOf(tr.Features(), "Shot_Distance")
	for i := range train {
		seed := features.Seed(&tr, &train[i])
		x := tr.Vector(&seed, v)[k]
		sum += x
		sumSq += x * x
	}
	n := float64(len(train))
	if mean, std := sum/n, math.Sqrt(sumSq/n-(sum/n)*(sum/n)); math.Abs(mean) > 1e-6 || math.Abs(std-1) > 1e-6 {
		t.Errorf("scaled Shot_Distance on train: mean %v, std %v; want 0, 1", mean, std)
	}

	again, err := runFeaturize(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{TrainFile, TestFile, TransformFile} {
		if again.SHA256[f] != rep.SHA256[f] || rep.SHA256[f] == "" {
			t.Errorf("%s: rerun hash %s, first %s", f, again.SHA256[f], rep.SHA256[f])
		}
	}
}

func TestMissingInput(t *testing.T) {
	t.Parallel()
	_, err := runFeaturize(t, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "train.parquet") || !strings.Contains(err.Error(), "run process first") {
		t.Errorf("error %v, want one naming the file and the remedy", err)
	}
	if code := command.ExitCode(err); code != 2 {
		t.Errorf("exit %d, want 2 (a usage error: nothing was changed)", code)
	}
}

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	env := map[string]string{"NBA_DATA_DIR": "/d", "WAIT_FOR_PREV_FILE": "signal_data_processing_done"}
	if err := run(t.Context(), []string{"featurize", "--check-config"}, func(k string) string { return env[k] }, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		InDir   string   `json:"in_dir"`
		OutDir  string   `json:"out_dir"`
		WaitFor string   `json:"wait_for"`
		Env     []string `json:"env"`
	}
	json.Unmarshal(out.Bytes(), &got)
	if got.InDir != "/d/processed" || got.OutDir != "/d/features" || got.WaitFor != "signal_data_processing_done" || len(got.Env) == 0 {
		t.Errorf("--check-config: %s", out.Bytes())
	}
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// BenchmarkFeaturize runs the whole stage on 100k processed shots.
func BenchmarkFeaturize(b *testing.B) {
	dir := b.TempDir()
	processed(b, dir, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := run(b.Context(), []string{"featurize", "--data-dir", dir, "--log-file", filepath.Join(dir, "log")}, noEnv, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
			b.Fatal(err)
		}
	}
}
