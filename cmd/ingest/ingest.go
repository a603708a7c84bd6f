package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/nba-mlops/nba-mlops/internal/atomicfile"
	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/stage"
)

// Report is what one ingest run did, printed as JSON on stdout.
type Report struct {
	Batch             string           `json:"batch"`
	Raw               string           `json:"raw"`
	Read              int64            `json:"read"`
	Accepted          int64            `json:"accepted"`
	Duplicates        int64            `json:"duplicates"`
	Quarantined       int64            `json:"quarantined"`
	QuarantinedByRule map[string]int64 `json:"quarantined_by_rule"`
	WarningsByRule    map[string]int64 `json:"warnings_by_rule"`
	RawTotal          int64            `json:"raw_total"`
	QuarantineFile    string           `json:"quarantine_file,omitempty"`
	DurationMS        int64            `json:"duration_ms"`
}

// game holds the fields that describe a game; they must agree on every row
// of a Game ID.
type game struct {
	date       int32
	home, away string
	seasonType string
}

type ingester struct {
	cfg      *config
	logger   *slog.Logger
	progress *stage.Progress

	keys   map[nba.Key]struct{}
	games  map[int32]game
	intern map[string]string
	rep    *Report

	quarantine *atomicfile.File
	qbuf       *bufio.Writer
	qw         *csv.Writer
	qHeader    []string
	started    time.Time
}

const maxLoggedRejects = 10

func (in *ingester) run(ctx context.Context) (*Report, error) {
	in.started = time.Now()
	in.rep = &Report{Batch: in.cfg.In, Raw: in.cfg.Raw,
		QuarantinedByRule: map[string]int64{}, WarningsByRule: map[string]int64{}}
	in.intern = map[string]string{}
	defer in.abortQuarantine()

	batch, err := os.Open(in.cfg.In)
	if err != nil {
		return nil, stage.MissingInput("batch", err, "generate-data")
	}
	defer batch.Close()
	if st, err := batch.Stat(); err == nil && st.IsDir() {
		return nil, command.Usage(fmt.Errorf("batch %s is a directory, want a CSV file", in.cfg.In))
	}
	rd, err := dataset.NewReader(batch, in.cfg.In)
	var he *dataset.HeaderError
	switch {
	case errors.As(err, &he) && he.Problem != "" && len(he.Missing) == 0 && isEmpty(batch):
		return in.emptyBatch()
	case err != nil:
		return nil, command.Usage(err)
	}
	in.qHeader = rd.Header()

	// Three things happen at once, because none of them needs to wait for
	// another and they use different resources: the kernel copies the old
	// raw rows into the new file, the raw dataset's keys are loaded, and
	// the batch is parsed and validated. Only deduplication needs the keys, so it runs last.
	out, err := atomicfile.Create(in.cfg.Raw)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	ctx, cancel := context.WithCancel(ctx)
	chunks := make(chan *chunk, maxBufferedChunks)
	validated := make(chan error, 1)
	go func() {
		defer close(chunks)
		validated <- in.validate(ctx, rd, chunks)
	}()
	// However run returns, the validator stops and is waited for.
	defer func() {
		cancel()
		for range chunks {
		}
	}()
	var (
		rawRows int64
		hasRaw  bool
		rg      errgroup.Group
	)
	rg.Go(func() error {
		raw, rows, err := in.openRaw()
		if err != nil || raw == nil {
			return err
		}
		raw.Close()
		hasRaw, rawRows = true, rows
		in.logger.Debug("raw dataset scanned", "rows", rows, "ms", time.Since(in.started).Milliseconds())
		return nil
	})
	rg.Go(func() error { return copyRaw(in.cfg.Raw, out.File) })
	if err := rg.Wait(); err != nil {
		return nil, err
	}
	in.logger.Debug("raw dataset copied", "ms", time.Since(in.started).Milliseconds())
	w := dataset.NewWriter(out)
	if !hasRaw {
		if err := w.WriteHeader(); err != nil {
			return nil, err
		}
	}
	for c := range chunks {
		if err := in.apply(c, w); err != nil {
			return nil, err
		}
	}
	if err := <-validated; err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("write %s: %w", out.Name(), err)
	}
	in.progress.Done()
	in.logger.Debug("batch streamed", "ms", time.Since(in.started).Milliseconds())
	in.rep.RawTotal = rawRows + in.rep.Accepted
	if in.rep.Accepted > 0 || !hasRaw {
		if err := out.Commit(); err != nil {
			return nil, err
		}
	}
	if err := in.commitQuarantine(); err != nil {
		return nil, err
	}
	in.rep.DurationMS = time.Since(in.started).Milliseconds()
	in.logSummary()
	return in.rep, nil
}

