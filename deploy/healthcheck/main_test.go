package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	// A listener closed at once gives an address where nothing answers.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name    string
		args    []string
		wantErr string // empty: success
	}{
		{"2xx is healthy", []string{srv.URL + "/healthz"}, ""},
		{"5xx is unhealthy and shows the body", []string{srv.URL + "/readyz"}, "status 503: database unreachable"},
		{"404 is unhealthy", []string{srv.URL + "/nope"}, "status 404"},
		{"nothing listening", []string{closed.URL + "/healthz"}, "connect"},
		{"timeout", []string{"-timeout", "50ms", srv.URL + "/slow"}, "deadline exceeded"},
		{"no URL", nil, "want exactly one URL"},
		{"two URLs", []string{srv.URL, srv.URL}, "want exactly one URL"},
		{"relative URL", []string{"/healthz"}, "absolute http(s) URL"},
		{"other scheme", []string{"file:///etc/passwd"}, "absolute http(s) URL"},
		{"bad flag", []string{"-nope", srv.URL}, "usage"},
		{"zero timeout", []string{"-timeout", "0s", srv.URL}, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			err := run(t.Context(), tt.args, &out)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("run(%q) = %v, want nil", tt.args, err)
				}
				if !strings.Contains(out.String(), "status 200") {
					t.Errorf("run(%q) printed %q, want the status", tt.args, out.String())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
}
