package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/atomicfile"
	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/stage"
)

// summary is what one run wrote, printed as JSON on stdout.
type summary struct {
	Mode         string `json:"mode"`
	Out          string `json:"out"`
	Seed         uint64 `json:"seed"`
	*SampleStats        // --source only
	Written      int64  `json:"written"`
	Seasons      string `json:"seasons,omitempty"`
	Universe     int    `json:"universe_version,omitempty"`
	Available    int64  `json:"available,omitempty"`
	DurationMS   int64  `json:"duration_ms"`
}

// SampleStats are the counts of a --source run. Read counts the source's
// data rows; MalformedSkipped those of them that could not be mapped to the
// Kaggle columns (a wrong number of fields, broken quoting) and were left
// out.
type SampleStats struct {
	Source           string  `json:"source"`
	Fraction         float64 `json:"fraction"`
	Read             int64   `json:"read"`
	MalformedSkipped int64   `json:"malformed_skipped"`
}

// sampleSalt keeps the sampling stream apart from other uses of a seed.
const sampleSalt = 0x6e62612d73616d70 // "nba-samp"

// maxLoggedMalformed bounds the log lines about skipped rows; the summary
// has the full count.
const maxLoggedMalformed = 5

// sampleSource streams the source CSV and keeps each data row with
// probability --fraction: one draw per row from a PCG stream seeded by
// --seed, so the same seed and file give the same sample, and the sample
// never needs the file in memory.
//
// Rows are copied field by field into Kaggle column order without being
// parsed: checking values is ingest's job, and a row with a bad value goes
// through so that ingest quarantines it with its reason. A row that cannot
// be mapped to the columns at all (a wrong number of fields, broken quoting)
// is skipped, counted and logged, since the output could only carry it in a
// shape that is not the Kaggle schema.
func sampleSource(ctx context.Context, cfg *config, st *stage.Stage) (*summary, error) {
	start := time.Now()
	sum := &summary{Mode: modeSample, Out: cfg.Out, Seed: cfg.Seed, SampleStats: &SampleStats{Source: cfg.Source, Fraction: cfg.Fraction}}
	in, err := os.Open(cfg.Source)
	if err != nil {
		return nil, command.Usage(fmt.Errorf("--source: %w", err))
	}
	defer in.Close()
	if fi, err := in.Stat(); err == nil && fi.IsDir() {
		return nil, command.Usagef("--source: %s is a directory, want a CSV file", cfg.Source)
	}
	rd, err := dataset.NewReader(in, cfg.Source)
	if err != nil {
		return nil, command.Usage(err)
	}
	if !rd.InKaggleOrder() {
		st.Logger.Info("source columns are not in Kaggle order: writing them in Kaggle order", "file", cfg.Source)
	}
	out, err := atomicfile.Create(cfg.Out)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	w := dataset.NewWriter(out)
	if err := w.WriteHeader(); err != nil {
		return nil, fmt.Errorf("write %s: %w", cfg.Out, err)
	}
	r := rand.New(rand.NewPCG(cfg.Seed, sampleSalt))
	prog := st.Progress(name, 0)
	for {
		if sum.Read&0xffff == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *dataset.RowError
		if err != nil && !errors.As(err, &re) {
			return nil, fmt.Errorf("read %s: %w", cfg.Source, err)
		}
		sum.Read++
		if sum.Read&0xfff == 0 {
			prog.Add(0x1000)
		}
		keep := r.Float64() < cfg.Fraction // drawn for every row, so one bad row shifts no other row's draw
		if re != nil {
			sum.MalformedSkipped++
			if sum.MalformedSkipped <= maxLoggedMalformed {
				st.Logger.Warn("malformed source row skipped", "file", cfg.Source, "line", re.Line, "rule", re.Rule, "detail", re.Detail)
			}
			continue
		}
		if keep {
			if err := w.WriteFields(rec.Fields); err != nil {
				return nil, fmt.Errorf("write %s: %w", out.Name(), err)
			}
			sum.Written++
		}
	}
	prog.Done()
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("write %s: %w", out.Name(), err)
	}
	if err := out.Commit(); err != nil {
		return nil, err
	}
	if sum.Read == 0 {
		st.Logger.Warn("source has no data rows: wrote a header-only batch", "file", cfg.Source)
	}
	sum.DurationMS = time.Since(start).Milliseconds()
	st.Logger.Info("sample written", "source", cfg.Source, "out", cfg.Out, "read", sum.Read, "written", sum.Written,
		"malformed_skipped", sum.MalformedSkipped, "fraction", cfg.Fraction, "seed", cfg.Seed, "duration_ms", sum.DurationMS)
	return sum, nil
}

// writeSynthetic writes --synthetic shots from the synthetic league.
func writeSynthetic(ctx context.Context, cfg *config, st *stage.Stage) (*summary, error) {
	start := time.Now()
	sum := &summary{Mode: modeSynthetic, Out: cfg.Out, Seed: cfg.Seed, Seasons: cfg.Seasons,
		Universe: cfg.Universe, Available: cfg.Available}
	out, err := atomicfile.Create(cfg.Out)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	w := dataset.NewWriter(out)
	if err := w.WriteHeader(); err != nil {
		return nil, fmt.Errorf("write %s: %w", cfg.Out, err)
	}
	prog := st.Progress(name, cfg.Synthetic)
	err = cfg.gen.Run(ctx, func(s *nba.Shot) error {
		if err := w.Write(s); err != nil {
			return fmt.Errorf("write %s: %w", out.Name(), err)
		}
		if sum.Written++; sum.Written&0xfff == 0 {
			prog.Add(0x1000)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	prog.Done()
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("write %s: %w", out.Name(), err)
	}
	if err := out.Commit(); err != nil {
		return nil, err
	}
	sum.DurationMS = time.Since(start).Milliseconds()
	st.Logger.Info("synthetic batch written", "out", cfg.Out, "rows", sum.Written, "seed", cfg.Seed,
		"seasons", cfg.Seasons, "universe_version", cfg.Universe, "duration_ms", sum.DurationMS)
	return sum, nil
}
