package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/atomicfile"
	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/envconf"
	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// exportStore is what export-feedback needs from the store.
type exportStore interface {
	VerifiedShots(ctx context.Context) ([]store.VerifiedShot, error)
	SetExportKeys(ctx context.Context, keys []store.ExportKey) error
}

// Synthetic event numbers: real play-by-play numbers stay far below 9000
// (the data's largest is 762, and even a quadruple-overtime game ends near
// 1100), so a (Game ID, Game Event ID) key with an event in this range can
// never be a real shot's key, whatever the Game ID.
const (
	firstSyntheticEvent = 9000
	lastSyntheticEvent  = 9999
)

// exportSummary is printed as JSON on stdout.
type exportSummary struct {
	Out          string `json:"out"`
	Rows         int    `json:"rows"`
	NewKeys      int    `json:"new_keys"`
	SyntheticIDs int    `json:"synthetic_game_ids"`
	Skipped      int    `json:"skipped"`
	// NotByLabeler counts verifications left out because the account that
	// made them is not a labeler (without --all-verifiers).
	NotByLabeler int `json:"not_by_labeler"`
}

// exportEnv lists the environment variables export-feedback reads.
var exportEnv = []string{"DATABASE_URL", "DB_HOST", "DB_NAME", "DB_PASSWORD", "DB_PASSWORD_FILE", "DB_PORT", "DB_USER",
	"LOG_FORMAT", "LOG_LEVEL", "NBA_DATA_DIR"}

// runExport is `apid export-feedback --out FILE`: every verified
// /predict/shot prediction as a row of the Kaggle schema, Shot Made Flag
// being the user's verification, ready for ingest.
//
// Keys. ingest de-duplicates on (Game ID, Game Event ID) and checks, within
// a file, that every row of a Game ID has the same date, teams and season
// type. A row keeps the caller's game_id (and game_event_id) when it gave
// one that no other game in the export uses. Otherwise it gets a synthetic
// Game ID that passes the validator (right type digit and season) but names
// no real game where that is possible: playoff games of round 4, series
// 1-7 (only series 0 is ever played), numbers 99 down before 2001-02, and
// regular-season numbers counting down from 1230 (every number is a real
// game in a full season, so there only the event number keeps the key
// apart). One synthetic Game ID serves every shot of the same date, teams
// and season type. Events not given by the caller are numbered from 9000 up
// within their game. Keys are stored with the prediction the first time it
// is exported, so later exports repeat them and re-ingesting is a no-op.
//
// Trust. Anyone may sign up and verify any prediction first, so a
// verification is only a claim. Only those made by labeler accounts (the
// bootstrap account, and those `apid labeler` marks) are exported; training
// on the rest would let any self-registered user steer the model.
// --all-verifiers exports them all, for deployments where every account is
// trusted.
func runExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("apid export-feedback", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envconf.SetUsage(fs, stderr, []string{"apid export-feedback --out FILE [flags]"},
		"Writes the verified raw-shot predictions as Kaggle-schema rows for ingest.", exportEnv)
	c := &config{}
	var out string
	fs.StringVar(&out, "out", "", "CSV file to write (required)")
	fs.StringVar(&c.DataDir, "data-dir", envconf.Or(getenv, "NBA_DATA_DIR", "./data"), "data directory holding apid.db when no PostgreSQL is configured (env NBA_DATA_DIR)")
	fs.DurationVar(&c.DBWait, "db-wait", 30*time.Second, "how long to wait for PostgreSQL to accept connections")
	logLevel := fs.String("log-level", envconf.Or(getenv, "LOG_LEVEL", "info"), "debug, info, warn or error (env LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", envconf.Or(getenv, "LOG_FORMAT", "text"), "text or json (env LOG_FORMAT)")
	fs.BoolVar(&c.CheckConfig, "check-config", false, "print the resolved configuration as JSON and exit")
	allVerifiers := fs.Bool("all-verifiers", false, "export verifications by every account, not only by labelers")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if out == "" {
		return errors.New("export-feedback: --out FILE is required")
	}
	if err := c.loadDatabase(getenv); err != nil {
		return err
	}
	if err := c.LogLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level %q (env LOG_LEVEL): want debug, info, warn or error", *logLevel)
	}
	if c.CheckConfig {
		db := map[string]string{"driver": "sqlite", "path": c.SQLitePath()}
		if !c.DatabaseURL.IsZero() {
			db = map[string]string{"driver": "postgres", "url": redactedURL(c.DatabaseURL), "from": c.DatabaseFrom}
		}
		return json.NewEncoder(stdout).Encode(map[string]any{"out": out, "data_dir": c.DataDir, "database": db,
			"env": exportEnv})
	}
	logger := newLogger(stderr, c.LogLevel, c.LogFormat)
	db, err := openStore(ctx, logger, c)
	if err != nil {
		return err
	}
	defer db.Close()
	sum, err := exportFeedback(ctx, logger, db, out, *allVerifiers)
	if err != nil {
		return fmt.Errorf("export-feedback: %w", err)
	}
	return json.NewEncoder(stdout).Encode(sum)
}

