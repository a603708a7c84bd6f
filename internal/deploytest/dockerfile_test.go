package deploytest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// binaries are the programs of cmd/, each with a stage of the same name in
// deploy/Dockerfile.
var binaries = []string{"generate-data", "ingest", "process", "featurize", "train", "infer", "predictd", "apid"}

// stage is one build stage of a Dockerfile: its FROM line and instructions.
type stage struct {
	name, from   string
	instructions []string // continuation lines joined, comments dropped
}

// copies reports whether the stage copies a file to dst.
func (s stage) copies(dst string) bool {
	for _, in := range s.instructions {
		f := strings.Fields(in)
		if len(f) >= 3 && strings.EqualFold(f[0], "COPY") && f[len(f)-1] == dst {
			return true
		}
	}
	return false
}

// instruction returns the arguments of the last instruction named kw.
func (s stage) instruction(kw string) string {
	var got string
	for _, in := range s.instructions {
		f, rest, _ := strings.Cut(in, " ")
		if strings.EqualFold(f, kw) {
			got = strings.TrimSpace(rest)
		}
	}
	return got
}

// dockerfile is a parsed Dockerfile: global ARG defaults and its stages.
type dockerfile struct {
	args   map[string]string
	stages []stage
}

// parseDockerfile splits a Dockerfile into instructions and stages. It knows
// just enough of the syntax for these checks: comments, line continuations,
// global ARG defaults and FROM ... AS name.
func parseDockerfile(b []byte) (dockerfile, error) {
	df := dockerfile{args: map[string]string{}}
	var lines []string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if l, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(l)
			cur.WriteString(" ")
			continue
		}
		cur.WriteString(line)
		lines = append(lines, strings.Join(strings.Fields(cur.String()), " "))
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		return df, err
	}
	for i, in := range lines {
		kw, rest, _ := strings.Cut(in, " ")
		switch strings.ToUpper(kw) {
		case "FROM":
			f := strings.Fields(rest)
			st := stage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			} else if len(f) != 1 {
				return df, fmt.Errorf("instruction %d: cannot parse %q", i+1, in)
			}
			df.stages = append(df.stages, st)
		case "ARG":
			if len(df.stages) == 0 {
				k, v, _ := strings.Cut(rest, "=")
				df.args[k] = v
				continue
			}
			fallthrough
		default:
			if len(df.stages) == 0 {
				return df, fmt.Errorf("instruction %d: %q before the first FROM", i+1, in)
			}
			last := &df.stages[len(df.stages)-1]
			last.instructions = append(last.instructions, in)
		}
	}
	return df, nil
}

// mustParseDockerfile reads and parses a Dockerfile.
func mustParseDockerfile(tb testing.TB, path string) dockerfile {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	df, err := parseDockerfile(b)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return df
}

// dockerfileStages returns the stage names of the Dockerfile at path.
func dockerfileStages(tb testing.TB, path string) []string {
	tb.Helper()
	var names []string
	for _, s := range mustParseDockerfile(tb, path).stages {
		names = append(names, s.name)
	}
	return names
}

// dockerfileStage returns the named stage of the Dockerfile at path.
func dockerfileStage(tb testing.TB, path, name string) stage {
	tb.Helper()
	for _, s := range mustParseDockerfile(tb, path).stages {
		if s.name == name {
			return s
		}
	}
	tb.Fatalf("%s has no stage %q", path, name)
	return stage{}
}

// imageTag returns the tag of an image reference ("" when it has none).
func imageTag(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		return ref[colon+1:]
	}
	return ""
}

// versionTagRE matches tags that name a release: 16.6-bookworm, v2.55.1, 1.26.8.
var versionTagRE = regexp.MustCompile(`^v?\d+(\.\d+)+([-.][a-z0-9.]+)*$`)

// checkPinnedImage requires an image reference with a release tag or a
// digest. Floating tags that name a variant (distroless's "nonroot") are
// accepted only from the allowlist, where no release tag exists.
func checkPinnedImage(ref string) error {
	if ref == "" {
		return fmt.Errorf("no image and no build")
	}
	if strings.Contains(ref, "@sha256:") {
		return nil
	}
	tag := imageTag(ref)
	switch {
	case tag == "":
		return fmt.Errorf("image %q has no tag (means latest)", ref)
	case tag == "latest":
		return fmt.Errorf("image %q uses latest", ref)
	case versionTagRE.MatchString(tag):
		return nil
	case ref == "gcr.io/distroless/static-debian12:nonroot":
		// Distroless publishes no versioned tags; the Debian release is in the name.
		return nil
	}
	return fmt.Errorf("image %q: tag %q is not a release version", ref, tag)
}

