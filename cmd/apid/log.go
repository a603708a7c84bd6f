package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
)

// newLogger builds the process logger: text or JSON on w, with the request
// ID of the context added to every record logged with one.
func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(requestIDHandler{h})
}

// requestIDHandler adds request_id from the context, so that handlers and
// the packages they call need not thread a request logger around.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := requestIDFrom(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

type ctxKey int

const (
	requestIDKey ctxKey = iota
	userKey
)

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// asyncWriter is the log output of the server: Write copies the line into
// a buffer and returns, and one goroutine writes the buffer out, so that no
// request waits for a write to stderr (a system call per line, or a
// blocked pipe when whoever reads the logs falls behind). Under load the
// lines that queued during one write go out together in the next. When
// maxBuffered bytes are waiting, further lines are dropped and counted
// (Dropped, exported as nba_log_lines_dropped_total) instead of growing
// memory or blocking: losing an access-log line is better than stalling the
// API. slog handlers write each record with one Write call, so a line is
// dropped whole or kept whole.
type asyncWriter struct {
	out         io.Writer
	maxBuffered int
	wake        chan struct{} // capacity 1: "there is something to write"
	stop        chan struct{}
	done        chan struct{}
	dropped     atomic.Uint64
	closeOnce   sync.Once

	mu     sync.Mutex
	buf    []byte // waiting to be written
	spare  []byte // the buffer last written, reused for the next lines
	closed bool   // after Close, lines are written at once
}

func newAsyncWriter(out io.Writer, maxBuffered int) *asyncWriter {
	a := &asyncWriter{out: out, maxBuffered: maxBuffered, wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	go a.loop()
	return a
}

// Write queues p; it never blocks on the output.
func (a *asyncWriter) Write(p []byte) (int, error) {
	a.mu.Lock()
	if a.closed {
		defer a.mu.Unlock()
		return a.out.Write(p)
	}
	if len(a.buf)+len(p) > a.maxBuffered {
		a.mu.Unlock()
		a.dropped.Add(1)
		return len(p), nil
	}
	a.buf = append(a.buf, p...)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default: // already woken
	}
	return len(p), nil
}

func (a *asyncWriter) loop() {
	defer close(a.done)
	for {
		select {
		case <-a.wake:
			a.flush()
		case <-a.stop:
			a.flush()
			return
		}
	}
}

func (a *asyncWriter) flush() {
	a.mu.Lock()
	b := a.buf
	a.buf = a.spare[:0]
	a.mu.Unlock()
	if len(b) > 0 {
		_, _ = a.out.Write(b) // a log that cannot be written has no one to tell
	}
	a.mu.Lock()
	a.spare = b[:0]
	a.mu.Unlock()
}

// Dropped is the number of lines dropped because the buffer was full.
func (a *asyncWriter) Dropped() uint64 { return a.dropped.Load() }

// Close writes out what is buffered and stops the goroutine; later lines
// are written synchronously. It is idempotent.
func (a *asyncWriter) Close() {
	a.closeOnce.Do(func() {
		close(a.stop)
		<-a.done
		a.mu.Lock()
		defer a.mu.Unlock()
		a.closed = true
		if len(a.buf) > 0 { // lines that came between the last flush and closed
			_, _ = a.out.Write(a.buf)
			a.buf = nil
		}
	})
}
