//go:build linux

package deploytest

// The deployment a user runs, for real: both compose files on a Docker
// Engine, with the images deploy/offline/build-images.sh makes (stand-ins for
// the registry images on a machine without registry access, the project's
// images from deploy/Dockerfile). The test runs the commands the README's
// "Deployment" section shows, unchanged, against the repository's compose
// files; only the .env values (fake secrets, free ports, a short health-check
// interval) are its own.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// The compose projects and the fixed-name volumes they share.
var (
	composeProjects = []string{"nba-mlops", "nba-mlops-api"}
	sharedVolumes   = []string{"nba-mlops-data", "nba-mlops-models", "nba-mlops-logs"}
)

// composeStages are the services of docker-compose.yml in the order they
// must run, with the signal file each writes.
var composeStages = []struct{ service, signal string }{
	{"data_generation", ""},
	{"data_ingestion", "signal_data_ingestion_done"},
	{"data_processing", "signal_data_processing_done"},
	{"feature_engineering", "signal_feature_engineering_done"},
	{"model_training", "signal_model_training_done"},
	{"inference", "signal_inference_done"},
}

// apiServices must all become healthy in docker-compose.api.yml (Grafana is
// behind its profile).
var apiServices = []string{"alertmanager", "api", "db", "node-exporter", "prediction-service", "prometheus"}

// dockerEnv runs the docker CLI and compose for the test.
type dockerEnv struct {
	t       *testing.T
	docker  string // the docker CLI (NBA_DOCKER, else docker on PATH)
	root    string // repository root: compose's project directory
	envFile string // the test's .env
	env     []string
	timings []string
}

// run runs docker with args from the repository root and returns its
// combined output.
func (d *dockerEnv) run(stdin io.Reader, args ...string) (string, error) {
	d.t.Helper()
	return d.runCtx(d.t.Context(), stdin, args...)
}

// runCtx is run with a context of its own (cleanup runs after the test's
// context is cancelled).
func (d *dockerEnv) runCtx(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	d.t.Helper()
	cmd := exec.CommandContext(ctx, d.docker, args...)
	cmd.Dir = d.root
	cmd.Env = d.env
	cmd.Stdin = stdin
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("docker %s: %w\n%s", strings.Join(args, " "), err, tail(out.String(), 4000))
	}
	return out.String(), err
}

// must runs docker and fails the test on error.
func (d *dockerEnv) must(args ...string) string {
	d.t.Helper()
	out, err := d.run(nil, args...)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

// compose runs `docker compose --env-file <test .env> -f file args...`.
func (d *dockerEnv) compose(file string, args ...string) string {
	d.t.Helper()
	return d.must(append([]string{"compose", "--env-file", d.envFile, "-f", file}, args...)...)
}

// phase runs fn and records how long it took, for the closing log.
func (d *dockerEnv) phase(name string, fn func()) {
	d.t.Helper()
	start := time.Now()
	fn()
	d.timings = append(d.timings, fmt.Sprintf("%-48s %6.1fs", name, time.Since(start).Seconds()))
	d.t.Logf("phase %s: %.1fs", name, time.Since(start).Seconds())
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// newDockerEnv finds the docker CLI, its Compose plugin and a running
// engine; without them it skips, or fails under NBA_REQUIRE_INTEGRATION=1.
func newDockerEnv(t *testing.T) *dockerEnv {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if testenv.Required() {
			t.Fatalf("%s (NBA_REQUIRE_INTEGRATION=1; .ci/setup/50-docker.sh starts the engine and builds the images)", msg)
		}
		t.Skipf("%s; run deploy/offline/engine.sh start and make images, or set NBA_REQUIRE_INTEGRATION=1 to fail instead", msg)
	}
	docker := os.Getenv("NBA_DOCKER")
	if docker == "" {
		p, err := exec.LookPath("docker")
		if err != nil {
			missing("no docker CLI on PATH")
		}
		docker = p
	}
	d := &dockerEnv{t: t, docker: docker, root: repoRoot(t)}
	// A small environment: the compose files' variables come from the test's
	// .env only, never from the caller's environment.
	for _, k := range []string{"PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			d.env = append(d.env, k+"="+v)
		}
	}
	d.env = append(d.env, "DOCKER_BUILDKIT=1")
	if out, err := d.run(nil, "info", "--format", "{{.ServerVersion}}"); err != nil {
		missing("no Docker Engine answers: %v", err)
	} else {
		t.Logf("Docker Engine %s", strings.TrimSpace(out))
	}
	if out, err := d.run(nil, "compose", "version", "--short"); err != nil {
		missing("docker compose does not work: %v", err)
	} else {
		t.Logf("Docker Compose %s", strings.TrimSpace(out))
	}
	return d
}

