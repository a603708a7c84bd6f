package featuretest

import (
	"bufio"
	"flag"
	"os"
	"strconv"
	"testing"
)

var writeSynthetic = flag.String("write-synthetic", "", "write N synthetic rows to this CSV file: -write-synthetic=FILE:N[:SEED]")

// TestWriteSynthetic writes a synthetic Kaggle CSV for benchmarks of the
// pipeline binaries when -write-synthetic is given, e.g.
//
//	go test ./internal/features/featuretest -run WriteSynthetic -write-synthetic=/tmp/shots.csv:1000000
func TestWriteSynthetic(t *testing.T) {
	if *writeSynthetic == "" {
		t.Skip("no -write-synthetic")
	}
	path, n, seed := *writeSynthetic, 0, uint64(1)
	parts := splitColon(path)
	path = parts[0]
	if len(parts) > 1 {
		n, _ = strconv.Atoi(parts[1])
	}
	if len(parts) > 2 {
		seed, _ = strconv.ParseUint(parts[2], 10, 64)
	}
	if n <= 0 {
		t.Fatalf("-write-synthetic=%s: want FILE:N", *writeSynthetic)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := WriteCSV(w, seed, n); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func splitColon(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == ':' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
