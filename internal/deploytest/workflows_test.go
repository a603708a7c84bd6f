package deploytest

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// workflow is the subset of a GitHub Actions workflow these tests read.
type workflow struct {
	Name string `yaml:"name"`
	On   struct {
		Schedule []struct {
			Cron string `yaml:"cron"`
		} `yaml:"schedule"`
	} `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		If       string `yaml:"if"`
		Needs    any    `yaml:"needs"`
		Services map[string]struct {
			Image string `yaml:"image"`
		} `yaml:"services"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// workflowFiles are the workflows the repository must have.
var workflowFiles = []string{"generate_new_data.yml", "retrain_model.yml", "ci.yml"}

func loadWorkflow(tb testing.TB, name string) workflow {
	tb.Helper()
	var w workflow
	unmarshalRepoYAML(tb, ".github/workflows/"+name, &w)
	return w
}

// actionPinRE: an action pinned by a full version tag or a commit SHA.
var actionPinRE = regexp.MustCompile(`^[\w.-]+/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$`)

// TestWorkflows checks the schedules, action pinning, the promotion gate of
// the image push and where its credentials come from, and the CI steps.
func TestWorkflows(t *testing.T) {
	t.Parallel()
	crons := map[string]string{"generate_new_data.yml": "0 4 * * *", "retrain_model.yml": "0 5 * * *"}
	for _, name := range workflowFiles {
		w := loadWorkflow(t, name)
		var got string
		if len(w.On.Schedule) > 0 {
			got = w.On.Schedule[0].Cron
		}
		if got != crons[name] {
			t.Errorf("%s: schedule %q, want %q", name, got, crons[name])
		}
		if len(w.Permissions) == 0 {
			t.Errorf("%s: no explicit permissions", name)
		}
		for jn, j := range w.Jobs {
			for _, s := range j.Steps {
				if s.Uses != "" && !actionPinRE.MatchString(s.Uses) {
					t.Errorf("%s/%s: action %q is not pinned to a full version or SHA", name, jn, s.Uses)
				}
			}
		}
	}

	rt := loadWorkflow(t, "retrain_model.yml")
	retrainRuns := string(readRepoFile(t, ".github/workflows/retrain_model.yml")) // env included
	for _, want := range []string{"COMPOSE: docker compose --env-file .env.example -f docker-compose.yml", "$COMPOSE up", "git push", "best_model_metrics.json", "promoted=$promoted"} {
		if !strings.Contains(retrainRuns, want) {
			t.Errorf("retrain_model.yml retrain job: no %q", want)
		}
	}
	push := rt.Jobs["push-images"]
	if push.If != "needs.retrain.outputs.promoted == 'true'" {
		t.Errorf("push-images runs if %q, want only after a promotion", push.If)
	}
	var login, build bool
	for _, s := range push.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "docker/login-action@"):
			login = s.With["username"] == "${{ secrets.DOCKERHUB_USERNAME }}" && s.With["password"] == "${{ secrets.DOCKERHUB_TOKEN }}"
		case strings.HasPrefix(s.Uses, "docker/build-push-action@"):
			tags := s.With["tags"]
			build = s.With["push"] == "true" && s.With["file"] == dockerfilePath &&
				strings.Contains(tags, ":${{ needs.retrain.outputs.tag }}") && strings.Contains(tags, ":latest")
		}
	}
	if !login || !build {
		t.Errorf("push-images: Docker Hub login from secrets %v; push of %s tagged date-sha and latest %v", login, dockerfilePath, build)
	}

	ci := loadWorkflow(t, "ci.yml")
	test := ci.Jobs["test"]
	if err := checkPinnedImage(test.Services["postgres"].Image); err != nil {
		t.Errorf("ci.yml postgres service: %v", err)
	}
	ciRuns := ""
	for _, s := range test.Steps {
		ciRuns += s.Run + "\n"
	}
	for _, want := range []string{"go vet ./...", "go test -race", "promtool check config", "promtool test rules", "amtool check-config", "actionlint"} {
		if !strings.Contains(ciRuns, want) {
			t.Errorf("ci.yml test job: no %q", want)
		}
	}
}

// TestActionlint lints the workflows with actionlint v1.7.12 from the
// tools module (it cannot share go.mod with compose-go: see tools/go.mod).
// actionlint also runs shellcheck on run: scripts when it is installed.
func TestActionlint(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on PATH: %v", err)
	}
	args := []string{"tool", "actionlint", "-no-color", "-oneline"}
	for _, f := range workflowFiles {
		args = append(args, filepath.Join(root, ".github", "workflows", f))
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Log("shellcheck is not installed: run: scripts are not linted")
	}
	cmd := exec.Command(goBin, args...)
	cmd.Dir = filepath.Join(root, "tools")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("actionlint: %v\n%s", err, out)
	}
}
