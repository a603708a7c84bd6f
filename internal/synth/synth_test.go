package synth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// csvOf generates cfg as Kaggle CSV bytes.
func csvOf(tb testing.TB, cfg Config) []byte {
	tb.Helper()
	g, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	w := dataset.NewWriter(&buf)
	if err := w.WriteHeader(); err != nil {
		tb.Fatal(err)
	}
	if err := g.Run(tb.Context(), w.Write); err != nil {
		tb.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no rows", Config{Rows: 0}, "rows 0: must be at least 1"},
		{"negative rows", Config{Rows: -5}, "must be at least 1"},
		{"before the data", Config{Rows: 1, FirstSeason: 1996}, "covers 1997-2019"},
		{"after the data", Config{Rows: 1, LastSeason: 2020}, "covers 1997-2019"},
		{"reversed", Config{Rows: 1, FirstSeason: 2010, LastSeason: 2005}, "first season is after the last"},
		{"more than the league holds", Config{Rows: 10_000_000}, "has only"},
		{"more than one season holds", Config{Rows: 300_000, FirstSeason: 2015, LastSeason: 2015}, "2015-16 to 2015-16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New(%+v) = %v, want an error containing %q", tt.cfg, err, tt.wantErr)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	a := csvOf(t, Config{Rows: 5000, Seed: 11})
	b := csvOf(t, Config{Rows: 5000, Seed: 11})
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different bytes")
	}
	c := csvOf(t, Config{Rows: 5000, Seed: 12})
	if bytes.Equal(a, c) {
		t.Fatal("different seeds, same bytes")
	}
}

// TestUniversePinned pins the bytes of a small batch. If it fails, the
// universe changed: every key of earlier batches may now mean another row.
// Bump UniverseVersion, then update the hash.
func TestUniversePinned(t *testing.T) {
	t.Parallel()
	const want = "4c1b821e07388e8810241eb70f21887e29335e1f27d0a4e4c724e33a858fd26e"
	sum := fmt.Sprintf("%x", sha256.Sum256(csvOf(t, Config{Rows: 2000, Seed: 1})))
	if sum != want {
		t.Errorf("universe v%d: batch hash %s, want %s (changed the model? bump UniverseVersion and update)", UniverseVersion, sum, want)
	}
}

