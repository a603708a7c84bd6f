// Command generate-data writes the next batch of new shots for the pipeline,
// data/new_data/new_data.csv by default, in one of two modes:
//
//	generate-data --source FILE [--fraction 0.1] [--seed S]
//	generate-data --synthetic N [--seed S] [--seasons 1997-2019]
//
// --source draws a seeded Bernoulli sample of a Kaggle shot CSV, streaming,
// as the original system's nightly job did. --synthetic draws N realistic
// shots from the synthetic league of package synth. It prints one JSON
// summary on stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/envconf"
	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/stage"
	"github.com/nba-mlops/nba-mlops/internal/synth"
)

const name = "generate-data"

func main() { command.Main(name, run) }

// Environment variables read besides the stage's.
const (
	envSource    = "NBA_SOURCE_CSV"
	envFraction  = "NBA_SAMPLE_FRACTION"
	envSynthetic = "NBA_SYNTHETIC_ROWS"
	envSeed      = "NBA_SEED"
	envSeasons   = "NBA_SEASONS"
)

// Modes.
const (
	modeSample    = "sample"
	modeSynthetic = "synthetic"
)

type config struct {
	Mode      string  `json:"mode"`
	Source    string  `json:"source,omitempty"`
	Fraction  float64 `json:"fraction,omitempty"`
	Synthetic int64   `json:"synthetic,omitempty"`
	Seed      uint64  `json:"seed"`
	// SeedFrom says where the seed came from: "flag", "env" or "date"
	// (today's UTC date as YYYYMMDD when none is given, so each night's
	// batch differs and a rerun on the same day repeats it).
	SeedFrom  string `json:"seed_from"`
	Seasons   string `json:"seasons,omitempty"`
	Out       string `json:"out"`
	Universe  int    `json:"universe_version,omitempty"`
	Available int64  `json:"available,omitempty"`

	firstSeason, lastSeason int
	gen                     *synth.Generator
	stage                   *stage.Flags
}

