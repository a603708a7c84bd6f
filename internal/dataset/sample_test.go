package dataset

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/sampledata"
)

func readAll(tb testing.TB, r io.Reader, name string) []nba.Shot {
	tb.Helper()
	rd, err := NewReader(r, name)
	if err != nil {
		tb.Fatal(err)
	}
	var out []nba.Shot
	var rep Report
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		var s nba.Shot
		if !Check(rec.Fields, &s, &rep) {
			tb.Fatalf("%s:%d: %s", name, rec.Line, rep.Detail())
		}
		out = append(out, s)
	}
}

// TestSampleRoundTrip reads the real sample, writes it and reads it back:
// the records and the bytes must be identical, and every row must pass the
// validator with no hard error.
func TestSampleRoundTrip(t *testing.T) {
	path := sampledata.Path(t)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	shots := readAll(t, bytes.NewReader(src), path)
	if len(shots) != 1000 {
		t.Fatalf("read %d rows, want 1000", len(shots))
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteHeader(); err != nil {
		t.Fatal(err)
	}
	for i := range shots {
		if err := w.Write(&shots[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), src) {
		t.Errorf("written bytes differ from the sample (%d vs %d bytes)", buf.Len(), len(src))
	}
	again := readAll(t, bytes.NewReader(buf.Bytes()), "rewritten")
	for i := range shots {
		if shots[i] != again[i] {
			t.Fatalf("row %d differs after round trip:\n%+v\n%+v", i, shots[i], again[i])
		}
	}
}

// TestSampleWarnings pins how many warnings the real sample raises per rule,
// so a change in a threshold shows up here.
func TestSampleWarnings(t *testing.T) {
	path := sampledata.Path(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := NewReader(f, path)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	var rep Report
	var s nba.Shot
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !Check(rec.Fields, &s, &rep) {
			t.Errorf("line %d: %s", rec.Line, rep.Detail())
		}
		for _, w := range rep.Warnings {
			counts[w.Rule]++
		}
	}
	t.Logf("warnings on the real sample: %v", counts)
	for rule, n := range counts {
		if n > 100 {
			t.Errorf("rule %s warns on %d of 1000 real rows: too noisy to be useful", rule, n)
		}
	}
}
