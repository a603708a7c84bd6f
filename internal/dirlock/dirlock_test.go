package dirlock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const lockName = ".lock"

func TestAcquireExcludesSecondHolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l, err := Acquire(t.Context(), dir, lockName, "first", 0)
	if err != nil {
		t.Fatal(err)
	}
	// flock belongs to the open file description, so a second open in the
	// same process conflicts just as another process would.
	_, err = Acquire(t.Context(), dir, lockName, "second", 0)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire = %v, want ErrLocked", err)
	}
	for _, want := range []string{filepath.Join(dir, lockName), "first pid " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Errorf("second Unlock = %v, want nil", err)
	}
	l2, err := Acquire(t.Context(), dir, lockName, "second", 0)
	if err != nil {
		t.Fatalf("Acquire after Unlock = %v", err)
	}
	l2.Unlock()
}

func TestAcquireWaitsForRelease(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l, err := Acquire(t.Context(), dir, lockName, "first", 0)
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(released)
		l.Unlock()
	}()
	l2, err := Acquire(t.Context(), dir, lockName, "second", time.Minute)
	if err != nil {
		t.Fatalf("waiting Acquire = %v", err)
	}
	defer l2.Unlock()
	select {
	case <-released:
	default:
		t.Fatal("second Acquire returned while the first still held the lock")
	}
}

func TestAcquireTimesOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l, err := Acquire(t.Context(), dir, lockName, "first", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	_, err = Acquire(t.Context(), dir, lockName, "second", 50*time.Millisecond)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "after waiting 50ms") {
		t.Fatalf("Acquire = %v, want ErrLocked after waiting 50ms", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = Acquire(ctx, dir, lockName, "third", time.Minute)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestAcquireCreatesDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "models", "nested")
	l, err := Acquire(t.Context(), dir, lockName, "train", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if l.Path() != filepath.Join(dir, lockName) {
		t.Errorf("Path() = %q, want %q", l.Path(), filepath.Join(dir, lockName))
	}
	if _, err := os.Stat(l.Path()); err != nil {
		t.Error(err)
	}
}

// The helper process: with DIRLOCK_HELPER set, the test binary runs one of
// the modes below instead of the tests.
func TestMain(m *testing.M) {
	switch os.Getenv("DIRLOCK_HELPER") {
	case "":
		os.Exit(m.Run())
	case "hold":
		os.Exit(helperHold(os.Getenv("DIRLOCK_DIR")))
	case "count":
		n, _ := strconv.Atoi(os.Getenv("DIRLOCK_N"))
		os.Exit(helperCount(os.Getenv("DIRLOCK_DIR"), n))
	}
	os.Exit(3)
}

// helperHold takes the lock, says so on stdout and holds it until killed or
// until stdin closes.
func helperHold(dir string) int {
	if _, err := Acquire(context.Background(), dir, lockName, "helper", 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return 0
}

// helperCount increments the number in dir/counter n times, each a
// read-sleep-write under the lock: without mutual exclusion two processes
// would lose increments.
func helperCount(dir string, n int) int {
	p := filepath.Join(dir, "counter")
	for range n {
		l, err := Acquire(context.Background(), dir, lockName, "counter", time.Minute)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		b, _ := os.ReadFile(p)
		v, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(time.Millisecond)
		if err := os.WriteFile(p, []byte(strconv.Itoa(v+1)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := l.Unlock(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

func helper(t *testing.T, mode, dir string, extra ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"DIRLOCK_HELPER=" + mode, "DIRLOCK_DIR=" + dir}, extra...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestLockAcrossProcesses: a lock held by another process refuses this one
// and names the holder's pid, and the kernel releases it when the holder is
// killed without unlocking.
func TestLockAcrossProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := helper(t, "hold", dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q, %v; want \"locked\"", line, err)
	}
	_, err = Acquire(t.Context(), dir, lockName, "test", 0)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("helper pid %d", cmd.Process.Pid)) {
		t.Errorf("Acquire while the helper holds the lock = %v, want ErrLocked naming helper pid %d", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	l, err := Acquire(t.Context(), dir, lockName, "test", 10*time.Second)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed = %v", err)
	}
	l.Unlock()
}

// TestMutualExclusionAcrossProcesses: two processes each add 1 to a
// counter file 50 times under the lock, with a sleep between read and write;
// the counter ends at exactly 100.
func TestMutualExclusionAcrossProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const procs, n = 2, 50
	var wg sync.WaitGroup
	errs := make([]error, procs)
	for i := range procs {
		cmd := helper(t, "count", dir, "DIRLOCK_N="+strconv.Itoa(n))
		wg.Go(func() { errs[i] = cmd.Run() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("helper %d: %v", i, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "counter"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != strconv.Itoa(procs*n) {
		t.Errorf("counter = %s, want %d: increments were lost, so the lock did not exclude", got, procs*n)
	}
}
