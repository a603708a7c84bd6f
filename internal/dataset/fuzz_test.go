package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/sampledata"
)

var kaggleHeader = strings.Join(nba.Columns(), ",") + "\n"

// FuzzParseShotRow feeds arbitrary lines through the reader and the
// validator. Properties: nothing panics, and a row that validates writes
// back to exactly the fields it was read from.
func FuzzParseShotRow(f *testing.F) {
	s := base()
	f.Add(strings.TrimSuffix(string(AppendShot(nil, &s)), "\n"))
	s = at(base(), 0, 0)
	f.Add(strings.TrimSuffix(string(AppendShot(nil, &s)), "\n"))
	f.Add(`21200457,210,203078,"O'Neal, Shaquille",1610612764,Washington Wizards,2,7,41,Jump Shot,2PT Field Goal,Mid-Range,Left Side Center(LC),16-24 ft.,17,-96,145,0,20130108,WAS,BOS,Regular Season`)
	f.Add("1,2,3")
	if os.Getenv("NBA_SAMPLE_CSV") != "" {
		if b, err := os.ReadFile(sampledata.Path(f)); err == nil {
			sc := bufio.NewScanner(bytes.NewReader(b))
			sc.Scan() // header
			for i := 0; sc.Scan() && i < 200; i++ {
				f.Add(sc.Text())
			}
		}
	}
	f.Fuzz(func(t *testing.T, line string) {
		rd, err := NewReader(strings.NewReader(kaggleHeader+line+"\n"), "fuzz")
		if err != nil {
			t.Fatalf("header rejected: %v", err)
		}
		var rep Report
		for {
			rec, err := rd.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var re *RowError
				if !errors.As(err, &re) {
					t.Fatalf("Read: %v", err)
				}
				continue
			}
			var s nba.Shot
			if !Check(rec.Fields, &s, &rep) {
				continue
			}
			out, err := NewReader(strings.NewReader(kaggleHeader+string(AppendShot(nil, &s))), "again")
			if err != nil {
				t.Fatal(err)
			}
			again, err := out.Read()
			if err != nil {
				t.Fatalf("re-read of a valid row: %v", err)
			}
			if !slices.Equal(again.Fields, rec.Fields) {
				t.Fatalf("valid row did not round-trip:\n in  %q\n out %q", rec.Fields, again.Fields)
			}
		}
	})
}

// benchRows returns n valid synthetic rows as CSV, header first.
func benchRows(n int) []byte {
	pts := [][2]int16{{0, 10}, {-96, 145}, {164, 199}, {-230, 40}, {50, 60}, {10, 300}, {-150, 20}, {0, 0}}
	var buf bytes.Buffer
	buf.WriteString(kaggleHeader)
	for i := 0; i < n; i++ {
		p := pts[i%len(pts)]
		s := at(base(), p[0], p[1])
		s.GameEventID = int32(1 + i%700)
		buf.Write(AppendShot(nil, &s))
	}
	return buf.Bytes()
}

// BenchmarkReadCheck measures the ingest hot path: CSV parsing plus every
// validation rule, per row.
func BenchmarkReadCheck(b *testing.B) {
	data := benchRows(10000)
	b.SetBytes(int64(len(data)) / 10000)
	b.ReportAllocs()
	var rep Report
	var s nba.Shot
	var rd *Reader
	n := 0
	for b.Loop() {
		if rd == nil || n == 10000 {
			rd, _ = NewReader(bytes.NewReader(data), "bench")
			n = 0
		}
		rec, err := rd.Read()
		if err != nil {
			b.Fatal(err)
		}
		n++
		if !Check(rec.Fields, &s, &rep) {
			b.Fatal(rep.Detail())
		}
	}
}

// BenchmarkCheck measures validation alone on parsed fields.
func BenchmarkCheck(b *testing.B) {
	s := base()
	f := fields(&s)
	var rep Report
	var got nba.Shot
	b.ReportAllocs()
	for b.Loop() {
		if !Check(f, &got, &rep) {
			b.Fatal(rep.Detail())
		}
	}
}

// BenchmarkWrite measures formatting one row.
func BenchmarkWrite(b *testing.B) {
	s := base()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendShot(buf[:0], &s)
	}
}
