package mlflow

import (
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// closedPortURL returns an http URL on which nothing listens.
func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestLogRunServerDown(t *testing.T) {
	t.Parallel()
	// Default settings and the default HTTP client, as train uses them.
	c := NewClient(closedPortURL(t), envFunc(nil), nil)
	logs := &testenv.SyncBuffer{}
	c.Logger = slogText(logs)
	start := time.Now()
	runID, err := c.LogRun(t.Context(), baseRun(""))
	elapsed := time.Since(start)
	t.Logf("closed port: error after %v: %v", elapsed.Round(time.Millisecond), err)
	if err == nil {
		t.Fatal("LogRun against a closed port succeeded")
	}
	if runID != "" {
		t.Errorf("LogRun returned run ID %q without a server", runID)
	}
	for _, want := range []string{"experiments/get-by-name", "connection refused", "giving up after 4 attempts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// The contract with train, not a speed measurement: a dead server
	// costs less than the 10 s budget the design allows.
	if elapsed >= 10*time.Second {
		t.Errorf("LogRun took %v against a closed port, want < 10s", elapsed)
	}
}

func TestCallServerHangs(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select { // accept the request, never answer
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	env := map[string]string{EnvRequestTimeout: "0.2", EnvMaxRetryTime: "500ms", EnvMaxRetries: "10"}
	c, _ := newTestClient(t, srv, "", env)
	start := time.Now()
	_, err := c.LogRun(t.Context(), baseRun(""))
	elapsed := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("LogRun error = %v, want a timeout", err)
	}
	// 0.2 s attempts within a 0.5 s budget: 3 attempts, the last cut short;
	// MaxRetries=10 is not reached.
	if n := hits.Load(); n < 2 || n > 4 {
		t.Errorf("%d attempts, want 2 to 4 within the retry budget", n)
	}
	if elapsed > 5*time.Second {
		t.Errorf("LogRun took %v, want about MLFLOW_MAX_RETRY_TIME (0.5s)", elapsed)
	}
}

func TestCallErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		header      http.Header
		body        string
		wantAttempt int32
		wantErr     []string
		wantCode    string
	}{
		{"500 forever", 500, nil, `{"error_code":"INTERNAL_ERROR","message":"boom"}`, 4,
			[]string{"giving up after 4 attempts", "HTTP 500 INTERNAL_ERROR: boom"}, "INTERNAL_ERROR"},
		{"proxy 502 HTML", 502, nil, "<html>\n<body><h1>502 Bad Gateway</h1></body>\n</html>", 4,
			[]string{"HTTP 502: <html> <body><h1>502 Bad Gateway</h1></body> </html>"}, ""},
		{"429 with a Retry-After beyond the budget", 429, http.Header{"Retry-After": {"60"}}, `{"error_code":"REQUEST_LIMIT_EXCEEDED"}`, 1,
			[]string{"giving up after 1 attempt in", "next retry in 30s would pass MLFLOW_MAX_RETRY_TIME 8s", "HTTP 429 REQUEST_LIMIT_EXCEEDED"}, "REQUEST_LIMIT_EXCEEDED"},
		{"403 fails at once", 403, nil, `{"error_code":"PERMISSION_DENIED","message":"Permission denied"}`, 1,
			[]string{"HTTP 403 PERMISSION_DENIED: Permission denied"}, "PERMISSION_DENIED"},
		{"404 from something that is not MLflow", 404, nil, "404 page not found", 1,
			[]string{"experiments/get-by-name: HTTP 404: 404 page not found"}, ""},
		{"501 is permanent", 501, nil, "", 1, []string{"HTTP 501"}, ""},
		{"408 is retried, as MLflow's client does", 408, nil, "", 4, []string{"giving up after 4 attempts", "HTTP 408"}, ""},
		{"401 from an auth proxy", 401, nil, "You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html",
			1, []string{"HTTP 401: You are not authenticated."}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			c, _ := newTestClient(t, srv, "", nil)
			_, err := c.LogRun(t.Context(), baseRun(""))
			if err == nil {
				t.Fatal("LogRun succeeded")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status || apiErr.Code != tt.wantCode {
				t.Errorf("error %v: want an *APIError with status %d and code %q", err, tt.status, tt.wantCode)
			}
			if got := hits.Load(); got != tt.wantAttempt {
				t.Errorf("%d attempts, want %d", got, tt.wantAttempt)
			}
		})
	}
}

