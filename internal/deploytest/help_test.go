package deploytest

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHelpLayout: every binary answers --help in one layout: a Usage line, one
// line saying what it does, its flags, and the environment variables it reads;
// it exits 0. Flags that take numbers are typed as numbers.
func TestHelpLayout(t *testing.T) {
	bin := builtBinaries(t)
	help := regexp.MustCompile(`^Usage: \S+.*\n(       .*\n)*\n[A-Z][^\n]+\.\n\nFlags:\n(  -.*\n(    	.*\n)*)+\nEnvironment \(a flag given on the command line wins\):\n(  [A-Z_ ]+\n)+$`)
	numeric := map[string][]string{"generate-data": {"fraction", "synthetic", "seed"}, "train": {"seed", "C", "threshold", "workers", "cv-folds"}}
	for _, args := range [][]string{
		{"generate-data"}, {"ingest"}, {"process"}, {"featurize"}, {"train"}, {"infer"},
		{"predictd"}, {"apid"}, {"apid", "export-feedback"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(filepath.Join(bin, args[0]), append(args[1:], "--help")...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("--help: %v, want exit 0\n%s", err, out)
			}
			if !help.Match(out) {
				t.Errorf("--help does not follow the layout:\n%s", out)
			}
			for _, name := range numeric[args[0]] {
				if regexp.MustCompile(`\n  -` + name + ` string\n`).Match(out) {
					t.Errorf("--%s is shown as a string; it takes a number", name)
				}
			}
		})
	}
}

// TestREADMEListsEveryFlag: the README's flag tables name every flag of every
// binary, as `--name`.
func TestREADMEListsEveryFlag(t *testing.T) {
	bin := builtBinaries(t)
	readme := string(readRepoFile(t, "README.md"))
	flagLine := regexp.MustCompile(`(?m)^  -([A-Za-z][A-Za-z0-9-]*)`)
	for _, args := range [][]string{
		{"generate-data"}, {"ingest"}, {"process"}, {"featurize"}, {"train"}, {"infer"},
		{"predictd"}, {"apid"}, {"apid", "export-feedback"},
	} {
		out, err := exec.Command(filepath.Join(bin, args[0]), append(args[1:], "--help")...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v --help: %v\n%s", args, err, out)
		}
		for _, m := range flagLine.FindAllStringSubmatch(string(out), -1) {
			if !strings.Contains(readme, "`--"+m[1]) {
				t.Errorf("README.md does not list %s's --%s", strings.Join(args, " "), m[1])
			}
		}
	}
}