// exportRow is a verified shot on its way to the file.
type exportRow struct {
	id        int64
	shot      nba.Shot // Shot Made Flag set; Game ID and event set once keyed
	given     bool     // the caller gave a game_id
	givenGame int32
	givenEvt  int32
	keyed     bool // keys come from an earlier export
}

// gameKey is what ingest requires to be constant within a Game ID.
type gameKey struct {
	seasonType       string
	date             int32
	home, away       string
	season, gameType int
}

func keyOf(s *nba.Shot) gameKey {
	k := gameKey{seasonType: s.SeasonType, date: s.GameDate, home: s.HomeTeam, away: s.AwayTeam, gameType: league.GameTypeRegular}
	if d, err := league.ParseDate(s.GameDate); err == nil {
		k.season = league.SeasonOf(d)
	}
	if s.SeasonType == nba.SeasonPlayoffs {
		k.gameType = league.GameTypePlayoffs
	}
	return k
}

func exportFeedback(ctx context.Context, logger *slog.Logger, db exportStore, out string, allVerifiers bool) (exportSummary, error) {
	sum := exportSummary{Out: out}
	shots, err := db.VerifiedShots(ctx)
	if err != nil {
		return sum, err
	}
	var rows []exportRow
	for _, v := range shots {
		if !v.ByLabeler && !allVerifiers {
			sum.NotByLabeler++
			continue
		}
		req, err := predict.DecodeShotRequest(v.RawShot)
		var s nba.Shot
		if err == nil {
			s, err = req.Shot()
		}
		if err != nil {
			logger.Warn("export: stored shot no longer validates; skipped", "prediction_id", v.ID, "err", err)
			sum.Skipped++
			continue
		}
		s.ShotMadeFlag = int8(v.Value)
		r := exportRow{id: v.ID, shot: s, given: req.GameID != nil}
		if r.given {
			r.givenGame = int32(*req.GameID)
			if req.GameEventID != nil {
				r.givenEvt = int32(*req.GameEventID)
			}
		}
		if v.GameID != 0 {
			r.keyed, r.shot.GameID, r.shot.GameEventID = true, v.GameID, v.EventID
		}
		rows = append(rows, r)
	}
	keys, skipped := assignKeys(rows)
	sum.Skipped += skipped
	if len(keys) > 0 {
		if err := db.SetExportKeys(ctx, keys); err != nil {
			return sum, fmt.Errorf("record export keys (is another export running?): %w", err)
		}
	}
	sum.NewKeys = len(keys)

	f, err := atomicfile.Create(out)
	if err != nil {
		return sum, err
	}
	defer f.Abort()
	w := dataset.NewWriter(f)
	if err := w.WriteHeader(); err != nil {
		return sum, err
	}
	var (
		rep  dataset.Report
		line []byte
		back nba.Shot
	)
	for _, r := range rows {
		if r.shot.GameID == 0 {
			continue // no key could be given (reported by assignKeys)
		}
		// Check the row as ingest will read it: formatted, parsed, validated.
		line = dataset.AppendShot(line[:0], &r.shot)
		fields, err := csv.NewReader(bytes.NewReader(line)).Read()
		if err != nil || !dataset.Check(fields, &back, &rep) {
			logger.Warn("export: row fails the data set's validation; skipped", "prediction_id", r.id, "problems", rep.Detail(), "err", err)
			sum.Skipped++
			continue
		}
		if err := w.Write(&r.shot); err != nil {
			return sum, err
		}
		sum.Rows++
		if !r.given || r.shot.GameID != r.givenGame {
			sum.SyntheticIDs++
		}
	}
	if err := w.Flush(); err != nil {
		return sum, err
	}
	if err := f.Commit(); err != nil {
		return sum, err
	}
	logger.Info("feedback exported", "out", out, "rows", sum.Rows, "new_keys", sum.NewKeys,
		"synthetic_game_ids", sum.SyntheticIDs, "skipped", sum.Skipped)
	return sum, nil
}

