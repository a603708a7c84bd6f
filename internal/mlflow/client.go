package mlflow

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// apiPrefix is where a tracking server serves the REST API.
const apiPrefix = "api/2.0/mlflow"

const userAgent = "nba-mlops-mlflow-client/1"

// maxResponseBytes caps what is read of a response: MLflow's answers to the
// calls made here are a few kilobytes.
const maxResponseBytes = 4 << 20

// Client talks to one MLflow tracking server. It is safe for concurrent use
// once configured; set Logger before the first call.
type Client struct {
	// Logger receives notes about data that could not be logged as given
	// (skipped non-finite metrics, truncated values). NewClient sets it to
	// a text logger on stderr; train sets its stage logger.
	Logger *slog.Logger

	cfg     Config
	cfgErr  error
	base    *url.URL // tracking URI, no credentials
	hc      *http.Client
	ownedHC bool // hc was made here: close its idle connections after LogRun

	// Backoff between attempts: min·2^(n-1), capped at max, with jitter.
	minBackoff, maxBackoff time.Duration
	// Limits MLflow's server enforces; fields so tests can shrink them.
	limits limits
}

// NewClient returns a client for the tracking server at trackingURI, with
// credentials and retry settings from getenv (see Env). httpClient may be nil
// for a default one whose dial timeout is short. A configuration error is
// kept and returned by LogRun; LoadConfig reports it up front.
func NewClient(trackingURI string, getenv func(string) string, httpClient *http.Client) *Client {
	cfg, err := LoadConfig(trackingURI, getenv)
	c := &Client{
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, nil)),
		cfg:        cfg,
		cfgErr:     err,
		hc:         httpClient,
		minBackoff: 250 * time.Millisecond,
		maxBackoff: 2 * time.Second,
		limits:     defaultLimits,
	}
	if cfg.TrackingURI != "" {
		c.base, _ = url.Parse(cfg.TrackingURI) // LoadConfig produced it from a parsed URL
	}
	if c.hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// A host that drops packets must not cost a whole RequestTimeout
		// on every attempt just to learn that it is unreachable.
		t.DialContext = (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		t.TLSHandshakeTimeout = 5 * time.Second
		c.hc = &http.Client{Transport: t}
		c.ownedHC = true
	}
	return c
}

// Config returns the client's resolved configuration.
func (c *Client) Config() Config { return c.cfg }

// APIError is a response from the server other than 2xx.
type APIError struct {
	Op         string // the endpoint, e.g. "runs/create"
	StatusCode int
	Code       string // MLflow's error_code, e.g. RESOURCE_DOES_NOT_EXIST; "" when the body is not MLflow's
	Message    string // MLflow's message, or the start of a non-JSON body
}

// Error is "HTTP <status> <error_code>: <message>"; the call that got it
// prefixes "mlflow <op>: ".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// call is one logical API call: one or more HTTP attempts.
type call struct {
	op     string // for errors and logs
	method string
	url    string
	// body opens the request body for each attempt; nil for none.
	body        func() (io.ReadCloser, int64, error)
	contentType string
	auth        bool // send credentials (false for a foreign artifact host)
	maxAttempts int  // 0: 1 + MaxRetries
}

func jsonBody(v any) (func() (io.ReadCloser, int64, error), error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return func() (io.ReadCloser, int64, error) {
		return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	}, nil
}

// endpoint returns the URL of a REST endpoint, e.g. "runs/create".
func (c *Client) endpoint(op string) string {
	return c.base.JoinPath(apiPrefix, op).String()
}

// postJSON calls a POST endpoint with a JSON body and decodes the answer
// into out (nil to ignore it).
func (c *Client) postJSON(ctx context.Context, op string, in, out any) error {
	body, err := jsonBody(in)
	if err != nil {
		return fmt.Errorf("mlflow %s: encode request: %w", op, err)
	}
	return c.do(ctx, call{op: op, method: http.MethodPost, url: c.endpoint(op), body: body,
		contentType: "application/json", auth: true}, out)
}