// copyRaw copies the raw dataset, if there is one, into the new file.
// io.Copy between two files uses copy_file_range: the kernel moves the bytes
// without them passing through this process.
func copyRaw(path string, dst *os.File) error {
	src, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("raw dataset: %w", err)
	}
	defer src.Close()
	if _, err := io.Copy(dst, src); err != nil {
		return fmt.Errorf("copy raw dataset %s: %w", path, err)
	}
	return nil
}

// isEmpty reports whether f holds no bytes at all: an empty batch, not a
// broken one.
func isEmpty(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Size() == 0
}

func (in *ingester) emptyBatch() (*Report, error) {
	in.logger.Warn("empty batch: nothing to ingest", "file", in.cfg.In)
	_, rows, err := in.openRaw()
	if err != nil {
		return nil, err
	}
	in.rep.RawTotal = rows
	in.rep.DurationMS = time.Since(in.started).Milliseconds()
	return in.rep, nil
}

// A chunk is a run of validated batch rows on their way to deduplication.
// Accepted rows travel already formatted, which is the most compact form.
type chunk struct {
	items []item
	buf   []byte
}

type item struct {
	key    nba.Key
	line   int32
	gameID int32
	game   game
	end    int32     // end of the row's bytes in buf; it starts where the previous row ended
	reject *rejected // nil for a valid row
}

type rejected struct {
	line         int
	raw          []string
	rule, detail string
}

const (
	chunkRows = 4096
	// maxBufferedChunks bounds how far validation may run ahead of
	// deduplication: about 1M rows, 250 MB.
	maxBufferedChunks = 256
)

