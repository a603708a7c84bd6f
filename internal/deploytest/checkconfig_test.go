package deploytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// serviceRun is how compose runs one of our binaries: its command line, the
// environment compose sets, the image's own ENV, and the paths that exist
// in the container (volume mounts, secrets).
type serviceRun struct {
	where      string            // "file/service", for messages
	binary     string            // target = binary name
	args       []string          // entrypoint arguments (the image's ENTRYPOINT is the binary)
	env        map[string]string // set by compose: each must be read by the binary
	imageEnv   map[string]string // ENV of the image: present, but not the service's choice
	mounts     []string          // container paths of volumes
	secrets    []string          // names under /run/secrets
	workingDir string
}

// serviceRuns returns the services of a compose project that run one of our
// binaries.
func serviceRuns(tb testing.TB, file string, p *types.Project, imageEnv map[string]string) []serviceRun {
	tb.Helper()
	var runs []serviceRun
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		if s.Build == nil || !slices.Contains(binaries, s.Build.Target) {
			continue
		}
		if len(s.Entrypoint) > 0 {
			tb.Errorf("%s/%s overrides the entrypoint %q; the image's ENTRYPOINT is the binary", file, name, s.Entrypoint)
		}
		r := serviceRun{
			where:      file + "/" + name,
			binary:     s.Build.Target,
			args:       slices.Clone(s.Command),
			env:        map[string]string{},
			imageEnv:   imageEnv,
			workingDir: s.WorkingDir,
		}
		for k, v := range s.Environment {
			if v != nil {
				r.env[k] = *v
			}
		}
		for _, v := range s.Volumes {
			r.mounts = append(r.mounts, v.Target)
		}
		for _, sec := range s.Secrets {
			r.secrets = append(r.secrets, sec.Source)
		}
		runs = append(runs, r)
	}
	return runs
}

// pathMapper rewrites container paths (volume mounts, /run/secrets) to
// directories of a sandbox on this machine.
type pathMapper struct{ from, to []string }

func (m pathMapper) rewrite(s string) string {
	for i, f := range m.from {
		if s == f {
			return m.to[i]
		}
		if rest, ok := strings.CutPrefix(s, f+"/"); ok {
			return filepath.Join(m.to[i], rest)
		}
		// --flag=/container/path
		if k, v, ok := strings.Cut(s, "="); ok && strings.HasPrefix(k, "-") {
			if r := m.rewrite(v); r != v {
				return k + "=" + r
			}
		}
	}
	return s
}

// fakeSecret is what every secret file holds in the sandbox: long enough
// for any minimum-length rule (JWT keys).
const fakeSecret = "deploytest-fake-secret-0123456789abcdef0123456789abcdef"