// TestDockerComposeLive builds the project's images and runs both compose
// files end to end: the nightly pipeline, the API stack and its monitoring,
// the README's API journey, a second nightly run, faults, image hygiene and
// a clean teardown.
func TestDockerComposeLive(t *testing.T) {
	d := newDockerEnv(t)
	d.refuseExistingDeployment()

	ports := freePorts(t, 4)
	secrets := map[string]string{
		"POSTGRES_PASSWORD":      "test-pg-" + randomHex(t, 12),
		"JWT_SECRET":             randomHex(t, 32),
		"NBA_ADMIN_PASSWORD":     "test-admin-" + randomHex(t, 12),
		"GRAFANA_ADMIN_PASSWORD": "test-grafana-" + randomHex(t, 12),
		"SMTP_PASSWORD":          "test-smtp-" + randomHex(t, 12),
		"SLACK_WEBHOOK_URL":      "https://hooks.slack.invalid/services/test-" + randomHex(t, 8),
	}
	env := map[string]string{
		"API_BIND":                        "127.0.0.1",
		"API_PORT":                        strconv.Itoa(ports[0]),
		"PREDICTION_SERVICE_PUBLISH_PORT": strconv.Itoa(ports[1]),
		"PROMETHEUS_PORT":                 strconv.Itoa(ports[2]),
		"ALERTMANAGER_PORT":               strconv.Itoa(ports[3]),
		"HEALTHCHECK_INTERVAL":            "1s",
		"NBA_SYNTHETIC_ROWS":              "3000",
		"NBA_WAIT_TIMEOUT":                "5m",
	}
	var envText strings.Builder
	for _, m := range []map[string]string{secrets, env} {
		for _, k := range sortedKeys(m) {
			fmt.Fprintf(&envText, "%s=%s\n", k, m[k])
		}
	}
	d.envFile = filepath.Join(t.TempDir(), "test.env")
	writeFile(t, d.envFile, []byte(envText.String()))

	// Whatever happens, leave nothing behind; step 8 checks that the
	// README's teardown alone does.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		for _, f := range []string{apiCompose, pipelineCompose} {
			if _, err := d.runCtx(ctx, nil, "compose", "--env-file", d.envFile, "-f", f, "--profile", "*", "down", "-v", "--remove-orphans", "--timeout", "5"); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
		t.Logf("timings:\n%s", strings.Join(d.timings, "\n"))
	})

	d.phase("images: build-images.sh project (warm cache)", func() {
		cmd := exec.CommandContext(t.Context(), filepath.Join(d.root, "deploy/offline/build-images.sh"), "project")
		// The script picks a CLI with BuildKit (/usr/bin/docker) unless
		// NBA_DOCKER names one: a newer CLI without the buildx plugin would
		// fall back to the legacy builder, which cannot build the Dockerfile.
		cmd.Env = slices.Clone(d.env)
		if v := os.Getenv("NBA_DOCKER"); v != "" {
			cmd.Env = append(cmd.Env, "NBA_DOCKER="+v)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("deploy/offline/build-images.sh project: %v\n%s", err, tail(string(out), 4000))
		}
	})

	// 1. The nightly pipeline, generation included.
	var first bestModel
	d.phase("1 pipeline: compose --profile generate up", func() {
		d.compose(pipelineCompose, "--profile", "generate", "up")
	})
	d.checkPipelineRun(true)
	var rawRows int
	first, rawRows, _ = d.checkVolumesAfterRun()

	// 2. The API stack.
	api := "http://127.0.0.1:" + env["API_PORT"]
	predictd := "http://127.0.0.1:" + env["PREDICTION_SERVICE_PUBLISH_PORT"]
	d.phase("2 api: compose up -d --wait", func() {
		d.compose(apiCompose, "up", "-d", "--wait", "--wait-timeout", "240")
	})
	d.checkHealthy(apiCompose, apiServices)
	waitModelVersion(t, predictd, first.Version, 30*time.Second)
	predictdStart := d.containerField(apiCompose, "prediction-service", "{{.State.StartedAt}} {{.RestartCount}}")

	// 3. The original README's journey through the published port.
	c := &liveClient{t: t, base: api}
	d.phase("3 journey", func() {
		c.expect("GET", "/", "", "", http.StatusOK)
		c.signUp()
		for i := range 3 {
			c.round(i)
		}
		for _, p := range []string{"/ui/", "/docs/", "/openapi.json"} {
			c.expect("GET", p, "", "", http.StatusOK)
		}
		d.checkRows(c, true)
	})

	// 4. Monitoring: every target up, the alert rules loaded, Alertmanager ready.
	d.phase("4 prometheus targets and rules", func() {
		prom := promAPI{base: "http://127.0.0.1:" + env["PROMETHEUS_PORT"]}
		waitJobsUp(t, prom, []string{"alertmanager", "api", "node-exporter", "prediction-service", "prometheus"}, 90*time.Second)
		waitRulesLoaded(t, prom, 60*time.Second)
		am := &liveClient{t: t, base: "http://127.0.0.1:" + env["ALERTMANAGER_PORT"]}
		am.expect("GET", "/-/ready", "", "", http.StatusOK)
	})

	// 5. A second nightly run on a new batch: promotion or discard, and
	// prediction-service follows best_model_metrics.json without a restart.
	// The generator seeds itself with the date, so today's batch is already
	// in; another seed is another night's batch.
	seed := strconv.FormatInt(time.Now().UnixNano()%1_000_000_007, 10)
	d.phase("5 second run: generate a new batch, compose up", func() {
		d.compose(pipelineCompose, "--profile", "generate", "run", "--rm", "--no-deps", "data_generation",
			"--data-dir=/data", "--synthetic=3000", "--seed="+seed, "--out=/data/new_data/new_data.csv", "--log-file=/logs/logs.log")
		d.compose(pipelineCompose, "up")
	})
	d.checkPipelineRun(false)
	second, rawRows2, modelFiles := d.checkVolumesAfterRun()
	if rawRows2 <= rawRows {
		t.Errorf("raw/shots.csv has %d rows after the second run, %d before: the new batch was not ingested", rawRows2, rawRows)
	}
	switch {
	case second.Version > first.Version:
		t.Logf("second run promoted v%d (was v%d)", second.Version, first.Version)
	case second == first:
		t.Logf("second run discarded its model; v%d stays the champion", first.Version)
		if !slices.ContainsFunc(modelFiles, func(f string) bool {
			v, ok := strings.CutPrefix(f, fmt.Sprintf("discarded/model_best_lr-v%d-", first.Version+1))
			return ok && strings.HasSuffix(v, ".json")
		}) {
			t.Errorf("the champion stayed v%d, but the models volume has no discarded v%d: %v", first.Version, first.Version+1, modelFiles)
		}
	default:
		t.Fatalf("best_model_metrics.json went from %+v to %+v", first, second)
	}
	waitModelVersion(t, predictd, second.Version, 30*time.Second)
	if got := d.containerField(apiCompose, "prediction-service", "{{.State.StartedAt}} {{.RestartCount}}"); got != predictdStart {
		t.Errorf("prediction-service restarted (%s, was %s): a new champion must be served without a restart", got, predictdStart)
	}
	c.round(3)

	// 6. Faults.
	d.phase("6 faults", func() { d.faults(c) })

	// 7. Image hygiene.
	d.phase("7 images: users, history, labels, health", func() { d.checkImages(secrets) })

	// 8. Teardown.
	// down acts on the services of the profiles it is given, as up does:
	// without --profile generate, data_generation's container (and so the
	// volumes it holds) would stay.
	d.phase("8 down -v", func() {
		d.compose(apiCompose, "down", "-v")
		d.compose(pipelineCompose, "--profile", "generate", "down", "-v")
	})
	d.checkNothingLeft()
}

