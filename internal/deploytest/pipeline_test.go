package deploytest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPipelineTwice runs scripts/pipeline.sh, what `make pipeline` runs, twice
// in a row: six processes chained only by signal files. The first run must
// promote a champion and write predictions; the second, on the same batch,
// must add nothing, discard its model and skip inference, and leave no
// signal behind that would confuse a third run.
func TestPipelineTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole pipeline twice")
	}
	bin := builtBinaries(t)
	work := t.TempDir()
	data, models := filepath.Join(work, "data"), filepath.Join(work, "models")
	run := func(round int) string {
		cmd := exec.Command("bash", "scripts/pipeline.sh", bin, data, models, "7", "20000", "")
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), "LOG_TO_MLFLOW=false", "NBA_WAIT_TIMEOUT=2m")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pipeline run %d: %v\n%s", round, err, out)
		}
		return string(out)
	}
	run(1)
	var best struct {
		Model   string `json:"model"`
		Version int    `json:"version"`
	}
	readJSON(t, filepath.Join(models, "best_model_metrics.json"), &best)
	if best.Version != 1 {
		t.Fatalf("after the first run the champion is version %d, want 1", best.Version)
	}
	preds, err := os.ReadFile(filepath.Join(data, "predictions", "predictions.csv"))
	if err != nil || !strings.HasPrefix(string(preds), "Game ID,Game Event ID,probability,prediction,Shot Made Flag\n") {
		t.Fatalf("predictions after the first run: %v %.80q", err, preds)
	}
	out := run(2)
	readJSON(t, filepath.Join(models, "best_model_metrics.json"), &best)
	if best.Version != 1 {
		t.Errorf("the second run on the same batch promoted version %d", best.Version)
	}
	discarded, _ := filepath.Glob(filepath.Join(models, "discarded", "model_best_lr-v2-????????.json"))
	if len(discarded) != 1 {
		t.Errorf("the second run's model is not in discarded/ as v2: %v", discarded)
	}
	// Each stage's JSON report is kept in logs/pipeline beside the data dir;
	// the terminal gets one line per stage.
	var ingest struct {
		Accepted   *int64 `json:"accepted"`
		Duplicates int64  `json:"duplicates"`
	}
	readJSON(t, filepath.Join(work, "logs", "pipeline", "ingest.json"), &ingest)
	if ingest.Accepted == nil || *ingest.Accepted != 0 || ingest.Duplicates == 0 {
		t.Errorf("the second ingest of the same batch: accepted %v, duplicates %d; want 0 and all:\n%s", ingest.Accepted, ingest.Duplicates, out)
	}
	if !strings.Contains(out, "accepted=0") || strings.Count(out, "\n") > 12 {
		t.Errorf("the second run's terminal output is not one short line per stage:\n%s", out)
	}
	left, _ := filepath.Glob(filepath.Join(data, "signal_*"))
	for _, f := range left {
		if b := filepath.Base(f); b != "signal_inference_done" {
			t.Errorf("signal %s left behind after two runs", b)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(data, "predictions", "predictions.csv")); string(after) != string(preds) {
		t.Error("infer rewrote the predictions although no model was promoted")
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
