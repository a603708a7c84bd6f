// Command testsummary reads `go test -json` on stdin and prints what plain
// `go test` prints (a line per package, the output of failed tests, build
// errors and race reports), then says how many tests were skipped and why,
// and how to run them. It exits 1 when a test or a build failed, so
// `set -o pipefail; go test -json ./... | go run ./scripts/testsummary` keeps
// the exit status right.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

func main() {
	failed, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// event is one line of test2json's output.
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	ImportPath  string
	FailedBuild string
}

// hint says how to provide what a skip message names.
var hints = []struct{ needle, hint string }{
	{"TEST_DATABASE_URL", "export TEST_DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/DB?sslmode=disable (a role that may create schemas)"},
	{"NBA_SAMPLE_CSV", "export NBA_SAMPLE_CSV=/path/to/nba-shots-sample.csv (the real 1000-row sample, kept outside the repository)"},
	{"Chromium", "apt-get install chromium (or set CHROMIUM_PATH)"},
	{"node is not installed", "apt-get install nodejs npm"},
	{"NBA_DUCKDB_DIR", "export NBA_DUCKDB_DIR=DIR after (cd DIR && cp REPO/internal/deploytest/testdata/duckdb/package*.json . && npm ci)"},
}

// location strips the "file_test.go:123: " a test log line starts with.
var location = regexp.MustCompile(`^\s+\S+\.go:\d+: `)

// summarize copies the essential output of the events on r to w and reports
// whether anything failed.
func summarize(r io.Reader, w io.Writer) (failed bool, err error) {
	type key struct{ pkg, test string }
	buf := map[key][]string{}
	reasons := map[string]int{}
	var passed, fails, skipped int
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if json.Unmarshal(line, &e) != nil || e.Action == "" {
			fmt.Fprintf(w, "%s\n", line) // not an event: go test's own words
			continue
		}
		k := key{e.Package, e.Test}
		switch {
		case e.Action == "build-output":
			fmt.Fprint(w, e.Output)
		case e.Action == "build-fail":
			failed = true
		case e.Test == "" && e.Action == "output":
			if keepPackageLine(e.Output) {
				fmt.Fprint(w, e.Output)
			}
		case e.Test == "" && e.Action == "fail":
			failed = true
		case e.Test == "":
			// a package's start, pass or skip (no test files): its line was output
		case e.Action == "output":
			buf[k] = append(buf[k], e.Output)
		case e.Action == "pass":
			passed++
			delete(buf, k)
		case e.Action == "fail":
			fails++
			failed = true
			for _, l := range buf[k] {
				fmt.Fprint(w, l)
			}
			delete(buf, k)
		case e.Action == "skip":
			skipped++
			reasons[skipReason(buf[k])]++
			delete(buf, k)
		}
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	fmt.Fprintln(w)
	if skipped > 0 {
		fmt.Fprintf(w, "%d tests were skipped:\n", skipped)
		type row struct {
			reason string
			n      int
		}
		var rows []row
		for r, n := range reasons {
			rows = append(rows, row{r, n})
		}
		sort.Slice(rows, func(i, j int) bool {
			if rows[i].n != rows[j].n {
				return rows[i].n > rows[j].n
			}
			return rows[i].reason < rows[j].reason
		})
		seen := map[string]bool{}
		var todo []string
		for _, r := range rows {
			fmt.Fprintf(w, "  %4d  %s\n", r.n, r.reason)
			for _, h := range hints {
				if strings.Contains(r.reason, h.needle) && !seen[h.hint] {
					seen[h.hint] = true
					todo = append(todo, h.hint)
				}
			}
		}
		fmt.Fprintln(w, "To run them:")
		for _, h := range todo {
			fmt.Fprintf(w, "  %s\n", h)
		}
		fmt.Fprintln(w, "  or run everything as CI does: sudo bash .ci/run (installs and starts PostgreSQL, Prometheus, Chromium, ...)")
	}
	fmt.Fprintf(w, "tests: %d passed, %d failed, %d skipped\n", passed, fails, skipped)
	return failed, nil
}

// keepPackageLine reports whether a package-level output line belongs in a
// plain run's output: the ok/FAIL/no-test-files lines and anything unusual
// (a panic, a race report, a TestMain's own output), not the bare PASS.
func keepPackageLine(s string) bool {
	t := strings.TrimSpace(s)
	return t != "" && t != "PASS" && !strings.HasPrefix(t, "=== ") && !strings.HasPrefix(t, "--- ")
}

// skipReason is the last message a skipped test logged, without its file
// and line, or "no reason given".
func skipReason(lines []string) string {
	reason := ""
	for _, l := range lines {
		if location.MatchString(l) {
			reason = strings.TrimSpace(location.ReplaceAllString(l, ""))
		}
	}
	if reason == "" {
		return "no reason given"
	}
	return reason
}
