package features

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGolden fits a transform on each testdata/*.input.csv (synthetic shots
// in the Kaggle schema) and compares, for every row, the 39 seed values and
// every feature of the catalogue but Game_ID_Frequency with *.golden.csv, and the transform with
// *.transform.golden.json. Regenerate with `go test ./internal/features
// -update` after a deliberate change, and review the diff.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.input.csv")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no testdata/*.input.csv (%v)", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(in, ".input.csv")
		t.Run(filepath.Base(name), func(t *testing.T) {
			shots := readShots(t, in)
			tr, err := fit(t, shots).Select(All()) // every derived feature
			if err != nil {
				t.Fatal(err)
			}
			gotCSV := goldenCSV(t, tr, shots)
			gotJSON, err := json.MarshalIndent(tr, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			gotJSON = append(gotJSON, '\n')
			if *update {
				for p, b := range map[string][]byte{name + ".golden.csv": gotCSV, name + ".transform.golden.json": gotJSON} {
					if err := os.WriteFile(p, b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			compareCSV(t, name+".golden.csv", gotCSV)
			want, err := os.ReadFile(name + ".transform.golden.json")
			if err != nil {
				t.Fatal(err)
			}
			var wt, gt Transform
			if err := json.Unmarshal(want, &wt); err != nil {
				t.Fatalf("%s.transform.golden.json: %v", name, err)
			}
			json.Unmarshal(gotJSON, &gt)
			compareCSV(t, name+".transform.golden.json (as vectors)", goldenCSV(t, &gt, shots), goldenCSV(t, &wt, shots))
		})
	}
}

// TestGoldenFixtureIsSynthetic regenerates the committed input from the
// synthetic generator: the fixture is not real data, and anyone can rebuild
// it.
func TestGoldenFixtureIsSynthetic(t *testing.T) {
	var buf bytes.Buffer
	if err := featuretest.WriteCSV(&buf, 2026, 40); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("testdata/synthetic40.input.csv", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile("testdata/synthetic40.input.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Error("testdata/synthetic40.input.csv differs from featuretest.WriteCSV(2026, 40); run with -update")
	}
}

func readShots(tb testing.TB, path string) []nba.Shot {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rd, err := dataset.NewReader(f, path)
	if err != nil {
		tb.Fatal(err)
	}
	var out []nba.Shot
	var rep dataset.Report
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		var s nba.Shot
		if !dataset.Check(rec.Fields, &s, &rep) {
			tb.Fatalf("%s:%d: %s", path, rec.Line, rep.Detail())
		}
		out = append(out, s)
	}
}

func goldenCSV(tb testing.TB, tr *Transform, shots []nba.Shot) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := []string{"Game ID", "Game Event ID"}
	header = append(header, nba.FeatureNames()...)
	for _, n := range tr.Features() {
		header = append(header, "vector:"+n)
	}
	w.Write(header)
	v := make([]float64, tr.NumFeatures())
	for i := range shots {
		s := &shots[i]
		seed := Seed(tr, s)
		row := []string{strconv.Itoa(int(s.GameID)), strconv.Itoa(int(s.GameEventID))}
		for _, x := range seed {
			row = append(row, strconv.FormatFloat(x, 'g', 12, 64))
		}
		for _, x := range tr.Vector(&seed, v) {
			row = append(row, strconv.FormatFloat(x, 'g', 12, 64))
		}
		w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

// compareCSV compares CSV documents cell by cell, numbers with a relative
// tolerance of 1e-9. want is read from the file name unless given.
func compareCSV(t *testing.T, name string, got []byte, want ...[]byte) {
	t.Helper()
	var wantB []byte
	if len(want) > 0 {
		wantB = want[0]
	} else {
		var err error
		if wantB, err = os.ReadFile(name); err != nil {
			t.Fatal(err)
		}
	}
	wr, err := csv.NewReader(bytes.NewReader(wantB)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	gr, _ := csv.NewReader(bytes.NewReader(got)).ReadAll()
	if len(wr) != len(gr) {
		t.Fatalf("%s: %d rows, got %d", name, len(wr), len(gr))
	}
	bad := 0
	for i := range wr {
		if len(wr[i]) != len(gr[i]) {
			t.Fatalf("%s: row %d has %d cells, got %d", name, i, len(wr[i]), len(gr[i]))
		}
		for j := range wr[i] {
			if !sameCell(wr[i][j], gr[i][j]) && bad < 10 {
				bad++
				t.Errorf("%s: row %d column %s: want %s, got %s", name, i, wr[0][j], wr[i][j], gr[i][j])
			}
		}
	}
}

func sameCell(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(x))
}
