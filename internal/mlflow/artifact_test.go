package mlflow

import (
	"strings"
	"testing"
)

func TestArtifactURL(t *testing.T) {
	t.Parallel()
	const run = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name, tracking, artifactURI, file string
		want, wantErr                     string
	}{
		{name: "default root", tracking: "http://mlflow:5000", artifactURI: "mlflow-artifacts:/3/" + run + "/artifacts", file: "model.json",
			want: "http://mlflow:5000/api/2.0/mlflow-artifacts/artifacts/3/" + run + "/artifacts/model.json"},
		{name: "tracking path prefix", tracking: "https://gw.example.com/mlflow", artifactURI: "mlflow-artifacts:/3/" + run + "/artifacts", file: "model.json",
			want: "https://gw.example.com/mlflow/api/2.0/mlflow-artifacts/artifacts/3/" + run + "/artifacts/model.json"},
		{name: "root with its own host", tracking: "http://mlflow:5000", artifactURI: "mlflow-artifacts://artifacts:5500/3/" + run + "/artifacts", file: "m.json",
			want: "http://artifacts:5500/api/2.0/mlflow-artifacts/artifacts/3/" + run + "/artifacts/m.json"},
		{name: "custom mlflow-artifacts root path", tracking: "http://mlflow:5000", artifactURI: "mlflow-artifacts:/team/nba/3/" + run + "/artifacts", file: "m.json",
			want: "http://mlflow:5000/api/2.0/mlflow-artifacts/artifacts/team/nba/3/" + run + "/artifacts/m.json"},
		{name: "http root of an artifacts-only server", tracking: "http://mlflow:5000",
			artifactURI: "http://artifact:5500/api/2.0/mlflow-artifacts/artifacts/3/" + run + "/artifacts", file: "m.json",
			want: "http://artifact:5500/api/2.0/mlflow-artifacts/artifacts/3/" + run + "/artifacts/m.json"},
		{name: "name escaped", tracking: "http://mlflow:5000", artifactURI: "mlflow-artifacts:/3/" + run + "/artifacts", file: "model v1#2?.json",
			want: "http://mlflow:5000/api/2.0/mlflow-artifacts/artifacts/3/" + run + "/artifacts/model%20v1%232%3F.json"},
		{name: "s3 root", tracking: "http://mlflow:5000", artifactURI: "s3://bucket/mlflow/3/" + run + "/artifacts", file: "m.json",
			wantErr: "not served by the tracking server"},
		{name: "local root (--no-serve-artifacts)", tracking: "http://mlflow:5000", artifactURI: "/mlflow/mlruns/3/" + run + "/artifacts", file: "m.json",
			wantErr: "not served by the tracking server"},
		{name: "bad name", tracking: "http://mlflow:5000", artifactURI: "mlflow-artifacts:/3/r/artifacts", file: "..", wantErr: "not a plain file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewClient(tt.tracking, envFunc(nil), nil)
			got, err := c.artifactURL(tt.artifactURI, tt.file)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("artifactURL(%q) = %v, %v; want an error containing %q", tt.artifactURI, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("artifactURL(%q): %v", tt.artifactURI, err)
			}
			if got.String() != tt.want {
				t.Errorf("artifactURL(%q, %q) = %s, want %s", tt.artifactURI, tt.file, got, tt.want)
			}
		})
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{"model.json": "application/json", "model": "application/octet-stream"} {
		if got := contentType(name); got != want {
			t.Errorf("contentType(%q) = %q, want %q", name, got, want)
		}
	}
}
