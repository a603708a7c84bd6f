package k8s

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// overlays are the environments deploy/k8s/overlays provides.
var overlays = []string{"dev", "prod"}

// integrationRequired reports whether a missing tool is a failure (.ci/run
// sets NBA_REQUIRE_INTEGRATION=1) rather than a reason to skip.
func integrationRequired() bool { return testenv.Required() }

// needTool returns the path of an external program: env (when set) names
// it, otherwise PATH is searched for name. Missing, it skips the test, or
// fails it under NBA_REQUIRE_INTEGRATION=1.
func needTool(tb testing.TB, env, name string) string {
	tb.Helper()
	if env != "" {
		if p := os.Getenv(env); p != "" {
			if _, err := os.Stat(p); err != nil {
				tb.Fatalf("%s=%s: %v", env, p, err)
			}
			return p
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		missing(tb, name+" not found in PATH")
	}
	return p
}

// missing skips the test, or fails it under NBA_REQUIRE_INTEGRATION=1.
func missing(tb testing.TB, why string) {
	tb.Helper()
	if integrationRequired() {
		tb.Fatalf("%s (NBA_REQUIRE_INTEGRATION=1: the manifests must be checked)", why)
	}
	tb.Skipf("%s; set NBA_REQUIRE_INTEGRATION=1 to make this a failure", why)
}

// here is deploy/k8s, the directory of this package (go test runs in it).
func here(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("runtime.Caller failed")
	}
	return filepath.Dir(file)
}

// rendered is one overlay as kubectl kustomize renders it.
type rendered struct {
	YAML    []byte           // the kustomize output, as applied
	Docs    []map[string]any // the same, one map per object
	Secrets map[string]string
}

// render copies deploy/k8s to a temporary directory, writes every secret
// file an overlay's secretGenerator reads (fresh random values; the real
// files are never in the repository) and renders the overlay with kubectl
// kustomize.
func render(tb testing.TB, kubectl, overlay string) *rendered {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "k8s")
	if err := os.CopyFS(dir, os.DirFS(here(tb))); err != nil {
		tb.Fatalf("copy deploy/k8s: %v", err)
	}
	secrets := map[string]string{}
	examples, err := filepath.Glob(filepath.Join(dir, "overlays", overlay, "secrets", "*.example"))
	if err != nil || len(examples) == 0 {
		tb.Fatalf("overlay %s: no secrets/*.example files (%v)", overlay, err)
	}
	for _, ex := range examples {
		// Overwrites a real (git-ignored) file the working tree may hold.
		real := strings.TrimSuffix(ex, ".example")
		v := secretValue(tb, filepath.Base(real))
		if err := os.WriteFile(real, []byte(v), 0o600); err != nil {
			tb.Fatal(err)
		}
		secrets[filepath.Base(real)] = v
	}
	out := run(tb, nil, kubectl, "kustomize", filepath.Join(dir, "overlays", overlay))
	return &rendered{YAML: out, Docs: decodeDocs(tb, out), Secrets: secrets}
}

// secretValue is a test value for the secret file name: the shape its
// consumer expects, random where it is a credential.
func secretValue(tb testing.TB, name string) string {
	tb.Helper()
	switch name {
	case "host":
		return "postgres.test.invalid"
	case "port":
		return "5432"
	case "dbname", "user":
		return "nba"
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// run runs a command and returns its stdout; a non-zero exit fails the test
// with stderr.
func run(tb testing.TB, stdin []byte, name string, args ...string) []byte {
	tb.Helper()
	out, stderr, err := runErr(stdin, name, args...)
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr)
	}
	return out
}

// runErr runs a command and returns stdout, stderr and the exit error.
func runErr(stdin []byte, name string, args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.Bytes(), e.Bytes(), err
}

// decodeDocs splits a multi-document YAML stream into one map per object.
func decodeDocs(tb testing.TB, b []byte) []map[string]any {
	tb.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("decode kustomize output: %v", err)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
	return docs
}

// encodeDocs writes objects back as one YAML stream.
func encodeDocs(tb testing.TB, docs []map[string]any) []byte {
	tb.Helper()
	var buf bytes.Buffer
	for _, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			tb.Fatal(err)
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	return buf.Bytes()
}

// find returns the objects of a kind, by name.
func (r *rendered) find(kind string) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, d := range r.Docs {
		if d["kind"] == kind {
			m[str(get(d, "metadata", "name"))] = d
		}
	}
	return m
}

// get walks nested maps (string keys) and lists (int indexes); nil when a
// step is missing.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}
