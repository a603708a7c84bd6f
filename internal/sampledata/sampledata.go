// Package sampledata finds the real shot sample that lives outside the
// repository (../shared/data/nba-shots-sample.csv). The sample must never be
// committed, so tests that need it skip when it is absent, except under
// NBA_REQUIRE_INTEGRATION=1, where a missing sample is a failure.
package sampledata

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of the real sample CSV, from NBA_SAMPLE_CSV or found
// by walking up from the working directory to ../shared/data. It skips the
// test when the file is absent and integration is not required.
func Path(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("NBA_SAMPLE_CSV"); p != "" {
		if _, err := os.Stat(p); err != nil {
			tb.Fatalf("NBA_SAMPLE_CSV=%s: %v", p, err)
		}
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		for _, rel := range []string{"shared/data/nba-shots-sample.csv", "../shared/data/nba-shots-sample.csv"} {
			p := filepath.Join(dir, rel)
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if os.Getenv("NBA_REQUIRE_INTEGRATION") == "1" {
		tb.Fatal("real sample nba-shots-sample.csv not found (set NBA_SAMPLE_CSV); required under NBA_REQUIRE_INTEGRATION=1")
	}
	tb.Skip("real sample nba-shots-sample.csv not found; set NBA_SAMPLE_CSV to run")
	return ""
}
