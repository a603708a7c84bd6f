// Command ingest validates a batch of new shots, quarantines the rows that
// break a hard rule, and appends the rest to the raw dataset without
// duplicates. It prints one JSON report on stdout.
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
	err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return // -h: the usage was printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(exitCode(err))
	}
}

// inputError is a problem with what the user asked ingest to read: a missing
// file, a header without the Kaggle columns. It exits 2, like a usage error,
// and the raw dataset is untouched.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ie *inputError
	if errors.As(err, &ie) {
		return 2
	}
	return 1
}

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
	fs.StringVar(&c.In, "in", "", "batch to ingest (default <data-dir>/new_data/new_data.csv)")
	fs.StringVar(&c.Raw, "raw", "", "raw dataset to append to (default <data-dir>/raw/shots.csv)")
	fs.StringVar(&c.QuarantineDir, "quarantine-dir", "", "where rejected rows go (default <data-dir>/quarantine)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ingest [--data-dir DIR] [--in FILE] [--raw FILE] [--quarantine-dir DIR] [--chain]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return nil, &inputError{err}
	}
	if fs.NArg() > 0 {
		return nil, &inputError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if err := c.stage.Validate(); err != nil {
		return nil, &inputError{err}
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
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.stage.CheckConfig {
		return printConfig(stdout, cfg)
	}
	st, err := stage.Open("ingest", cfg.stage, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	var rep *Report
	err = st.Run(ctx, func(ctx context.Context) (int64, error) {
		in := &ingester{cfg: cfg, logger: st.Logger, progress: st.Progress("ingest", 0)}
		var err error
		rep, err = in.run(ctx)
		if err != nil {
			return 0, err
		}
		return rep.Accepted, nil
	})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
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
