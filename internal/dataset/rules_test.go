package dataset

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// base is a valid synthetic shot (not a real row): a Washington home game
// of 2012-13, a mid-range jumper.
func base() nba.Shot {
	s := nba.Shot{
		GameID: 21200457, GameEventID: 210, PlayerID: 203078, PlayerName: "Sam O'Test-Jr.",
		TeamID: 1610612764, TeamName: "Washington Wizards", Period: 2, MinutesRemaining: 7, SecondsRemaining: 41,
		ActionType: "Jump Shot", XLocation: -96, YLocation: 145, ShotMadeFlag: 0,
		GameDate: 20130108, HomeTeam: "WAS", AwayTeam: "BOS", SeasonType: nba.SeasonRegular,
	}
	return at(s, -96, 145)
}

// at moves s to (x, y) and relabels it from the geometry.
func at(s nba.Shot, x, y int16) nba.Shot {
	z := court.Classify(int(x), int(y))
	s.XLocation, s.YLocation = x, y
	s.ShotDistance = int16(z.Distance)
	s.ShotZoneBasic, s.ShotZoneArea, s.ShotZoneRange, s.ShotType = z.Basic, z.Area, z.Range, z.ShotType
	return s
}

func fields(s *nba.Shot) []string {
	line := strings.TrimSuffix(string(AppendShot(nil, s)), "\n")
	return strings.Split(line, ",")
}