// validate parses and checks every batch row, in order, and sends them on in
// chunks. It owns the warning counts until it returns.
func (in *ingester) validate(ctx context.Context, rd *dataset.Reader, out chan<- *chunk) error {
	var (
		rep    dataset.Report
		shot   nba.Shot
		intern = map[string]string{}
		c      = &chunk{}
	)
	str := func(s string) string {
		if v, ok := intern[s]; ok {
			return v
		}
		s = strings.Clone(s)
		intern[s] = s
		return s
	}
	send := func() error {
		select {
		case out <- c:
		case <-ctx.Done():
			return ctx.Err()
		}
		in.progress.Add(int64(len(c.items)))
		c = &chunk{items: make([]item, 0, chunkRows), buf: make([]byte, 0, chunkRows*180)}
		return nil
	}
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *dataset.RowError
		switch {
		case errors.As(err, &re):
			c.items = append(c.items, item{end: int32(len(c.buf)), reject: &rejected{
				line: rec.Line, raw: slices.Clone(rec.Raw), rule: re.Rule, detail: re.Issue.String()}})
		case err != nil:
			return fmt.Errorf("read %s: %w", in.cfg.In, err)
		case !dataset.Check(rec.Fields, &shot, &rep):
			c.items = append(c.items, item{end: int32(len(c.buf)), reject: &rejected{
				line: rec.Line, raw: slices.Clone(rec.Raw), rule: rep.Errors[0].Rule, detail: rep.Detail()}})
		default:
			c.buf = dataset.AppendShot(c.buf, &shot)
			c.items = append(c.items, item{key: shot.Key(), line: int32(rec.Line), gameID: shot.GameID, end: int32(len(c.buf)),
				game: game{date: shot.GameDate, home: str(shot.HomeTeam), away: str(shot.AwayTeam), seasonType: str(shot.SeasonType)}})
		}
		for _, wi := range rep.Warnings {
			in.rep.WarningsByRule[wi.Rule]++
		}
		rep.Reset()
		if len(c.items) == chunkRows {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if len(c.items) > 0 {
		return send()
	}
	return nil
}

// apply deduplicates a chunk against everything seen so far and writes the
// new rows.
func (in *ingester) apply(c *chunk, w *dataset.Writer) error {
	start := int32(0)
	for i := range c.items {
		it := &c.items[i]
		row := c.buf[start:it.end]
		start = it.end
		in.rep.Read++
		if r := it.reject; r != nil {
			if err := in.reject(r.line, r.raw, r.rule, r.detail); err != nil {
				return err
			}
			continue
		}
		if _, dup := in.keys[it.key]; dup {
			in.rep.Duplicates++
			continue
		}
		if prev, seen := in.games[it.gameID]; seen && prev != it.game {
			g := it.game
			detail := fmt.Sprintf("%s: game %d is %d %s vs %s (%s) elsewhere, this row says %d %s vs %s (%s)",
				dataset.RuleGameConsistency, it.gameID, prev.date, prev.home, prev.away, prev.seasonType,
				g.date, g.home, g.away, g.seasonType)
			raw, _ := csv.NewReader(bytes.NewReader(row)).Read()
			if err := in.reject(int(it.line), raw, dataset.RuleGameConsistency, detail); err != nil {
				return err
			}
			continue
		} else if !seen {
			in.games[it.gameID] = it.game
		}
		in.keys[it.key] = struct{}{}
		if err := w.WriteRaw(row); err != nil {
			return fmt.Errorf("write raw dataset: %w", err)
		}
		in.rep.Accepted++
	}
	return nil
}

// reject writes a row to the quarantine file, opening it on first use.
func (in *ingester) reject(line int, raw []string, rule, detail string) error {
	in.rep.Quarantined++
	in.rep.QuarantinedByRule[rule]++
	if in.rep.Quarantined <= maxLoggedRejects {
		in.logger.Warn("row quarantined", "file", in.cfg.In, "line", line, "rule", rule, "detail", detail)
	}
	if in.quarantine == nil {
		name := fmt.Sprintf("quarantine_%s_%s.csv", in.started.UTC().Format("20060102T150405Z"),
			strings.TrimSuffix(filepath.Base(in.cfg.In), filepath.Ext(in.cfg.In)))
		f, err := atomicfile.Create(filepath.Join(in.cfg.QuarantineDir, name))
		if err != nil {
			return err
		}
		in.quarantine = f
		in.qbuf = bufio.NewWriterSize(f, 1<<16)
		in.qw = csv.NewWriter(in.qbuf)
		// Rule and detail come first: a short or long row cannot shift them.
		if err := in.qw.Write(append([]string{"line", "rule", "detail"}, in.qHeader...)); err != nil {
			return err
		}
	}
	return in.qw.Write(append([]string{strconv.Itoa(line), rule, detail}, raw...))
}

func (in *ingester) commitQuarantine() error {
	if in.quarantine == nil {
		return nil
	}
	in.qw.Flush()
	if err := in.qw.Error(); err != nil {
		return fmt.Errorf("write quarantine: %w", err)
	}
	if err := in.qbuf.Flush(); err != nil {
		return fmt.Errorf("write quarantine: %w", err)
	}
	if err := in.quarantine.Commit(); err != nil {
		return err
	}
	in.rep.QuarantineFile = in.quarantine.Path()
	return nil
}

func (in *ingester) abortQuarantine() {
	if in.quarantine != nil {
		in.quarantine.Abort()
	}
}

func (in *ingester) logSummary() {
	in.logger.Info("batch ingested", "file", in.cfg.In, "read", in.rep.Read, "accepted", in.rep.Accepted,
		"duplicates", in.rep.Duplicates, "quarantined", in.rep.Quarantined, "raw_total", in.rep.RawTotal,
		"duration_ms", in.rep.DurationMS)
	for rule, n := range in.rep.WarningsByRule {
		in.logger.Info("validation warnings", "rule", rule, "rows", n)
	}
}

func (in *ingester) str(s string) string {
	if v, ok := in.intern[s]; ok {
		return v
	}
	s = strings.Clone(s)
	in.intern[s] = s
	return s
}

// openRaw opens the raw dataset, checks its header and loads its keys and
// games. A dataset that does not exist yet is fine: raw is nil.
func (in *ingester) openRaw() (raw *os.File, rows int64, err error) {
	in.keys = make(map[nba.Key]struct{})
	in.games = make(map[int32]game)
	f, err := os.Open(in.cfg.Raw)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("raw dataset: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("raw dataset: %w", err)
	}
	in.keys = make(map[nba.Key]struct{}, st.Size()/120) // rows are about 150 bytes
	rows, err = in.scanRaw(f)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, rows, nil
}

var kaggleHeader = strings.Join(nba.Columns(), ",")

// scanRaw reads the keys and game fields of the raw dataset. The raw file is
// ingest's own output, always in Kaggle order, so most lines are read with a
// hand-written split that looks only at the first two and last four fields;
// a line with quotes goes through encoding/csv instead.
func (in *ingester) scanRaw(f *os.File) (int64, error) {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	name := in.cfg.Raw
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return 0, fmt.Errorf("raw dataset %s: %w", name, err)
		}
		return 0, command.Usage(fmt.Errorf("raw dataset %s is empty; want the Kaggle header (delete the file to start afresh)", name))
	}
	if h := strings.TrimPrefix(sc.Text(), "\ufeff"); h != kaggleHeader {
		return 0, command.Usage(fmt.Errorf("raw dataset %s: header is not the Kaggle header in Kaggle order: %q", name, h))
	}
	var rows int64
	line := 1
	for sc.Scan() {
		line++
		b := sc.Bytes()
		var (
			gid, eid int32
			g        game
			ok       bool
		)
		if bytes.IndexByte(b, '"') < 0 {
			gid, eid, g, ok = splitRawLine(b, in)
		} else {
			gid, eid, g, ok = parseQuotedLine(b, in)
		}
		if !ok {
			return 0, fmt.Errorf("raw dataset %s:%d: not a valid shot row; restore the file from a backup or remove the line", name, line)
		}
		in.keys[nba.MakeKey(gid, eid)] = struct{}{}
		if _, seen := in.games[gid]; !seen {
			in.games[gid] = g
		}
		rows++
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("raw dataset %s: %w", name, err)
	}
	if err := endsWithNewline(f); err != nil {
		return 0, fmt.Errorf("raw dataset %s: %w", name, err)
	}
	return rows, nil
}

