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

// Serve listens on every server's Addr and serves until ctx ends or one of
// them fails, then shuts them all down, giving requests in flight
// ShutdownGrace to finish. Every listener is opened before any serves, so a
// port that cannot be bound is an error at once: the caller's other
// goroutines (an errgroup sharing ctx) are then cancelled instead of waiting
// forever.
func Serve(ctx context.Context, logger *slog.Logger, srvs ...*http.Server) error {
	lns := make([]net.Listener, 0, len(srvs))
	for _, srv := range srvs {
		ln, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("listen on %s: %w", srv.Addr, err)
		}
		lns = append(lns, ln)
		logger.Info("listening", "addr", ln.Addr().String())
	}
	errc := make(chan error, len(srvs))
	for i, srv := range srvs {
		go func() { errc <- srv.Serve(lns[i]) }()
	}
	var first error
	returned := 0 // Serve calls that have returned
	select {
	case err := <-errc:
		first, returned = fmt.Errorf("serve: %w", err), 1
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	for _, srv := range srvs {
		if err := srv.Shutdown(sctx); err != nil && first == nil {
			first = fmt.Errorf("shutdown: %w", err)
		}
	}
	for ; returned < len(srvs); returned++ {
		<-errc // each remaining Serve returns ErrServerClosed
	}
	if first != nil {
		return first
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