// TestRules has, for every rule, a row that breaks it and a close row that
// does not. Rows are built as fields so that type rules can be broken too.
func TestRules(t *testing.T) {
	type mut func(f []string)
	set := func(col int, v string) mut { return func(f []string) { f[col] = v } }
	shotMut := func(m func(s *nba.Shot)) mut {
		return func(f []string) {
			s := base()
			m(&s)
			copy(f, fields(&s))
		}
	}
	tests := []struct {
		rule string
		bad  mut
		good mut // a nearby row that passes the rule; nil means base
	}{
		{RuleInteger, set(nba.ColPeriod, "02"), set(nba.ColPeriod, "2")},
		{RuleInteger, set(nba.ColXLocation, "+5"), set(nba.ColXLocation, "-96")},
		{RuleInteger, set(nba.ColShotDistance, "17.0"), nil},
		{RuleInteger, set(nba.ColGameID, "99999999999"), nil},
		{RuleText, set(nba.ColPlayerName, ""), set(nba.ColPlayerName, "Nene")},
		{RuleText, set(nba.ColPlayerName, " Nene"), nil},
		{RuleText, set(nba.ColPlayerName, "Ne\tne"), nil},
		{RuleGameID, set(nba.ColGameID, "31200457"), nil},
		{RuleGameID, set(nba.ColGameID, "21201231"), set(nba.ColGameID, "21201230")},
		{RuleGameID, shotMut(func(s *nba.Shot) { s.GameID = 41200187; s.SeasonType = nba.SeasonPlayoffs; s.GameDate = 20130505 }),
			shotMut(func(s *nba.Shot) { s.GameID = 41200127; s.SeasonType = nba.SeasonPlayoffs; s.GameDate = 20130505 })},
		{RuleGameIDSeasonType, set(nba.ColSeasonType, nba.SeasonPlayoffs), nil},
		{RuleGameIDSeason, set(nba.ColGameDate, "20120108"), set(nba.ColGameDate, "20121108")},
		{RuleGameDate, set(nba.ColGameDate, "20130230"), set(nba.ColGameDate, "20130228")},
		{RuleSeasonType, set(nba.ColSeasonType, "Pre Season"), nil},
		{RuleEventID, set(nba.ColGameEventID, "0"), set(nba.ColGameEventID, "1")},
		{RulePlayerID, set(nba.ColPlayerID, "-4"), set(nba.ColPlayerID, "15")},
		{RuleTeamID, set(nba.ColTeamID, "1610612767"), nil},
		{RuleTeamName, set(nba.ColTeamName, "Washington Bullets"), nil},
		{RuleTeamIDName, set(nba.ColTeamID, "1610612738"), nil},
		{RuleTeamSeason, shotMut(func(s *nba.Shot) { s.TeamName = "New Jersey Nets"; s.TeamID = 1610612751; s.AwayTeam = "BKN" }),
			shotMut(func(s *nba.Shot) { s.TeamName = "Brooklyn Nets"; s.TeamID = 1610612751; s.AwayTeam = "BKN" })},
		{RuleTeamCode, set(nba.ColAwayTeam, "XYZ"), nil},
		{RuleTeamCode, set(nba.ColAwayTeam, "NJN"), set(nba.ColAwayTeam, "BKN")},
		{RuleHomeAway, set(nba.ColAwayTeam, "WAS"), nil},
		{RuleTeamInGame, set(nba.ColHomeTeam, "CHI"), shotMut(func(s *nba.Shot) { s.HomeTeam, s.AwayTeam = "BOS", "WAS" })},
		{RulePeriod, set(nba.ColPeriod, "0"), set(nba.ColPeriod, "1")},
		{RulePeriod, set(nba.ColPeriod, "11"), shotMut(func(s *nba.Shot) { s.Period, s.MinutesRemaining = 10, 3 })},
		{RuleClock, set(nba.ColMinutesRemaining, "12"), set(nba.ColMinutesRemaining, "11")},
		{RuleClock, shotMut(func(s *nba.Shot) { s.Period = 5; s.MinutesRemaining = 5 }), shotMut(func(s *nba.Shot) { s.Period = 5; s.MinutesRemaining = 4 })},
		{RuleClock, set(nba.ColSecondsRemaining, "60"), set(nba.ColSecondsRemaining, "59")},
		{RuleMadeFlag, set(nba.ColShotMadeFlag, "2"), set(nba.ColShotMadeFlag, "1")},
		{RuleShotType, set(nba.ColShotType, "4PT Field Goal"), nil},
		{RuleLocation, shotMut(func(s *nba.Shot) { s.XLocation = 260 }), nil},
		{RuleLocation, shotMut(func(s *nba.Shot) { s.YLocation = -70 }), shotMut(func(s *nba.Shot) { *s = at(*s, 0, -40) })},
		{RuleDistanceFromXY, set(nba.ColShotDistance, "18"), set(nba.ColShotDistance, "17")},
		{RuleZoneBasicFromXY, set(nba.ColShotZoneBasic, nba.ZonePaint), nil},
		{RuleZoneAreaFromXY, set(nba.ColShotZoneArea, nba.AreaLeft), nil},
		{RuleZoneRange, set(nba.ColShotZoneRange, nba.Range8To16), nil},
		{RuleZoneCombo, shotMut(func(s *nba.Shot) { *s = at(*s, 0, 10); s.ShotZoneArea = nba.AreaLeft }), shotMut(func(s *nba.Shot) { *s = at(*s, 0, 10) })},
		{RuleShotTypeZone, set(nba.ColShotType, nba.ShotType3PT), nil},
		{RuleShotTypeZone, shotMut(func(s *nba.Shot) { *s = at(*s, 10, 260); s.ShotType = nba.ShotType2PT }), shotMut(func(s *nba.Shot) { *s = at(*s, 10, 260) })},
		{WarnShotTypeArc, shotMut(func(s *nba.Shot) { *s = at(*s, -107, 212); s.ShotType = nba.ShotType3PT }), shotMut(func(s *nba.Shot) { *s = at(*s, -107, 212) })},
		{WarnZoneBoundary, shotMut(func(s *nba.Shot) { *s = at(*s, 0, 39) }), shotMut(func(s *nba.Shot) { *s = at(*s, 0, 30) })},
		{WarnZoneConvention, shotMut(func(s *nba.Shot) { *s = at(*s, 20, 139) }), shotMut(func(s *nba.Shot) { *s = at(*s, 20, 120) })},
		{WarnActionType, set(nba.ColActionType, "Moonball Shot"), set(nba.ColActionType, "Pullup Jump shot")},
		{WarnActionDistance, set(nba.ColActionType, "Slam Dunk Shot"), shotMut(func(s *nba.Shot) { *s = at(*s, 0, 10); s.ActionType = "Slam Dunk Shot" })},
		{WarnActionShotType, shotMut(func(s *nba.Shot) { *s = at(*s, 10, 260); s.ActionType = "Hook Shot" }), shotMut(func(s *nba.Shot) { *s = at(*s, 10, 260) })},
		{WarnSeasonMonth, set(nba.ColGameDate, "20130608"), set(nba.ColGameDate, "20130408")},
		{WarnSeasonRange, shotMut(func(s *nba.Shot) { s.GameID = 22100457; s.GameDate = 20220108 }), nil},
		{WarnOriginAfter2010, shotMut(func(s *nba.Shot) { *s = at(*s, 0, 0); s.ActionType = "Layup Shot" }),
			shotMut(func(s *nba.Shot) {
				*s = at(*s, 0, 0)
				s.ActionType = "Layup Shot"
				s.GameID = 20900457
				s.GameDate = 20100108
			})},
	}
	covered := map[string]bool{}
	for i, tt := range tests {
		t.Run(tt.rule+"/"+strconv.Itoa(i), func(t *testing.T) {
			covered[tt.rule] = true
			check := func(m mut) (errs, warns []string) {
				s := base()
				f := fields(&s)
				if m != nil {
					m(f)
				}
				var rep Report
				var got nba.Shot
				Check(f, &got, &rep)
				for _, e := range rep.Errors {
					errs = append(errs, e.Rule)
				}
				for _, w := range rep.Warnings {
					warns = append(warns, w.Rule)
				}
				return errs, warns
			}
			in := func(errs, warns []string) bool {
				if SeverityOf(tt.rule) == Warning {
					return slices.Contains(warns, tt.rule)
				}
				return slices.Contains(errs, tt.rule)
			}
			if errs, warns := check(tt.bad); !in(errs, warns) {
				t.Errorf("bad row: rule %s not raised; errors %v, warnings %v", tt.rule, errs, warns)
			}
			errs, warns := check(tt.good)
			if in(errs, warns) {
				t.Errorf("good row raised %s", tt.rule)
			}
			if len(errs) > 0 {
				t.Errorf("good row has hard errors %v", errs)
			}
		})
	}
	// Every rule that Check can raise has a case; field_count, csv_syntax and
	// game_consistency are raised by the reader and by ingest and tested there.
	for _, r := range Rules() {
		switch r.Name {
		case RuleFieldCount, RuleCSVSyntax, RuleGameConsistency:
			continue
		}
		if !covered[r.Name] {
			t.Errorf("rule %s has no test case", r.Name)
		}
	}
}