func TestCheckPinnedImage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref    string
		wantOK bool
	}{
		{"postgres:16.6-bookworm", true},
		{"prom/prometheus:v2.55.1", true},
		{"grafana/grafana:11.3.1", true},
		{"golang:1.26.8-bookworm", true},
		{"ghcr.io/mlflow/mlflow:v2.18.0", true},
		{"localhost:5000/x@sha256:" + strings.Repeat("a", 64), true},
		{"gcr.io/distroless/static-debian12:nonroot", true},
		{"postgres", false},
		{"postgres:latest", false},
		{"localhost:5000/postgres", false},
		{"grafana/grafana:main", false},
		{"golang:1", false},
		{"", false},
	}
	for _, tt := range tests {
		if err := checkPinnedImage(tt.ref); (err == nil) != tt.wantOK {
			t.Errorf("checkPinnedImage(%q) = %v, want ok %v", tt.ref, err, tt.wantOK)
		}
	}
}

// TestDockerfile checks deploy/Dockerfile: pinned base images, a static
// trimmed build, a non-root runtime, one stage per binary whose entrypoint
// is that binary, and no secret in ARG or ENV.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	path := filepath.Join(root, dockerfilePath)
	df := mustParseDockerfile(t, path)
	names := map[string]stage{}
	for _, s := range df.stages {
		names[s.name] = s
	}

	for _, s := range df.stages {
		from := s.from
		if strings.HasPrefix(from, "${") {
			v, ok := df.args[strings.Trim(from, "${}")]
			if !ok {
				t.Errorf("stage %s: FROM %s: no global ARG default", s.name, from)
				continue
			}
			from = v
		}
		if _, isStage := names[from]; isStage {
			continue
		}
		if s.name == "predictd-bundled" && from == "predictd" {
			continue
		}
		if err := checkPinnedImage(from); err != nil {
			t.Errorf("stage %s: %v", s.name, err)
		}
	}
	if got := df.args["GO_IMAGE"]; !strings.HasPrefix(got, "golang:1.26") {
		t.Errorf("GO_IMAGE = %q, want golang:1.26.x", got)
	}
	if got := df.args["RUNTIME_IMAGE"]; !strings.HasPrefix(got, "gcr.io/distroless/static") || !strings.HasSuffix(got, ":nonroot") {
		t.Errorf("RUNTIME_IMAGE = %q, want distroless static, nonroot", got)
	}

	build := names["build"]
	buildText := strings.Join(build.instructions, "\n")
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/...", "./deploy/healthcheck"} {
		if !strings.Contains(buildText, want) {
			t.Errorf("build stage lacks %q", want)
		}
	}
	if got := names["runtime"].instruction("USER"); got != "65532:65532" {
		t.Errorf("runtime USER = %q, want 65532:65532 (distroless nonroot)", got)
	}

	for _, bin := range binaries {
		s, ok := names[bin]
		if !ok {
			t.Errorf("no stage %q", bin)
			continue
		}
		if s.from != "runtime" {
			t.Errorf("stage %s is FROM %s, want runtime", bin, s.from)
		}
		if !s.copies("/app/" + bin) {
			t.Errorf("stage %s does not copy /app/%s", bin, bin)
		}
		if got, want := s.instruction("ENTRYPOINT"), fmt.Sprintf(`["/app/%s"]`, bin); got != want {
			t.Errorf("stage %s ENTRYPOINT %s, want %s", bin, got, want)
		}
	}
	for _, daemon := range []string{"predictd", "apid"} {
		if hc := names[daemon].instruction("HEALTHCHECK"); !strings.Contains(hc, `"/healthcheck"`) || !names[daemon].copies("/healthcheck") {
			t.Errorf("stage %s: HEALTHCHECK %q must run the /healthcheck probe it copies", daemon, hc)
		}
	}

	for _, s := range df.stages {
		for _, in := range s.instructions {
			kw, rest, _ := strings.Cut(in, " ")
			if kw != "ENV" && kw != "ARG" {
				continue
			}
			for _, f := range strings.Fields(rest) {
				k, _, _ := strings.Cut(f, "=")
				if looksSecretKey(k) {
					t.Errorf("stage %s: %s %s: secrets are never build args or image env", s.name, kw, k)
				}
			}
		}
	}

	ignore := string(readRepoFile(t, "deploy/Dockerfile.dockerignore"))
	for _, want := range []string{".env", "data/", "trained_models/", ".git", "secrets/"} {
		if !slices.Contains(strings.Split(ignore, "\n"), want) {
			t.Errorf("deploy/Dockerfile.dockerignore does not exclude %q", want)
		}
	}
}

func TestParseDockerfile(t *testing.T) {
	t.Parallel()
	src := "# c\nARG A=x:1\nFROM ${A} AS one\nRUN a \\\n  # inner comment\n  b\nFROM one\nCOPY --from=one /x /y\n"
	df, err := parseDockerfile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if df.args["A"] != "x:1" || len(df.stages) != 2 {
		t.Fatalf("parseDockerfile = %+v", df)
	}
	if got := df.stages[0].instructions; !slices.Equal(got, []string{"RUN a b"}) {
		t.Errorf("stage one instructions = %q", got)
	}
	if !df.stages[1].copies("/y") || df.stages[1].copies("/x") {
		t.Errorf("copies: %+v", df.stages[1])
	}
	if _, err := parseDockerfile([]byte("RUN x\n")); err == nil {
		t.Error("instruction before FROM: no error")
	}
}
