package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// blockingWriter holds every Write until released, like a log pipe whose
// reader stopped reading.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	b       bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *blockingWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestAsyncWriterNeverBlocks: with the output stuck, writes still return at
// once; lines beyond the buffer are dropped whole and counted; the rest come
// out in order when the output moves again, and Close writes out the tail.
func TestAsyncWriterNeverBlocks(t *testing.T) {
	out := &blockingWriter{release: make(chan struct{})}
	a := newAsyncWriter(out, 100)
	line := func(i int) string { return fmt.Sprintf("line %03d padded to twenty\n", i)[:20] + "\n" } // 21 bytes
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			if n, err := a.Write([]byte(line(i))); n != 21 || err != nil {
				t.Errorf("Write = %d, %v", n, err)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Write blocked on a stuck output")
	}
	if a.Dropped() == 0 {
		t.Error("nothing dropped: 50 lines of 21 bytes fit a 100-byte buffer?")
	}
	close(out.release)
	a.Close()
	got := out.String()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines)+int(a.Dropped()) != 50 {
		t.Errorf("%d lines written + %d dropped, want 50", len(lines), a.Dropped())
	}
	prev := ""
	for _, l := range lines {
		if len(l) != 20 || l <= prev {
			t.Fatalf("line %q after %q: lines must be whole and in order\n%s", l, prev, got)
		}
		prev = l
	}
	if _, err := a.Write([]byte("after close\n")); err != nil || !strings.HasSuffix(out.String(), "after close\n") {
		t.Errorf("a line after Close was not written through: %v", err)
	}
}
