package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/nba-mlops/nba-mlops/internal/atomicfile"
	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/parallel"
	"github.com/nba-mlops/nba-mlops/internal/parquetio"
	"github.com/nba-mlops/nba-mlops/internal/stage"
)

// Report is what process prints on stdout and writes to
// <out-dir>/manifest.json, where featurize and train find the data hashes.
type Report struct {
	Input          string           `json:"input"`
	RowsRead       int64            `json:"rows_read"`
	Invalid        int64            `json:"invalid"`
	InvalidByRule  map[string]int64 `json:"invalid_by_rule"`
	WarningsByRule map[string]int64 `json:"warnings_by_rule"`
	Duplicates     int64            `json:"duplicates"` // same key, same content: dropped
	Conflicts      int64            `json:"conflicts"`  // same key, other content: the first row kept
	TestFraction   float64          `json:"test_fraction"`
	TrainRows      int64            `json:"train_rows"`
	TestRows       int64            `json:"test_rows"`
	TrainGames     int64            `json:"train_games"`
	TestGames      int64            `json:"test_games"`
	TrainFile      string           `json:"train_file"`
	TestFile       string           `json:"test_file"`
	TrainSHA256    string           `json:"train_sha256"`
	TestSHA256     string           `json:"test_sha256"`
	DurationMS     int64            `json:"duration_ms"`
}

// ManifestFile is the name of the report beside the processed files.
const ManifestFile = "manifest.json"

const (
	chunkRows        = 8192
	maxLoggedInvalid = 10
)

type processor struct {
	cfg      *config
	logger   *slog.Logger
	progress *stage.Progress
	rep      *Report
	logged   int
}

// IsTest reports whether a game belongs to the test split: a stable hash of
// its Game ID, in ten-thousandths, below the test fraction. It depends on
// the game alone, so no game straddles the split, the split is the same on
// every run, and a game's side never changes as the data grows.
func IsTest(gameID int32, fraction float64) bool {
	return mix64(uint64(uint32(gameID)))%10_000 < uint64(fraction*10_000)
}

// mix64 is the splitmix64 finaliser: every bit of the id moves every bit
// of the hash, so consecutive game numbers land on both sides.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// chunk is a run of rows on its way through the pipeline: the reader fills
// fields, a validator fills shots and problems, the writer consumes them in
// sequence order.
type chunk struct {
	seq    int
	lines  []int    // file line of each row
	fields []string // NumColumns fields per row; nil row for a read error
	errs   []*dataset.RowError
	// Filled by a validator.
	shots    []nba.Shot
	hashes   []uint64 // content hash of each valid row's fields
	problems []problem
	warnings map[string]int64
}

type problem struct{ rule, detail string }

func (c *chunk) reset() {
	c.lines, c.fields, c.errs = c.lines[:0], c.fields[:0], c.errs[:0]
	c.shots, c.hashes, c.problems = c.shots[:0], c.hashes[:0], c.problems[:0]
	clear(c.warnings)
}

func (p *processor) run(ctx context.Context) (*Report, error) {
	start := time.Now()
	p.rep = &Report{Input: p.cfg.In, InvalidByRule: map[string]int64{}, WarningsByRule: map[string]int64{},
		TestFraction: p.cfg.TestFraction,
		TrainFile:    filepath.Join(p.cfg.OutDir, "train.parquet"),
		TestFile:     filepath.Join(p.cfg.OutDir, "test.parquet")}
	f, err := os.Open(p.cfg.In)
	if err != nil {
		return nil, stage.MissingInput("raw dataset", err, "ingest")
	}
	defer f.Close()
	rd, err := dataset.NewReader(f, p.cfg.In)
	if err != nil {
		return nil, err
	}
	// The key set is the one structure that grows with the data: size it
	// from the file (about 150 bytes a row) so it does not rehash.
	var sizeHint int
	if st, err := f.Stat(); err == nil {
		sizeHint = int(st.Size() / 150)
	}
	train, err := parquetio.Create[nba.Shot](p.rep.TrainFile)
	if err != nil {
		return nil, err
	}
	defer train.Abort()
	test, err := parquetio.Create[nba.Shot](p.rep.TestFile)
	if err != nil {
		return nil, err
	}
	defer test.Abort()

	sp := &splitter{fraction: p.cfg.TestFraction, seen: make(map[nba.Key]uint64, sizeHint), games: map[int32]bool{}}
	err = p.pipeline(ctx, rd, func(c *chunk) error { return p.consume(ctx, c, sp, train, test) })
	if err != nil {
		return nil, err
	}
	p.progress.Done()
	return p.finish(ctx, start, sp, train, test)
}

