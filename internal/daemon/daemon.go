// Package daemon is what the long-running services (predictd, apid) share:
// serving HTTP until the context ends, with a graceful shutdown, and the
// exit status of main. Batch stages use internal/stage instead.
package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// ShutdownGrace is how long requests in flight get to finish once the
// context ends.
const ShutdownGrace = 10 * time.Second

// Serve listens on srv.Addr and serves until ctx ends or serving fails, then
// shuts srv down, giving requests in flight ShutdownGrace to finish. A port
// that cannot be bound is an error at once: the caller's other goroutines
// (an errgroup sharing ctx) are then cancelled instead of waiting forever.
func Serve(ctx context.Context, logger *slog.Logger, srv *http.Server) error {
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", srv.Addr, err)
	}
	logger.Info("listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-errc // Serve has returned ErrServerClosed
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// UsageError is a problem with the command line or the environment: the
// daemon exits 2 without having started anything.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usage marks err as a usage error; nil and flag.ErrHelp stay as they are.
func Usage(err error) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &UsageError{Err: err}
}

// ExitCode maps run's error to the exit status: 0 for success and for
// --help, 2 for a usage error, 1 otherwise, the same codes as the batch stages.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	default:
		return 1
	}
}

// RunFunc is a daemon's run: the whole program with its environment passed in.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Main runs run with the process's environment, prints a failure as one
// line naming the daemon, and exits with ExitCode.
func Main(name string, run RunFunc) {
	err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	}
	os.Exit(ExitCode(err))
}

// NewLogger returns the process logger: text or JSON records on w at level
// ("debug", "info", "warn" or "error").
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%q is not debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
