package deploytest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// Compose files and the stage order of the nightly pipeline.
const (
	pipelineCompose = "docker-compose.yml"
	apiCompose      = "docker-compose.api.yml"
	dockerfilePath  = "deploy/Dockerfile"
)

// pipelineStages lists the pipeline services in run order, with the binary
// each runs and the signal file it writes.
var pipelineStages = []struct {
	service, binary, signal string
}{
	{"data_ingestion", "ingest", "signal_data_ingestion_done"},
	{"data_processing", "process", "signal_data_processing_done"},
	{"feature_engineering", "featurize", "signal_feature_engineering_done"},
	{"model_training", "train", "signal_model_training_done"},
	{"inference", "infer", "signal_inference_done"},
}

// repoRoot returns the repository root (two levels above this package).
func repoRoot(tb testing.TB) string {
	tb.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		tb.Fatalf("repository root %s: %v", root, err)
	}
	return root
}

// readRepoFile returns the content of a file given relative to the repository root.
func readRepoFile(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(tb), filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// lookTool returns the path of an external tool, skipping the test when it is
// not installed (failing it under NBA_REQUIRE_INTEGRATION=1).
func lookTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		testenv.Missing(tb, "%s is not installed (apt-get install prometheus prometheus-alertmanager): %v", name, err)
	}
	return p
}

// runTool runs a command in dir and fails the test, showing its output, when
// it exits non-zero.
func runTool(tb testing.TB, dir string, name string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// loadProject loads a compose file of the repository offline, with the
// variables of .env.example and the given profiles ("*" for all). The
// caller's environment is ignored, so the result is the same on every machine.
func loadProject(tb testing.TB, file string, profiles ...string) *types.Project {
	tb.Helper()
	root := repoRoot(tb)
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, file)},
		cli.WithWorkingDirectory(root),
		cli.WithEnvFiles(filepath.Join(root, ".env.example")),
		cli.WithDotEnv,
		cli.WithProfiles(profiles),
	)
	if err != nil {
		tb.Fatalf("compose options for %s: %v", file, err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		tb.Fatalf("load %s: %v", file, err)
	}
	return p
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