// pipeline streams the file through reader → validators → consume: one
// goroutine reads, GOMAXPROCS goroutines check rows (the most expensive
// step), and consume runs in the caller's goroutine on the chunks in file
// order. A fixed pool of chunks keeps memory bounded. Every goroutine is
// in the errgroup and has returned when pipeline does.
func (p *processor) pipeline(ctx context.Context, rd *dataset.Reader, consume func(*chunk) error) error {
	validators := parallel.Workers()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	free := make(chan *chunk, 4*validators)
	for range cap(free) {
		free <- &chunk{warnings: map[string]int64{}}
	}
	work := make(chan *chunk, 2*validators)
	done := make(chan *chunk, 2*validators)
	g.Go(func() error {
		defer close(work)
		return p.read(gctx, rd, free, work)
	})
	g.Go(func() error {
		defer close(done)
		var vg errgroup.Group
		for range validators {
			vg.Go(func() error {
				for c := range work {
					validate(c, p.cfg.In)
					select {
					case done <- c:
					case <-gctx.Done():
						return gctx.Err()
					}
				}
				return nil
			})
		}
		return vg.Wait()
	})
	err := inOrder(done, free, consume)
	if err != nil {
		cancel() // stop the reader and validators, then wait for them
		for range done {
		}
	}
	if werr := g.Wait(); err == nil {
		err = werr
	}
	return err
}

// inOrder hands the chunks arriving on done to consume in sequence order and
// returns each to free. free never blocks: it has room for every chunk.
func inOrder(done <-chan *chunk, free chan<- *chunk, consume func(*chunk) error) error {
	pending := map[int]*chunk{}
	next := 0
	for c := range done {
		pending[c.seq] = c
		for c, ok := pending[next]; ok; c, ok = pending[next] {
			delete(pending, next)
			next++
			if err := consume(c); err != nil {
				return err
			}
			c.reset()
			free <- c
		}
	}
	return nil
}

// splitter drops repeated keys and sends each game wholly to one split.
type splitter struct {
	fraction          float64
	seen              map[nba.Key]uint64 // key → content hash of the row kept
	games             map[int32]bool     // game → in the test split
	trainBuf, testBuf []nba.Shot
}

// consume counts a validated chunk into the report and writes its new rows
// to their split.
func (p *processor) consume(ctx context.Context, c *chunk, sp *splitter, train, test *parquetio.Writer[nba.Shot]) error {
	p.rep.RowsRead += int64(len(c.lines))
	for _, pr := range c.problems {
		p.invalid(ctx, pr.rule, pr.detail)
	}
	for r, n := range c.warnings {
		p.rep.WarningsByRule[r] += n
	}
	sp.trainBuf, sp.testBuf = sp.trainBuf[:0], sp.testBuf[:0]
	for i := range c.shots {
		s := &c.shots[i]
		k := s.Key()
		if h, dup := sp.seen[k]; dup {
			if h == c.hashes[i] {
				p.rep.Duplicates++
			} else {
				p.rep.Conflicts++
			}
			continue
		}
		sp.seen[k] = c.hashes[i]
		isTest := IsTest(s.GameID, sp.fraction)
		if _, ok := sp.games[s.GameID]; !ok {
			sp.games[s.GameID] = isTest
		}
		if isTest {
			sp.testBuf = append(sp.testBuf, *s)
		} else {
			sp.trainBuf = append(sp.trainBuf, *s)
		}
	}
	if err := train.Write(sp.trainBuf); err != nil {
		return err
	}
	if err := test.Write(sp.testBuf); err != nil {
		return err
	}
	p.progress.Add(int64(len(c.lines)))
	return nil
}