// checkConfig runs bin with the service's command line plus --check-config
// in a sandbox that mirrors the container's paths, and checks that it exits
// 0 with one JSON object whose "env" lists every variable compose sets.
func checkConfig(ctx context.Context, bin string, r serviceRun, sandbox string) error {
	var m pathMapper
	add := func(containerPath string) (string, error) {
		local := filepath.Join(sandbox, "fs", filepath.FromSlash(containerPath))
		m.from = append(m.from, containerPath)
		m.to = append(m.to, local)
		return local, os.MkdirAll(local, 0o755)
	}
	for _, mnt := range r.mounts {
		if _, err := add(mnt); err != nil {
			return err
		}
	}
	secretDir, err := add("/run/secrets")
	if err != nil {
		return err
	}
	for _, s := range r.secrets {
		if err := os.WriteFile(filepath.Join(secretDir, s), []byte(fakeSecret), 0o600); err != nil {
			return err
		}
	}

	args := make([]string, 0, len(r.args)+1)
	for _, a := range r.args {
		args = append(args, m.rewrite(a))
	}
	args = append(args, "--check-config")
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{}
	for _, env := range []map[string]string{r.imageEnv, r.env} {
		for _, k := range sortedKeys(env) {
			cmd.Env = append(cmd.Env, k+"="+m.rewrite(env[k]))
		}
	}
	cmd.Dir = sandbox
	if r.workingDir != "" {
		cmd.Dir = m.rewrite(r.workingDir)
		if err := os.MkdirAll(cmd.Dir, 0o755); err != nil {
			return err
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v\nstderr: %s", r.binary, strings.Join(args, " "), err, stderr.String())
	}
	var out struct {
		Env []string `json:"env"`
	}
	dec := json.NewDecoder(&stdout)
	if err := dec.Decode(&out); err != nil {
		return fmt.Errorf("%s --check-config: stdout is not a JSON object: %v", r.binary, err)
	}
	if dec.More() {
		return fmt.Errorf("%s --check-config: more than one JSON value on stdout", r.binary)
	}
	if out.Env == nil {
		return fmt.Errorf(`%s --check-config: no "env" list in its output`, r.binary)
	}
	var unread []string
	for _, k := range sortedKeys(r.env) {
		if !slices.Contains(out.Env, k) {
			unread = append(unread, k)
		}
	}
	if len(unread) > 0 {
		return fmt.Errorf("%s sets %v, which %s does not read (it reads %v)", r.where, unread, r.binary, out.Env)
	}
	return nil
}

// builtBinaries builds every binary of cmd/ once per test run; the tests
// that need the binaries share them.
func builtBinaries(tb testing.TB) string {
	tb.Helper()
	return testenv.Binaries(tb, "./cmd/...")
}

func TestMain(m *testing.M) { testenv.Main(m) }

// TestCheckConfigHarness drives checkConfig with a stand-in binary, so the
// harness is known to work before the real binaries exist.
func TestCheckConfigHarness(t *testing.T) {
	t.Parallel()
	bin := t.TempDir()
	if err := testenv.Build(t, bin, "./internal/deploytest/testdata/fakebin"); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(bin, "fakebin")
	base := serviceRun{
		where:    "compose/fake",
		binary:   "fakebin",
		args:     []string{"--data-dir=/data", "--signal", "signal_x"},
		env:      map[string]string{"FAKE_A": "1", "DB_PASSWORD_FILE": "/run/secrets/db_password"},
		imageEnv: map[string]string{"NBA_DATA_DIR": "/data"},
		mounts:   []string{"/data"},
		secrets:  []string{"db_password"},
	}
	tests := []struct {
		name    string
		edit    func(*serviceRun)
		wantErr string
	}{
		{"valid", func(*serviceRun) {}, ""},
		{"working dir in a volume", func(r *serviceRun) { r.workingDir = "/data" }, ""},
		{"variable the binary does not read", func(r *serviceRun) { r.env["FAKE_C"] = "x" }, "sets [FAKE_C]"},
		{"image env is not checked", func(r *serviceRun) { r.imageEnv["NBA_MODELS_DIR"] = "/models" }, ""},
		{"unknown flag", func(r *serviceRun) { r.args = append(r.args, "--nope") }, "exit status 2"},
		{"volume not mounted", func(r *serviceRun) { r.mounts = nil }, "--data-dir"},
		{"secret not mounted", func(r *serviceRun) { r.secrets = nil }, "DB_PASSWORD_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := base
			r.env = maps(base.env)
			r.imageEnv = maps(base.imageEnv)
			r.args = slices.Clone(base.args)
			tt.edit(&r)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := checkConfig(ctx, fake, r, t.TempDir())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("checkConfig = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("checkConfig = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// maps returns a copy of m.
func maps(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestComposeCommandsCheckConfig builds every binary of cmd/ that compose
// runs and runs it with its service's command line and environment plus
// --check-config: the command line must parse with the binary's own flags,
// its configuration must validate, and every variable the service sets must
// be one the binary reads. Binaries not yet in cmd/ are skipped by name.
func TestComposeCommandsCheckConfig(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	imageEnv := dockerfileStageEnv(t, filepath.Join(root, dockerfilePath), "runtime")
	var runs []serviceRun
	for _, file := range composeFiles {
		runs = append(runs, serviceRuns(t, file, loadProject(t, file, "*"), imageEnv)...)
	}
	var present, missing []string
	for _, b := range binaries {
		if _, err := os.Stat(filepath.Join(root, "cmd", b, "main.go")); err == nil {
			present = append(present, b)
		} else {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		t.Logf("binaries not in cmd/ yet, their services are skipped: %v", missing)
	}
	covered := map[string]bool{}
	for _, r := range runs {
		covered[r.binary] = true
	}
	for _, b := range binaries {
		if !covered[b] {
			t.Errorf("no compose service runs %s", b)
		}
	}

	bin := builtBinaries(t)
	built := map[string]error{}
	for _, b := range present {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			built[b] = fmt.Errorf("cmd/%s was not built: %w", b, err)
		} else {
			built[b] = nil
		}
	}
	for _, r := range runs {
		t.Run(r.where, func(t *testing.T) {
			err, ok := built[r.binary]
			if !ok {
				t.Skipf("cmd/%s does not exist yet", r.binary)
			}
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := checkConfig(ctx, filepath.Join(bin, r.binary), r, t.TempDir()); err != nil {
				t.Error(err)
			}
		})
	}
}

// dockerfileStageEnv returns the ENV key=value pairs of a Dockerfile stage.
func dockerfileStageEnv(tb testing.TB, path, name string) map[string]string {
	tb.Helper()
	env := map[string]string{}
	for _, in := range dockerfileStage(tb, path, name).instructions {
		kw, rest, _ := strings.Cut(in, " ")
		if !strings.EqualFold(kw, "ENV") {
			continue
		}
		for _, f := range strings.Fields(rest) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				tb.Fatalf("%s: ENV %q: use the KEY=value form", path, rest)
			}
			env[k] = v
		}
	}
	return env
}
