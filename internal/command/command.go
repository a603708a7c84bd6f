// Package command is the edge every binary shares with the operating
// system: running its run function with the process's environment, usage
// errors, and the exit status they map to. Batch stages and daemons alike
// exit 0 on success and for --help, 2 for a usage error, 1 otherwise.
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// UsageError is a problem with what the user asked for: a flag, an
// environment variable, or an input file that is missing or of the wrong
// kind. The binary exits 2 and has changed nothing.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usage marks err as a usage error; nil and flag.ErrHelp stay as they are.
func Usage(err error) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &UsageError{Err: err}
}

// Usagef returns a formatted usage error.
func Usagef(format string, args ...any) error { return &UsageError{Err: fmt.Errorf(format, args...)} }

// ExitCode maps run's error to the process's exit status: 0 for success and
// for --help (the usage was printed), 2 for a usage error, 1 otherwise.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	default:
		return 1
	}
}

// RunFunc is the signature of every binary's run: the whole program with its
// environment passed in, so that tests can call it.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Main runs run with the process's environment, prints a failure as one
// line naming the binary, and exits with ExitCode.
func Main(name string, run RunFunc) {
	err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	}
	os.Exit(ExitCode(err))
}