// refuseExistingDeployment stops the test before it touches a deployment it
// did not create: the volumes have fixed names, and step 8 removes them.
func (d *dockerEnv) refuseExistingDeployment() {
	d.t.Helper()
	for _, p := range composeProjects {
		if out := strings.TrimSpace(d.must("ps", "-aq", "--filter", "label=com.docker.compose.project="+p)); out != "" {
			d.t.Fatalf("compose project %s already has containers on this engine; the test would remove them. Run `docker compose down` for it first", p)
		}
	}
	for _, v := range sharedVolumes {
		if _, err := d.run(nil, "volume", "inspect", v); err == nil {
			d.t.Fatalf("volume %s already exists; the test removes it at the end. Remove it (docker volume rm %s) or run the test on another engine", v, v)
		}
	}
}

// containerID returns the container of a compose service (stopped ones too).
func (d *dockerEnv) containerID(file, service string) string {
	d.t.Helper()
	id := strings.TrimSpace(d.compose(file, "--profile", "*", "ps", "-a", "-q", service))
	if id == "" || strings.Contains(id, "\n") {
		d.t.Fatalf("%s: service %s has containers %q, want one", file, service, id)
	}
	return id
}

func (d *dockerEnv) containerField(file, service, format string) string {
	d.t.Helper()
	return strings.TrimSpace(d.must("inspect", "-f", format, d.containerID(file, service)))
}

