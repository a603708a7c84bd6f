// Command featurize fits the feature transform on the training split and
// writes the feature files: data/features/{train,test}.parquet (key, label
// and the 39 seed features of every shot) and data/features/transform.json.
// It prints one JSON report on stdout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/nba-mlops/nba-mlops/internal/stage"
)

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "featurize:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

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
	fs.StringVar(&c.InDir, "in-dir", "", "processed data: train.parquet and test.parquet (default <data-dir>/processed)")
	fs.StringVar(&c.OutDir, "out-dir", "", "where the feature files and transform.json go (default <data-dir>/features)")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := c.stage.Validate(); err != nil {
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
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.stage.CheckConfig {
		return printConfig(stdout, cfg)
	}
	st, err := stage.Open("featurize", cfg.stage, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	var rep *Report
	err = st.Run(ctx, func(ctx context.Context) (int64, error) {
		var err error
		if rep, err = featurize(ctx, cfg, st); err != nil {
			return 0, err
		}
		return rep.TrainRows + rep.TestRows, nil
	})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func printConfig(w io.Writer, c *config) error {
	out := struct {
		*config
		DataDir   string   `json:"data_dir"`
		SignalDir string   `json:"signal_dir"`
		WaitFor   string   `json:"wait_for"`
		Signal    string   `json:"signal"`
		LogFile   string   `json:"log_file"`
		Env       []string `json:"env"`
	}{c, c.stage.DataDir, c.stage.SignalDir, c.stage.WaitFor, c.stage.Signal, c.stage.LogFile, c.stage.Env()}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
