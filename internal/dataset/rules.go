package dataset

import "slices"

// Severity says what a broken rule does to a row.
type Severity uint8

const (
	// Hard errors send the row to quarantine. Each is a rule that none of the
	// real reference rows breaks.
	Hard Severity = iota + 1
	// Warnings are counted and logged; the row is kept. They cover facts that
	// hold in the sample but depend on convention or are plausible to break.
	Warning
)

func (s Severity) String() string {
	if s == Hard {
		return "error"
	}
	return "warning"
}

// Rule names: short, stable, and used in errors, quarantine files and the
// counts ingest reports. Do not rename them: dashboards and alerts key on them.
const (
	RuleFieldCount       = "field_count"
	RuleCSVSyntax        = "csv_syntax"
	RuleInteger          = "integer"
	RuleText             = "text"
	RuleGameID           = "game_id"
	RuleGameIDSeasonType = "game_id_season_type"
	RuleGameIDSeason     = "game_id_season"
	RuleGameDate         = "game_date"
	RuleSeasonType       = "season_type"
	RuleEventID          = "event_id"
	RulePlayerID         = "player_id"
	RuleTeamID           = "team_id"
	RuleTeamName         = "team_name"
	RuleTeamIDName       = "team_id_name"
	RuleTeamSeason       = "team_season"
	RuleTeamCode         = "team_code"
	RuleHomeAway         = "home_away"
	RuleTeamInGame       = "team_in_game"
	RulePeriod           = "period"
	RuleClock            = "clock"
	RuleMadeFlag         = "made_flag"
	RuleShotType         = "shot_type"
	RuleLocation         = "location"
	RuleDistanceFromXY   = "distance_from_xy"
	RuleZoneBasicFromXY  = "zone_basic_from_xy"
	RuleZoneAreaFromXY   = "zone_area_from_xy"
	RuleZoneRange        = "zone_range"
	RuleZoneCombo        = "zone_combo"
	RuleShotTypeZone     = "shot_type_zone"
	RuleGameConsistency  = "game_consistency"

	WarnShotTypeArc     = "shot_type_arc"
	WarnZoneBoundary    = "zone_boundary"
	WarnZoneConvention  = "zone_convention"
	WarnActionType      = "action_type"
	WarnActionDistance  = "action_distance"
	WarnActionShotType  = "action_shot_type"
	WarnSeasonMonth     = "season_month"
	WarnSeasonRange     = "season_range"
	WarnOriginAfter2010 = "origin_after_2010"
)

// RuleInfo documents one rule.
type RuleInfo struct {
	Name     string
	Severity Severity
	Doc      string
}

// rules lists every rule with its severity and what it checks.
var rules = []RuleInfo{
	{RuleFieldCount, Hard, "the row has as many fields as the header"},
	{RuleCSVSyntax, Hard, "the row is valid CSV (quotes balanced)"},
	{RuleInteger, Hard, "integer columns hold a plain integer (no sign but '-', no leading zeros, no decimals) that fits the column"},
	{RuleText, Hard, "text columns are non-empty UTF-8 without control characters or surrounding spaces"},
	{RuleGameID, Hard, "Game ID is TYYNNNNN with T 2 or 4 and a game number valid for its type and season"},
	{RuleGameIDSeasonType, Hard, "the first digit of Game ID matches Season Type (2 Regular Season, 4 Playoffs)"},
	{RuleGameIDSeason, Hard, "YY of Game ID is the season of Game Date (from August a date opens the next season; the 2020 bubble belongs to 2019-20)"},
	{RuleGameDate, Hard, "Game Date is a calendar date written YYYYMMDD"},
	{RuleSeasonType, Hard, "Season Type is Regular Season or Playoffs"},
	{RuleEventID, Hard, "Game Event ID is 1..9999"},
	{RulePlayerID, Hard, "Player ID is 1..9999999"},
	{RuleTeamID, Hard, "Team ID is one of the 30 franchise ids 1610612737..1610612766"},
	{RuleTeamName, Hard, "Team Name is one of the 37 names of the data set"},
	{RuleTeamIDName, Hard, "Team Name belongs to the franchise of Team ID"},
	{RuleTeamSeason, Hard, "the team played under Team Name in the game's season"},
	{RuleTeamCode, Hard, "Home Team and Away Team are codes in use in the game's season"},
	{RuleHomeAway, Hard, "Home Team differs from Away Team"},
	{RuleTeamInGame, Hard, "the shooter's team (its season-aware code) is the home or the away team"},
	{RulePeriod, Hard, "Period is 1..10 (5 and above are overtimes)"},
	{RuleClock, Hard, "Minutes Remaining is 0..11 in periods 1-4 and 0..4 in overtime; Seconds Remaining is 0..59"},
	{RuleMadeFlag, Hard, "Shot Made Flag is 0 or 1"},
	{RuleShotType, Hard, "Shot Type is 2PT Field Goal or 3PT Field Goal"},
	{RuleLocation, Hard, "X Location is within the sidelines (-250..250) and Y Location on the court (-60..890)"},
	{RuleDistanceFromXY, Hard, "Shot Distance is floor(sqrt(x²+y²)/10)"},
	{RuleZoneBasicFromXY, Hard, "Shot Zone Basic is the zone of (x, y)"},
	{RuleZoneAreaFromXY, Hard, "Shot Zone Area is the angular sector of (x, y)"},
	{RuleZoneRange, Hard, "Shot Zone Range follows from the zone and the distance"},
	{RuleZoneCombo, Hard, "Shot Zone Area is one that occurs with Shot Zone Basic"},
	{RuleShotTypeZone, Hard, "Shot Type agrees with the zone when the shot is more than 1 ft from the 3-point line"},
	{RuleGameConsistency, Hard, "date, teams and season type are the same on every row of a Game ID (checked within a batch)"},
	{WarnShotTypeArc, Warning, "Shot Type disagrees with the zone within 1 ft of the 3-point line (the scorer's call; 2 real rows)"},
	{WarnZoneBoundary, Warning, "the location lies within 0.2 ft of a zone boundary"},
	{WarnZoneConvention, Warning, "the location lies where the zone depends on convention (paint top y 138-141, corner top y 84-93)"},
	{WarnActionType, Warning, "Action Type is not one the NBA's play-by-play uses"},
	{WarnActionDistance, Warning, "Action Type is unusual at this distance (dunk beyond 4 ft, layup beyond 7 ft, tip beyond 2 ft)"},
	{WarnActionShotType, Warning, "a three-pointer whose Action Type is not a jump or bank shot"},
	{WarnSeasonMonth, Warning, "Game Date falls outside the months of the season type"},
	{WarnSeasonRange, Warning, "the season is outside the data set's 1997-98..2019-20"},
	{WarnOriginAfter2010, Warning, "a shot at exactly (0, 0) from 2010-11 on, when the tracking stopped producing them"},
}

// Rules returns every rule with its severity and what it checks, in the
// order of the README's rule table (a test keeps the two in step). It is a
// copy: no caller can change the rules.
func Rules() []RuleInfo { return slices.Clone(rules) }

var severityOf = func() map[string]Severity {
	m := make(map[string]Severity, len(rules))
	for _, r := range rules {
		m[r.Name] = r.Severity
	}
	return m
}()

// SeverityOf returns the severity of a rule, 0 for an unknown name.
func SeverityOf(rule string) Severity { return severityOf[rule] }
