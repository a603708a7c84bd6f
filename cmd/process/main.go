// Command process cleans and types the raw dataset and splits it by game
// into data/processed/train.parquet and test.parquet. It re-validates every
// row (dataset.Check), drops invalid rows and exact duplicates, and prints
// one JSON report of the counts on stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/stage"
)

func main() { command.Main("process", run) }

// EnvTestFraction sets the default of --test-fraction.
const EnvTestFraction = "NBA_TEST_FRACTION"

type config struct {
	In           string  `json:"in"`
	OutDir       string  `json:"out_dir"`
	TestFraction float64 `json:"test_fraction"`
	stage        *stage.Flags
}

func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("process", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{TestFraction: 0.2}
	c.stage = stage.Register(fs, getenv, stage.Defaults{WaitFor: stage.SignalIngestion, Signal: stage.SignalProcessing})
	c.stage.SetUsage(fs, stderr, []string{"process [flags]"},
		"Cleans and types the raw dataset and splits it into train and test Parquet files by game.", EnvTestFraction)
	fs.StringVar(&c.In, "in", "", "raw dataset (default <data-dir>/raw/shots.csv)")
	fs.StringVar(&c.OutDir, "out-dir", "", "where train.parquet and test.parquet go (default <data-dir>/processed)")
	var envErr error
	if v := getenv(EnvTestFraction); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			envErr = fmt.Errorf("%s=%q: not a number", EnvTestFraction, v)
		}
		c.TestFraction = f
	}
	fs.Float64Var(&c.TestFraction, "test-fraction", c.TestFraction, "share of games in the test split, 0..1 (env "+EnvTestFraction+")")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if envErr != nil {
		return nil, envErr
	}
	if !(c.TestFraction >= 0 && c.TestFraction < 1) {
		return nil, fmt.Errorf("--test-fraction: %v is outside [0, 1)", c.TestFraction)
	}
	if err := c.stage.Validate(); err != nil {
		return nil, err
	}
	if c.In == "" {
		c.In = filepath.Join(c.stage.DataDir, "raw", "shots.csv")
	}
	if c.OutDir == "" {
		c.OutDir = filepath.Join(c.stage.DataDir, "processed")
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return command.Usage(err)
	}
	if cfg.stage.CheckConfig {
		return printConfig(stdout, cfg)
	}
	return stage.Execute(ctx, "process", cfg.stage, stdout, stderr, func(ctx context.Context, st *stage.Stage) (*Report, int64, error) {
		p := &processor{cfg: cfg, logger: st.Logger, progress: st.Progress("process", 0)}
		rep, err := p.run(ctx)
		if err != nil {
			return nil, 0, err
		}
		return rep, rep.TrainRows + rep.TestRows, nil
	})
}

func printConfig(w io.Writer, c *config) error {
	return stage.PrintConfig(w, c, c.stage, EnvTestFraction)
}
