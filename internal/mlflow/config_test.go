package mlflow

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

func TestEnabled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uri, logTo string
		want       bool
	}{
		{"http://mlflow:5000", "", true},
		{"https://mlflow.example.com/base", "", true},
		{"HTTP://mlflow:5000", "", true},
		{"http://mlflow:5000", "true", true},
		{"http://mlflow:5000", "1", true},
		{"http://mlflow:5000", "false", false},
		{"http://mlflow:5000", "FALSE", false},
		{"http://mlflow:5000", "0", false},
		{"http://mlflow:5000", " off ", false},
		{"http://mlflow:5000", "no", false},
		{"", "", false},
		{"file:///tmp/mlruns", "", false},
		{"./mlruns", "", false},
		{"sqlite:///mlflow.db", "", false},
		{"databricks", "", false},
		{"http://", "", false},
		{"http:///path-only", "", false},
		{"http://[::1", "", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s", tt.uri, tt.logTo), func(t *testing.T) {
			t.Parallel()
			if got := Enabled(tt.uri, envFunc(map[string]string{EnvLogToMLflow: tt.logTo})); got != tt.want {
				t.Errorf("Enabled(%q, LOG_TO_MLFLOW=%q) = %v, want %v", tt.uri, tt.logTo, got, tt.want)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	defaults := Config{TrackingURI: "http://mlflow:5000", Enabled: true, Auth: "none",
		RequestTimeout: DefaultRequestTimeout, MaxRetries: DefaultMaxRetries, MaxRetryTime: DefaultMaxRetryTime}
	with := func(edit func(*Config)) Config {
		c := defaults
		edit(&c)
		return c
	}
	tests := []struct {
		name    string
		uri     string
		env     map[string]string
		want    Config
		wantErr []string // substrings, each naming the variable
	}{
		{name: "defaults", uri: "http://mlflow:5000", want: defaults},
		{name: "trailing slash, query and credentials stripped", uri: "https://bob:pw@mlflow.example.com:8443/base/?x=1#frag",
			want: with(func(c *Config) {
				c.TrackingURI, c.Auth, c.Username, c.Password = "https://mlflow.example.com:8443/base", "basic", "bob", "pw"
			})},
		{name: "env credentials win over the URI's", uri: "http://bob:pw@mlflow:5000",
			env:  map[string]string{EnvToken: "t0k"},
			want: with(func(c *Config) { c.Auth, c.Token = "bearer", "t0k" })},
		{name: "basic", uri: "http://mlflow:5000", env: map[string]string{EnvUsername: "u", EnvPassword: "p", EnvToken: "t"},
			want: with(func(c *Config) { c.Auth, c.Username, c.Password = "basic", "u", "p" })},
		{name: "tuning", uri: "http://mlflow:5000",
			env: map[string]string{EnvRequestTimeout: "120", EnvMaxRetries: "0", EnvMaxRetryTime: "2.5s"},
			want: with(func(c *Config) {
				c.RequestTimeout, c.MaxRetries, c.MaxRetryTime = 120*time.Second, 0, 2500*time.Millisecond
			})},
		{name: "not http is disabled, not an error", uri: "file:///tmp/mlruns",
			want: with(func(c *Config) {
				c.TrackingURI, c.Enabled, c.Reason = "", false, `MLFLOW_TRACKING_URI scheme "file" is not http or https`
			})},
		{name: "switched off", uri: "http://mlflow:5000", env: map[string]string{EnvLogToMLflow: "0"},
			want: with(func(c *Config) { c.Enabled, c.Reason = false, "LOG_TO_MLFLOW is off" })},
		{name: "bad values", uri: "http://mlflow:5000",
			env:     map[string]string{EnvLogToMLflow: "maybe", EnvRequestTimeout: "0", EnvMaxRetries: "-1", EnvMaxRetryTime: "soon"},
			wantErr: []string{`LOG_TO_MLFLOW="maybe"`, `MLFLOW_HTTP_REQUEST_TIMEOUT="0"`, `MLFLOW_HTTP_REQUEST_MAX_RETRIES="-1"`, `MLFLOW_MAX_RETRY_TIME="soon"`}},
		{name: "NaN timeout", uri: "http://mlflow:5000", env: map[string]string{EnvRequestTimeout: "NaN"},
			wantErr: []string{"MLFLOW_HTTP_REQUEST_TIMEOUT"}},
		{name: "username without password", uri: "http://mlflow:5000", env: map[string]string{EnvUsername: "u"},
			wantErr: []string{"MLFLOW_TRACKING_USERNAME is set but MLFLOW_TRACKING_PASSWORD is empty"}},
		{name: "password without username", uri: "http://mlflow:5000", env: map[string]string{EnvPassword: "p"},
			wantErr: []string{"MLFLOW_TRACKING_PASSWORD is set but MLFLOW_TRACKING_USERNAME is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := LoadConfig(tt.uri, envFunc(tt.env))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("LoadConfig = %+v, want an error", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadConfig (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecretsRedacted(t *testing.T) {
	t.Parallel()
	const pass, token = "hunter2-pass", "tok-abc-123"
	cfg, err := LoadConfig("http://mlflow:5000", envFunc(map[string]string{EnvUsername: "u", EnvPassword: pass}))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Token = token
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testenv.SyncBuffer{}
	slogText(logs).Info("config", "cfg", cfg, "password", cfg.Password, "token", cfg.Token)
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", cfg),
		"%+v":  fmt.Sprintf("%+v", cfg),
		"%#v":  fmt.Sprintf("%#v", cfg),
		"%s":   fmt.Sprintf("%s", cfg.Password),
		"json": string(js),
		"slog": logs.String(),
	}
	for how, out := range outputs {
		if strings.Contains(out, pass) || strings.Contains(out, token) {
			t.Errorf("%s shows a secret: %s", how, out)
		}
	}
	if !strings.Contains(string(js), `"password":"[redacted]"`) || !strings.Contains(string(js), `"request_timeout":"5s"`) {
		t.Errorf("config JSON = %s, want a redacted password and durations as strings", js)
	}
	if cfg.Password.Reveal() != pass {
		t.Errorf("Reveal() = %q, want the password", cfg.Password.Reveal())
	}
	if Secret("").String() != "" {
		t.Errorf("an unset secret prints as %q, want \"\"", Secret("").String())
	}
}

func TestEnvListsEveryVariableRead(t *testing.T) {
	t.Parallel()
	read := map[string]bool{}
	getenv := func(k string) string { read[k] = true; return "" }
	LoadConfig("http://mlflow:5000", getenv)
	Enabled("http://mlflow:5000", getenv)
	NewClient("http://mlflow:5000", getenv, nil)
	listed := map[string]bool{}
	for _, k := range Env() {
		listed[k] = true
	}
	if diff := cmp.Diff(listed, read); diff != "" {
		t.Errorf("Env() versus variables read (-listed +read):\n%s", diff)
	}
}