// checkPipelineRun checks that every stage exited 0 and that each started
// only after the previous one had finished.
func (d *dockerEnv) checkPipelineRun(withGeneration bool) {
	d.t.Helper()
	stages := composeStages
	if !withGeneration {
		stages = stages[1:]
	}
	var prevEnd time.Time
	var prev string
	for _, s := range stages {
		out := d.containerField(pipelineCompose, s.service, "{{.State.ExitCode}} {{.State.StartedAt}} {{.State.FinishedAt}}")
		f := strings.Fields(out)
		if len(f) != 3 {
			d.t.Fatalf("%s: inspect = %q", s.service, out)
		}
		if f[0] != "0" {
			logs, _ := d.run(nil, "logs", "--tail", "30", d.containerID(pipelineCompose, s.service))
			d.t.Fatalf("%s exited %s:\n%s", s.service, f[0], logs)
		}
		started, err1 := time.Parse(time.RFC3339Nano, f[1])
		finished, err2 := time.Parse(time.RFC3339Nano, f[2])
		if err := errors.Join(err1, err2); err != nil {
			d.t.Fatalf("%s: %v", s.service, err)
		}
		if prev != "" && started.Before(prevEnd) {
			d.t.Errorf("%s started at %s, before %s finished at %s", s.service, started, prev, prevEnd)
		}
		d.t.Logf("%-20s ran %5.1fs", s.service, finished.Sub(started).Seconds())
		prev, prevEnd = s.service, finished
	}
}

// bestModel is the part of best_model_metrics.json the test follows.
type bestModel struct {
	Model   string `json:"model"`
	Version int    `json:"version"`
}

// volumeFiles returns the regular files under dir of a pipeline service's
// container, by path relative to dir, copied out as the README shows
// (docker compose cp reads the volumes of the stopped container).
func (d *dockerEnv) volumeFiles(service, dir string) map[string][]byte {
	d.t.Helper()
	cmd := exec.CommandContext(d.t.Context(), d.docker, "compose", "--env-file", d.envFile, "-f", pipelineCompose, "cp", service+":"+dir, "-")
	cmd.Dir = d.root
	cmd.Env = d.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		d.t.Fatalf("docker cp %s:%s: %v\n%s", service, dir, err, stderr.String())
	}
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			d.t.Fatalf("docker cp %s:%s: %v", service, dir, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			d.t.Fatal(err)
		}
		// Entries are "<base of dir>/<path>".
		_, rel, _ := strings.Cut(h.Name, "/")
		files[rel] = b
		if h.Uid != 65532 {
			d.t.Errorf("%s%s/%s is owned by uid %d, want 65532 (nonroot)", service, dir, rel, h.Uid)
		}
	}
	return files
}

