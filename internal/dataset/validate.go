package dataset

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Issue is one broken rule: which rule, which column, and what was wrong.
type Issue struct {
	Rule   string
	Field  string // Kaggle column name; "" for whole-row rules
	Detail string
}

func (i Issue) String() string {
	if i.Field == "" {
		return i.Rule + ": " + i.Detail
	}
	return fmt.Sprintf("%s: %s: %s", i.Rule, i.Field, i.Detail)
}

// Report collects the issues of one row. Reuse one Report across rows with
// Reset to keep validation free of allocations on good rows.
type Report struct {
	Errors   []Issue
	Warnings []Issue
}

// Reset empties r, keeping its storage.
func (r *Report) Reset() {
	r.Errors = r.Errors[:0]
	r.Warnings = r.Warnings[:0]
}

// OK reports whether the row has no hard error.
func (r *Report) OK() bool { return len(r.Errors) == 0 }

// Add records an issue under its rule's severity.
func (r *Report) Add(rule string, col int, detail string) {
	is := Issue{Rule: rule, Detail: detail}
	if col >= 0 {
		is.Field = nba.ColumnName(col)
	}
	if SeverityOf(rule) == Warning {
		r.Warnings = append(r.Warnings, is)
	} else {
		r.Errors = append(r.Errors, is)
	}
}

func (r *Report) addf(rule string, col int, format string, args ...any) {
	r.Add(rule, col, fmt.Sprintf(format, args...))
}

// Detail joins every hard error into one line for a quarantine file.
func (r *Report) Detail() string {
	parts := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		parts[i] = e.String()
	}
	return strings.Join(parts, "; ")
}

// Check parses and validates one record in Kaggle order into s, replacing
// rep's contents. It returns rep.OK().
func Check(fields []string, s *nba.Shot, rep *Report) bool {
	rep.Reset()
	if Parse(fields, s, rep) {
		Validate(s, rep)
	}
	return rep.OK()
}

// Parse converts fields (Kaggle order) into s. Type errors are recorded in
// rep under RuleInteger or RuleText; it returns false when any field did not
// parse, in which case s is incomplete and must not be validated further.
func Parse(fields []string, s *nba.Shot, rep *Report) bool {
	if len(fields) != nba.NumColumns {
		rep.addf(RuleFieldCount, -1, "row has %d fields, want %d", len(fields), nba.NumColumns)
		return false
	}
	n := len(rep.Errors)
	s.GameID = int32(intField(fields, nba.ColGameID, math.MaxInt32, rep))
	s.GameEventID = int32(intField(fields, nba.ColGameEventID, math.MaxInt32, rep))
	s.PlayerID = int32(intField(fields, nba.ColPlayerID, math.MaxInt32, rep))
	s.PlayerName = textField(fields, nba.ColPlayerName, rep)
	s.TeamID = int32(intField(fields, nba.ColTeamID, math.MaxInt32, rep))
	s.TeamName = textField(fields, nba.ColTeamName, rep)
	s.Period = int8(intField(fields, nba.ColPeriod, math.MaxInt8, rep))
	s.MinutesRemaining = int8(intField(fields, nba.ColMinutesRemaining, math.MaxInt8, rep))
	s.SecondsRemaining = int8(intField(fields, nba.ColSecondsRemaining, math.MaxInt8, rep))
	s.ActionType = textField(fields, nba.ColActionType, rep)
	s.ShotType = textField(fields, nba.ColShotType, rep)
	s.ShotZoneBasic = textField(fields, nba.ColShotZoneBasic, rep)
	s.ShotZoneArea = textField(fields, nba.ColShotZoneArea, rep)
	s.ShotZoneRange = textField(fields, nba.ColShotZoneRange, rep)
	s.ShotDistance = int16(intField(fields, nba.ColShotDistance, math.MaxInt16, rep))
	s.XLocation = int16(intField(fields, nba.ColXLocation, math.MaxInt16, rep))
	s.YLocation = int16(intField(fields, nba.ColYLocation, math.MaxInt16, rep))
	s.ShotMadeFlag = int8(intField(fields, nba.ColShotMadeFlag, math.MaxInt8, rep))
	s.GameDate = int32(intField(fields, nba.ColGameDate, math.MaxInt32, rep))
	s.HomeTeam = textField(fields, nba.ColHomeTeam, rep)
	s.AwayTeam = textField(fields, nba.ColAwayTeam, rep)
	s.SeasonType = textField(fields, nba.ColSeasonType, rep)
	return len(rep.Errors) == n
}

