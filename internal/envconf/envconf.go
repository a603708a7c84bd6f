// Package envconf is where every binary's flags meet the environment: flag
// defaults read from environment variables (each binary takes its getenv as
// a parameter, so tests pass their own), and the one --help layout that
// lists both.
package envconf

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// Or returns getenv(key), or def when the variable is unset or empty.
func Or(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// SetUsage gives fs the --help every binary prints: the Usage line(s), one
// line saying what the binary does, its flags, and the environment variables
// it reads. synopsis is one or more command lines without "Usage: ".
func SetUsage(fs *flag.FlagSet, w io.Writer, synopsis []string, summary string, env []string) {
	fs.Usage = func() {
		for i, s := range synopsis {
			prefix := "Usage: "
			if i > 0 {
				prefix = "       "
			}
			fmt.Fprintf(w, "%s%s\n", prefix, s)
		}
		fmt.Fprintf(w, "\n%s\n\nFlags:\n", summary)
		fs.SetOutput(w)
		fs.PrintDefaults()
		if len(env) > 0 {
			fmt.Fprintf(w, "\nEnvironment (a flag given on the command line wins):\n%s\n", wrap(env, 100))
		}
	}
}

// wrap lists names on indented lines of at most width characters.
func wrap(names []string, width int) string {
	var b strings.Builder
	line := 2
	b.WriteString("  ")
	for i, n := range names {
		if i > 0 && line+1+len(n) > width {
			b.WriteString("\n  ")
			line = 2
		} else if i > 0 {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(n)
		line += len(n)
	}
	return b.String()
}
