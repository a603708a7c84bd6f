package replicatest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// backend is one replica behind a balancer.
type backend struct {
	addr     string // host:port
	in       bool   // in rotation; guarded by balancer.mu
	inflight atomic.Int64
}

// balancer is the test's load balancer: an http.RoundTripper that sends
// each request to the next backend in rotation, round-robin. A request whose
// connection failed before a byte of it was written (refused, or reset
// while dialling) cannot have reached a replica, so it is sent to the next
// one, as HAProxy's "retry-on conn-failure" does; a request that failed
// after it was written may have been handled and is not resent: the client
// gets 503, the answer a Kubernetes Service's proxy gives for a dead pod.
//
// Taking a backend out of rotation (remove) and waiting for its requests in
// flight (drain) is what an endpoint removal plus a preStop wait does for a
// pod that is about to get SIGTERM.
type balancer struct {
	tr *http.Transport

	mu       sync.Mutex
	backends []*backend
	next     int

	retried   atomic.Int64 // requests resent after a connection failure before any byte was written
	failed503 atomic.Int64 // requests answered 503 by the balancer
}

func newBalancer(addrs ...string) *balancer {
	b := &balancer{tr: &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}}
	for _, a := range addrs {
		b.backends = append(b.backends, &backend{addr: a, in: true})
	}
	return b
}

// handler returns the reverse proxy that serves through b.
func (b *balancer) handler() http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", "backend" // RoundTrip picks the host
			pr.SetXForwarded()
		},
		Transport: b,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			b.failed503.Add(1)
			w.Header().Set("Retry-After", "1")
			http.Error(w, "no replica answered: "+err.Error(), http.StatusServiceUnavailable)
		},
	}
}

// pick returns the next backend in rotation that this request has not
// tried yet, and counts the request as in flight on it, under the lock, so
// that once remove has returned no request can still be on its way to the
// removed backend without drain seeing it.
func (b *balancer) pick(tried []*backend) *backend {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range b.backends {
		be := b.backends[b.next%len(b.backends)]
		b.next++
		if be.in && !slices.Contains(tried, be) {
			be.inflight.Add(1)
			return be
		}
	}
	return nil
}

// remove takes the backend at addr out of rotation.
func (b *balancer) remove(addr string) *backend {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, be := range b.backends {
		if be.addr == addr {
			be.in = false
			return be
		}
	}
	return nil
}

// add puts addr (back) into rotation.
func (b *balancer) add(addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, be := range b.backends {
		if be.addr == addr {
			be.in = true
			return
		}
	}
	b.backends = append(b.backends, &backend{addr: addr, in: true})
}

// drain waits until no request is in flight on be, at most timeout, and
// closes the idle connections so that the backend's shutdown finds none.
func (b *balancer) drain(be *backend, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for be.inflight.Load() > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d requests still in flight after %s", be.addr, be.inflight.Load(), timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.tr.CloseIdleConnections()
	return nil
}

// RoundTrip sends req to backends in turn until one answers or a failure
// happens after the request was written.
func (b *balancer) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	var tried []*backend
	var lastErr error
	for {
		be := b.pick(tried)
		if be == nil {
			if lastErr != nil {
				return nil, fmt.Errorf("every backend in rotation refused the connection: %w", lastErr)
			}
			return nil, errors.New("no backend in rotation")
		}
		tried = append(tried, be)
		var wrote atomic.Bool
		trace := &httptrace.ClientTrace{WroteHeaderField: func(string, []string) { wrote.Store(true) }}
		out := req.Clone(httptrace.WithClientTrace(req.Context(), trace))
		out.URL.Host, out.Host = be.addr, be.addr
		out.Body = io.NopCloser(bytes.NewReader(body))
		if body == nil {
			out.Body = nil
		}
		resp, err := b.tr.RoundTrip(out)
		if err == nil {
			resp.Body = &countedBody{ReadCloser: resp.Body, be: be}
			return resp, nil
		}
		be.inflight.Add(-1)
		if wrote.Load() || req.Context().Err() != nil {
			return nil, err
		}
		b.retried.Add(1)
		lastErr = err
	}
}

// countedBody ends the request's time in flight when the proxy has copied
// and closed the response body.
type countedBody struct {
	io.ReadCloser
	be   *backend
	once sync.Once
}

func (c *countedBody) Close() error {
	c.once.Do(func() { c.be.inflight.Add(-1) })
	return c.ReadCloser.Close()
}