func TestCallBadCertificateIsNotRetried(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	var handshakes atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			handshakes.Add(1)
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL, envFunc(nil), nil) // does not trust the test CA
	c.Logger = slogText(&testenv.SyncBuffer{})
	_, err := c.LogRun(t.Context(), baseRun(""))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("LogRun error = %v, want a certificate error", err)
	}
	if strings.Contains(err.Error(), "giving up") || handshakes.Load() != 1 {
		t.Errorf("bad certificate retried (%d connections): %v", handshakes.Load(), err)
	}
	if hits.Load() != 0 {
		t.Errorf("request reached the handler through an untrusted certificate")
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	c := &Client{minBackoff: 100 * time.Millisecond, maxBackoff: time.Second}
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name     string
		n        int
		header   http.Header
		min, max time.Duration
	}{
		{"first retry", 1, nil, 50 * time.Millisecond, 100 * time.Millisecond},
		{"second retry", 2, nil, 100 * time.Millisecond, 200 * time.Millisecond},
		{"capped", 9, nil, 500 * time.Millisecond, time.Second},
		{"huge attempt number", 500, nil, 500 * time.Millisecond, time.Second},
		{"Retry-After seconds", 1, http.Header{"Retry-After": {"3"}}, 3 * time.Second, 3 * time.Second},
		{"Retry-After capped", 1, http.Header{"Retry-After": {"3600"}}, 30 * time.Second, 30 * time.Second},
		{"Retry-After date", 1, http.Header{"Retry-After": {date}}, 30 * time.Second, 30 * time.Second},
		{"Retry-After garbage", 1, http.Header{"Retry-After": {"soon"}}, 50 * time.Millisecond, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for range 100 {
				if got := c.backoff(tt.n, tt.header); got < tt.min || got > tt.max {
					t.Fatalf("backoff(%d, %v) = %v, want in [%v, %v]", tt.n, tt.header, got, tt.min, tt.max)
				}
			}
		})
	}
}

func TestNewAPIErrorClipsBody(t *testing.T) {
	t.Parallel()
	e := newAPIError("runs/create", 502, []byte(strings.Repeat("é", 300)))
	if len(e.Message) > 200+len("…") || !strings.HasSuffix(e.Message, "…") {
		t.Errorf("message of %d bytes %q, want at most 200 bytes plus an ellipsis", len(e.Message), e.Message)
	}
	if !strings.HasPrefix(e.Message, "éé") || strings.ContainsRune(e.Message, '\uFFFD') {
		t.Errorf("message %q was cut inside a character", e.Message)
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestAttemptDeadlines(t *testing.T) {
	t.Parallel()
	// Every attempt fails at once, as against a refused connection; each
	// records how long its context gave it.
	var budgets []time.Duration
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		d, ok := r.Context().Deadline()
		if !ok {
			t.Errorf("attempt without a deadline")
		}
		budgets = append(budgets, time.Until(d))
		return nil, errors.New("connection refused")
	})}
	env := map[string]string{EnvRequestTimeout: "10", EnvMaxRetryTime: "1s", EnvMaxRetries: "3"}
	c := NewClient("http://mlflow:5000", envFunc(env), hc)
	c.Logger = slogText(&testenv.SyncBuffer{})
	c.minBackoff, c.maxBackoff = time.Millisecond, time.Millisecond
	if _, err := c.LogRun(t.Context(), baseRun("")); err == nil {
		t.Fatal("LogRun succeeded")
	}
	if len(budgets) != 4 {
		t.Fatalf("%d attempts, want 4 (MLFLOW_HTTP_REQUEST_MAX_RETRIES=3)", len(budgets))
	}
	// The first attempt gets the full request timeout; retries only what
	// is left of MLFLOW_MAX_RETRY_TIME.
	if budgets[0] <= 9*time.Second || budgets[0] > 10*time.Second {
		t.Errorf("first attempt had %v, want the 10s request timeout", budgets[0])
	}
	for i, b := range budgets[1:] {
		if b > time.Second {
			t.Errorf("retry %d had %v, want at most the 1s retry budget", i+1, b)
		}
	}
}
