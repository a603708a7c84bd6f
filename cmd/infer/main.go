// Command infer scores shots with the champion model. As a pipeline stage it
// runs only when train has promoted a new model (signal_new_model_version,
// unless --force), scores the processed test split into
// data/predictions/predictions.csv and removes the signal whatever happens.
// With --in FILE --out FILE it scores any CSV in the Kaggle schema, label
// column optional, signal or not. It prints one JSON report on stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/stage"
)

func main() { command.Main("infer", run) }

type config struct {
	In           string `json:"in"`
	Out          string `json:"out"`
	Model        string `json:"model"`
	Force        bool   `json:"force"`
	ProcessedDir string `json:"processed_dir"`
	ModelsDir    string `json:"models_dir"`
	stage        *stage.Flags
}

func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("infer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	c.stage = stage.Register(fs, getenv, stage.Defaults{WaitFor: stage.SignalTraining, Signal: stage.SignalInference, Models: true})
	c.stage.SetUsage(fs, stderr, []string{"infer [flags]"},
		"Scores the processed test split (or --in CSV) with the champion model and writes predictions.csv.")
	fs.StringVar(&c.In, "in", "", "score this CSV (Kaggle schema, Shot Made Flag optional) instead of the processed test split; needs --out")
	fs.StringVar(&c.Out, "out", "", "predictions CSV (default <data-dir>/predictions/predictions.csv)")
	fs.StringVar(&c.Model, "model", "", "score with this model file instead of the champion")
	fs.BoolVar(&c.Force, "force", false, "score the test split even without "+stage.SignalNewModel)
	fs.StringVar(&c.ProcessedDir, "processed-dir", "", "processed data whose test.parquet is scored (default <data-dir>/processed)")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.In != "" && c.Out == "" {
		return nil, errors.New("--in needs --out: the file to write the predictions to")
	}
	if err := c.stage.Validate(); err != nil {
		return nil, err
	}
	if c.Out == "" {
		c.Out = filepath.Join(c.stage.DataDir, "predictions", "predictions.csv")
	}
	if c.ProcessedDir == "" {
		c.ProcessedDir = filepath.Join(c.stage.DataDir, "processed")
	}
	c.ModelsDir = c.stage.ModelsDir
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
	return stage.Execute(ctx, "infer", cfg.stage, stdout, stderr, func(ctx context.Context, st *stage.Stage) (*Report, int64, error) {
		rep, err := infer(ctx, cfg, st)
		if err != nil {
			return nil, 0, err
		}
		return rep, rep.Rows, nil
	})
}

func printConfig(w io.Writer, c *config) error {
	return stage.PrintConfig(w, c, c.stage)
}
