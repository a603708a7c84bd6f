// Command ingest validates a batch of new shots, quarantines the rows that
// break a hard rule, and appends the rest to the raw dataset without
// duplicates. It prints one JSON report on stdout.
package main

import (
	"context"
	"flag"
	"io"
	"path/filepath"

	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/stage"
)

func main() { command.Main("ingest", run) }

type config struct {
	In            string `json:"in"`
	Raw           string `json:"raw"`
	QuarantineDir string `json:"quarantine_dir"`
	stage         *stage.Flags
}

func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	c.stage = stage.Register(fs, getenv, stage.Defaults{WaitFor: stage.SignalNewData, Signal: stage.SignalIngestion})
	c.stage.SetUsage(fs, stderr, []string{"ingest [flags]"},
		"Validates a batch of new shots, quarantines the bad rows and appends the good ones to the raw dataset without duplicates.")
	fs.StringVar(&c.In, "in", "", "batch to ingest (default <data-dir>/new_data/new_data.csv)")
	fs.StringVar(&c.Raw, "raw", "", "raw dataset to append to (default <data-dir>/raw/shots.csv)")
	fs.StringVar(&c.QuarantineDir, "quarantine-dir", "", "where rejected rows go (default <data-dir>/quarantine)")
	if err := c.stage.Parse(fs, args); err != nil {
		return nil, err
	}
	dd := c.stage.DataDir
	if c.In == "" {
		c.In = filepath.Join(dd, "new_data", "new_data.csv")
	}
	if c.Raw == "" {
		c.Raw = filepath.Join(dd, "raw", "shots.csv")
	}
	if c.QuarantineDir == "" {
		c.QuarantineDir = filepath.Join(dd, "quarantine")
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
	return stage.Execute(ctx, "ingest", cfg.stage, stdout, stderr, func(ctx context.Context, st *stage.Stage) (*Report, int64, error) {
		in := &ingester{cfg: cfg, logger: st.Logger, progress: st.Progress("ingest", 0)}
		rep, err := in.run(ctx)
		if err != nil {
			return nil, 0, err
		}
		return rep, rep.Accepted, nil
	})
}

func printConfig(w io.Writer, c *config) error {
	return stage.PrintConfig(w, c, c.stage)
}
