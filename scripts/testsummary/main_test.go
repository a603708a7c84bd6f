package main

import (
	"strings"
	"testing"
)

// events is a small go test -json stream: a pass, a failure with its log,
// two skips with the same reason and one with another, package lines and a
// build failure.
const events = `{"Action":"start","Package":"a"}
{"Action":"run","Package":"a","Test":"TestOK"}
{"Action":"output","Package":"a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"pass","Package":"a","Test":"TestOK"}
{"Action":"run","Package":"a","Test":"TestBad"}
{"Action":"output","Package":"a","Test":"TestBad","Output":"    a_test.go:9: got 1, want 2\n"}
{"Action":"output","Package":"a","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"a","Test":"TestBad"}
{"Action":"output","Package":"a","Test":"TestDB","Output":"--- SKIP: TestDB (0.00s)\n"}
{"Action":"output","Package":"a","Test":"TestDB","Output":"    db_test.go:20: TEST_DATABASE_URL is unset; set it to a PostgreSQL URL to run\n"}
{"Action":"skip","Package":"a","Test":"TestDB"}
{"Action":"output","Package":"a","Test":"TestDB2","Output":"    db_test.go:20: TEST_DATABASE_URL is unset; set it to a PostgreSQL URL to run\n"}
{"Action":"skip","Package":"a","Test":"TestDB2"}
{"Action":"output","Package":"a","Test":"TestSample","Output":"    s.go:30: NBA_SAMPLE_CSV is unset; set it to the real sample to run\n"}
{"Action":"skip","Package":"a","Test":"TestSample"}
{"Action":"output","Package":"a","Output":"PASS\n"}
{"Action":"output","Package":"a","Output":"FAIL\ta\t0.01s\n"}
{"Action":"fail","Package":"a"}
{"ImportPath":"b","Action":"build-output","Output":"b/b.go:3:1: syntax error\n"}
{"ImportPath":"b","Action":"build-fail"}
`

func TestSummarize(t *testing.T) {
	var out strings.Builder
	failed, err := summarize(strings.NewReader(events), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !failed {
		t.Error("failed = false, want true")
	}
	got := out.String()
	for _, want := range []string{
		"    a_test.go:9: got 1, want 2\n--- FAIL: TestBad (0.00s)\n",
		"FAIL\ta\t0.01s\n",
		"b/b.go:3:1: syntax error\n",
		"3 tests were skipped:\n     2  TEST_DATABASE_URL is unset; set it to a PostgreSQL URL to run\n     1  NBA_SAMPLE_CSV is unset",
		"export TEST_DATABASE_URL=",
		"export NBA_SAMPLE_CSV=",
		"tests: 1 passed, 1 failed, 3 skipped\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"=== RUN   TestOK", "PASS\n"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("output has %q, which plain go test would not print:\n%s", unwanted, got)
		}
	}
}

func TestSummarizeAllPass(t *testing.T) {
	var out strings.Builder
	failed, err := summarize(strings.NewReader(`{"Action":"pass","Package":"a","Test":"TestOK"}
{"Action":"output","Package":"a","Output":"ok  \ta\t0.01s\n"}
{"Action":"pass","Package":"a"}
`), &out)
	if err != nil || failed {
		t.Fatalf("summarize = %v, %v; want no failure", failed, err)
	}
	if !strings.HasSuffix(out.String(), "ok  \ta\t0.01s\n\ntests: 1 passed, 0 failed, 0 skipped\n") {
		t.Errorf("output:\n%s", out.String())
	}
}
