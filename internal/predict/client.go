package predict

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Paths of predictd's endpoints.
const (
	PathPredict     = "/predict"
	PathPredictShot = "/predict/shot"
	// PathPredictRecord scores a shot record (ShotRequest.Record: the
	// request with every derived member) that its caller has already
	// validated and derived from a /predict/shot body, as apid does:
	// predictd checks only the bounds that keep the model's arithmetic
	// meaningful, not the whole request again.
	PathPredictRecord = "/predict/record"
	PathReady         = "/readyz"
)

// ErrUnavailable is the error (code unavailable, HTTP 503 in apid) for any
// failure to get an answer from predictd: connection refused or reset,
// timeout, a 5xx, or an answer that is not a prediction. The cause is
// wrapped beside it for the logs.
var ErrUnavailable = &nba.Error{Code: nba.EUnavailable, Message: "prediction service unavailable"}

// Client calls predictd. It is safe for concurrent use.
type Client struct {
	base string
	hc   *http.Client
}

// NewClient returns a client for the predictd at baseURL (such as
// http://127.0.0.1:8001). With a nil httpClient it uses NewHTTPClient().
func NewClient(baseURL string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prediction service URL %q is not an http(s) URL with a host", baseURL)
	}
	if httpClient == nil {
		httpClient = NewHTTPClient()
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: httpClient}, nil
}

// NewHTTPClient returns an HTTP client tuned for many concurrent calls to one
// host: Go's default transport keeps only 2 idle connections per host, so
// under load most requests would open (and leave in TIME_WAIT) a new
// connection, the very fault that made the original API slow.
func NewHTTPClient() *http.Client {
	tr := &http.Transport{
		Proxy:                 nil, // predictd is an internal service: never via HTTP(S)_PROXY
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     false,
		// Answers are under 200 bytes: asking for gzip would only add a
		// header to every request and a decompressor to any gzip answer.
		DisableCompression: true,
	}
	return &http.Client{Transport: tr, Timeout: 15 * time.Second}
}

// Predict scores a feature vector.
// Errors: *httpjson.ValidationError when predictd refuses the body (422, its
// detail passed through); unavailable; the context's error.
func (c *Client) Predict(ctx context.Context, f Features) (Prediction, error) {
	var p Prediction
	err := c.post(ctx, PathPredict, f.AppendJSON(make([]byte, 0, 1024)), &p)
	if err == nil {
		err = p.check()
	}
	return p, err
}

// PredictRecord scores a shot record (ShotRequest.Record) of a request that
// the caller has validated and completed with ShotRequest.Shot: predictd
// scores it through its model's transform without validating the request
// again.
// Errors: as Predict.
func (c *Client) PredictRecord(ctx context.Context, record []byte) (Prediction, error) {
	var p Prediction
	err := c.post(ctx, PathPredictRecord, record, &p)
	if err == nil {
		err = p.check()
	}
	return p, err
}

// Ready reports whether predictd has a model loaded (GET /readyz is 200).
// Errors: unavailable.
func (c *Client) Ready(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+PathReady, nil)
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(ctx, err)
	}
	drain(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("predict: %w: readyz answered %s", ErrUnavailable, resp.Status)
	}
	return nil
}

func (p Prediction) check() error {
	if (p.Prediction != 0 && p.Prediction != 1) || math.IsNaN(p.Probability) || p.Probability < 0 || p.Probability > 1 || p.ModelVersion == "" {
		return fmt.Errorf("predict: %w: answer %+v is not a prediction", ErrUnavailable, p)
	}
	return nil
}

func (c *Client) post(ctx context.Context, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(ctx, err)
	}
	defer drain(resp.Body)
	// Answers are small; the limit keeps a confused server from filling memory.
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return c.transportError(ctx, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("predict: %w: undecodable answer: %w", ErrUnavailable, err)
		}
		return nil
	case resp.StatusCode == http.StatusUnprocessableEntity:
		var d struct {
			Detail []httpjson.FieldError `json:"detail"`
		}
		if err := json.Unmarshal(data, &d); err != nil || len(d.Detail) == 0 {
			return fmt.Errorf("predict: %w: 422 without a FastAPI detail list", ErrUnavailable)
		}
		return &httpjson.ValidationError{Fields: d.Detail}
	case resp.StatusCode >= 500:
		return fmt.Errorf("predict: %w: %s answered %s", ErrUnavailable, path, resp.Status)
	default:
		// Any other 4xx means apid and predictd disagree on the contract:
		// a bug, not something the client can fix.
		return fmt.Errorf("predict: %s answered %s: %.200s", path, resp.Status, data)
	}
}

// transportError returns the caller's context error when it ended the call,
// and unavailable otherwise.
func (c *Client) transportError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return fmt.Errorf("predict: %w", ctxErr)
	}
	return fmt.Errorf("predict: %w: %w", ErrUnavailable, err)
}

// drain reads what is left of a body and closes it, so that the connection
// goes back to the pool.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
