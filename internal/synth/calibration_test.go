package synth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// rate counts made shots among attempts.
type rate struct{ n, made int }

func (r *rate) add(made int8) {
	r.n++
	r.made += int(made)
}

func (r rate) pct() float64 {
	if r.n == 0 {
		return math.NaN()
	}
	return 100 * float64(r.made) / float64(r.n)
}

// stats aggregates a generated batch for the calibration checks.
type stats struct {
	total      int
	all        rate
	zone       map[string]*rate
	rng        map[string]*rate
	bucket     map[string]*rate
	family     map[string]*rate
	eraAll     [3]rate
	eraThree   [3]int
	eraMid     [3]int
	eraRA      [3]int
	eraOrigin  [3]int
	eraJump    [3]int
	period     map[int8]int
	minute     map[int8]int
	late       rate
	home       int
	playoffs   int
	originLate int            // (0,0) from 2010-11 on
	baseline   map[string]int // y < 0 by zone
	actionSeen map[string][2]int
	typesBy    map[int]map[string]bool
}

func newStats() *stats {
	return &stats{
		zone: map[string]*rate{}, rng: map[string]*rate{}, bucket: map[string]*rate{}, family: map[string]*rate{},
		baseline: map[string]int{}, period: map[int8]int{}, minute: map[int8]int{}, actionSeen: map[string][2]int{}, typesBy: map[int]map[string]bool{},
	}
}

func get(m map[string]*rate, k string) *rate {
	r := m[k]
	if r == nil {
		r = &rate{}
		m[k] = r
	}
	return r
}

// bucketOf is docs/data.md §4's distance bucket of a whole-foot distance.
func bucketOf(d int) string {
	switch {
	case d < 3:
		return "0-2"
	case d < 10:
		return "3-9"
	case d < 16:
		return "10-15"
	case d < 23:
		return "16-22"
	case d < 27:
		return "23-26"
	default:
		return "27+"
	}
}

func (st *stats) add(s *nba.Shot) {
	g, _ := league.ParseGameID(s.GameID)
	e := era(g.Season)
	st.total++
	st.all.add(s.ShotMadeFlag)
	get(st.zone, s.ShotZoneBasic).add(s.ShotMadeFlag)
	get(st.rng, s.ShotZoneRange).add(s.ShotMadeFlag)
	get(st.bucket, bucketOf(int(s.ShotDistance))).add(s.ShotMadeFlag)
	get(st.family, nba.ActionFamily(s.ActionType)).add(s.ShotMadeFlag)
	st.eraAll[e].add(s.ShotMadeFlag)
	switch {
	case s.ShotType == nba.ShotType3PT:
		st.eraThree[e]++
	case s.ShotZoneBasic == nba.ZoneMidRange:
		st.eraMid[e]++
	case s.ShotZoneBasic == nba.ZoneRestrictedArea:
		st.eraRA[e]++
	}
	if s.XLocation == 0 && s.YLocation == 0 {
		st.eraOrigin[e]++
		if g.Season >= 2010 {
			st.originLate++
		}
	}
	if s.ActionType == "Jump Shot" {
		st.eraJump[e]++
	}
	if s.YLocation < 0 {
		st.baseline[s.ShotZoneBasic]++
		st.baseline[""]++
	}
	st.period[s.Period]++
	st.minute[s.MinutesRemaining]++
	if s.MinutesRemaining == 0 && s.SecondsRemaining < 24 {
		st.late.add(s.ShotMadeFlag)
	}
	if s.TeamName != "" {
		if t, ok := league.TeamIn(s.TeamName, g.Season); ok && t.Code == s.HomeTeam {
			st.home++
		}
	}
	if s.SeasonType == nba.SeasonPlayoffs {
		st.playoffs++
	}
	seen, ok := st.actionSeen[s.ActionType]
	if !ok {
		seen = [2]int{g.Season, g.Season}
	}
	seen[0], seen[1] = min(seen[0], g.Season), max(seen[1], g.Season)
	st.actionSeen[s.ActionType] = seen
	if st.typesBy[g.Season] == nil {
		st.typesBy[g.Season] = map[string]bool{}
	}
	st.typesBy[g.Season][s.ActionType] = true
}

