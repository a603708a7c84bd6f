package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// TestMain lets the crash test run this test binary as the ingest command.
func TestMain(m *testing.M) {
	if os.Getenv("INGEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// shot builds a valid synthetic shot at (x, y): zones and distance come from
// the court geometry, the rest from a 2012-13 game of Washington at home.
func shot(gameID, eventID int32, x, y int16, made int8) nba.Shot {
	z := court.Classify(int(x), int(y))
	return nba.Shot{
		GameID: gameID, GameEventID: eventID, PlayerID: 201580, PlayerName: "Test Player",
		TeamID: 1610612764, TeamName: "Washington Wizards", Period: 2, MinutesRemaining: 5, SecondsRemaining: 12,
		ActionType: "Jump Shot", ShotType: z.ShotType, ShotZoneBasic: z.Basic, ShotZoneArea: z.Area,
		ShotZoneRange: z.Range, ShotDistance: int16(z.Distance), XLocation: x, YLocation: y, ShotMadeFlag: made,
		GameDate: 20121215, HomeTeam: "WAS", AwayTeam: "BOS", SeasonType: nba.SeasonRegular,
	}
}

// fixture returns n valid shots of 2012-13 games numbered from firstGame,
// 500 events per game.
func fixture(n int, firstGame int32) []nba.Shot {
	pts := [][2]int16{{0, 10}, {-96, 145}, {164, 199}, {-230, 40}, {50, 60}, {10, 300}, {-150, 20}}
	out := make([]nba.Shot, n)
	for i := range out {
		p := pts[i%len(pts)]
		out[i] = shot(firstGame+int32(i/500), int32(2+i%500), p[0], p[1], int8(i%2))
	}
	return out
}

func writeCSV(tb testing.TB, path string, shots []nba.Shot) {
	tb.Helper()
	var buf bytes.Buffer
	w := dataset.NewWriter(&buf)
	w.WriteHeader()
	for i := range shots {
		w.Write(&shots[i])
	}
	w.Flush()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func runIngest(t *testing.T, args ...string) (*Report, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(t.Context(), append([]string{"ingest"}, args...), func(string) string { return "" }, &out, &errb)
	if err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not one JSON report: %v\n%s", err, out.String())
	}
	return &rep, nil
}

func countRows(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n")) - 1
}

func TestIngestAcceptsDedupesAndReingests(t *testing.T) {
	dir := t.TempDir()
	batch := filepath.Join(dir, "data", "new_data", "new_data.csv")
	shots := fixture(120, 21200001)
	shots = append(shots, shots[3], shots[7]) // duplicates within the batch
	writeCSV(t, batch, shots)
	rep, err := runIngest(t, "--data-dir", filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 122 || rep.Accepted != 120 || rep.Duplicates != 2 || rep.Quarantined != 0 || rep.RawTotal != 120 {
		t.Errorf("first ingest report = %+v, want read 122, accepted 120, duplicates 2, raw_total 120", rep)
	}
	raw := filepath.Join(dir, "data", "raw", "shots.csv")
	if n := countRows(t, raw); n != 120 {
		t.Errorf("raw has %d rows, want 120", n)
	}
	before, _ := os.ReadFile(raw)
	rep, err = runIngest(t, "--data-dir", filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != 0 || rep.Duplicates != 122 || rep.RawTotal != 120 {
		t.Errorf("re-ingest report = %+v, want accepted 0, duplicates 122, raw_total 120", rep)
	}
	after, _ := os.ReadFile(raw)
	if !bytes.Equal(before, after) {
		t.Error("re-ingesting the same batch changed the raw dataset")
	}
	// A second batch with new games appends.
	batch2 := filepath.Join(dir, "b2.csv")
	writeCSV(t, batch2, fixture(60, 21200101))
	rep, err = runIngest(t, "--data-dir", filepath.Join(dir, "data"), "--in", batch2)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != 60 || rep.RawTotal != 180 || countRows(t, raw) != 180 {
		t.Errorf("second batch report = %+v, want accepted 60, raw_total 180", rep)
	}
}

func TestIngestQuarantine(t *testing.T) {
	dir := t.TempDir()
	good := fixture(10, 21200001)
	var lines []string
	var buf bytes.Buffer
	w := dataset.NewWriter(&buf)
	w.WriteHeader()
	for i := range good {
		w.Write(&good[i])
	}
	w.Flush()
	lines = strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	bad := func(mut func(s *nba.Shot)) string {
		s := shot(21200050, 9, 164, 199, 1)
		mut(&s)
		return strings.TrimSuffix(string(dataset.AppendShot(nil, &s)), "\n")
	}
	lines = append(lines,
		bad(func(s *nba.Shot) { s.ShotDistance = 30 }),                                   // distance_from_xy
		bad(func(s *nba.Shot) { s.ShotMadeFlag = 2; s.GameEventID = 10 }),                // made_flag
		bad(func(s *nba.Shot) { s.SeasonType = nba.SeasonPlayoffs; s.GameEventID = 11 }), // game_id_season_type
		"21200050,12,1,short row",                                                        // field_count
		lines[1]+",extra",                                                                // field_count (long)
		bad(func(s *nba.Shot) { s.GameEventID = 13 }),                                    // valid
		// Same game as the fixture's first game with another date: game_consistency.
		bad(func(s *nba.Shot) { s.GameID = 21200001; s.GameEventID = 99; s.GameDate = 20121216 }),
	)
	batch := filepath.Join(dir, "batch.csv")
	os.WriteFile(batch, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	rep, err := runIngest(t, "--data-dir", dir, "--in", batch)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{dataset.RuleDistanceFromXY: 1, dataset.RuleMadeFlag: 1, dataset.RuleGameIDSeasonType: 1,
		dataset.RuleFieldCount: 2, dataset.RuleGameConsistency: 1}
	if rep.Accepted != 11 || rep.Quarantined != 6 || fmt.Sprint(rep.QuarantinedByRule) != fmt.Sprint(want) {
		t.Errorf("report = %+v\nwant accepted 11, quarantined 6 by %v", rep, want)
	}
	f, err := os.Open(rep.QuarantineFile)
	if err != nil {
		t.Fatalf("quarantine file: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 7 || recs[0][0] != "line" || recs[0][1] != "rule" || recs[0][2] != "detail" || recs[0][3] != "Game ID" {
		t.Fatalf("quarantine file has %d records, header %q", len(recs), recs[0])
	}
	if recs[1][1] != dataset.RuleDistanceFromXY || !strings.Contains(recs[1][2], "Shot Distance") || recs[1][3] != "21200050" {
		t.Errorf("first quarantined row = %q, want rule distance_from_xy naming Shot Distance with the original fields", recs[1])
	}
	if recs[4][0] != "15" || recs[4][1] != dataset.RuleFieldCount || len(recs[4]) != 3+4 {
		t.Errorf("short row quarantined as %q, want line 15, field_count and its 4 original fields", recs[4])
	}
}

func TestIngestBadInputLeavesRawUntouched(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw", "shots.csv")
	writeCSV(t, raw, fixture(5, 21200001))
	before, _ := os.ReadFile(raw)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	header := strings.Join(nba.Columns(), ",")
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"missing file", filepath.Join(dir, "nope.csv"), []string{"nope.csv", "no such file"}},
		{"missing columns", write("m.csv", strings.Replace(header, "Shot Made Flag,", "", 1)+"\n"), []string{"m.csv", `missing columns "Shot Made Flag"`}},
		{"unknown column", write("u.csv", header+",Foo\n"), []string{"u.csv", `unknown columns "Foo"`}},
		{"not csv", write("bin.csv", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\"\x00\x01"), []string{"bin.csv", "header"}},
		{"json", write("j.csv", `{"Game ID": 1}`+"\n"), []string{"j.csv", "not a CSV file"}},
		{"directory", dir, []string{"directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runIngest(t, "--data-dir", dir, "--in", tt.in)
			if err == nil {
				t.Fatal("ingest succeeded")
			}
			if command.ExitCode(err) != 2 {
				t.Errorf("exit code %d, want 2 (err %v)", command.ExitCode(err), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if after, _ := os.ReadFile(raw); !bytes.Equal(before, after) {
				t.Error("raw dataset changed")
			}
		})
	}
}

func TestIngestEmptyBatch(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"", strings.Join(nba.Columns(), ",") + "\n"} {
		p := filepath.Join(dir, "empty.csv")
		os.WriteFile(p, []byte(content), 0o644)
		rep, err := runIngest(t, "--data-dir", dir, "--in", p)
		if err != nil {
			t.Fatalf("empty batch %q: %v", content, err)
		}
		if rep.Read != 0 || rep.Accepted != 0 || rep.Quarantined != 0 {
			t.Errorf("empty batch report = %+v, want zeros", rep)
		}
	}
}

func TestIngestColumnsInAnyOrder(t *testing.T) {
	dir := t.TempDir()
	shots := fixture(3, 21200001)
	// Reverse the columns.
	var b strings.Builder
	rev := func(f []string) string {
		out := make([]string, len(f))
		for i := range f {
			out[len(f)-1-i] = f[i]
		}
		return strings.Join(out, ",")
	}
	b.WriteString(rev(nba.Columns()) + "\n")
	for i := range shots {
		line := strings.TrimSuffix(string(dataset.AppendShot(nil, &shots[i])), "\n")
		b.WriteString(rev(strings.Split(line, ",")) + "\n")
	}
	p := filepath.Join(dir, "rev.csv")
	os.WriteFile(p, []byte(b.String()), 0o644)
	rep, err := runIngest(t, "--data-dir", dir, "--in", p)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != 3 {
		t.Fatalf("accepted %d, want 3", rep.Accepted)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "raw", "shots.csv"))
	if !strings.HasPrefix(string(raw), strings.Join(nba.Columns(), ",")+"\n21200001,2,") {
		t.Errorf("raw dataset is not in Kaggle order:\n%s", raw)
	}
}

func TestIngestSignalsOnFailure(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "signal_new_data_ready"), nil, 0o644)
	// The batch is missing: ingest fails, creates no signal, keeps the awaited one.
	_, err := runIngest(t, "--data-dir", dir, "--chain", "--in", filepath.Join(dir, "missing.csv"))
	if err == nil {
		t.Fatal("ingest of a missing batch succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "signal_new_data_ready")); err != nil {
		t.Error("awaited signal removed after a failure")
	}
	if _, err := os.Stat(filepath.Join(dir, "signal_data_ingestion_done")); err == nil {
		t.Error("own signal created after a failure")
	}
	writeCSV(t, filepath.Join(dir, "ok.csv"), fixture(5, 21200001))
	if _, err := runIngest(t, "--data-dir", dir, "--chain", "--in", filepath.Join(dir, "ok.csv")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "signal_data_ingestion_done")); err != nil {
		t.Error("own signal missing after success")
	}
	if _, err := os.Stat(filepath.Join(dir, "signal_new_data_ready")); err == nil {
		t.Error("awaited signal kept after success")
	}
}

// TestIngestCrash kills ingest at many moments during a run and checks that
// the raw dataset is always the old one or the new one, never partial.
func TestIngestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test spawns processes")
	}
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw", "shots.csv")
	writeCSV(t, raw, fixture(20000, 21200001))
	batch := filepath.Join(dir, "batch.csv")
	writeCSV(t, batch, fixture(200000, 21200101))
	old, _ := os.ReadFile(raw)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Learn how long a full run takes, then kill at fractions of it.
	full := func() time.Duration {
		start := time.Now()
		cmd := exec.Command(exe, "--data-dir", dir, "--in", batch)
		cmd.Env = append(os.Environ(), "INGEST_AS_MAIN=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ingest: %v\n%s", err, out)
		}
		return time.Since(start)
	}()
	newRaw, _ := os.ReadFile(raw)
	if bytes.Equal(newRaw, old) {
		t.Fatal("the full run did not change the raw dataset")
	}
	sawOld, sawNew := 0, 0
	for i := 1; i <= 12; i++ {
		if err := os.WriteFile(raw, old, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(exe, "--data-dir", dir, "--in", batch)
		cmd.Env = append(os.Environ(), "INGEST_AS_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(full * time.Duration(i) / 10)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		got, err := os.ReadFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case bytes.Equal(got, old):
			sawOld++
		case bytes.Equal(got, newRaw):
			sawNew++
		default:
			t.Fatalf("kill at %d/10 of a run left a raw dataset that is neither old nor new (%d bytes)", i, len(got))
		}
	}
	t.Logf("killed 12 runs: %d left the old dataset, %d the new one", sawOld, sawNew)
	if sawOld == 0 {
		t.Error("no kill landed before the commit: the test did not exercise a crash")
	}
}

func TestCheckConfig(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"ingest", "--check-config", "--data-dir", "/d"},
		func(k string) string { return map[string]string{"WAIT_FOR_FILE": "sig"}[k] }, &out, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		In     string   `json:"in"`
		Signal string   `json:"signal"`
		Env    []string `json:"env"`
	}
	if err := json.Unmarshal(out.Bytes(), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.In != "/d/new_data/new_data.csv" || cfg.Signal != "sig" || len(cfg.Env) == 0 {
		t.Errorf("check-config = %+v", cfg)
	}
	if err := run(context.Background(), []string{"ingest", "--bogus"}, func(string) string { return "" }, &out, &bytes.Buffer{}); command.ExitCode(err) != 2 {
		t.Errorf("unknown flag: exit %d (%v), want 2", command.ExitCode(err), err)
	}
	_ = errors.New
}
