package deploytest

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
)

// composeFiles are the compose files with the profiles that enable every
// service, so each check sees the optional services too.
var composeFiles = []string{pipelineCompose, apiCompose}

// flagValue returns the value of --name (as --name=v or --name v) in args.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		for _, p := range []string{"--" + name, "-" + name} {
			if a == p && i+1 < len(args) {
				return args[i+1], true
			}
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v, true
			}
		}
	}
	return "", false
}

func TestFlagValue(t *testing.T) {
	t.Parallel()
	args := []string{"--signal=a", "--wait-for", "b", "-seed=3", "--empty="}
	tests := []struct {
		name   string
		want   string
		wantOK bool
	}{
		{"signal", "a", true},
		{"wait-for", "b", true},
		{"seed", "3", true},
		{"empty", "", true},
		{"nope", "", false},
	}
	for _, tt := range tests {
		got, ok := flagValue(args, tt.name)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("flagValue(%q) = %q, %v, want %q, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestComposeLoadsWithAndWithoutProfiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file      string
		profiles  []string
		wantOn    []string
		wantOff   []string
		wantNames string
	}{
		{pipelineCompose, nil,
			[]string{"data_ingestion", "data_processing", "feature_engineering", "model_training", "inference"},
			[]string{"data_generation", "mlflow"}, "nba-mlops"},
		{pipelineCompose, []string{"generate", "mlflow"},
			[]string{"data_generation", "data_ingestion", "data_processing", "feature_engineering", "inference", "mlflow", "model_training"},
			nil, "nba-mlops"},
		// Grafana has its own profile: no offline stand-in exists for it.
		{apiCompose, nil,
			[]string{"alertmanager", "api", "db", "node-exporter", "prediction-service", "prometheus"},
			[]string{"grafana"}, "nba-mlops-api"},
		{apiCompose, []string{"grafana"},
			[]string{"alertmanager", "api", "db", "grafana", "node-exporter", "prediction-service", "prometheus"},
			nil, "nba-mlops-api"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+strings.Join(tt.profiles, ","), func(t *testing.T) {
			t.Parallel()
			p := loadProject(t, tt.file, tt.profiles...)
			if p.Name != tt.wantNames {
				t.Errorf("project name = %q, want %q", p.Name, tt.wantNames)
			}
			want := slices.Clone(tt.wantOn)
			slices.Sort(want)
			if diff := cmp.Diff(want, sortedKeys(p.Services)); diff != "" {
				t.Errorf("enabled services (-want +got):\n%s", diff)
			}
			wantOff := slices.Clone(tt.wantOff)
			slices.Sort(wantOff)
			if diff := cmp.Diff(wantOff, sortedKeys(p.DisabledServices), cmpEmptyEqual); diff != "" {
				t.Errorf("disabled services (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpEmptyEqual makes nil and empty slices equal.
var cmpEmptyEqual = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

// TestComposeImagesBuildOrArePinned: every service builds from a Dockerfile
// (and target) that exists, or runs an image with an explicit tag that is not
// "latest".
func TestComposeImagesBuildOrArePinned(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	for _, file := range composeFiles {
		p := loadProject(t, file, "*")
		for _, name := range sortedKeys(p.Services) {
			s := p.Services[name]
			t.Run(file+"/"+name, func(t *testing.T) {
				if s.Build != nil {
					df := s.Build.Dockerfile
					if df == "" {
						df = "Dockerfile"
					}
					path := filepath.Join(s.Build.Context, df)
					if !filepath.IsAbs(path) {
						path = filepath.Join(root, path)
					}
					stages := dockerfileStages(t, path)
					if s.Build.Target != "" && !slices.Contains(stages, s.Build.Target) {
						t.Errorf("build target %q is not a stage of %s (stages %v)", s.Build.Target, path, stages)
					}
					if s.Image != "" && imageTag(s.Image) == "latest" {
						t.Errorf("image %q: a built image is tagged latest, give it ${IMAGE_TAG}", s.Image)
					}
					return
				}
				if err := checkPinnedImage(s.Image); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// TestPipelineIsTheStageOrder checks that compose orders the pipeline as
// ingestion → processing → feature engineering → training → inference, and
// that the signal-file flags chain the same way.
func TestPipelineIsTheStageOrder(t *testing.T) {
	t.Parallel()
	p := loadProject(t, pipelineCompose, "*")
	index := map[string]int{}
	for i, st := range pipelineStages {
		index[st.service] = i
	}
	for i, st := range pipelineStages {
		s, ok := p.Services[st.service]
		if !ok {
			t.Fatalf("service %s missing from %s", st.service, pipelineCompose)
		}
		if s.Build == nil || s.Build.Target != st.binary {
			t.Errorf("%s: builds %+v, want target %s", st.service, s.Build, st.binary)
		}
		// Dependencies on other stages: exactly the previous one.
		var stageDeps []string
		for dep, cfg := range s.DependsOn {
			if _, isStage := index[dep]; !isStage {
				continue
			}
			stageDeps = append(stageDeps, dep)
			if cfg.Condition != types.ServiceConditionCompletedSuccessfully {
				t.Errorf("%s depends on %s with condition %q, want %s", st.service, dep, cfg.Condition, types.ServiceConditionCompletedSuccessfully)
			}
			if !cfg.Required {
				t.Errorf("%s depends on %s with required: false", st.service, dep)
			}
		}
		var wantDeps []string
		if i > 0 {
			wantDeps = []string{pipelineStages[i-1].service}
		}
		if diff := cmp.Diff(wantDeps, stageDeps, cmpEmptyEqual); diff != "" {
			t.Errorf("%s: stage dependencies (-want +got):\n%s", st.service, diff)
		}

		args := append(slices.Clone(s.Entrypoint), s.Command...)
		if got, _ := flagValue(args, "signal"); got != st.signal {
			t.Errorf("%s: --signal = %q, want %q", st.service, got, st.signal)
		}
		wait, hasWait := flagValue(args, "wait-for")
		switch {
		case i == 0 && hasWait:
			t.Errorf("%s: first stage waits for %q", st.service, wait)
		case i > 0 && wait != pipelineStages[i-1].signal:
			t.Errorf("%s: --wait-for = %q, want %q (the previous stage's signal)", st.service, wait, pipelineStages[i-1].signal)
		}
	}

	// Topological order of the whole graph: each stage after its predecessor.
	var order []string
	if err := p.ForEachService(nil, func(name string, _ *types.ServiceConfig) error {
		if _, isStage := index[name]; isStage {
			order = append(order, name)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, st := range pipelineStages {
		want = append(want, st.service)
	}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("compose start order of the stages (-want +got):\n%s", diff)
	}

	// The optional generator feeds ingestion, and only with its profile.
	gen := p.Services["data_generation"]
	if out, _ := flagValue(gen.Command, "out"); out != "/data/new_data/new_data.csv" {
		t.Errorf("data_generation --out = %q", out)
	}
	if in, _ := flagValue(p.Services["data_ingestion"].Command, "in"); in != "/data/new_data/new_data.csv" {
		t.Errorf("data_ingestion --in = %q", in)
	}
	dep, ok := p.Services["data_ingestion"].DependsOn["data_generation"]
	if !ok || dep.Required || dep.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("data_ingestion depends on data_generation as %+v (present %v), want optional, completed successfully", dep, ok)
	}
}

// volumeByTarget returns the volume a service mounts at target.
func volumeByTarget(s types.ServiceConfig, target string) (types.ServiceVolumeConfig, bool) {
	for _, v := range s.Volumes {
		if v.Target == target {
			return v, true
		}
	}
	return types.ServiceVolumeConfig{}, false
}

// TestSharedVolumes checks that both files name the same data and models
// volumes, that the API stack mounts the models the pipeline writes, and that
// node-exporter reads the metrics textfiles from the pipeline's data dir.
func TestSharedVolumes(t *testing.T) {
	t.Parallel()
	pipe := loadProject(t, pipelineCompose, "*")
	api := loadProject(t, apiCompose, "*")
	for _, key := range []string{"nba-data", "nba-models"} {
		pv, ok1 := pipe.Volumes[key]
		av, ok2 := api.Volumes[key]
		if !ok1 || !ok2 {
			t.Fatalf("volume %s: in %s %v, in %s %v; want both", key, pipelineCompose, ok1, apiCompose, ok2)
		}
		if pv.Name == "" || pv.Name != av.Name {
			t.Errorf("volume %s is named %q in %s and %q in %s, want one fixed name", key, pv.Name, pipelineCompose, av.Name, apiCompose)
		}
	}

	for _, st := range pipelineStages {
		s := pipe.Services[st.service]
		for target, vol := range map[string]string{"/data": "nba-data", "/models": "nba-models", "/logs": "nba-logs"} {
			v, ok := volumeByTarget(s, target)
			if !ok || v.Source != vol || v.ReadOnly {
				t.Errorf("%s: %s mounts %+v, want volume %s read-write", st.service, target, v, vol)
			}
		}
		args := s.Command
		if logFile, _ := flagValue(args, "log-file"); !strings.HasPrefix(logFile, "/logs/") {
			t.Errorf("%s: --log-file = %q, want a file in the logs volume", st.service, logFile)
		}
		// The signal dir defaults to the data dir, so signals live in the
		// shared data volume and are never absolute paths elsewhere.
		if d, ok := flagValue(args, "data-dir"); ok && d != "/data" {
			t.Errorf("%s: --data-dir = %q, want /data", st.service, d)
		}
	}
	for _, name := range []string{"model_training", "inference"} {
		if md, _ := flagValue(pipe.Services[name].Command, "models-dir"); md != "/models" {
			t.Errorf("%s: --models-dir = %q, want /models", name, md)
		}
	}

	ps := api.Services["prediction-service"]
	v, ok := volumeByTarget(ps, "/models")
	if !ok || v.Source != "nba-models" || !v.ReadOnly {
		t.Errorf("prediction-service mounts %+v at /models, want nba-models read-only", v)
	}
	if md, _ := flagValue(ps.Command, "models-dir"); md != "/models" {
		t.Errorf("prediction-service --models-dir = %q, want /models", md)
	}

	ne := api.Services["node-exporter"]
	dir, _ := flagValue(ne.Command, "collector.textfile.directory")
	var found bool
	for _, vol := range ne.Volumes {
		if vol.Source == "nba-data" && vol.ReadOnly && dir == vol.Target+"/metrics" {
			found = true
		}
	}
	if !found {
		t.Errorf("node-exporter: textfile directory %q is not <nba-data mount>/metrics (volumes %+v)", dir, ne.Volumes)
	}
}

// TestServicesHaveHealthchecks: every long-running service of the API stack
// (and MLflow) has a healthcheck, those of our images use the /healthcheck
// probe on their own port, and dependencies wait for health.
func TestServicesHaveHealthchecks(t *testing.T) {
	t.Parallel()
	api := loadProject(t, apiCompose, "*")
	pipe := loadProject(t, pipelineCompose, "*")
	services := map[string]types.ServiceConfig{"mlflow": pipe.Services["mlflow"]}
	for name, s := range api.Services {
		services[name] = s
	}
	probes := map[string]string{
		"api":                "http://127.0.0.1:8000/healthz",
		"prediction-service": "http://127.0.0.1:8001/healthz",
	}
	for _, name := range sortedKeys(services) {
		s := services[name]
		hc := s.HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) < 2 {
			t.Errorf("%s: no healthcheck", name)
			continue
		}
		if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
			t.Errorf("%s: healthcheck without interval, timeout and retries: %+v", name, hc)
		}
		if s.Restart != types.RestartPolicyUnlessStopped {
			t.Errorf("%s: restart = %q, want %s", name, s.Restart, types.RestartPolicyUnlessStopped)
		}
		if want, ok := probes[name]; ok {
			if diff := cmp.Diff([]string{"CMD", "/healthcheck", want}, []string(hc.Test)); diff != "" {
				t.Errorf("%s: healthcheck (-want +got):\n%s", name, diff)
			}
			stage := dockerfileStage(t, filepath.Join(repoRoot(t), dockerfilePath), s.Build.Target)
			if !stage.copies("/healthcheck") {
				t.Errorf("%s: healthcheck runs /healthcheck, which stage %s does not copy", name, s.Build.Target)
			}
		}
	}
	wantDeps := map[string]map[string]string{
		"api":     {"db": types.ServiceConditionHealthy, "prediction-service": types.ServiceConditionHealthy},
		"grafana": {"db": types.ServiceConditionHealthy, "prometheus": types.ServiceConditionHealthy},
	}
	for svc, deps := range wantDeps {
		for dep, cond := range deps {
			if got := api.Services[svc].DependsOn[dep].Condition; got != cond {
				t.Errorf("%s depends on %s with %q, want %q", svc, dep, got, cond)
			}
		}
	}
}

// TestSecretsComeFromFiles: passwords and keys reach containers as compose
// secrets (files under /run/secrets), every secret a service uses is defined,
// every *_FILE variable names a secret the service mounts, and each secret's
// source variable has an obviously fake value in .env.example.
func TestSecretsComeFromFiles(t *testing.T) {
	t.Parallel()
	example := parseEnvFile(t, readRepoFile(t, ".env.example"))
	for _, file := range composeFiles {
		p := loadProject(t, file, "*")
		for _, name := range sortedKeys(p.Secrets) {
			sec := p.Secrets[name]
			if sec.Environment == "" {
				t.Errorf("%s: secret %s has no environment source (files would have to live in the checkout)", file, name)
				continue
			}
			v, ok := example[sec.Environment]
			if !ok || !strings.Contains(v, "change-me") {
				t.Errorf("%s: secret %s comes from %s, whose .env.example value %q is not an obvious placeholder (want change-me)", file, name, sec.Environment, v)
			}
		}
		for _, name := range sortedKeys(p.Services) {
			s := p.Services[name]
			mounted := map[string]bool{}
			for _, ref := range s.Secrets {
				if _, ok := p.Secrets[ref.Source]; !ok {
					t.Errorf("%s: service %s uses undefined secret %s", file, name, ref.Source)
				}
				mounted["/run/secrets/"+ref.Source] = true
			}
			for _, k := range sortedKeys(s.Environment) {
				v := s.Environment[k]
				if v == nil {
					continue
				}
				if strings.HasSuffix(k, "_FILE") && !mounted[*v] {
					t.Errorf("%s: %s sets %s=%s, which is not a secret it mounts", file, name, k, *v)
				}
				if looksSecretKey(k) && !strings.HasSuffix(k, "_FILE") && !strings.HasSuffix(k, "__FILE") {
					t.Errorf("%s: %s passes %s in its environment, pass a file (%s_FILE) instead", file, name, k, k)
				}
			}
		}
	}
}

// parseEnvFile parses KEY=VALUE lines, skipping blanks and comments.
func parseEnvFile(tb testing.TB, b []byte) map[string]string {
	tb.Helper()
	env := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			tb.Fatalf(".env.example line %d: %q is not KEY=VALUE", i+1, line)
		}
		env[k] = v
	}
	return env
}

// TestEnvExampleCoversComposeVariables: every ${VAR} the compose files
// interpolate is documented in .env.example, and nothing there is unused.
func TestEnvExampleCoversComposeVariables(t *testing.T) {
	t.Parallel()
	example := parseEnvFile(t, readRepoFile(t, ".env.example"))
	used := map[string]bool{}
	for _, file := range composeFiles {
		for _, m := range interpolationRE.FindAllStringSubmatch(string(readRepoFile(t, file)), -1) {
			used[m[1]] = true
		}
		p := loadProject(t, file, "*")
		for _, s := range p.Secrets {
			used[s.Environment] = true
		}
	}
	for _, k := range sortedKeys(used) {
		if _, ok := example[k]; !ok {
			t.Errorf("compose uses ${%s}, which .env.example does not list", k)
		}
	}
	for _, k := range sortedKeys(example) {
		if !used[k] {
			t.Errorf(".env.example lists %s, which no compose file uses", k)
		}
	}
}