// finish commits both splits and writes the manifest.
func (p *processor) finish(ctx context.Context, start time.Time, sp *splitter, train, test *parquetio.Writer[nba.Shot]) (*Report, error) {
	for _, t := range sp.games {
		if t {
			p.rep.TestGames++
		} else {
			p.rep.TrainGames++
		}
	}
	p.rep.TrainRows, p.rep.TestRows = train.Rows(), test.Rows()
	if p.rep.TrainRows == 0 {
		return nil, fmt.Errorf("%s: no valid rows for the training split (%d read, %d invalid, %d in test)",
			p.cfg.In, p.rep.RowsRead, p.rep.Invalid, p.rep.TestRows)
	}
	if err := train.Commit(); err != nil {
		return nil, err
	}
	if err := test.Commit(); err != nil {
		return nil, err
	}
	p.rep.TrainSHA256, p.rep.TestSHA256 = train.SHA256(), test.SHA256()
	p.rep.DurationMS = time.Since(start).Milliseconds()
	if err := writeJSON(filepath.Join(p.cfg.OutDir, ManifestFile), p.rep); err != nil {
		return nil, err
	}
	p.logger.InfoContext(ctx, "processed", "rows_read", p.rep.RowsRead, "invalid", p.rep.Invalid,
		"duplicates", p.rep.Duplicates, "conflicts", p.rep.Conflicts, "train_rows", p.rep.TrainRows,
		"test_rows", p.rep.TestRows, "train_games", p.rep.TrainGames, "test_games", p.rep.TestGames,
		"duration_ms", p.rep.DurationMS)
	return p.rep, nil
}

// read splits the file into chunks of raw fields, numbered in order.
func (p *processor) read(ctx context.Context, rd *dataset.Reader, free <-chan *chunk, out chan<- *chunk) error {
	seq := 0
	var c *chunk
	send := func() error {
		select {
		case out <- c:
			c = nil
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		if c == nil {
			select {
			case c = <-free:
			case <-ctx.Done():
				return ctx.Err()
			}
			c.seq = seq
			seq++
		}
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *dataset.RowError
		switch {
		case errors.As(err, &re):
			c.errs = append(c.errs, re)
			c.lines = append(c.lines, rec.Line)
			c.fields = append(c.fields, make([]string, nba.NumColumns)...) // placeholder, never checked
			continue
		case err != nil:
			return fmt.Errorf("read %s: %w", p.cfg.In, err)
		}
		// Fields are substrings of one string per record, not reused by the
		// reader: copying the headers is enough.
		c.lines = append(c.lines, rec.Line)
		c.fields = append(c.fields, rec.Fields...)
		c.errs = append(c.errs, nil)
		if len(c.lines) == chunkRows {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if c != nil { // possibly empty, but it has taken a sequence number
		return send()
	}
	return nil
}

// validate checks every row of a chunk read from file.
func validate(c *chunk, file string) {
	var rep dataset.Report
	for i, line := range c.lines {
		if re := c.errs[i]; re != nil {
			c.problems = append(c.problems, problem{re.Rule, re.Error()})
			continue
		}
		fields := c.fields[i*nba.NumColumns : (i+1)*nba.NumColumns]
		c.shots = append(c.shots, nba.Shot{})
		s := &c.shots[len(c.shots)-1]
		if !dataset.Check(fields, s, &rep) {
			c.shots = c.shots[:len(c.shots)-1]
			c.problems = append(c.problems, problem{rep.Errors[0].Rule, (&dataset.RowError{File: file, Line: line, Issue: rep.Errors[0]}).Error()})
			continue
		}
		for _, w := range rep.Warnings {
			c.warnings[w.Rule]++
		}
		c.hashes = append(c.hashes, contentHash(fields))
	}
}

func (p *processor) invalid(ctx context.Context, rule, detail string) {
	p.rep.Invalid++
	p.rep.InvalidByRule[rule]++
	if p.logged < maxLoggedInvalid {
		p.logged++
		p.logger.WarnContext(ctx, "invalid row dropped", "rule", rule, "detail", detail)
	} else if p.logged == maxLoggedInvalid {
		p.logged++
		p.logger.WarnContext(ctx, "more invalid rows: only counted from here on")
	}
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// contentHash is FNV-1a over the fields with a separator: two rows with the
// same key are exact duplicates when their hashes agree.
func contentHash(fields []string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for _, f := range fields {
		for i := 0; i < len(f); i++ {
			h = (h ^ uint64(f[i])) * prime
		}
		h = (h ^ 0x1f) * prime
	}
	return h
}