func endsWithNewline(f *os.File) error {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], st.Size()-1); err != nil {
		return err
	}
	if last[0] != '\n' {
		return errors.New("the last row has no newline: the file was cut short; restore it from a backup")
	}
	return nil
}

func splitRawLine(b []byte, in *ingester) (gid, eid int32, g game, ok bool) {
	var first [2][]byte
	rest := b
	for i := range first {
		j := bytes.IndexByte(rest, ',')
		if j < 0 {
			return 0, 0, g, false
		}
		first[i], rest = rest[:j], rest[j+1:]
	}
	var last [4][]byte
	tail := rest
	for i := 3; i >= 0; i-- {
		j := bytes.LastIndexByte(tail, ',')
		if j < 0 {
			return 0, 0, g, false
		}
		last[i], tail = tail[j+1:], tail[:j]
	}
	gid, ok1 := atoi32(first[0])
	eid, ok2 := atoi32(first[1])
	date, ok3 := atoi32(last[0])
	if !ok1 || !ok2 || !ok3 {
		return 0, 0, g, false
	}
	g = game{date: date, home: in.internBytes(last[1]), away: in.internBytes(last[2]), seasonType: in.internBytes(last[3])}
	return gid, eid, g, true
}

func parseQuotedLine(b []byte, in *ingester) (gid, eid int32, g game, ok bool) {
	rec, err := csv.NewReader(bytes.NewReader(b)).Read()
	if err != nil || len(rec) != nba.NumColumns {
		return 0, 0, g, false
	}
	gid, ok1 := atoi32([]byte(rec[nba.ColGameID]))
	eid, ok2 := atoi32([]byte(rec[nba.ColGameEventID]))
	date, ok3 := atoi32([]byte(rec[nba.ColGameDate]))
	if !ok1 || !ok2 || !ok3 {
		return 0, 0, g, false
	}
	return gid, eid, game{date: date, home: in.str(rec[nba.ColHomeTeam]), away: in.str(rec[nba.ColAwayTeam]),
		seasonType: in.str(rec[nba.ColSeasonType])}, true
}

func (in *ingester) internBytes(b []byte) string {
	if v, ok := in.intern[string(b)]; ok { // no allocation for the lookup
		return v
	}
	s := string(b)
	in.intern[s] = s
	return s
}

func atoi32(b []byte) (int32, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	if v > 1<<31-1 || v < -(1<<31) {
		return 0, false
	}
	return int32(v), true
}
