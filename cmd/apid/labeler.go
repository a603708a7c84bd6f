package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/auth"
	"github.com/nba-mlops/nba-mlops/internal/envconf"
)

// labelerStore is what `apid labeler` needs from the store.
type labelerStore interface {
	SetLabeler(ctx context.Context, name string, labeler bool) error
}

// runLabeler is `apid labeler [--revoke] NAME`: it marks the account NAME as
// a labeler, whose verifications export-feedback sends into training, or
// takes the mark away. It is a command for whoever runs the database, not an
// API route: no token can make an account a labeler.
func runLabeler(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("apid labeler", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: apid labeler [--revoke] NAME\n\nMark the account NAME as a labeler: export-feedback exports only labelers' verifications.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	c := &config{}
	revoke := fs.Bool("revoke", false, "take the labeler mark away")
	fs.StringVar(&c.DataDir, "data-dir", envconf.Or(getenv, "NBA_DATA_DIR", "./data"), "data directory holding apid.db when no PostgreSQL is configured (env NBA_DATA_DIR)")
	fs.DurationVar(&c.DBWait, "db-wait", 30*time.Second, "how long to wait for PostgreSQL to accept connections")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("labeler: want one account name (apid labeler [--revoke] NAME)")
	}
	name := fs.Arg(0)
	if err := auth.CheckUsername(name); err != nil {
		return fmt.Errorf("labeler: %q: %w", name, err)
	}
	if err := c.loadDatabase(getenv); err != nil {
		return err
	}
	logger := newLogger(stderr, slog.LevelInfo, "text")
	db, err := openStore(ctx, logger, c)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetLabeler(ctx, name, !*revoke); err != nil {
		return fmt.Errorf("labeler %s: %w", name, err)
	}
	state := "is a labeler"
	if *revoke {
		state = "is no longer a labeler"
	}
	_, err = fmt.Fprintf(stdout, "%s %s\n", name, state)
	return err
}