func loadConfig(args []string, getenv func(string) string, stderr io.Writer, now time.Time) (*config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	c.stage = stage.Register(fs, getenv, stage.Defaults{Signal: stage.SignalNewData})
	c.stage.SetUsage(fs, stderr, []string{"generate-data --source FILE [--fraction 0.1] [--seed S] [flags]", "generate-data --synthetic N [--seed S] [--seasons 1997-2019] [flags]"},
		"Writes a batch of new shots: a seeded sample of a Kaggle CSV, or realistic synthetic shots.", ownEnv()...)
	var fraction, synthetic, seed string
	fs.StringVar(&c.Source, "source", getenv(envSource), "sample this Kaggle shot CSV (env "+envSource+")")
	fs.StringVar(&fraction, "fraction", envconf.Or(getenv, envFraction, "0.1"), "with --source: share of rows to keep, a `number` in (0, 1] (env "+envFraction+")")
	fs.StringVar(&synthetic, "synthetic", getenv(envSynthetic), "write `N` synthetic shots instead (env "+envSynthetic+")")
	fs.StringVar(&seed, "seed", getenv(envSeed), "random seed, an unsigned `integer` (env "+envSeed+"; default today's UTC date as YYYYMMDD)")
	fs.StringVar(&c.Seasons, "seasons", getenv(envSeasons), "with --synthetic: seasons to draw from, FROM-TO or one season, by start year (env "+envSeasons+"; default 1997-2019)")
	fs.StringVar(&c.Out, "out", "", "output CSV (default <data-dir>/new_data/new_data.csv)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, command.Usage(err)
	}
	if fs.NArg() > 0 {
		return nil, command.Usagef("unexpected arguments %q", fs.Args())
	}
	if err := c.stage.Validate(); err != nil {
		return nil, command.Usage(err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	// A mode named on the command line wins over one from the environment.
	switch {
	case set["source"] && !set["synthetic"]:
		synthetic = ""
	case set["synthetic"] && !set["source"]:
		c.Source = ""
	}
	switch {
	case c.Source != "" && synthetic != "":
		return nil, command.Usagef("--source and --synthetic: give one of them, not both")
	case c.Source == "" && synthetic == "":
		return nil, command.Usagef("give --source FILE to sample a shot CSV, or --synthetic N to generate N shots")
	case c.Source != "":
		c.Mode = modeSample
		if set["seasons"] {
			return nil, command.Usagef("--seasons: applies to --synthetic only")
		}
		c.Seasons = ""
		f, err := strconv.ParseFloat(fraction, 64)
		if err != nil || math.IsNaN(f) || f <= 0 || f > 1 {
			return nil, command.Usagef("--fraction: %q must be a number in (0, 1]", fraction)
		}
		c.Fraction = f
	default:
		c.Mode = modeSynthetic
		if set["fraction"] {
			return nil, command.Usagef("--fraction: applies to --source only")
		}
		n, err := strconv.ParseInt(synthetic, 10, 64)
		if err != nil || n <= 0 {
			return nil, command.Usagef("--synthetic: %q must be a positive number of rows", synthetic)
		}
		c.Synthetic = n
		if c.firstSeason, c.lastSeason, err = parseSeasons(c.Seasons); err != nil {
			return nil, command.Usagef("--seasons: %w", err)
		}
		c.Seasons = fmt.Sprintf("%d-%d", c.firstSeason, c.lastSeason)
	}
	switch {
	case set["seed"]:
		c.SeedFrom = "flag"
	case seed != "":
		c.SeedFrom = "env"
	default:
		seed = now.UTC().Format("20060102")
		c.SeedFrom = "date"
	}
	s, err := strconv.ParseUint(seed, 10, 64)
	if err != nil {
		return nil, command.Usagef("--seed: %q must be an unsigned integer", seed)
	}
	c.Seed = s
	if c.Out == "" {
		c.Out = filepath.Join(c.stage.DataDir, "new_data", "new_data.csv")
	}
	if c.Mode == modeSample && sameFile(c.Source, c.Out) {
		return nil, command.Usagef("--out: %s is the source; write the sample elsewhere", c.Out)
	}
	if c.Mode == modeSynthetic {
		// Building the universe takes ~30 ms and tells whether it holds
		// enough shots, so the check belongs to validation.
		g, err := synth.New(synth.Config{Rows: c.Synthetic, Seed: c.Seed, FirstSeason: c.firstSeason, LastSeason: c.lastSeason})
		if err != nil {
			return nil, command.Usagef("--synthetic: %w", err)
		}
		c.gen, c.Universe, c.Available = g, synth.UniverseVersion, g.Available()
	}
	return c, nil
}

// parseSeasons reads "2010-2019" or "2015" (start years); "" is every
// season of the data set.
func parseSeasons(s string) (first, last int, err error) {
	if s == "" {
		return league.FirstSeason, league.LastSeason, nil
	}
	from, to, found := strings.Cut(s, "-")
	if !found {
		to = from
	}
	first, err1 := strconv.Atoi(strings.TrimSpace(from))
	last, err2 := strconv.Atoi(strings.TrimSpace(to))
	switch {
	case err1 != nil || err2 != nil:
		return 0, 0, fmt.Errorf("%q is not FROM-TO or one season, by start year (e.g. 2010-2019)", s)
	case first < league.FirstSeason || last > league.LastSeason:
		return 0, 0, fmt.Errorf("%q is outside the data set's %d-%d", s, league.FirstSeason, league.LastSeason)
	case first > last:
		return 0, 0, fmt.Errorf("%q starts after it ends", s)
	}
	return first, last, nil
}

func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(sa, sb)
	}
	aa, _ := filepath.Abs(a)
	ab, _ := filepath.Abs(b)
	return aa == ab
}

// run is the whole program with its environment passed in; tests call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(args, getenv, stderr, time.Now())
	if err != nil {
		return command.Usage(err)
	}
	if cfg.stage.CheckConfig {
		return printConfig(stdout, cfg)
	}
	return stage.Execute(ctx, name, cfg.stage, stdout, stderr, func(ctx context.Context, st *stage.Stage) (*summary, int64, error) {
		var (
			sum *summary
			err error
		)
		if cfg.Mode == modeSample {
			sum, err = sampleSource(ctx, cfg, st)
		} else {
			sum, err = writeSynthetic(ctx, cfg, st)
		}
		if err != nil {
			return nil, 0, err
		}
		return sum, sum.Written, nil
	})
}

func printConfig(w io.Writer, c *config) error {
	return stage.PrintConfig(w, c, c.stage, ownEnv()...)
}

// ownEnv lists the environment variables generate-data reads besides the stage's.
func ownEnv() []string {
	return []string{envSource, envFraction, envSynthetic, envSeed, envSeasons}
}