// do runs a call with retries. Transient failures (connection errors,
// timeouts, 408, 429, 5xx) are retried with backoff until the attempts or
// MaxRetryTime run out; anything else fails at once.
func (c *Client) do(ctx context.Context, cl call, out any) error {
	attempts := cl.maxAttempts
	if attempts <= 0 {
		attempts = 1 + c.cfg.MaxRetries
	}
	start := time.Now()
	var lastErr error
	n := 0
	for n < attempts {
		timeout := c.cfg.RequestTimeout
		if n > 0 {
			remaining := c.cfg.MaxRetryTime - time.Since(start)
			if remaining <= 0 {
				break
			}
			timeout = min(timeout, remaining)
		}
		n++
		status, header, body, err := c.attempt(ctx, cl, timeout)
		switch {
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("mlflow %s: %w", cl.op, ctx.Err())
		case err != nil:
			lastErr = err
			if !retryableTransport(err) {
				return fmt.Errorf("mlflow %s: %w", cl.op, err)
			}
		case status >= 200 && status < 300:
			if out == nil || len(bytes.TrimSpace(body)) == 0 {
				return nil
			}
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("mlflow %s: decode response: %w", cl.op, err)
			}
			return nil
		default:
			apiErr := newAPIError(cl.op, status, body)
			if !retryableStatus(status, apiErr) {
				return fmt.Errorf("mlflow %s: %w", cl.op, apiErr)
			}
			lastErr = apiErr
		}
		if n >= attempts {
			break
		}
		wait := c.backoff(n, header)
		if time.Since(start)+wait >= c.cfg.MaxRetryTime {
			// Waiting would exhaust the budget: fail now rather than sleep
			// only to give up.
			return fmt.Errorf("mlflow %s: giving up after %s in %v (next retry in %v would pass %s %v): %w",
				cl.op, plural(n, "attempt"), time.Since(start).Round(time.Millisecond), wait.Round(time.Millisecond),
				EnvMaxRetryTime, c.cfg.MaxRetryTime, lastErr)
		}
		c.Logger.DebugContext(ctx, "mlflow call failed, retrying", "op", cl.op, "attempt", n, "wait_ms", wait.Milliseconds(), "err", lastErr)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("mlflow %s: %w (last error: %w)", cl.op, ctx.Err(), lastErr)
		case <-t.C:
		}
	}
	return fmt.Errorf("mlflow %s: giving up after %s in %v: %w", cl.op, plural(n, "attempt"), time.Since(start).Round(time.Millisecond), lastErr)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// attempt sends one HTTP request and reads the response body.
func (c *Client) attempt(ctx context.Context, cl call, timeout time.Duration) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.ReadCloser
	var size int64
	if cl.body != nil {
		var err error
		if body, size, err = cl.body(); err != nil {
			return 0, nil, nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, body)
	if err != nil {
		if body != nil {
			body.Close()
		}
		return 0, nil, nil, err
	}
	if body != nil {
		// A known length avoids chunked uploads, which not every WSGI
		// server in front of MLflow accepts.
		req.ContentLength = size
		if size == 0 {
			req.Body = http.NoBody
		}
		req.Header.Set("Content-Type", cl.contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if cl.auth {
		switch c.cfg.Auth {
		case "basic":
			req.SetBasicAuth(c.cfg.Username, c.cfg.Password.Reveal())
		case "bearer":
			req.Header.Set("Authorization", "Bearer "+c.cfg.Token.Reveal())
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read response: %w", err)
	}
	return resp.StatusCode, resp.Header, b, nil
}

// retryableTransport reports whether a failed attempt is worth repeating:
// anything but a bad certificate, which will not fix itself.
func retryableTransport(err error) bool {
	var certErr *tls.CertificateVerificationError
	return !errors.As(err, &certErr)
}

// retryableStatus reports whether an HTTP status is transient: 429, 5xx and,
// as MLflow's own client (mlflow/utils/rest_utils.py) does, 408. 501 and 505
// are permanent by definition, and MLflow answers 503 with a plain-text
// explanation when it runs with --no-serve-artifacts, which no retry mends.
func retryableStatus(status int, e *APIError) bool {
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return true
	case status == http.StatusNotImplemented, status == http.StatusHTTPVersionNotSupported:
		return false
	case status == http.StatusServiceUnavailable && strings.Contains(e.Message, "serve-artifacts"):
		return false
	}
	return status >= 500 && status <= 599
}

// backoff returns the wait before attempt n+1: the server's Retry-After when
// it gives one (capped), else jittered exponential backoff.
func (c *Client) backoff(n int, h http.Header) time.Duration {
	if ra := retryAfter(h); ra >= 0 {
		return min(ra, 30*time.Second)
	}
	d := c.minBackoff << min(n-1, 20)
	if d <= 0 || d > c.maxBackoff {
		d = c.maxBackoff
	}
	// Half fixed, half random: spreads retries of several clients without
	// ever retrying immediately.
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// retryAfter parses a Retry-After header (seconds or HTTP date); -1 if absent.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return -1
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return -1
}

// newAPIError builds the error for a non-2xx response: MLflow's error_code
// and message when the body is its JSON error, else the body's first line.
func newAPIError(op string, status int, body []byte) *APIError {
	e := &APIError{Op: op, StatusCode: status}
	var m struct {
		Code    string `json:"error_code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil && (m.Code != "" || m.Message != "") {
		e.Code, e.Message = m.Code, clip(m.Message, 500)
		return e
	}
	// Proxies answer with HTML or text; a short, single-line excerpt is
	// enough to tell a gateway error from MLflow's own.
	e.Message = clip(strings.Join(strings.Fields(string(body)), " "), 200)
	return e
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
