package deploytest

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/parquetio"
	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// duckdbReader returns node and the directory holding @duckdb/node-api
// (NBA_DUCKDB_DIR, set by .ci/setup/70-duckdb.sh), or skips.
func duckdbReader(tb testing.TB) (node, dir string) {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.Missing(tb, "node is not installed (apt-get install nodejs), needed to read Parquet with DuckDB")
	}
	dir = os.Getenv("NBA_DUCKDB_DIR")
	if dir == "" {
		testenv.Missing(tb, "NBA_DUCKDB_DIR is unset: run the setup of .ci/setup/70-duckdb.sh (npm ci of internal/deploytest/testdata/duckdb) and point it there")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api", "package.json")); err != nil {
		tb.Fatalf("NBA_DUCKDB_DIR=%s holds no @duckdb/node-api: %v", dir, err)
	}
	return node, dir
}

// duckdbView is what DuckDB sees in one Parquet file.
type duckdbView struct {
	Rows    float64 `json:"rows"`
	Columns []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"columns"`
	Sums map[string]float64 `json:"sums"`
}

// duckdbType is the DuckDB type a Go field of kind k must read back as.
var duckdbType = map[reflect.Kind]string{
	reflect.Int8: "TINYINT", reflect.Int16: "SMALLINT", reflect.Int32: "INTEGER", reflect.Int64: "BIGINT",
	reflect.Float32: "FLOAT", reflect.Float64: "DOUBLE", reflect.String: "VARCHAR",
}

// wantColumns lists T's Parquet columns, "name TYPE", in field order.
func wantColumns[T any]() []string {
	var out []string
	t := reflect.TypeFor[T]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, name+" "+duckdbType[f.Type.Kind()])
	}
	return out
}

// column returns the value of the field of *row written as Parquet column
// name, as a float64.
func column[T any](tb testing.TB, row *T, name string) float64 {
	v := reflect.ValueOf(row).Elem()
	for i := range v.NumField() {
		if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("parquet"), ","); tag == name {
			switch f := v.Field(i); {
			case f.CanInt():
				return float64(f.Int())
			case f.CanFloat():
				return f.Float()
			}
		}
	}
	tb.Fatalf("%T has no numeric column %q", *row, name)
	return 0
}

// TestParquetReadableByDuckDB runs the pipeline's first stages on synthetic
// shots and opens what process and featurize wrote with DuckDB, a reader
// that shares no code with ours: the row counts, the column names and types,
// and the sums of a few columns must be what the Go side wrote.
func TestParquetReadableByDuckDB(t *testing.T) {
	node, duckdir := duckdbReader(t)
	bin := builtBinaries(t)
	data := filepath.Join(t.TempDir(), "data")
	for _, c := range [][]string{
		{"generate-data", "--synthetic", "3000", "--seed", "7"},
		{"ingest"}, {"process"}, {"featurize"},
	} {
		cmd := exec.CommandContext(t.Context(), filepath.Join(bin, c[0]), append(c[1:], "--data-dir", data)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", c[0], err, out)
		}
	}

	type goSide struct {
		rows    int64
		columns []string
		sums    map[string]float64
	}
	want := map[string]*goSide{}
	for _, split := range []string{"train", "test"} {
		p := filepath.Join(data, "processed", split+".parquet")
		g := &goSide{columns: wantColumns[nba.Shot](), sums: map[string]float64{}}
		n, err := parquetio.Each(t.Context(), p, func(b []nba.Shot) error {
			for i := range b {
				g.sums["shot_made_flag"] += float64(b[i].ShotMadeFlag)
				g.sums["x_location"] += float64(b[i].XLocation)
				g.sums["game_date"] += float64(b[i].GameDate)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		g.rows = n
		want[p] = g

		p = filepath.Join(data, "features", split+".parquet")
		g = &goSide{columns: wantColumns[features.Row](), sums: map[string]float64{}}
		n, err = parquetio.Each(t.Context(), p, func(b []features.Row) error {
			for i := range b {
				for _, c := range []string{"shot_made_flag", "Shot_Distance", "Action_Type_Frequency"} {
					g.sums[c] += column(t, &b[i], c)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		g.rows = n
		want[p] = g
	}
	ask := map[string][]string{}
	for p, g := range want {
		for c := range g.sums {
			ask[p] = append(ask[p], c)
		}
	}
	arg, _ := json.Marshal(ask)
	cmd := exec.CommandContext(t.Context(), node, filepath.Join("testdata", "duckdb", "read.cjs"), string(arg))
	cmd.Env = append(os.Environ(), "NBA_DUCKDB_DIR="+duckdir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("DuckDB reader: %v\n%s", err, stderr.String())
	}
	var got map[string]duckdbView
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("DuckDB reader output: %v\n%s", err, out)
	}

	for p, g := range want {
		name, _ := filepath.Rel(data, p)
		v, ok := got[p]
		if !ok {
			t.Errorf("%s: DuckDB returned nothing", name)
			continue
		}
		if g.rows == 0 || v.Rows != float64(g.rows) {
			t.Errorf("%s: DuckDB counts %v rows, the Go reader %d", name, v.Rows, g.rows)
		}
		var cols []string
		for _, c := range v.Columns {
			cols = append(cols, c.Name+" "+c.Type)
		}
		if diff := cmp.Diff(g.columns, cols); diff != "" {
			t.Errorf("%s: columns (-Go struct +DuckDB):\n%s", name, diff)
		}
		for c, w := range g.sums {
			if s := v.Sums[c]; math.Abs(s-w) > 1e-6*math.Max(1, math.Abs(w)) {
				t.Errorf("%s: sum(%s) = %v in DuckDB, %v in Go", name, c, s, w)
			}
		}
	}
	// The processed splits hold every ingested row once.
	var rep struct {
		TrainRows int64 `json:"train_rows"`
		TestRows  int64 `json:"test_rows"`
	}
	b, err := os.ReadFile(filepath.Join(data, "processed", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	train, test := got[filepath.Join(data, "processed", "train.parquet")], got[filepath.Join(data, "processed", "test.parquet")]
	if train.Rows != float64(rep.TrainRows) || test.Rows != float64(rep.TestRows) {
		t.Errorf("DuckDB counts %v train and %v test rows; process's manifest says %d and %d", train.Rows, test.Rows, rep.TrainRows, rep.TestRows)
	}
}