func (st *stats) share(n int) float64 { return 100 * float64(n) / float64(st.total) }

// wilson returns the 95% Wilson interval, in percent, of a rate p (percent)
// measured on n rows: the noise of docs/data.md's sample.
func wilson(p float64, n int) (lo, hi float64) {
	const z = 1.96
	q := p / 100
	nn := float64(n)
	c := (q + z*z/(2*nn)) / (1 + z*z/nn)
	h := z * math.Sqrt(q*(1-q)/nn+z*z/(4*nn*nn)) / (1 + z*z/nn)
	return 100 * (c - h), 100 * (c + h)
}

// calibrationRows is the size of the calibration batch: large enough that the rates are checked tightly.
const calibrationRows = 200_000

// generate runs the generator and passes every shot, after a round trip
// through the CSV writer and reader, to fn.
func generate(tb testing.TB, cfg Config, fn func(*nba.Shot, *dataset.Report)) {
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
	rd, err := dataset.NewReader(&buf, "synthetic.csv")
	if err != nil {
		tb.Fatal(err)
	}
	var (
		rep  dataset.Report
		shot nba.Shot
		rows int64
	)
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		rows++
		dataset.Check(rec.Fields, &shot, &rep)
		fn(&shot, &rep)
	}
	if rows != cfg.Rows {
		tb.Fatalf("read back %d rows, want %d", rows, cfg.Rows)
	}
}

