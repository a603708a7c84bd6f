package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/parquetio"
)

func noEnv(string) string { return "" }

func writeCSV(tb testing.TB, path string, shots []nba.Shot, extra ...string) {
	tb.Helper()
	var buf bytes.Buffer
	w := dataset.NewWriter(&buf)
	w.WriteHeader()
	for i := range shots {
		w.Write(&shots[i])
	}
	w.Flush()
	for _, line := range extra {
		buf.WriteString(line + "\n")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func runProcess(tb testing.TB, dir string, args ...string) (*Report, error) {
	tb.Helper()
	rep, _, err := runProcessLog(tb, dir, args...)
	return rep, err
}

func runProcessLog(tb testing.TB, dir string, args ...string) (*Report, string, error) {
	tb.Helper()
	var out, errb bytes.Buffer
	err := run(tb.Context(), append([]string{"process", "--data-dir", dir}, args...), noEnv, &out, &errb)
	if err != nil {
		return nil, errb.String(), err
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		tb.Fatalf("report: %v\n%s", err, out.Bytes())
	}
	return &rep, errb.String(), nil
}

func readShots(tb testing.TB, path string) []nba.Shot {
	tb.Helper()
	var out []nba.Shot
	if _, err := parquetio.Each(tb.Context(), path, func(b []nba.Shot) error {
		out = append(out, b...)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestSplitStableAsDataGrows processes a dataset, lets it grow by new games
// and more rows, and processes again: every game keeps its side, no game
// straddles the split, and a rerun on the same data writes the same bytes.
func TestSplitStableAsDataGrows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw", "shots.csv")
	g := featuretest.New(5, 20000)
	var shots []nba.Shot
	for range 1500 {
		shots = g.Game(shots, 4)
	}
	writeCSV(t, raw, shots)
	first, err := runProcess(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	side := map[int32]bool{}
	for _, s := range readShots(t, first.TestFile) {
		side[s.GameID] = true
	}
	for _, s := range readShots(t, first.TrainFile) {
		if side[s.GameID] {
			t.Fatalf("game %d is on both sides of the split", s.GameID)
		}
	}
	if first.TrainRows+first.TestRows != int64(len(shots)) || first.TestGames != int64(len(side)) {
		t.Errorf("report %+v, want %d rows", first, len(shots))
	}
	if share := float64(first.TestGames) / float64(first.TestGames+first.TrainGames); share < 0.17 || share > 0.23 {
		t.Errorf("test share of games %.3f, want about 0.2", share)
	}

	again, err := runProcess(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.TrainSHA256 != first.TrainSHA256 || again.TestSHA256 != first.TestSHA256 {
		t.Error("a rerun on the same data wrote different bytes")
	}

	for range 700 {
		shots = g.Game(shots, 4)
	}
	writeCSV(t, raw, shots)
	grown, err := runProcess(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if grown.TrainRows+grown.TestRows != int64(len(shots)) {
		t.Errorf("grown: %d + %d rows, want %d", grown.TrainRows, grown.TestRows, len(shots))
	}
	nowTest := map[int32]bool{}
	for _, s := range readShots(t, grown.TestFile) {
		nowTest[s.GameID] = true
	}
	for _, s := range readShots(t, grown.TrainFile) {
		if side[s.GameID] {
			t.Fatalf("game %d moved from test to train as the data grew", s.GameID)
		}
	}
	for id := range side {
		if !nowTest[id] {
			t.Fatalf("game %d left the test split as the data grew", id)
		}
	}
}

// TestCleaning: invalid rows, exact duplicates and key conflicts.
func TestCleaning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	shots := featuretest.Shots(8, 200)
	dup := shots[10]
	conflict := shots[20]
	conflict.ShotMadeFlag = 1 - conflict.ShotMadeFlag
	bad := shots[30]
	bad.ShotZoneBasic = nba.ZoneBackcourt // zone does not match (x, y)
	bad.GameEventID = 9000
	rows := append(append([]nba.Shot(nil), shots...), dup, conflict, bad)
	raw := filepath.Join(dir, "raw", "shots.csv")
	writeCSV(t, raw, rows, "1,2,3")
	rep, log, err := runProcessLog(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	// The log names file, line, field and rule of each dropped row.
	for _, want := range []string{raw + ":204: Shot Zone Basic: zone_basic_from_xy", raw + ":205: field_count"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	want := Report{RowsRead: 204, Invalid: 2, Duplicates: 1, Conflicts: 1}
	if rep.RowsRead != want.RowsRead || rep.Invalid != want.Invalid || rep.Duplicates != want.Duplicates || rep.Conflicts != want.Conflicts {
		t.Errorf("report %+v, want %+v", rep, want)
	}
	if rep.InvalidByRule[dataset.RuleZoneBasicFromXY] != 1 || rep.InvalidByRule[dataset.RuleFieldCount] != 1 {
		t.Errorf("invalid by rule %v, want one zone_basic_from_xy and one field_count", rep.InvalidByRule)
	}
	if rep.TrainRows+rep.TestRows != 200 {
		t.Errorf("%d rows written, want 200", rep.TrainRows+rep.TestRows)
	}
	// The first of two conflicting rows is kept.
	all := append(readShots(t, rep.TrainFile), readShots(t, rep.TestFile)...)
	for _, s := range all {
		if s.Key() == conflict.Key() && s != shots[20] {
			t.Errorf("kept %+v for the conflicting key, want the first row", s)
		}
	}
	var m Report
	b, err := os.ReadFile(filepath.Join(dir, "processed", ManifestFile))
	if err != nil || json.Unmarshal(b, &m) != nil || m.TrainSHA256 != rep.TrainSHA256 {
		t.Errorf("manifest.json: %v %s", err, b)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := runProcess(t, dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "raw", "shots.csv")) {
		t.Errorf("missing raw dataset: error %v, want one naming the file", err)
	}
	raw := filepath.Join(dir, "raw", "shots.csv")
	os.MkdirAll(filepath.Dir(raw), 0o755)
	os.WriteFile(raw, []byte("Game ID,Colour\n1,red\n"), 0o644)
	if _, err := runProcess(t, dir); err == nil || !strings.Contains(err.Error(), `unknown columns "Colour"`) {
		t.Errorf("bad header: error %v", err)
	}
	writeCSV(t, raw, nil, "1,2,3")
	if _, err := runProcess(t, dir); err == nil || !strings.Contains(err.Error(), "no valid rows") {
		t.Errorf("no valid rows: error %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "processed", "train.parquet")); !os.IsNotExist(err) {
		t.Errorf("a failed run left train.parquet behind (%v)", err)
	}
	if _, err := runProcess(t, dir, "--test-fraction", "1.5"); err == nil || !strings.Contains(err.Error(), "--test-fraction") {
		t.Errorf("bad fraction: error %v", err)
	}
}

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	env := map[string]string{EnvTestFraction: "0.3", "NBA_DATA_DIR": "/data"}
	err := run(t.Context(), []string{"process", "--check-config"}, func(k string) string { return env[k] }, &out, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		In           string   `json:"in"`
		TestFraction float64  `json:"test_fraction"`
		Env          []string `json:"env"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.In != "/data/raw/shots.csv" || got.TestFraction != 0.3 || !strings.Contains(strings.Join(got.Env, ","), EnvTestFraction) {
		t.Errorf("--check-config: %s", out.Bytes())
	}
	env[EnvTestFraction] = "lots"
	if err := run(t.Context(), []string{"process", "--check-config"}, func(k string) string { return env[k] }, &out, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), EnvTestFraction) {
		t.Errorf("bad env: error %v, want one naming %s", err, EnvTestFraction)
	}
}

func TestIsTest(t *testing.T) {
	t.Parallel()
	n := 0
	for id := int32(20000001); id < 20020001; id++ {
		if IsTest(id, 0.2) {
			n++
		}
		if IsTest(id, 0) {
			t.Fatalf("IsTest(%d, 0) = true", id)
		}
	}
	if n < 3800 || n > 4200 {
		t.Errorf("%d of 20000 games in test at 0.2, want about 4000", n)
	}
}

// TestMissingInputExitsTwo: a raw dataset that does not exist is the same
// mistake as ingest's missing batch: exit 2, naming the file and the stage
// to run first.
func TestMissingInputExitsTwo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"--in", "/nonexistent.csv"}} {
		_, err := runProcess(t, t.TempDir(), args...)
		if code := command.ExitCode(err); code != 2 {
			t.Errorf("process %v: exit %d (%v), want 2", args, code, err)
		}
		if err == nil || !strings.Contains(err.Error(), "run ingest first") {
			t.Errorf("process %v: error %v, want one naming the stage to run first", args, err)
		}
	}
}
