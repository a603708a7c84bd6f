//go:build unix

package replicatest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// buildBinaries builds apid and predictd once per test process.
func buildBinaries(t *testing.T) string {
	t.Helper()
	return testenv.Binaries(t, "./cmd/apid", "./cmd/predictd")
}

func TestMain(m *testing.M) { testenv.Main(m) }

// freeAddr returns a loopback address that was free a moment ago. Another
// process may take it first; the replica's start check then says so.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// replica is one apid or predictd process. It can be stopped and started
// again on the same address, as a container restarting in its pod.
type replica struct {
	name string
	bin  string
	args []string
	env  []string
	addr string
	log  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func newReplica(t *testing.T, name, bin, addr string, env []string, args ...string) *replica {
	t.Helper()
	r := &replica{name: name, bin: bin, args: args, env: env, addr: addr, log: filepath.Join(t.TempDir(), name+".log")}
	t.Cleanup(func() { r.kill(syscall.SIGKILL) })
	return r
}

// start starts the process and waits (at most 60 s) until GET /readyz
// answers 200.
func (r *replica) start(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(r.bin, r.args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = r.env, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", r.name, err)
	}
	f.Close()
	done := make(chan struct{})
	r.mu.Lock()
	r.cmd, r.done, r.err = cmd, done, nil
	r.mu.Unlock()
	go func() {
		err := cmd.Wait()
		r.mu.Lock()
		r.err = err
		r.mu.Unlock()
		close(done)
	}()
	if err := waitReady(r.addr, done, 60*time.Second); err != nil {
		t.Fatalf("%s: %v\n%s", r.name, err, r.tail())
	}
}

// kill sends sig to the process (nothing when it is not running).
func (r *replica) kill(sig syscall.Signal) {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(sig)
	if sig == syscall.SIGKILL {
		<-done
	}
}

// wait waits for the process to exit, at most timeout, and returns its exit
// error.
func (r *replica) wait(timeout time.Duration) error {
	r.mu.Lock()
	done := r.done
	r.mu.Unlock()
	select {
	case <-done:
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %s", r.name, timeout)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// tail returns the end of the process's log, for failure messages.
func (r *replica) tail() string {
	b, _ := os.ReadFile(r.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// waitReady polls http://addr/readyz until it answers 200, the process
// exits (done closes) or timeout passes.
func waitReady(addr string, done <-chan struct{}, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := &http.Client{Timeout: 2 * time.Second}
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-done:
			return errors.New("exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %s", timeout, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// baseEnv is the environment every replica starts from: only PATH, so that
// nothing of the test's own environment leaks in.
func baseEnv(kv ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "LOG_FORMAT=text"}, kv...)
}

// serve runs h on a new loopback listener until the test ends and returns
// its address.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func hostPort(u string) string { return strings.TrimPrefix(u, "http://") }