// checkVolumesAfterRun checks what a pipeline run leaves in the data and
// models volumes and returns the champion, the rows of raw/shots.csv and the
// files of the models volume.
func (d *dockerEnv) checkVolumesAfterRun() (bestModel, int, []string) {
	d.t.Helper()
	data := d.volumeFiles("inference", "/data")
	for _, want := range []string{
		"raw/shots.csv",
		"processed/train.parquet", "processed/test.parquet",
		"features/train.parquet", "features/test.parquet", "features/transform.json",
		"predictions/predictions.csv",
	} {
		if len(data[want]) == 0 {
			d.t.Errorf("data volume: %s missing or empty (have %v)", want, sortedKeys(data))
		}
	}
	for _, s := range composeStages[1:] {
		if !slices.ContainsFunc(sortedKeys(data), func(p string) bool { return strings.HasPrefix(p, "metrics/") && strings.Contains(p, ".prom") }) {
			d.t.Errorf("data volume: no metrics/*.prom textfile (stage %s)", s.service)
			break
		}
	}
	// Each stage removed the signal it waited for: only the last one stays.
	for _, s := range composeStages[1:] {
		_, ok := data[s.signal]
		if want := s.signal == "signal_inference_done"; ok != want {
			d.t.Errorf("data volume: signal file %s present = %v, want %v (each stage consumes the signal it waited for)", s.signal, ok, want)
		}
	}

	models := d.volumeFiles("model_training", "/models")
	raw, ok := models["best_model_metrics.json"]
	if !ok {
		d.t.Fatalf("models volume: no best_model_metrics.json (have %v)", sortedKeys(models))
	}
	var best bestModel
	if err := json.Unmarshal(raw, &best); err != nil {
		d.t.Fatalf("best_model_metrics.json: %v: %s", err, raw)
	}
	if best.Version < 1 || len(models[best.Model]) == 0 {
		d.t.Fatalf("best_model_metrics.json names %q (v%d), which the models volume does not hold (%v)", best.Model, best.Version, sortedKeys(models))
	}
	return best, bytes.Count(data["raw/shots.csv"], []byte("\n")) - 1, sortedKeys(models)
}

