package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofHandler serves Go's runtime profiles under /debug/pprof/ (CPU,
// heap, goroutines, mutex, ...). Its own mux: importing net/http/pprof for
// its side effect would put the profiles on http.DefaultServeMux.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// servePprof serves pprofHandler on addr until the returned stop is called.
// The listener is opened before it returns, so a bad address fails the
// start. Profiles expose internals (command line, stacks): it is off unless
// --pprof-addr is given, and belongs on loopback.
func servePprof(logger *slog.Logger, addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof listen: %w", err)
	}
	// A CPU profile takes 30 s by default: no write timeout.
	srv := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 5 * time.Second}
	logger.Info("serving /debug/pprof", "addr", ln.Addr().String())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // ErrServerClosed after Close below
	}()
	return func() {
		_ = srv.Close() // profiles in progress are cut short; nothing is lost
		<-done
	}, nil
}
