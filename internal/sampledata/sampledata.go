// Package sampledata finds the real shot sample, a 1000-row slice of the
// Kaggle data set that is kept outside the repository and must never be
// committed. NBA_SAMPLE_CSV names it (.ci/run sets it when the sample is
// beside the checkout). Tests that need it skip when it is unset, except
// under NBA_REQUIRE_INTEGRATION=1, where a missing sample is a failure.
package sampledata

import (
	"os"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// Path returns the path of the real sample CSV named by NBA_SAMPLE_CSV. It
// skips the test when the variable is unset and integration is not required.
func Path(tb testing.TB) string {
	tb.Helper()
	p := os.Getenv("NBA_SAMPLE_CSV")
	if p == "" {
		testenv.Missing(tb, "NBA_SAMPLE_CSV is unset; set it to the real sample nba-shots-sample.csv to run")
		return ""
	}
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("NBA_SAMPLE_CSV=%s: %v", p, err)
	}
	return p
}
