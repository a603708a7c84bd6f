package stage

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/nba-mlops/nba-mlops/internal/command"
)

// Parse parses args[1:] into fs, refuses positional arguments and validates
// the common flags. Every failure is a usage error.
func (f *Flags) Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return command.Usage(err)
	}
	if fs.NArg() > 0 {
		return command.Usagef("unexpected arguments %q", fs.Args())
	}
	return command.Usage(f.Validate())
}

// PrintConfig writes the resolved configuration for --check-config: the
// binary's own settings (a struct with JSON tags), the common stage settings,
// and "env", every environment variable the binary reads: the stage's and
// the extra ones given.
func PrintConfig(w io.Writer, own any, f *Flags, extraEnv ...string) error {
	b, err := json.Marshal(own)
	if err != nil {
		return err
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("check-config: the configuration must be a JSON object: %w", err)
	}
	out["data_dir"] = f.DataDir
	if f.models {
		out["models_dir"] = f.ModelsDir
	}
	out["signal_dir"] = f.SignalDir
	out["wait_for"] = f.WaitFor
	out["signal"] = f.Signal
	out["wait_timeout"] = f.WaitTimeout.String()
	out["log_file"] = f.LogFile
	out["env"] = append(f.Env(), extraEnv...)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// Execute is the body of every batch binary once its flags are parsed: open
// the stage, run job under the signal-file protocol until SIGINT or SIGTERM,
// and print job's report as JSON on stdout. job returns the report and the
// number of rows it handled, for the stage metrics.
func Execute[R any](ctx context.Context, name string, f *Flags, stdout, stderr io.Writer,
	job func(ctx context.Context, st *Stage) (report R, rows int64, err error)) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := Open(name, f, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	var rep R
	err = st.Run(ctx, func(ctx context.Context) (int64, error) {
		var (
			rows int64
			err  error
		)
		rep, rows, err = job(ctx, st)
		return rows, err
	})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// MissingInput describes a failure to open a stage's input, what names it
// ("raw dataset", "batch"). A missing file is a usage error (exit 2, nothing
// changed) that names the stage to run first, previous; any other error is
// only wrapped.
func MissingInput(what string, err error, previous string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return command.Usagef("%s: %w (run %s first)", what, err, previous)
	}
	return fmt.Errorf("%s: %w", what, err)
}