// intField parses a plain integer: "0", or an optional '-' and digits without
// a leading zero. Anything else ("+5", "05", "5.0", " 5") is refused, so a
// row that validates writes back byte for byte.
func intField(fields []string, col int, max int64, rep *Report) int64 {
	f := fields[col]
	v, ok := parsePlainInt(f)
	if !ok {
		rep.addf(RuleInteger, col, "%q is not a plain integer", f)
		return 0
	}
	if v > max || v < -max-1 {
		rep.addf(RuleInteger, col, "%d does not fit the column", v)
		return 0
	}
	return v
}

func parsePlainInt(f string) (int64, bool) {
	neg := false
	d := f
	if len(d) > 0 && d[0] == '-' {
		neg, d = true, d[1:]
	}
	if len(d) == 0 || len(d) > 18 || (d[0] == '0' && (len(d) > 1 || neg)) {
		return 0, false
	}
	var v int64
	for i := 0; i < len(d); i++ {
		c := d[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

func textField(fields []string, col int, rep *Report) string {
	f := fields[col]
	switch {
	case f == "":
		rep.Add(RuleText, col, "empty")
	case f[0] == ' ' || f[len(f)-1] == ' ':
		rep.addf(RuleText, col, "%q has surrounding spaces", f)
	case !utf8.ValidString(f):
		rep.addf(RuleText, col, "%q is not valid UTF-8", f)
	case strings.ContainsFunc(f, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		rep.addf(RuleText, col, "%q contains control characters", f)
	}
	return f
}

// Validate checks the rules that relate a parsed shot's fields to each other
// and to the league and court facts, adding what it finds to rep.
func Validate(s *nba.Shot, rep *Report) {
	season, seasonOK := validateGame(s, rep)
	validateTeams(s, season, seasonOK, rep)
	validateClock(s, rep)
	validateShot(s, season, seasonOK, rep)
}

// validateGame checks Game ID, Game Date and Season Type, and returns the
// season the game belongs to.
func validateGame(s *nba.Shot, rep *Report) (season int, ok bool) {
	if s.GameEventID < 1 || s.GameEventID > 9999 {
		rep.addf(RuleEventID, nba.ColGameEventID, "%d is outside 1..9999", s.GameEventID)
	}
	if s.PlayerID < 1 || s.PlayerID > 9_999_999 {
		rep.addf(RulePlayerID, nba.ColPlayerID, "%d is outside 1..9999999", s.PlayerID)
	}
	playoffs := false
	switch s.SeasonType {
	case nba.SeasonRegular:
	case nba.SeasonPlayoffs:
		playoffs = true
	default:
		rep.addf(RuleSeasonType, nba.ColSeasonType, "%q is neither %q nor %q", s.SeasonType, nba.SeasonRegular, nba.SeasonPlayoffs)
	}
	date, dateErr := league.ParseDate(s.GameDate)
	if dateErr != nil {
		rep.Add(RuleGameDate, nba.ColGameDate, dateErr.Error())
	}
	g, err := league.ParseGameID(s.GameID)
	if err != nil {
		rep.Add(RuleGameID, nba.ColGameID, err.Error())
		return 0, false
	}
	if err := g.CheckNumber(); err != nil {
		rep.Add(RuleGameID, nba.ColGameID, err.Error())
	}
	switch {
	case g.Type == league.GameTypeRegular && s.SeasonType == nba.SeasonPlayoffs,
		g.Type == league.GameTypePlayoffs && s.SeasonType == nba.SeasonRegular:
		rep.addf(RuleGameIDSeasonType, nba.ColGameID, "game type digit %d does not match Season Type %q", g.Type, s.SeasonType)
	}
	if dateErr != nil {
		return g.Season, true
	}
	if ds := league.SeasonOf(date); ds != g.Season {
		rep.addf(RuleGameIDSeason, nba.ColGameID, "season %s of Game ID %d does not match Game Date %d (season %s)",
			league.SeasonLabel(g.Season), s.GameID, s.GameDate, league.SeasonLabel(ds))
	}
	if !league.SeasonMonths(g.Season, playoffs, date.Month()) {
		rep.addf(WarnSeasonMonth, nba.ColGameDate, "%s game in %s", s.SeasonType, date.Month())
	}
	if g.Season < league.FirstSeason || g.Season > league.LastSeason {
		rep.addf(WarnSeasonRange, nba.ColGameID, "season %s", league.SeasonLabel(g.Season))
	}
	return g.Season, true
}

func validateTeams(s *nba.Shot, season int, seasonOK bool, rep *Report) {
	if s.TeamID < league.MinTeamID || s.TeamID > league.MaxTeamID {
		rep.addf(RuleTeamID, nba.ColTeamID, "%d is not a franchise id (%d..%d)", s.TeamID, league.MinTeamID, league.MaxTeamID)
	}
	if id, known := league.TeamIDOf(s.TeamName); !known {
		rep.addf(RuleTeamName, nba.ColTeamName, "%q is not a team of the data set", s.TeamName)
	} else if id != s.TeamID {
		rep.addf(RuleTeamIDName, nba.ColTeamName, "%q is franchise %d, not Team ID %d", s.TeamName, id, s.TeamID)
	}
	if s.HomeTeam == s.AwayTeam {
		rep.addf(RuleHomeAway, nba.ColAwayTeam, "home and away are both %q", s.HomeTeam)
	}
	for _, c := range [...]struct {
		col  int
		code string
	}{{nba.ColHomeTeam, s.HomeTeam}, {nba.ColAwayTeam, s.AwayTeam}} {
		switch {
		case !league.KnownCode(c.code):
			rep.addf(RuleTeamCode, c.col, "%q is not a team code", c.code)
		case seasonOK && !league.CodeIn(c.code, season):
			rep.addf(RuleTeamCode, c.col, "%q was not in use in %s", c.code, league.SeasonLabel(season))
		}
	}
	if !seasonOK {
		return
	}
	if _, known := league.TeamIDOf(s.TeamName); !known {
		return
	}
	t, ok := league.TeamIn(s.TeamName, season)
	if !ok {
		rep.addf(RuleTeamSeason, nba.ColTeamName, "no team played as %q in %s", s.TeamName, league.SeasonLabel(season))
		return
	}
	if t.Code != s.HomeTeam && t.Code != s.AwayTeam {
		rep.addf(RuleTeamInGame, nba.ColTeamName, "%q (%s in %s) is neither home %q nor away %q",
			s.TeamName, t.Code, league.SeasonLabel(season), s.HomeTeam, s.AwayTeam)
	}
}

func validateClock(s *nba.Shot, rep *Report) {
	if s.Period < 1 || s.Period > 10 {
		rep.addf(RulePeriod, nba.ColPeriod, "%d is outside 1..10", s.Period)
		return
	}
	maxMin := int8(11)
	if s.Period > 4 {
		maxMin = 4 // overtime lasts five minutes
	}
	if s.MinutesRemaining < 0 || s.MinutesRemaining > maxMin {
		rep.addf(RuleClock, nba.ColMinutesRemaining, "%d is outside 0..%d in period %d", s.MinutesRemaining, maxMin, s.Period)
	}
	if s.SecondsRemaining < 0 || s.SecondsRemaining > 59 {
		rep.addf(RuleClock, nba.ColSecondsRemaining, "%d is outside 0..59", s.SecondsRemaining)
	}
}

// threeLineSlack is how far (in tenths of feet) from the 3-point line the
// scorer's Shot Type may disagree with the zone before it is an error.
const threeLineSlack = 10

func validateShot(s *nba.Shot, season int, seasonOK bool, rep *Report) {
	if s.ShotMadeFlag != 0 && s.ShotMadeFlag != 1 {
		rep.addf(RuleMadeFlag, nba.ColShotMadeFlag, "%d is neither 0 nor 1", s.ShotMadeFlag)
	}
	if s.ShotType != nba.ShotType2PT && s.ShotType != nba.ShotType3PT {
		rep.addf(RuleShotType, nba.ColShotType, "%q is neither %q nor %q", s.ShotType, nba.ShotType2PT, nba.ShotType3PT)
	}
	if !nba.KnownActionType(s.ActionType) {
		rep.addf(WarnActionType, nba.ColActionType, "%q", s.ActionType)
	}
	x, y := int(s.XLocation), int(s.YLocation)
	if x < -court.SidelineX || x > court.SidelineX || y < -60 || y > 890 {
		rep.addf(RuleLocation, -1, "(%d, %d) is off the court", x, y)
		return
	}
	z := court.Classify(x, y)
	if int(s.ShotDistance) != z.Distance {
		rep.addf(RuleDistanceFromXY, nba.ColShotDistance, "%d, but (%d, %d) is %d ft from the rim", s.ShotDistance, x, y, z.Distance)
	}
	basic := z.Basic
	// The NBA's zone list has Above the Break 3 / Back Court(BC) / Back Court
	// Shot: accept that label for a backcourt location.
	if basic == nba.ZoneBackcourt && s.ShotZoneBasic == nba.ZoneAboveBreak3 &&
		s.ShotZoneArea == nba.AreaBackCourt && s.ShotZoneRange == nba.RangeBackCourt {
		basic = nba.ZoneAboveBreak3
	}
	if s.ShotZoneBasic != basic {
		rep.addf(RuleZoneBasicFromXY, nba.ColShotZoneBasic, "%q, but (%d, %d) is %q", s.ShotZoneBasic, x, y, z.Basic)
	}
	if s.ShotZoneArea != z.Area {
		rep.addf(RuleZoneAreaFromXY, nba.ColShotZoneArea, "%q, but (%d, %d) is %q", s.ShotZoneArea, x, y, z.Area)
	}
	if !contains(court.AreasFor(s.ShotZoneBasic), s.ShotZoneArea) {
		rep.addf(RuleZoneCombo, nba.ColShotZoneArea, "%q does not occur with %q", s.ShotZoneArea, s.ShotZoneBasic)
	}
	if s.ShotZoneRange != z.Range {
		rep.addf(RuleZoneRange, nba.ColShotZoneRange, "%q, but a %q shot of %d ft is %q", s.ShotZoneRange, z.Basic, z.Distance, z.Range)
	}
	if s.ShotType != z.ShotType && (s.ShotType == nba.ShotType2PT || s.ShotType == nba.ShotType3PT) {
		if d := math.Abs(threeLineDistance(x, y)); d > threeLineSlack {
			rep.addf(RuleShotTypeZone, nba.ColShotType, "%q, but (%d, %d) is %.1f ft from the 3-point line in %q", s.ShotType, x, y, d/10, z.Basic)
		} else {
			rep.addf(WarnShotTypeArc, nba.ColShotType, "%q at %.1f ft from the 3-point line in %q", s.ShotType, d/10, z.Basic)
		}
	}
	if m := court.Margin(x, y); m < 2 {
		rep.addf(WarnZoneBoundary, -1, "(%d, %d) is %.2f ft from a zone boundary", x, y, m/10)
	}
	ax := x
	if ax < 0 {
		ax = -ax
	}
	if (ax <= court.PaintHalfWidth && y >= 138 && y <= 141) || (ax >= court.CornerX && y > 84 && y < 93) {
		rep.addf(WarnZoneConvention, -1, "(%d, %d) is where the zone depends on convention", x, y)
	}
	switch fam := nba.ActionFamily(s.ActionType); {
	case fam == nba.FamilyDunk && z.Distance > 4, fam == nba.FamilyLayup && z.Distance > 7, fam == nba.FamilyTip && z.Distance > 2:
		rep.addf(WarnActionDistance, nba.ColActionType, "%q at %d ft", s.ActionType, z.Distance)
	case s.ShotType == nba.ShotType3PT && fam != nba.FamilyJumper && fam != nba.FamilyBank:
		rep.addf(WarnActionShotType, nba.ColActionType, "%q for a three", s.ActionType)
	}
	if x == 0 && y == 0 && seasonOK && season >= 2010 {
		rep.addf(WarnOriginAfter2010, -1, "(0, 0) in %s", league.SeasonLabel(season))
	}
}

// threeLineDistance is the signed distance in tenths of feet from the
// 3-point line: positive beyond it, negative inside.
func threeLineDistance(x, y int) float64 {
	fx, fy := math.Abs(float64(x)), float64(y)
	if fy <= court.CornerMaxY {
		return fx - court.CornerX
	}
	return math.Hypot(fx, fy) - court.ArcRadius
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
