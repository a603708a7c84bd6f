package parquetio

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

func writeAll[T any](tb testing.TB, path string, rows []T, batch int, opts ...Option) *Writer[T] {
	tb.Helper()
	w, err := Create[T](path, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Abort()
	for i := 0; i < len(rows); i += batch {
		if err := w.Write(rows[i:min(len(rows), i+batch)]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		tb.Fatal(err)
	}
	return w
}

func readAll[T any](tb testing.TB, path string) []T {
	tb.Helper()
	var out []T
	if _, err := Each(tb.Context(), path, func(b []T) error {
		out = append(out, b...)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestShotsRoundTrip writes more than one row group of shots and reads them
// back field for field; the hash names the bytes on disk.
func TestShotsRoundTrip(t *testing.T) {
	t.Parallel()
	shots := featuretest.Shots(3, 5000)
	path := filepath.Join(t.TempDir(), "sub", "shots.parquet")
	w := writeAll(t, path, shots, 700, RowGroupSize(4000))
	if w.Rows() != int64(len(shots)) {
		t.Errorf("Rows() = %d, want %d", w.Rows(), len(shots))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != w.SHA256() {
		t.Errorf("SHA256() = %s, want the hash of the file", w.SHA256())
	}
	r, err := Open[nba.Shot](path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.NumRowGroups() != 2 || r.NumRows() != int64(len(shots)) {
		t.Errorf("%d row groups, %d rows; want 2, %d", r.NumRowGroups(), r.NumRows(), len(shots))
	}
	got := readAll[nba.Shot](t, path)
	if diff := cmp.Diff(shots, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%.2000s", diff)
	}
}

type wide struct {
	I8  int8    `parquet:"i8"`
	I16 int16   `parquet:"i16,dict"`
	I32 int32   `parquet:"i32,dict"`
	I64 int64   `parquet:"i64"`
	F32 float32 `parquet:"f32,dict"`
	F64 float64 `parquet:"f64"`
	S   string  `parquet:"s"` // plain, not dictionary-encoded
	SD  string  `parquet:"sd,dict"`
}

type narrow struct { // a subset with wider Go types: column projection and widening
	F64 float64 `parquet:"f32"`
	I64 int64   `parquet:"i32"`
	S   string  `parquet:"sd"`
}

type mismatched struct {
	S int32 `parquet:"s"`
}

type absent struct {
	X int32 `parquet:"nope"`
}

func TestTypesAndEncodings(t *testing.T) {
	t.Parallel()
	var rows []wide
	for i := range 3000 {
		rows = append(rows, wide{int8(i%200 - 100), int16(i % 7), int32(i % 11 * 1000), int64(i) << 33,
			float32(i%5) / 4, float64(i) / 3, strings.Repeat("x", i%9), []string{"a", "bb", ""}[i%3]})
	}
	path := filepath.Join(t.TempDir(), "wide.parquet")
	writeAll(t, path, rows, 777)
	if diff := cmp.Diff(rows, readAll[wide](t, path)); diff != "" {
		t.Errorf("round trip (-want +got):\n%.2000s", diff)
	}
	got := readAll[narrow](t, path)
	for i, g := range got {
		want := narrow{float64(rows[i].F32), int64(rows[i].I32), rows[i].SD}
		if g != want {
			t.Fatalf("row %d: got %+v, want %+v", i, g, want)
		}
	}

	for _, tt := range []struct {
		name, want string
		open       func() error
	}{
		{"wrong type", `column "s" holds BYTE_ARRAY values, which do not fit Go int32`, func() error {
			_, err := Open[mismatched](path)
			return err
		}},
		{"missing column", `column "nope" is missing`, func() error {
			_, err := Open[absent](path)
			return err
		}},
		{"not parquet", "not a Parquet file", func() error {
			p := filepath.Join(t.TempDir(), "x.parquet")
			os.WriteFile(p, []byte("Game ID,Game Event ID\n"), 0o644)
			_, err := Open[wide](p)
			return err
		}},
	} {
		err := tt.open()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

type small struct {
	V int32 `parquet:"v"`
}

type tooSmall struct {
	V int8 `parquet:"v"`
}

func TestRangeChecked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "v.parquet")
	writeAll(t, path, []small{{1}, {300}}, 10)
	r, err := Open[tooSmall](path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.ReadRowGroup(0, nil)
	if err == nil || !strings.Contains(err.Error(), "300 does not fit int8") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want the file and the value that does not fit", err)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := Create[small](filepath.Join(dir, "v.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]small{{1}}); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("directory holds %d entries after Abort, want 0", len(ents))
	}
}

func BenchmarkReadShots(b *testing.B) {
	shots := featuretest.Shots(1, 1_000_000)
	path := filepath.Join(b.TempDir(), "s.parquet")
	writeAll(b, path, shots, 8192)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Each(b.Context(), path, func([]nba.Shot) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1_000_000, "ns/row")
}
