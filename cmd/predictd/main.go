// Command predictd is the prediction service: it serves the champion model
// named in best_model_metrics.json, swaps in a newly promoted one within a
// second without dropping a request, and answers the original system's
// /predict body, raw shots, and the Open Inference Protocol v2.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/daemon"
	"github.com/nba-mlops/nba-mlops/internal/envconf"
	"github.com/nba-mlops/nba-mlops/internal/model"
)

func main() { command.Main("predictd", run) }

type config struct {
	Addr         string        `json:"addr"`
	ModelsDir    string        `json:"models_dir"`
	PollInterval time.Duration `json:"poll_interval"`
	LogLevel     string        `json:"log_level"`
	LogFormat    string        `json:"log_format"`
	Env          []string      `json:"env"`
	checkConfig  bool
}

// Environment variables predictd reads.
var envVars = []string{"HTTP_ADDR", "PREDICTION_SERVICE_PORT", "NBA_MODELS_DIR", "NBA_POLL_INTERVAL", "LOG_LEVEL", "LOG_FORMAT"}

func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("predictd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envconf.SetUsage(fs, stderr, []string{"predictd [flags]"},
		"Serves the champion model over HTTP and swaps in a newly promoted one without a restart.", envVars)
	c := &config{Env: envVars}
	addr := ":8001"
	if p := getenv("PREDICTION_SERVICE_PORT"); p != "" {
		addr = ":" + p // the original's variable: the port only
	}
	if a := getenv("HTTP_ADDR"); a != "" {
		addr = a
	}
	poll := 500 * time.Millisecond
	if v := getenv("NBA_POLL_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("NBA_POLL_INTERVAL=%q: %w", v, err)
		}
		poll = d
	}
	fs.StringVar(&c.Addr, "addr", addr, "listen address (env HTTP_ADDR, or PREDICTION_SERVICE_PORT for the port)")
	fs.StringVar(&c.ModelsDir, "models-dir", envconf.Or(getenv, "NBA_MODELS_DIR", "./trained_models"), "directory of the model files and best_model_metrics.json (env NBA_MODELS_DIR)")
	fs.DurationVar(&c.PollInterval, "poll-interval", poll, "how often to look for a newly promoted champion (env NBA_POLL_INTERVAL)")
	fs.StringVar(&c.LogLevel, "log-level", envconf.Or(getenv, "LOG_LEVEL", "info"), "debug, info, warn or error (env LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", envconf.Or(getenv, "LOG_FORMAT", "text"), "text or json (env LOG_FORMAT)")
	fs.BoolVar(&c.checkConfig, "check-config", false, "validate flags and environment, print the configuration as JSON and exit")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if p := getenv("PREDICTION_SERVICE_PORT"); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("PREDICTION_SERVICE_PORT=%q: want a port number 1-65535", p)
		}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return nil, fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	if c.ModelsDir == "" {
		return nil, errors.New("--models-dir: must not be empty")
	}
	if c.PollInterval < 10*time.Millisecond {
		return nil, fmt.Errorf("--poll-interval %v: must be at least 10ms", c.PollInterval)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return nil, fmt.Errorf("--log-format %q: must be text or json", c.LogFormat)
	}
	return c, nil
}

// run is the whole program with its environment passed in; tests call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return command.Usage(err)
	}
	logger, err := daemon.NewLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return command.Usage(fmt.Errorf("--log-level: %w", err))
	}
	if cfg.checkConfig {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(cfg)
	}
	reg := prometheus.NewRegistry()
	m := newMetrics(reg)
	h := &holder{}
	rl := &reloader{dir: cfg.ModelsDir, holder: h, logger: logger, metrics: m,
		load: func(path string) (scorer, error) { return model.Load(path) }}
	if !rl.check(false) {
		logger.Warn("starting without a model: /readyz answers 503 until a champion is promoted", "models_dir", cfg.ModelsDir)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           NewServer(logger, reg, m, h),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	logger.Info("starting predictd", "addr", cfg.Addr, "models_dir", cfg.ModelsDir)
	// The watcher and the server share gctx: when serving fails (a taken
	// port), the watcher stops too and run returns the error at once.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		rl.watch(gctx, cfg.PollInterval, hup)
		return nil
	})
	g.Go(func() error { return daemon.Serve(gctx, logger, srv) })
	return g.Wait()
}