// waitModelVersion waits until predictd's /readyz reports model version v.
func waitModelVersion(t *testing.T, base string, v int, timeout time.Duration) {
	t.Helper()
	want := fmt.Sprintf("v%d", v)
	deadline := time.Now().Add(timeout)
	var last string
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			var r struct {
				ModelVersion string `json:"model_version"`
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if json.Unmarshal(b, &r) == nil && r.ModelVersion == want {
				return
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, b)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("prediction-service does not serve model %s within %s: last /readyz: %s", want, timeout, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkHealthy requires every listed service of file to run and be healthy.
func (d *dockerEnv) checkHealthy(file string, services []string) {
	d.t.Helper()
	for _, s := range services {
		if got := d.containerField(file, s, "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}"); got != "running healthy" {
			d.t.Errorf("%s: %s, want running healthy", s, got)
		}
	}
}

// psql runs a query in the db container, as a user would.
func (d *dockerEnv) psql(query string) string {
	d.t.Helper()
	return strings.TrimSpace(d.compose(apiCompose, "exec", "-T", "db", "psql", "-U", "nba", "-d", "nba", "-tAc", query))
}

// checkRows compares the predictions and users in the db container with
// what the client was answered. With exact false, the db may hold more
// predictions than were answered (a request whose answer was lost to a
// reset connection during a fault), never fewer.
func (d *dockerEnv) checkRows(c *liveClient, exact bool) {
	d.t.Helper()
	got, err := strconv.Atoi(d.psql("SELECT count(*) FROM predictions"))
	if err != nil {
		d.t.Fatal(err)
	}
	if got < c.stored || (exact && got != c.stored) {
		d.t.Errorf("db has %d predictions, the API answered %d", got, c.stored)
	} else if got != c.stored {
		d.t.Logf("db has %d predictions, %d more than the API answered (answers lost to the faults)", got, got-c.stored)
	}
	if got := d.psql("SELECT count(*) FROM predictions WHERE user_verification IS NOT NULL"); got != strconv.Itoa(c.verified) {
		d.t.Errorf("db has %s verified predictions, the API verified %d", got, c.verified)
	}
	if got := d.psql("SELECT count(*) FROM users WHERE username IN ('alice', 'bob')"); got != "2" {
		d.t.Errorf("db has %s of the users alice and bob, want 2", got)
	}
}

// faults kills and restarts prediction-service and restarts the database.
func (d *dockerEnv) faults(c *liveClient) {
	t := d.t
	t.Helper()
	tok := c.tokens[0]
	apiStart := d.containerField(apiCompose, "api", "{{.State.StartedAt}} {{.RestartCount}}")

	d.compose(apiCompose, "kill", "prediction-service")
	status, body := c.call("POST", "/predict", tok, readmePredictBody)
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), "prediction service") {
		t.Errorf("POST /predict with prediction-service killed = %d %s, want 503 naming the prediction service", status, body)
	}
	status, body = c.call("GET", "/readyz", "", "")
	var ready struct {
		Checks map[string]string `json:"checks"`
	}
	if status != http.StatusServiceUnavailable || json.Unmarshal(body, &ready) != nil || ready.Checks["prediction_service"] != "unavailable" || ready.Checks["database"] != "ok" {
		t.Errorf("GET /readyz with prediction-service killed = %d %s, want 503 with prediction_service unavailable, database ok", status, body)
	}

	d.compose(apiCompose, "start", "--wait", "prediction-service")
	waitStatus(c, "POST", "/predict", tok, readmePredictBody, http.StatusOK, 30*time.Second)

	d.compose(apiCompose, "restart", "db")
	waitStatus(c, "POST", "/predict/shot", tok, liveShots[0], http.StatusOK, 60*time.Second)
	c.expect("GET", "/readyz", "", "", http.StatusOK)
	if got := d.containerField(apiCompose, "api", "{{.State.StartedAt}} {{.RestartCount}}"); got != apiStart {
		t.Errorf("api restarted during the faults (%s, was %s); it must recover on its own", got, apiStart)
	}
	d.checkRows(c, false)
}

// waitStatus repeats a request until it answers status, counting answered
// predictions into c.stored. Connection errors count as not yet.
func waitStatus(c *liveClient, method, path, tok, body string, status int, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, b, err := c.try(method, path, tok, body)
		if err != nil {
			b = []byte(err.Error())
		}
		if got == http.StatusOK && strings.HasPrefix(path, "/predict") {
			c.stored++
		}
		if got == status {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s %s: %d %s, still not %d after %s", method, path, got, b, status, timeout)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// checkImages checks every image both compose files ran: a non-root user,
// no secret of the test's .env (or any password-like build argument) in the
// history or labels, and logs each image's size.
func (d *dockerEnv) checkImages(secrets map[string]string) {
	t := d.t
	t.Helper()
	d.checkHealthy(apiCompose, apiServices)
	images := map[string]bool{}
	for _, f := range []string{pipelineCompose, apiCompose} {
		for _, id := range strings.Fields(d.compose(f, "--profile", "*", "ps", "-a", "-q")) {
			out := strings.Fields(d.must("inspect", "-f", "{{.Config.Image}} {{.Config.User}}", id))
			if len(out) < 2 || out[1] == "root" || out[1] == "0" || strings.HasPrefix(out[1], "0:") {
				t.Errorf("container of %v runs as root (user %q)", out, strings.Join(out[1:], " "))
			}
			if len(out) > 0 {
				images[out[0]] = true
			}
		}
	}
	var sizes []string
	for _, img := range sortedKeys(images) {
		hist := d.must("history", "--no-trunc", "--format", "{{.CreatedBy}}", img)
		labels := d.must("image", "inspect", "-f", "{{json .Config.Labels}} {{json .Config.Env}}", img)
		for k, v := range secrets {
			if strings.Contains(hist, v) || strings.Contains(labels, v) {
				t.Errorf("image %s carries the value of %s in its history or labels", img, k)
			}
		}
		for _, line := range strings.Split(hist+"\n"+labels, "\n") {
			u := strings.ToUpper(line)
			if (strings.Contains(u, "PASSWORD=") || strings.Contains(u, "SECRET=") || strings.Contains(u, "TOKEN=")) && !strings.Contains(u, "_FILE=") {
				t.Errorf("image %s: history or labels set a secret-looking variable: %s", img, line)
			}
		}
		size, err := strconv.ParseInt(strings.TrimSpace(d.must("image", "inspect", "-f", "{{.Size}}", img)), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		standin := strings.TrimSpace(d.must("image", "inspect", "-f", `{{index .Config.Labels "org.nba-mlops.standin"}}`, img)) == "true"
		note := ""
		if standin {
			note = " (offline stand-in)"
		}
		sizes = append(sizes, fmt.Sprintf("%-52s %7.1f MB%s", img, float64(size)/1e6, note))
	}
	t.Logf("image sizes:\n%s", strings.Join(sizes, "\n"))
}

// checkNothingLeft requires no container, network or volume of either
// project (or the shared ones) to remain.
func (d *dockerEnv) checkNothingLeft() {
	t := d.t
	t.Helper()
	for _, p := range composeProjects {
		label := "label=com.docker.compose.project=" + p
		for _, kind := range [][]string{{"ps", "-aq"}, {"network", "ls", "-q"}, {"volume", "ls", "-q"}} {
			if out := strings.TrimSpace(d.must(append(kind, "--filter", label)...)); out != "" {
				t.Errorf("after down -v, %s of project %s remain: %s", kind[0], p, out)
			}
		}
	}
	for _, v := range sharedVolumes {
		if _, err := d.run(nil, "volume", "inspect", v); err == nil {
			t.Errorf("after down -v, volume %s remains", v)
		}
	}
	if out := strings.TrimSpace(d.must("network", "ls", "-q", "--filter", "name=^nba-mlops")); out != "" {
		t.Errorf("after down -v, networks named nba-mlops* remain: %s", out)
	}
}

// waitJobsUp waits until Prometheus scrapes exactly the jobs want, each
// target up. It reports the targets that never came up as an error rather
// than stopping the test, so the later steps still run.
func waitJobsUp(t *testing.T, p promAPI, want []string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var data struct {
			ActiveTargets []struct {
				Labels    map[string]string `json:"labels"`
				Health    string            `json:"health"`
				LastError string            `json:"lastError"`
			} `json:"activeTargets"`
		}
		err := p.get(t.Context(), "/api/v1/targets", &data)
		var jobs, down []string
		for _, tg := range data.ActiveTargets {
			jobs = append(jobs, tg.Labels["job"])
			if tg.Health != "up" {
				down = append(down, fmt.Sprintf("%s %s %s (%s)", tg.Labels["job"], tg.Labels["instance"], tg.Health, tg.LastError))
			}
		}
		slices.Sort(jobs)
		if err == nil && slices.Equal(jobs, want) && len(down) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("Prometheus targets not all up within %s: err %v, jobs %v (want %v), not up: %v", timeout, err, jobs, want, down)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// waitRulesLoaded waits until Prometheus has loaded every alert rule of
// prometheus/alerting_rules.yml and evaluated each without error; it
// reports an error (the later steps still run) when that does not happen.
func waitRulesLoaded(t *testing.T, p promAPI, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var data struct {
			Groups []struct {
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		}
		err := p.get(t.Context(), "/api/v1/rules?type=alert", &data)
		got := map[string]bool{}
		var bad []string
		for _, g := range data.Groups {
			for _, r := range g.Rules {
				got[r.Name] = true
				if r.Health != "ok" {
					bad = append(bad, fmt.Sprintf("%s: %s %s", r.Name, r.Health, r.LastError))
				}
			}
		}
		if err == nil && len(bad) == 0 && slices.Equal(sortedKeys(got), sortedKeys(wantAlerts)) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("alert rules not all loaded and healthy within %s: err %v, loaded %v, want %v, unhealthy %v", timeout, err, sortedKeys(got), sortedKeys(wantAlerts), bad)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// try is liveClient.call that returns transport errors instead of failing.
func (c *liveClient) try(method, path, token, body string) (int, []byte, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