// assignKeys gives every unkeyed row a (Game ID, Game Event ID), following
// the rules in runExport's comment, and returns the new keys. Rows that get
// none keep Game ID 0 and are counted as skipped.
func assignKeys(rows []exportRow) ([]store.ExportKey, int) {
	type gameState struct {
		key       gameKey
		synthetic bool
		nextEvent int32
	}
	games := map[int32]*gameState{}
	used := map[nba.Key]bool{}
	synth := map[gameKey][]int32{} // synthetic games of a tuple, in allocation order
	reserved := map[int32]bool{}   // game ids callers gave: never allocated synthetically
	for _, r := range rows {
		if r.given {
			reserved[r.givenGame] = true
		}
	}
	register := func(g int32, k gameKey, synthetic bool) *gameState {
		st := games[g]
		if st == nil {
			st = &gameState{key: k, synthetic: synthetic, nextEvent: firstSyntheticEvent}
			games[g] = st
			if synthetic {
				synth[k] = append(synth[k], g)
			}
		}
		return st
	}
	// Keys from earlier exports stand.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	for _, r := range rows {
		if r.keyed {
			register(r.shot.GameID, keyOf(&r.shot), !r.given || r.shot.GameID != r.givenGame)
			used[r.shot.Key()] = true
		}
	}
	freeEvent := func(g int32) int32 {
		st := games[g]
		for ; st.nextEvent <= lastSyntheticEvent; st.nextEvent++ {
			if !used[nba.MakeKey(g, st.nextEvent)] {
				return st.nextEvent
			}
		}
		return 0
	}
	newSynthetic := func(k gameKey) int32 {
		for _, n := range syntheticNumbers(k.season, k.gameType) {
			g := league.GameID{Type: k.gameType, Season: k.season, Number: n}.Int()
			if games[g] == nil && !reserved[g] {
				register(g, k, true)
				return g
			}
		}
		return 0
	}

	var keys []store.ExportKey
	skipped := 0
	for i := range rows {
		r := &rows[i]
		if r.keyed {
			continue
		}
		k := keyOf(&r.shot)
		var game, event int32
		if r.given {
			if st := games[r.givenGame]; st == nil || (st.key == k && !st.synthetic) {
				game = r.givenGame
				register(game, k, false)
				if r.givenEvt != 0 && !used[nba.MakeKey(game, r.givenEvt)] {
					event = r.givenEvt
				} else {
					event = freeEvent(game)
				}
			}
		}
		if event == 0 {
			game = 0
			for _, g := range synth[k] {
				if e := freeEvent(g); e != 0 {
					game, event = g, e
					break
				}
			}
			if game == 0 {
				if game = newSynthetic(k); game != 0 {
					event = freeEvent(game)
				}
			}
		}
		if game == 0 || event == 0 {
			skipped++
			continue
		}
		used[nba.MakeKey(game, event)] = true
		r.shot.GameID, r.shot.GameEventID = game, event
		keys = append(keys, store.ExportKey{PredictionID: r.id, GameID: game, EventID: event})
	}
	return keys, skipped
}

// syntheticNumbers lists the game numbers synthetic Game IDs take, most
// preferred first: ones no real game can have where the numbering leaves
// any.
func syntheticNumbers(season, gameType int) []int {
	var out []int
	switch {
	case gameType == league.GameTypePlayoffs && season >= 2001:
		// 00RSG: the finals (round 4) is one series, series 0; series 1-7
		// of round 4 pass the validator and never exist.
		for s := 7; s >= 1; s-- {
			for g := 7; g >= 1; g-- {
				out = append(out, league.PlayoffNumber(4, s, g))
			}
		}
	case gameType == league.GameTypePlayoffs:
		for n := 99; n >= 1; n-- {
			out = append(out, n)
		}
	default:
		for n := league.MaxRegularGame; n >= 1; n-- {
			out = append(out, n)
		}
	}
	return out
}