// keysOf returns the keys of a batch and every row by key.
func keysOf(tb testing.TB, cfg Config) map[nba.Key]nba.Shot {
	tb.Helper()
	g, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[nba.Key]nba.Shot{}
	if err := g.Run(tb.Context(), func(s *nba.Shot) error {
		out[s.Key()] = *s
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestSeedsDrawFreshKeys checks what makes nightly batches useful: a new seed
// brings mostly new keys (overlap ≈ rows/available), and a key drawn by
// two seeds is the very same row, so ingest's deduplication is exact.
func TestSeedsDrawFreshKeys(t *testing.T) {
	t.Parallel()
	const rows = 100_000
	a := keysOf(t, Config{Rows: rows, Seed: 1})
	b := keysOf(t, Config{Rows: rows, Seed: 2})
	g, err := New(Config{Rows: 1})
	if err != nil {
		t.Fatal(err)
	}
	shared := 0
	for k, sa := range b {
		if sb, ok := a[k]; ok {
			shared++
			if sa != sb {
				t.Fatalf("key %v drawn by two seeds differs:\n%+v\n%+v", k, sa, sb)
			}
		}
	}
	expect := float64(rows) * float64(rows) / float64(g.Available())
	if f := float64(shared); f < expect/2 || f > expect*2 {
		t.Errorf("%d shared keys, want about %.0f (rows²/available)", shared, expect)
	}
	if pct := 100 * float64(shared) / rows; pct > 5 {
		t.Errorf("%.1f%% of keys shared between seeds, want mostly fresh keys", pct)
	}
}

func TestSeasonRange(t *testing.T) {
	t.Parallel()
	all, err := New(Config{Rows: 1})
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{Rows: 20_000, Seed: 3, FirstSeason: 2012, LastSeason: 2013})
	if err != nil {
		t.Fatal(err)
	}
	// Two seasons of ~1300 games and ~170 shots each.
	if n := g.Available(); n < 350_000 || n > 550_000 || n >= all.Available() {
		t.Errorf("Available() = %d for 2012-2013, want about 440,000 (all: %d)", n, all.Available())
	}
	seasons := map[int]int{}
	if err := g.Run(t.Context(), func(s *nba.Shot) error {
		gid, err := league.ParseGameID(s.GameID)
		if err != nil {
			return err
		}
		seasons[gid.Season]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seasons) != 2 || seasons[2012] == 0 || seasons[2013] == 0 {
		t.Errorf("seasons drawn %v, want 2012 and 2013 only", seasons)
	}
}

func TestRunStopsOnEmitErrorAndCancel(t *testing.T) {
	t.Parallel()
	g, err := New(Config{Rows: 1000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	n := 0
	err = g.Run(t.Context(), func(*nba.Shot) error {
		n++
		if n == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || n != 10 {
		t.Errorf("Run = %v after %d rows, want %v after 10", err, n, boom)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := g.Run(ctx, func(*nba.Shot) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Run on a cancelled context = %v, want context.Canceled", err)
	}
}

// TestRosters checks the universe's players directly, not through a sample:
// ids and names 1:1, ids in their debut band, names that look like names.
func TestRosters(t *testing.T) {
	t.Parallel()
	cals := buildCalendar()
	rs := buildRosters(cals)
	ids := map[int32]bool{}
	names := map[string]bool{}
	for _, p := range rs.players {
		if ids[p.id] {
			t.Errorf("player id %d used twice", p.id)
		}
		if names[p.name] {
			t.Errorf("player name %q used twice", p.name)
		}
		ids[p.id], names[p.name] = true, true
		lo, hi := idRange(p.debut)
		if p.id < lo || p.id > hi {
			t.Errorf("player %d (%s) debuted %d: id outside %d..%d", p.id, p.name, p.debut, lo, hi)
		}
		if p.name == "" || strings.TrimSpace(p.name) != p.name || strings.ContainsAny(p.name, ",\"\n") {
			t.Errorf("player name %q: must be plain text", p.name)
		}
	}
	for si, teams := range rs.teams {
		for _, tm := range cals[si].teams {
			n := len(teams[franchise(tm.ID)].players)
			if n < 13 || n > 15 {
				t.Errorf("%d %s: %d players, want 13-15", cals[si].season, tm.Name, n)
			}
		}
	}
	if n := len(rs.players); n < 1200 || n > 3000 {
		t.Errorf("%d players over 23 seasons, want the ~2000 a real league sees", n)
	}
}

// TestTimeline checks whole games: event ids grow with period and clock,
// shot counts add up, and the clock stays inside each period.
func TestTimeline(t *testing.T) {
	t.Parallel()
	cal := buildCalendar()[seasonIndex(2008)]
	periods := map[int]int{}
	shots := 0
	for k := range cal.games() {
		id := cal.gameID(k)
		tl := timeline(id)
		all := make([]int, tl.total)
		for i := range all {
			all[i] = i
		}
		lastID, lastElapsed, n := int32(0), -1, 0
		tl.pickedShots(id, all, func(ev shotEvent) bool {
			n++
			maxRem := periodLength(ev.period-1) - 1
			if ev.remaining < 0 || ev.remaining > maxRem {
				t.Errorf("game %d event %d: %d s left in period %d", id, ev.eventID, ev.remaining, ev.period)
			}
			el := elapsedSeconds(ev.period, ev.remaining)
			if ev.eventID <= lastID || el < lastElapsed {
				t.Errorf("game %d: event %d at %d s after event %d at %d s", id, ev.eventID, el, lastID, lastElapsed)
			}
			if ev.buzzer && ev.remaining != 0 {
				t.Errorf("game %d event %d: buzzer shot with %d s left", id, ev.eventID, ev.remaining)
			}
			lastID, lastElapsed = ev.eventID, el
			periods[ev.period]++
			return true
		})
		if n != tl.total {
			t.Errorf("game %d: %d shots walked, timeline says %d", id, n, tl.total)
		}
		shots += n
	}
	if per := float64(shots) / float64(cal.games()); per < 150 || per > 190 {
		t.Errorf("%.0f shots a game, want ~165 (4.7M shots over ~29,000 games)", per)
	}
	if periods[5] == 0 || periods[8] != 0 {
		t.Errorf("shots by period %v: want some overtime and no fifth overtime", periods)
	}
}

// TestActionTables checks every action the generator can write: a type of
// the NBA's play-by-play, of the family its context allows.
func TestActionTables(t *testing.T) {
	t.Parallel()
	allowed := map[int][]string{
		ctxOrigin:   {nba.FamilyDunk, nba.FamilyLayup, nba.FamilyTip, nba.FamilyHook, nba.FamilyJumper, nba.FamilyBank},
		ctxRim01:    {nba.FamilyDunk, nba.FamilyLayup, nba.FamilyTip, nba.FamilyHook, nba.FamilyJumper},
		ctxRim2:     {nba.FamilyDunk, nba.FamilyLayup, nba.FamilyTip, nba.FamilyHook, nba.FamilyJumper},
		ctxRim3:     {nba.FamilyDunk, nba.FamilyLayup, nba.FamilyHook, nba.FamilyJumper},
		ctxPaint4:   {nba.FamilyDunk, nba.FamilyLayup, nba.FamilyHook, nba.FamilyJumper, nba.FamilyBank},
		ctxPaint57:  {nba.FamilyLayup, nba.FamilyHook, nba.FamilyJumper, nba.FamilyBank},
		ctxPaint815: {nba.FamilyHook, nba.FamilyJumper, nba.FamilyBank},
		ctxMid812:   {nba.FamilyHook, nba.FamilyJumper, nba.FamilyBank},
		ctxMid1323:  {nba.FamilyJumper, nba.FamilyBank},
		ctxThree:    {nba.FamilyJumper, nba.FamilyBank},
		ctxHeave:    {nba.FamilyJumper},
	}
	for c, as := range contextActions {
		for _, a := range as {
			if !nba.KnownActionType(a.name) {
				t.Errorf("context %d: %q is not an NBA action type", c, a.name)
			}
			fam := nba.ActionFamily(a.name)
			ok := false
			for _, f := range allowed[c] {
				ok = ok || f == fam
			}
			if !ok {
				t.Errorf("context %d: %q is a %s, not allowed there", c, a.name, fam)
			}
			if _, ok := offsets[a.name]; !ok {
				t.Errorf("%q has no make-probability offset", a.name)
			}
		}
		for s := league.FirstSeason; s <= league.LastSeason; s++ {
			if tb := newActionTable(s, as); len(tb.names) == 0 {
				t.Errorf("context %d has no action in %d", c, s)
			}
		}
	}
}

// TestCalibrationSolves checks that each cell's baseline reproduces its
// target rate exactly, in the model's own expectation.
func TestCalibrationSolves(t *testing.T) {
	t.Parallel()
	for _, season := range []int{1997, 2008, 2019} {
		m := newSeasonModel(season)
		for class := range numClass {
			for _, d := range []int{0, 3, 6, 12, 18, 23, 25} {
				tb := &m.actions[contextOf(class, d)]
				got, _ := expectedRate(m.alpha[class][d], tb.weights(), tb.offsets)
				if want := targetRate(class, d); got < want-1e-9 || got > want+1e-9 {
					t.Errorf("%d class %d %d ft: expected rate %.6f, want %.6f", season, class, d, got, want)
				}
			}
		}
	}
}

// TestLocationClasses draws many points of each class: every one lands in
// its zone, inside the court and off the convention bands.
func TestLocationClasses(t *testing.T) {
	t.Parallel()
	r := newRNG(42)
	for class := range numClass {
		for range 20_000 {
			x, y, z := location(&r, class)
			if got := classOf(z.Basic, x, y); got != class {
				t.Fatalf("class %d drew (%d, %d) = %s", class, x, y, z.Basic)
			}
			if z != court.Classify(x, y) || x < -sideline || x > sideline || y < -40 || conventionBand(x, y) || z.Distance > maxD {
				t.Fatalf("class %d drew (%d, %d): %+v", class, x, y, z)
			}
		}
	}
	for class, p := range fallback {
		if got := classOf(court.Classify(p[0], p[1]).Basic, p[0], p[1]); got != class {
			t.Errorf("fallback point %v of class %d is class %d", p, class, got)
		}
	}
	for range 5000 {
		x, y, z := heave(&r)
		if z.Distance <= maxD || x < -sideline || x > sideline {
			t.Fatalf("heave at (%d, %d), %d ft", x, y, z.Distance)
		}
	}
}