// TestCalibration generates 200,000 shots and checks them against docs/data.md:
// every row valid, keys unique, games and players consistent, and the mix
// and make rates on the calibration targets. -v prints the table.
func TestCalibration(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 rows: skipped with -short")
	}
	st := newStats()
	keys := make(map[nba.Key]bool, calibrationRows)
	type gameFacts struct {
		date       int32
		home, away string
		seasonType string
		lastEvent  int32
		lastClock  int // elapsed seconds in the game at the last shot
	}
	games := map[int32]*gameFacts{}
	names := map[int32]string{}
	ids := map[string]int32{}
	firstSeen := map[int32]int{}
	teamsOf := map[int32]map[int32]bool{}
	hardErrors, warnings := map[string]int{}, map[string]int{}
	var badRows []string
	generate(t, Config{Rows: calibrationRows, Seed: 2024}, func(s *nba.Shot, rep *dataset.Report) {
		for _, e := range rep.Errors {
			hardErrors[e.Rule]++
			if len(badRows) < 5 {
				badRows = append(badRows, fmt.Sprintf("%d/%d: %s", s.GameID, s.GameEventID, rep.Detail()))
			}
		}
		for _, w := range rep.Warnings {
			warnings[w.Rule]++
		}
		st.add(s)
		k := s.Key()
		if keys[k] {
			t.Errorf("key (%d, %d) generated twice", s.GameID, s.GameEventID)
		}
		keys[k] = true

		elapsed := elapsedSeconds(int(s.Period), int(s.MinutesRemaining)*60+int(s.SecondsRemaining))
		gf := games[s.GameID]
		if gf == nil {
			gf = &gameFacts{date: s.GameDate, home: s.HomeTeam, away: s.AwayTeam, seasonType: s.SeasonType, lastEvent: -1}
			games[s.GameID] = gf
		}
		if gf.date != s.GameDate || gf.home != s.HomeTeam || gf.away != s.AwayTeam || gf.seasonType != s.SeasonType {
			t.Errorf("game %d: game fields differ between rows: %+v vs %d %s %s %s", s.GameID, *gf, s.GameDate, s.HomeTeam, s.AwayTeam, s.SeasonType)
		}
		if s.GameEventID <= gf.lastEvent {
			t.Errorf("game %d: event %d after event %d: rows not in event order", s.GameID, s.GameEventID, gf.lastEvent)
		}
		if elapsed < gf.lastClock {
			t.Errorf("game %d: event %d at elapsed %d s comes after an earlier-numbered event at %d s", s.GameID, s.GameEventID, elapsed, gf.lastClock)
		}
		gf.lastEvent, gf.lastClock = s.GameEventID, elapsed

		if n, ok := names[s.PlayerID]; ok && n != s.PlayerName {
			t.Errorf("player %d is both %q and %q", s.PlayerID, n, s.PlayerName)
		}
		if id, ok := ids[s.PlayerName]; ok && id != s.PlayerID {
			t.Errorf("%q is both player %d and %d", s.PlayerName, id, s.PlayerID)
		}
		names[s.PlayerID], ids[s.PlayerName] = s.PlayerName, s.PlayerID
		g, _ := league.ParseGameID(s.GameID)
		if fs, ok := firstSeen[s.PlayerID]; !ok || g.Season < fs {
			firstSeen[s.PlayerID] = g.Season
		}
		if teamsOf[s.PlayerID] == nil {
			teamsOf[s.PlayerID] = map[int32]bool{}
		}
		teamsOf[s.PlayerID][s.TeamID] = true

		if s.ShotDistance > maxD && (s.MinutesRemaining != 0 || s.SecondsRemaining != 0 || s.ShotMadeFlag != 0) {
			t.Errorf("shot of %d ft at %d:%02d made=%d: beyond 30 ft only end-of-period heaves, all missed",
				s.ShotDistance, s.MinutesRemaining, s.SecondsRemaining, s.ShotMadeFlag)
		}
	})

	t.Run("valid", func(t *testing.T) {
		if len(hardErrors) > 0 {
			t.Errorf("hard errors by rule: %v; first rows: %q", hardErrors, badRows)
		}
		// Real rows raise zone_boundary (1.6% of the sample) and a few
		// zone_convention / shot_type_arc; nothing else is acceptable.
		for rule, n := range warnings {
			limit := 0.0
			if rule == dataset.WarnZoneBoundary {
				limit = 3
			}
			if st.share(n) > limit {
				t.Errorf("warning %s on %.2f%% of rows, want at most %.1f%%", rule, st.share(n), limit)
			}
		}
		t.Logf("warnings: %v", warnings)
	})

	t.Run("players", func(t *testing.T) {
		odd := map[string]int{}
		for name := range ids {
			for _, c := range []string{"'", ".", "-"} {
				if strings.Contains(name, c) {
					odd[c]++
				}
			}
			if !strings.Contains(name, " ") {
				odd["single token"]++
			}
		}
		for _, c := range []string{"'", ".", "-", "single token"} {
			if odd[c] == 0 {
				t.Errorf("no player name with %q among %d players", c, len(ids))
			}
		}
		movers := 0
		for id, fs := range firstSeen {
			// docs/data.md §3: ids up to 2863, 101106-204060 first seen from
			// 2005, 1626143-1629730 first seen from 2015.
			switch {
			case id > 2863 && id < 101106, id > 204060 && id < 1626143, id > 1629730:
				t.Errorf("player %d is in none of the data's id bands", id)
			case id >= 1626143 && fs < 2015:
				t.Errorf("player %d first seen in %d: ids from 1626143 belong to debuts from 2015", id, fs)
			case id >= 101106 && id <= 204060 && fs < 2005:
				t.Errorf("player %d first seen in %d: ids 101106-204060 belong to debuts from 2005", id, fs)
			}
			if len(teamsOf[id]) > 1 {
				movers++
			}
		}
		if pct := 100 * float64(movers) / float64(len(teamsOf)); pct < 20 {
			t.Errorf("%.1f%% of players shot for two teams or more, want the career moves of real data (≥20%%)", pct)
		}
		t.Logf("%d players, %d with 2+ teams; odd names %v", len(ids), movers, odd)
	})

	t.Run("zones", func(t *testing.T) {
		// docs/data.md §4: share (%), FG% and its 95% CI.
		tests := []struct {
			zone            string
			share, shareTol float64
			lo, hi          float64
		}{
			{nba.ZoneRestrictedArea, 30.2, 2, 53, 61},
			{nba.ZoneMidRange, 31.4, 2, 35, 43},
			{nba.ZonePaint, 14.2, 2, 32, 43},
			{nba.ZoneAboveBreak3, 17.4, 2, 27, 37},
			{nba.ZoneLeftCorner3, 3.3, 0.7, 23, 45},
			{nba.ZoneRightCorner3, 3.2, 0.7, 28, 51},
			{nba.ZoneBackcourt, 0.2, 0.15, 0, 0},
		}
		for _, tt := range tests {
			r := get(st.zone, tt.zone)
			if got := st.share(r.n); math.Abs(got-tt.share) > tt.shareTol {
				t.Errorf("%s share %.2f%%, want %.1f ± %.1f", tt.zone, got, tt.share, tt.shareTol)
			}
			if got := r.pct(); got < tt.lo || got > tt.hi {
				t.Errorf("%s FG%% %.1f, want %.0f..%.0f", tt.zone, got, tt.lo, tt.hi)
			}
		}
		if got := st.all.pct(); math.Abs(got-42.7) > 3 {
			t.Errorf("overall FG%% %.1f, want 42.7 ± 3", got)
		}
		// Behind the rim line: 124 of 2000 real rows (6.2%), mostly
		// restricted area, mid-range baseline and corner threes.
		if got := st.share(st.baseline[""]); got < 4.5 || got > 8 {
			t.Errorf("%.1f%% of shots with y < 0, want about 6.2%%", got)
		}
		for _, z := range []string{nba.ZoneRestrictedArea, nba.ZoneMidRange, nba.ZoneLeftCorner3, nba.ZoneRightCorner3} {
			if st.baseline[z] == 0 {
				t.Errorf("no %s shot with y < 0", z)
			}
		}
	})

	t.Run("distance", func(t *testing.T) {
		tests := []struct {
			bucket      string
			share, fg   float64
			n           int
			noisyTarget bool
		}{
			{"0-2", 27.8, 58.0, 557, false},
			{"3-9", 14.7, 35.4, 294, false},
			{"10-15", 12.6, 40.2, 251, false},
			{"16-22", 21.9, 39.5, 438, false},
			{"23-26", 21.0, 33.2, 419, false},
			{"27+", 2.0, 31.7, 41, true},
		}
		for _, tt := range tests {
			r := get(st.bucket, tt.bucket)
			if got := st.share(r.n); math.Abs(got-tt.share) > 2 {
				t.Errorf("bucket %s share %.2f%%, want %.1f ± 2", tt.bucket, got, tt.share)
			}
			lo, hi := wilson(tt.fg, tt.n)
			if got := r.pct(); got < lo || got > hi {
				t.Errorf("bucket %s FG%% %.1f, want %.1f..%.1f (%.1f on n=%d)", tt.bucket, got, lo, hi, tt.fg, tt.n)
			}
		}
		ranges := []struct {
			name string
			fg   float64
			n    int
		}{
			{nba.RangeLessThan8, 52.5, 767}, {nba.Range8To16, 37.3, 335},
			{nba.Range16To24, 40.3, 414}, {nba.Range24Plus, 32.9, 480},
		}
		for _, tt := range ranges {
			lo, hi := wilson(tt.fg, tt.n)
			if got := get(st.rng, tt.name).pct(); got < lo || got > hi {
				t.Errorf("range %s FG%% %.1f, want %.1f..%.1f", tt.name, got, lo, hi)
			}
		}
	})

	t.Run("eras", func(t *testing.T) {
		// 3PA, mid-range, restricted area and (0,0) shares; FG%; Jump Shot
		// share: docs/data.md §2 and §4, with the sample's era CI (±3.5 pp).
		want := [3]struct{ three, mid, ra, origin, fg, jump float64 }{
			{16.0, 38.9, 30, 23, 44.6, 61},
			{21.8, 35.4, 30, 15, 42.3, 60},
			{36.1, 18.7, 30, 0, 41.1, 48},
		}
		for e, w := range want {
			n := st.eraAll[e].n
			pct := func(k int) float64 { return 100 * float64(k) / float64(n) }
			checks := []struct {
				what      string
				got, want float64
				tol       float64
			}{
				{"3PA share", pct(st.eraThree[e]), w.three, 2},
				{"mid-range share", pct(st.eraMid[e]), w.mid, 2},
				{"restricted area share", pct(st.eraRA[e]), w.ra, 2.5},
				{"(0,0) share", pct(st.eraOrigin[e]), w.origin, 2.5},
				{"FG%", st.eraAll[e].pct(), w.fg, 3.5},
				{"Jump Shot share", pct(st.eraJump[e]), w.jump, 4},
			}
			for _, c := range checks {
				if math.Abs(c.got-c.want) > c.tol {
					t.Errorf("era %d: %s %.1f, want %.1f ± %.1f", e, c.what, c.got, c.want, c.tol)
				}
			}
		}
		if st.originLate != 0 {
			t.Errorf("%d shots at (0,0) from 2010-11 on, want none", st.originLate)
		}
	})

	t.Run("actions", func(t *testing.T) {
		windows := map[string][2]int{ // first and last season a type may appear
			"Pullup Jump shot": {2008, 2019}, "Step Back Jump shot": {2007, 2019},
			"Driving Floating Jump Shot": {2015, 2019}, "Cutting Dunk Shot": {2015, 2019},
			"Cutting Layup Shot": {2015, 2019}, "Tip Layup Shot": {2015, 2019},
			"Slam Dunk Shot": {1997, 2014}, "Tip Shot": {1997, 2014},
		}
		for a, w := range windows {
			seen, ok := st.actionSeen[a]
			if !ok {
				t.Errorf("%q never generated", a)
				continue
			}
			if seen[0] < w[0] || seen[1] > w[1] {
				t.Errorf("%q seen %d..%d, want within %d..%d", a, seen[0], seen[1], w[0], w[1])
			}
		}
		for season, types := range st.typesBy {
			if season < 2005 && len(types) > 16 {
				t.Errorf("%d: %d action types, want the small vocabulary of early play-by-play", season, len(types))
			}
			if season >= 2005 && len(types) < 20 {
				t.Errorf("%d: only %d action types", season, len(types))
			}
		}
		families := []struct {
			fam    string
			lo, hi float64
		}{
			{nba.FamilyDunk, 84, 95}, {nba.FamilyLayup, 47, 58}, {nba.FamilyJumper, 33, 39}, {nba.FamilyHook, 30, 50},
		}
		for _, f := range families {
			if got := get(st.family, f.fam).pct(); got < f.lo || got > f.hi {
				t.Errorf("%s family FG%% %.1f, want %.0f..%.0f", f.fam, got, f.lo, f.hi)
			}
		}
	})

	t.Run("clock", func(t *testing.T) {
		for p := int8(1); p <= 4; p++ {
			if got := st.share(st.period[p]); got < 22 || got > 28 {
				t.Errorf("period %d has %.1f%% of shots, want about a quarter", p, got)
			}
		}
		ot := st.total - st.period[1] - st.period[2] - st.period[3] - st.period[4]
		if got := st.share(ot); got < 0.4 || got > 1.5 {
			t.Errorf("overtime has %.2f%% of shots, want about 0.85%%", got)
		}
		for m := int8(0); m <= 11; m++ {
			if got := st.share(st.minute[m]); got < 6 || got > 11.5 {
				t.Errorf("minute %d has %.1f%% of shots, want 6.7-10%% (roughly uniform)", m, got)
			}
		}
		if got := st.share(st.late.n); got < 4 || got > 6.5 {
			t.Errorf("last 24 s hold %.1f%% of shots, want about 5%%", got)
		}
		if got := st.late.pct(); got > st.all.pct()-4 {
			t.Errorf("FG%% in the last 24 s %.1f, want clearly below the overall %.1f (DATA: 33 vs 42.7)", got, st.all.pct())
		}
		if got := st.share(st.home); got < 46 || got > 52 {
			t.Errorf("home team shoots %.1f%%, want about 48.8%%", got)
		}
		if got := st.share(st.playoffs); got < 3.5 || got > 7.5 {
			t.Errorf("playoffs hold %.1f%% of shots, want about 5.2%%", got)
		}
	})

	logTable(t, st)
}

