package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
	"github.com/nba-mlops/nba-mlops/internal/model"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// stages builds process, featurize and train once: infer's tests run on a
// real pipeline's outputs.
func stages(tb testing.TB) string {
	tb.Helper()
	return testenv.Binaries(tb, "./cmd/process", "./cmd/featurize", "./cmd/train")
}

func TestMain(m *testing.M) { testenv.Main(m) }

// pipeline runs process, featurize and train on synthetic shots; train
// promotes the first model and creates signal_new_model_version.
func pipeline(tb testing.TB) string {
	tb.Helper()
	bin := stages(tb)
	dir := tb.TempDir()
	raw := filepath.Join(dir, "raw", "shots.csv")
	os.MkdirAll(filepath.Dir(raw), 0o755)
	var buf bytes.Buffer
	if err := featuretest.WriteCSV(&buf, 12, 3000); err != nil {
		tb.Fatal(err)
	}
	os.WriteFile(raw, buf.Bytes(), 0o644)
	for _, c := range [][]string{
		{"process", "--data-dir", dir},
		{"featurize", "--data-dir", dir},
		{"train", "--data-dir", dir, "--models-dir", filepath.Join(dir, "models")},
	} {
		if out, err := exec.Command(filepath.Join(bin, c[0]), c[1:]...).CombinedOutput(); err != nil {
			tb.Fatalf("%s: %v\n%s", c[0], err, out)
		}
	}
	return dir
}

func runInfer(tb testing.TB, dir string, args ...string) (*Report, error) {
	tb.Helper()
	var out bytes.Buffer
	args = append([]string{"infer", "--data-dir", dir, "--models-dir", filepath.Join(dir, "models")}, args...)
	if err := run(tb.Context(), args, func(string) string { return "" }, &out, &bytes.Buffer{}); err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		tb.Fatalf("report: %v\n%s", err, out.Bytes())
	}
	return &rep, nil
}

func readCSV(tb testing.TB, path string) [][]string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

// TestSignalProtocol: infer scores only after a promotion, and removes the
// signal whatever happens.
func TestSignalProtocol(t *testing.T) {
	t.Parallel()
	dir := pipeline(t)
	signal := filepath.Join(dir, "signal_new_model_version")
	out := filepath.Join(dir, "predictions", "predictions.csv")
	if _, err := os.Stat(signal); err != nil {
		t.Fatalf("train did not create the signal: %v", err)
	}
	rep, err := runInfer(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, out)
	if strings.Join(rows[0], ",") != "Game ID,Game Event ID,probability,prediction,Shot Made Flag" {
		t.Errorf("header %v", rows[0])
	}
	if int64(len(rows)-1) != rep.Rows || rep.Rows == 0 || rep.Metrics == nil || rep.ModelVersion != "v1" {
		t.Errorf("report %+v with %d lines", rep, len(rows)-1)
	}
	// The champion's recorded test metrics are what infer measures too.
	bm, _ := model.NewRegistry(filepath.Join(dir, "models")).BestModel()
	if d := rep.Metrics.ROCAUC - bm.ROCAUC; d > 1e-12 || d < -1e-12 {
		t.Errorf("infer AUC %v, champion's recorded AUC %v", rep.Metrics.ROCAUC, bm.ROCAUC)
	}
	if _, err := os.Stat(signal); !os.IsNotExist(err) {
		t.Errorf("signal still there after infer (%v)", err)
	}

	// No signal: nothing scored, the old predictions stay.
	before, _ := os.ReadFile(out)
	os.WriteFile(out, []byte("old\n"), 0o644)
	rep, err = runInfer(t, dir)
	if err != nil || !rep.Skipped {
		t.Fatalf("without the signal: %+v, %v; want skipped", rep, err)
	}
	if b, _ := os.ReadFile(out); string(b) != "old\n" {
		t.Error("predictions rewritten without a new model")
	}
	// --force scores anyway.
	if rep, err = runInfer(t, dir, "--force"); err != nil || rep.Skipped {
		t.Fatalf("--force: %+v, %v", rep, err)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, before) {
		t.Error("--force wrote different predictions for the same model and data")
	}

	// A failure still removes the signal.
	os.WriteFile(signal, nil, 0o644)
	if _, err := runInfer(t, dir, "--models-dir", t.TempDir()); err == nil || !strings.Contains(err.Error(), "run train first") {
		t.Errorf("no champion: error %v", err)
	}
	if _, err := os.Stat(signal); !os.IsNotExist(err) {
		t.Errorf("signal left behind by a failed run (%v)", err)
	}
}

