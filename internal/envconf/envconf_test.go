package envconf

import (
	"flag"
	"strings"
	"testing"
)

func TestOr(t *testing.T) {
	env := map[string]string{"SET": "x", "EMPTY": ""}
	getenv := func(k string) string { return env[k] }
	for _, tt := range []struct{ key, want string }{{"SET", "x"}, {"EMPTY", "def"}, {"UNSET", "def"}} {
		if got := Or(getenv, tt.key, "def"); got != tt.want {
			t.Errorf("Or(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestSetUsage(t *testing.T) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var out strings.Builder
	fs.Int("rows", 10, "how many `N` rows")
	SetUsage(fs, &out, []string{"demo [flags]", "demo other"}, "Demonstrates the help.", []string{"DEMO_ROWS", "LOG_LEVEL"})
	if err := fs.Parse([]string{"-h"}); err != flag.ErrHelp {
		t.Fatalf("Parse(-h) = %v, want flag.ErrHelp", err)
	}
	got := out.String()
	for _, want := range []string{"Usage: demo [flags]\n       demo other\n", "\nDemonstrates the help.\n", "\nFlags:\n", "-rows N", "\nEnvironment (a flag given on the command line wins):\n  DEMO_ROWS LOG_LEVEL\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("help lacks %q:\n%s", want, got)
		}
	}
}
