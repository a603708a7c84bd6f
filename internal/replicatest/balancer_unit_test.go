package replicatest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func counting(n *atomic.Int64) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
}

// TestBalancerRetriesRefusedConnections: a backend that refuses connections
// costs a retry, never a failed request, and the body reaches the next one.
func TestBalancerRetriesRefusedConnections(t *testing.T) {
	t.Parallel()
	var na, nb atomic.Int64
	a, b := counting(&na), counting(&nb)
	defer a.Close()
	defer b.Close()
	lb := newBalancer(strings.TrimPrefix(a.URL, "http://"), closedAddr(t), strings.TrimPrefix(b.URL, "http://"))
	front := httptest.NewServer(lb.handler())
	defer front.Close()
	for i := range 30 {
		resp, err := http.Post(front.URL, "text/plain", strings.NewReader("hello"))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != "hello" {
			t.Fatalf("request %d: %d %q, want 200 \"hello\"", i, resp.StatusCode, got)
		}
	}
	// Turns go a, dead → b, a, dead → b, …: the dead backend's turns are
	// retried on the next live one.
	if na.Load() != 15 || nb.Load() != 15 || lb.retried.Load() != 15 {
		t.Errorf("a got %d, b got %d, %d retries; want 15, 15, 15", na.Load(), nb.Load(), lb.retried.Load())
	}
}

// TestBalancerRetriesUnderConcurrency: with requests interleaving, a retry
// still goes to a backend the request has not tried, so a dead backend
// among two never fails a request.
func TestBalancerRetriesUnderConcurrency(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	a := counting(&n)
	defer a.Close()
	lb := newBalancer(closedAddr(t), strings.TrimPrefix(a.URL, "http://"))
	front := httptest.NewServer(lb.handler())
	defer front.Close()
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				resp, err := http.Post(front.URL, "text/plain", strings.NewReader("x"))
				if err != nil || resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
				if err == nil {
					resp.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 || n.Load() != 200 {
		t.Errorf("%d of 200 requests failed, the live backend got %d; want 0 and 200", failed.Load(), n.Load())
	}
}

// TestBalancerDoesNotResendWrittenRequests: a backend that drops the
// connection after reading a request may have acted on it, so the client
// gets 503 and no other backend sees the request.
func TestBalancerDoesNotResendWrittenRequests(t *testing.T) {
	t.Parallel()
	var seen atomic.Int64
	drop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	}))
	defer drop.Close()
	other := counting(&seen)
	defer other.Close()
	lb := newBalancer(strings.TrimPrefix(drop.URL, "http://"), strings.TrimPrefix(other.URL, "http://"))
	front := httptest.NewServer(lb.handler())
	defer front.Close()
	resp, err := http.Post(front.URL, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || seen.Load() != 0 || lb.retried.Load() != 0 {
		t.Errorf("status %d, other backend saw %d, %d retries; want 503, 0, 0", resp.StatusCode, seen.Load(), lb.retried.Load())
	}
}

// TestBalancerRemoveAndDrain: a removed backend gets no new request, and
// drain returns once its requests in flight are done.
func TestBalancerRemoveAndDrain(t *testing.T) {
	t.Parallel()
	var na, nb atomic.Int64
	a, b := counting(&na), counting(&nb)
	defer a.Close()
	defer b.Close()
	addrA := strings.TrimPrefix(a.URL, "http://")
	lb := newBalancer(addrA, strings.TrimPrefix(b.URL, "http://"))
	front := httptest.NewServer(lb.handler())
	defer front.Close()
	be := lb.remove(addrA)
	if err := lb.drain(be, 0); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		resp, err := http.Get(front.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if na.Load() != 0 || nb.Load() != 10 {
		t.Errorf("removed backend got %d, other %d; want 0 and 10", na.Load(), nb.Load())
	}
	lb.add(addrA)
	for range 10 {
		resp, err := http.Get(front.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if na.Load() != 5 {
		t.Errorf("backend put back in rotation got %d of 10, want 5", na.Load())
	}
}