// TestScoreCSV scores outside files, with and without the label column.
func TestScoreCSV(t *testing.T) {
	t.Parallel()
	dir := pipeline(t)
	shots := featuretest.Shots(99, 300)
	var labelled, unlabelled bytes.Buffer
	w := dataset.NewWriter(&labelled)
	w.WriteHeader()
	for i := range shots {
		w.Write(&shots[i])
	}
	w.Flush()
	labelled.WriteString("1,2,3\n") // a row that cannot be read
	// The same rows without Shot Made Flag, columns reordered.
	uw := csv.NewWriter(&unlabelled)
	cols := []int{nba.ColGameEventID, nba.ColGameID}
	for c := range nba.NumColumns {
		if c != nba.ColShotMadeFlag && c != nba.ColGameID && c != nba.ColGameEventID {
			cols = append(cols, c)
		}
	}
	cr := csv.NewReader(bytes.NewReader(labelled.Bytes()))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rec := make([]string, len(cols))
	for i, r := range rows {
		if len(r) != nba.NumColumns {
			continue
		}
		for j, c := range cols {
			rec[j] = r[c]
			if i == 0 {
				rec[j] = nba.ColumnName(c)
			}
		}
		uw.Write(rec)
	}
	uw.Flush()
	var probs [2][]string
	for k, in := range []*bytes.Buffer{&labelled, &unlabelled} {
		inPath := filepath.Join(dir, fmt.Sprint("in", k, ".csv"))
		outPath := filepath.Join(dir, fmt.Sprint("out", k, ".csv"))
		os.WriteFile(inPath, in.Bytes(), 0o644)
		rep, err := runInfer(t, dir, "--in", inPath, "--out", outPath)
		if err != nil {
			t.Fatal(err)
		}
		got := readCSV(t, outPath)
		if rep.Rows != 300 || len(got) != 301 {
			t.Fatalf("file %d: %d rows scored, %d lines", k, rep.Rows, len(got))
		}
		if k == 0 && (rep.Metrics == nil || rep.Unparsed != 1) {
			t.Fatalf("labelled: metrics %v, unparsed %d; want metrics and 1 unparsed row", rep.Metrics, rep.Unparsed)
		}
		if k == 0 {
			// Calibration is reported with the other scores: the error and
			// the table behind it, over every scored row.
			m := rep.Metrics
			var n int64
			e := 0.0
			for _, b := range m.Reliability {
				n += b.Count
				e += float64(b.Count) * math.Abs(b.MeanPredicted-b.ObservedRate)
			}
			if len(m.Reliability) != model.ReliabilityBins || n != 300 || math.Abs(e/300-m.CalibrationError) > 1e-12 || m.CalibrationError <= 0 {
				t.Errorf("labelled: calibration error %v, reliability %+v; want %d bins over 300 rows that give the error", m.CalibrationError, m.Reliability, model.ReliabilityBins)
			}
			if !slices.Contains(model.CalibrationMethods(), rep.Calibration) {
				t.Errorf("report's calibration %q is not a method", rep.Calibration)
			}
		}
		if k == 1 && (rep.Metrics != nil || got[1][4] != "") {
			t.Errorf("unlabelled: metrics %v, label cell %q; want none", rep.Metrics, got[1][4])
		}
		for _, r := range got[1:] {
			probs[k] = append(probs[k], r[0]+"/"+r[1]+"="+r[2])
		}
	}
	if strings.Join(probs[0], " ") != strings.Join(probs[1], " ") {
		t.Error("the same shots score differently with and without the label column")
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	err := run(t.Context(), []string{"infer", "--in", "x.csv"}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("--in without --out: %v", err)
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"infer", "--check-config", "--data-dir", "/d"}, func(string) string { return "" }, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"out": "/d/predictions/predictions.csv"`) || !strings.Contains(out.String(), `"NBA_MODELS_DIR"`) {
		t.Errorf("--check-config:\n%s", out.String())
	}
}
