// Package daemon is what the long-running services (predictd, apid) share:
// serving HTTP until the context ends, with a graceful shutdown, and their
// logger. Batch stages use internal/stage instead; both use internal/command
// for main and exit codes.
package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
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
