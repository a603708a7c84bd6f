package stage

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
	}
	return l, nil
}

// NewLogger returns a logger writing to stderr and, when logFile is not "",
// appending to logFile, one line per event as the original system did. The
// returned closer closes the file.
func NewLogger(stderr io.Writer, logFile, level, format string) (*slog.Logger, io.Closer, error) {
	lvl, err := parseLevel(level)
	if err != nil {
		return nil, nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl}
	handler := func(w io.Writer) slog.Handler {
		if strings.EqualFold(format, "json") {
			return slog.NewJSONHandler(w, opts)
		}
		return slog.NewTextHandler(w, opts)
	}
	if logFile == "" {
		return slog.New(handler(stderr)), io.NopCloser(nil), nil
	}
	if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
		return nil, nil, fmt.Errorf("log file %s: %w", logFile, err)
	}
	// O_APPEND writes of one line are atomic enough for several stages
	// sharing logs.log, as the original's containers did.
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	return slog.New(slog.NewMultiHandler(handler(stderr), handler(f))), f, nil
}