func TestReaderRowErrors(t *testing.T) {
	s := base()
	good := strings.TrimSuffix(string(AppendShot(nil, &s)), "\n")
	in := strings.Join(nba.Columns(), ",") + "\n" + good + "\n1,2,3\n" + `a,"b` + "\"c,d\n" + good + "\n"
	rd, err := NewReader(strings.NewReader(in), "t.csv")
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	var lines []int
	for {
		rec, err := rd.Read()
		if err != nil {
			re, ok := err.(*RowError)
			if !ok {
				break
			}
			rules = append(rules, re.Rule)
			lines = append(lines, re.Line)
			if !strings.Contains(re.Error(), "t.csv:") {
				t.Errorf("row error %q does not name the file", re)
			}
			continue
		}
		rules = append(rules, "ok")
		lines = append(lines, rec.Line)
	}
	want := []string{"ok", RuleFieldCount, RuleCSVSyntax, "ok"}
	if !slices.Equal(rules, want) || !slices.Equal(lines, []int{2, 3, 4, 5}) {
		t.Errorf("rows read as %v at lines %v, want %v at 2..5", rules, lines, want)
	}
}

func TestHeaderError(t *testing.T) {
	cols := slices.Clone(nba.Columns())
	cols = slices.Delete(cols, 17, 18)          // Shot Made Flag
	cols = slices.Delete(cols, 0, 1)            // Game ID
	cols = append(cols, "Shot Clock", "Period") // unknown, repeated
	_, err := NewReader(strings.NewReader(strings.Join(cols, ",")+"\n"), "batch.csv")
	he, ok := err.(*HeaderError)
	if !ok {
		t.Fatalf("NewReader error = %v, want *HeaderError", err)
	}
	msg := he.Error()
	for _, want := range []string{"batch.csv", `"Game ID"`, `"Shot Made Flag"`, `unknown columns "Shot Clock"`, `repeated columns "Period"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("header error %q lacks %s", msg, want)
		}
	}
	// The label may be optional (infer scores unlabelled files).
	cols = slices.Delete(slices.Clone(nba.Columns()), 17, 18)
	rd, err := NewReader(strings.NewReader(strings.Join(cols, ",")+"\n"), "x.csv", Optional(nba.ColShotMadeFlag))
	if err != nil || rd.Has(nba.ColShotMadeFlag) {
		t.Errorf("optional label: err %v, Has %v", err, rd != nil && rd.Has(nba.ColShotMadeFlag))
	}
}

// TestREADMEListsRules keeps the README's rule table in step with Rules.
func TestREADMEListsRules(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		row := "| `" + r.Name + "` | " + r.Severity.String() + " |"
		if !strings.Contains(string(b), row) {
			t.Errorf("README.md has no row %q", row)
		}
	}
}

// TestRulesIsACopy: a caller that changes what Rules returns does not change
// the validator.
func TestRulesIsACopy(t *testing.T) {
	got := Rules()
	sev := got[0].Severity
	got[0].Severity = 0
	if Rules()[0].Severity != sev || SeverityOf(got[0].Name) != sev {
		t.Error("changing Rules()'s result changed the rules")
	}
}