// elapsedSeconds converts a period and the seconds left in it to seconds
// since the tip-off.
func elapsedSeconds(period, remaining int) int {
	before := 0
	for p := 1; p < period; p++ {
		before += periodLength(p - 1)
	}
	return before + periodLength(period-1) - remaining
}

// logTable prints the calibration table, target against generated.
func logTable(t *testing.T, st *stats) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-24s %14s %14s %14s\n", "group", "target share", "synthetic", "FG% tgt / syn")
	row := func(name string, share, fg float64, r rate) {
		fmt.Fprintf(&b, "%-24s %13.1f%% %13.2f%% %6.1f / %5.1f\n", name, share, st.share(r.n), fg, r.pct())
	}
	zones := []struct {
		z         string
		share, fg float64
	}{
		{nba.ZoneRestrictedArea, 30.2, 57.1}, {nba.ZoneMidRange, 31.4, 39.0}, {nba.ZonePaint, 14.2, 37.1},
		{nba.ZoneAboveBreak3, 17.4, 31.8}, {nba.ZoneLeftCorner3, 3.3, 33.3}, {nba.ZoneRightCorner3, 3.2, 38.5},
		{nba.ZoneBackcourt, 0.2, 0},
	}
	for _, z := range zones {
		row(z.z, z.share, z.fg, *get(st.zone, z.z))
	}
	buckets := []struct {
		b         string
		share, fg float64
	}{{"0-2", 27.8, 58.0}, {"3-9", 14.7, 35.4}, {"10-15", 12.6, 40.2}, {"16-22", 21.9, 39.5}, {"23-26", 21.0, 33.2}, {"27+", 2.0, 31.7}}
	for _, bk := range buckets {
		row("D "+bk.b+" ft", bk.share, bk.fg, *get(st.bucket, bk.b))
	}
	ranges := []struct {
		r         string
		share, fg float64
	}{{nba.RangeLessThan8, 38.4, 52.5}, {nba.Range8To16, 16.8, 37.3}, {nba.Range16To24, 20.7, 40.3}, {nba.Range24Plus, 24.0, 32.9}}
	for _, r := range ranges {
		row(r.r, r.share, r.fg, *get(st.rng, r.r))
	}
	fams := []struct {
		f         string
		share, fg float64
	}{{"dunk", 4.3, 90.7}, {"layup", 22.9, 52.7}, {"tip", 1.7, 51.5}, {"hook", 3.3, 40.9}, {"bank", 1.1, 72.7}, {"jumper", 66.8, 35.5}}
	for _, f := range fams {
		row("family "+f.f, f.share, f.fg, *get(st.family, f.f))
	}
	row("overall", 100, 42.7, st.all)
	fmt.Fprintf(&b, "%-24s %14s %14s\n", "era", "target", "synthetic")
	eraTargets := [3][5]float64{{16.0, 38.9, 23, 44.6, 61}, {21.8, 35.4, 15, 42.3, 60}, {36.1, 18.7, 0, 41.1, 48}}
	labels := [3]string{"1997-2004", "2005-2012", "2013-2019"}
	for e := range 3 {
		n := float64(st.eraAll[e].n)
		got := [5]float64{100 * float64(st.eraThree[e]) / n, 100 * float64(st.eraMid[e]) / n,
			100 * float64(st.eraOrigin[e]) / n, st.eraAll[e].pct(), 100 * float64(st.eraJump[e]) / n}
		for i, what := range []string{"3PA %", "mid-range %", "(0,0) %", "FG%", "Jump Shot %"} {
			fmt.Fprintf(&b, "%-24s %14.1f %14.1f\n", labels[e]+" "+what, eraTargets[e][i], got[i])
		}
	}
	keys := make([]string, 0, len(st.actionSeen))
	for k := range st.actionSeen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(&b, "%d action types generated\n", len(keys))
	t.Log(b.String())
}
