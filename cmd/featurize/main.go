// Command featurize fits the feature transform on the training split and
// writes the feature files: data/features/{train,test}.parquet (key, label
// and the 39 seed features of every shot) and data/features/transform.json.
// It prints one JSON report on stdout.
package main

import (
	"context"
	"flag"
	"io"
	"path/filepath"

	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/stage"
)

func main() { command.Main("featurize", run) }

type config struct {
	InDir  string `json:"in_dir"`
	OutDir string `json:"out_dir"`
	stage  *stage.Flags
}

func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("featurize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	c.stage = stage.Register(fs, getenv, stage.Defaults{WaitFor: stage.SignalProcessing, Signal: stage.SignalFeatures})
	c.stage.SetUsage(fs, stderr, []string{"featurize [flags]"},
		"Fits the feature transform on the training split and writes the feature files and transform.json.")
	fs.StringVar(&c.InDir, "in-dir", "", "processed data: train.parquet and test.parquet (default <data-dir>/processed)")
	fs.StringVar(&c.OutDir, "out-dir", "", "where the feature files and transform.json go (default <data-dir>/features)")
	if err := c.stage.Parse(fs, args); err != nil {
		return nil, err
	}
	if c.InDir == "" {
		c.InDir = filepath.Join(c.stage.DataDir, "processed")
	}
	if c.OutDir == "" {
		c.OutDir = filepath.Join(c.stage.DataDir, "features")
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
	return stage.Execute(ctx, "featurize", cfg.stage, stdout, stderr, func(ctx context.Context, st *stage.Stage) (*Report, int64, error) {
		rep, err := featurize(ctx, cfg, st)
		if err != nil {
			return nil, 0, err
		}
		return rep, rep.TrainRows + rep.TestRows, nil
	})
}

func printConfig(w io.Writer, c *config) error {
	return stage.PrintConfig(w, c, c.stage)
}
