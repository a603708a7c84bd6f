package predict

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// ShotRequest is the body of POST /predict/shot: what a caller knows about a
// shot before it is taken, in the Kaggle schema's snake_case names. The
// optional fields are derived when absent (zones, distance and shot type
// from x/y by court.Classify; the team ID from the team name) and checked
// against the derivation when given. Game ID and Game Event ID stay absent
// when the caller does not know them.
type ShotRequest struct {
	PlayerID         int    `json:"player_id"`
	PlayerName       string `json:"player_name"`
	TeamName         string `json:"team_name"`
	HomeTeam         string `json:"home_team"`
	AwayTeam         string `json:"away_team"`
	Period           int    `json:"period"`
	MinutesRemaining int    `json:"minutes_remaining"`
	SecondsRemaining int    `json:"seconds_remaining"`
	ActionType       string `json:"action_type"`
	XLocation        int    `json:"x_location"`
	YLocation        int    `json:"y_location"`
	GameDate         int    `json:"game_date"` // YYYYMMDD
	SeasonType       string `json:"season_type"`

	GameID        *int    `json:"game_id,omitempty"`
	TeamID        *int    `json:"team_id,omitempty"`
	GameEventID   *int    `json:"game_event_id,omitempty"`
	ShotType      *string `json:"shot_type,omitempty"`
	ShotZoneBasic *string `json:"shot_zone_basic,omitempty"`
	ShotZoneArea  *string `json:"shot_zone_area,omitempty"`
	ShotZoneRange *string `json:"shot_zone_range,omitempty"`
	ShotDistance  *int    `json:"shot_distance,omitempty"`
}

// shotField describes one member of a ShotRequest for the strict decoder:
// exactly one of the four pointers is set.
type shotField struct {
	name   string
	num    *int
	text   *string
	optNum **int
	optTxt **string
}

// members returns r's members, in the order of the struct. It returns an
// array, not a slice, so that neither the table nor the request it points
// into needs the heap.
func (r *ShotRequest) members() [numShotFields]shotField {
	return [numShotFields]shotField{
		{name: "player_id", num: &r.PlayerID},
		{name: "player_name", text: &r.PlayerName},
		{name: "team_name", text: &r.TeamName},
		{name: "home_team", text: &r.HomeTeam},
		{name: "away_team", text: &r.AwayTeam},
		{name: "period", num: &r.Period},
		{name: "minutes_remaining", num: &r.MinutesRemaining},
		{name: "seconds_remaining", num: &r.SecondsRemaining},
		{name: "action_type", text: &r.ActionType},
		{name: "x_location", num: &r.XLocation},
		{name: "y_location", num: &r.YLocation},
		{name: "game_date", num: &r.GameDate},
		{name: "season_type", text: &r.SeasonType},
		{name: "game_id", optNum: &r.GameID},
		{name: "team_id", optNum: &r.TeamID},
		{name: "game_event_id", optNum: &r.GameEventID},
		{name: "shot_type", optTxt: &r.ShotType},
		{name: "shot_zone_basic", optTxt: &r.ShotZoneBasic},
		{name: "shot_zone_area", optTxt: &r.ShotZoneArea},
		{name: "shot_zone_range", optTxt: &r.ShotZoneRange},
		{name: "shot_distance", optNum: &r.ShotDistance},
	}
}

// shotFieldIndex maps a member's name to its index in members(), and
// shotFieldNames an index to the name. The decoder takes names from here,
// not from the table of pointers into the request: escape analysis follows
// a table entry as a whole, and a name that ends up in an error would take
// the request to the heap with it.
var shotFieldIndex, shotFieldNames = func() (map[string]int, [numShotFields]string) {
	m := map[string]int{}
	var names [numShotFields]string
	for i, f := range new(ShotRequest).members() {
		m[f.name] = i
		names[i] = f.name
	}
	return m, names
}()

const numShotFields = 21

// DecodeShotRequest decodes a /predict/shot body strictly: one JSON object;
// every required member present, no unknown or repeated member; integers
// are JSON numbers without a fractional part that fit 32 bits, text members
// are strings; null stands for an absent optional member. Every problem is
// reported at once in a *httpjson.ValidationError. It checks types only:
// Shot checks the values.
func DecodeShotRequest(data []byte) (ShotRequest, error) {
	var (
		r    ShotRequest
		ve   httpjson.ValidationError
		have [numShotFields]bool
		vals shotValues
	)
	fields := r.members()
	vals.data = data
	index := shotFieldIndex
	err := httpjson.EachMember(data, func(k []byte, raw json.RawMessage) {
		i, ok := index[string(k)]
		if !ok {
			ve.Add(httpjson.Body("Extra inputs are not permitted", "extra_forbidden", string(k)))
			return
		}
		f := fields[i]
		key := shotFieldNames[i]
		if have[i] {
			ve.Add(httpjson.Body("Duplicate key in JSON object", "duplicate_key", key))
			return
		}
		have[i] = true
		kd := httpjson.Kind(raw)
		if kd == 'n' && (f.optNum != nil || f.optTxt != nil) {
			return // null: absent
		}
		switch {
		case f.num != nil || f.optNum != nil:
			v, fe, ok := parseInt(raw, kd, key)
			if !ok {
				ve.Add(fe)
				return
			}
			if f.num != nil {
				*f.num = v
			} else {
				*f.optNum = vals.int(v)
			}
		default:
			if kd != '"' {
				ve.Add(httpjson.Body("Input should be a valid string", "string_type", key))
				return
			}
			s, ok := vals.unquote(raw)
			if !ok {
				ve.Add(httpjson.Body("Input should be a valid string", "string_type", key))
				return
			}
			if f.text != nil {
				*f.text = s
			} else {
				*f.optTxt = vals.text(s)
			}
		}
	})
	if err != nil {
		return ShotRequest{}, err
	}
	for i, f := range fields {
		if !have[i] && (f.num != nil || f.text != nil) {
			ve.Add(httpjson.Body("Field required", "missing", shotFieldNames[i]))
		}
	}
	if err := invalid(&ve); err != nil {
		return ShotRequest{}, err
	}
	return r, nil
}

// invalid returns ve as an error, or nil when it holds no field error. It
// returns a copy, so that the caller's ValidationError can live on its
// stack and only a refused request pays for one on the heap.
func invalid(ve *httpjson.ValidationError) error {
	if len(ve.Fields) == 0 {
		return nil
	}
	e := *ve
	return &e
}

// shotValues is where DecodeShotRequest keeps what it would otherwise
// allocate once per member: the text members are substrings of one copy of
// the body, and the optional members point into one block.
type shotValues struct {
	data          []byte // the body
	body          string // data as a string, made for the first text member
	copied        bool
	opt           *shotOptionals
	nInts, nTexts int
}

// shotOptionals holds the values of the optional members: game_id,
// team_id, game_event_id and shot_distance; the shot type and the zones.
type shotOptionals struct {
	ints  [4]int
	texts [4]string
}

// unquote returns the value of a JSON string member raw of the body as
// encoding/json reads it.
func (v *shotValues) unquote(raw json.RawMessage) (string, bool) {
	// encoding/json turns invalid UTF-8 into U+FFFD; the fast path must
	// read the same string, so it takes only valid UTF-8.
	if len(raw) >= 2 && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		if off, ok := offsetIn(v.data, raw); ok {
			if !v.copied {
				v.body, v.copied = string(v.data), true
			}
			return v.body[off+1 : off+len(raw)-1], true
		}
		return string(raw[1 : len(raw)-1]), true
	}
	return unquote(raw)
}

// offsetIn returns where sub starts in data when sub is a slice of data's
// array (as the members EachMember hands out are).
func offsetIn(data, sub []byte) (int, bool) {
	off := cap(data) - cap(sub)
	if len(sub) == 0 || off < 0 || off > len(data)-len(sub) || &data[off] != &sub[0] {
		return 0, false
	}
	return off, true
}

// int returns a pointer to n for an optional member.
func (v *shotValues) int(n int) *int {
	v.block()
	if v.nInts == len(v.opt.ints) {
		return ptr(n)
	}
	p := &v.opt.ints[v.nInts]
	v.nInts++
	*p = n
	return p
}

// text returns a pointer to s for an optional member.
func (v *shotValues) text(s string) *string {
	v.block()
	if v.nTexts == len(v.opt.texts) {
		return ptr(s)
	}
	p := &v.opt.texts[v.nTexts]
	v.nTexts++
	*p = s
	return p
}

func (v *shotValues) block() {
	if v.opt == nil {
		v.opt = new(shotOptionals)
	}
}

// unquote returns the value of a JSON string as encoding/json reads it; the
// common string without escapes costs one allocation, not a second decoder.
func unquote(raw json.RawMessage) (string, bool) {
	if len(raw) >= 2 && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err == nil
}

// smallInt reads the common integer, -?[0-9]{1,9}, without allocating
// (strconv keeps the text in its error, so its argument escapes).
func smallInt(raw []byte) (int, bool) {
	neg := len(raw) > 0 && raw[0] == '-'
	if neg {
		raw = raw[1:]
	}
	if len(raw) == 0 || len(raw) > 9 || (raw[0] == '0' && len(raw) > 1) {
		return 0, false
	}
	v := 0
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

func parseInt(raw json.RawMessage, k byte, key string) (int, httpjson.FieldError, bool) {
	if k != '0' {
		return 0, httpjson.Body("Input should be a valid integer", "int_type", key), false
	}
	if v, ok := smallInt(raw); ok {
		return v, httpjson.FieldError{}, true
	}
	if v, err := strconv.ParseInt(string(raw), 10, 32); err == nil {
		return int(v), httpjson.FieldError{}, true
	}
	// 10.0 is an integer in JSON's eyes and in pydantic's; 10.5 is not.
	x, err := strconv.ParseFloat(string(raw), 64)
	switch {
	case err != nil && !math.IsInf(x, 0):
		return 0, httpjson.Body("Input should be a valid integer", "int_type", key), false
	case x != math.Trunc(x):
		return 0, httpjson.Body("Input should be a valid integer, got a number with a fractional part", "int_from_float", key), false
	case x < math.MinInt32 || x > math.MaxInt32 || math.IsInf(x, 0):
		return 0, httpjson.Body("Input should be an integer that fits 32 bits", "int_parsing_size", key), false
	}
	return int(x), httpjson.FieldError{}, true
}

// DecodeJSON decodes strictly with DecodeShotRequest
// (httpjson.StrictDecoder), in one pass.
func (r *ShotRequest) DecodeJSON(data []byte) error {
	got, err := DecodeShotRequest(data)
	if err != nil {
		return err
	}
	*r = got
	return nil
}

// UnmarshalJSON decodes strictly with DecodeShotRequest.
func (r *ShotRequest) UnmarshalJSON(data []byte) error { return r.DecodeJSON(data) }

// maxText bounds the free-text members; real values are under 40 bytes.
const maxText = 100

// columnField maps a Kaggle column to its request member.
var columnField = func() [nba.NumColumns]string {
	var m [nba.NumColumns]string
	for i, c := range nba.Columns() {
		m[i] = strings.ToLower(strings.ReplaceAll(c, " ", "_"))
	}
	return m
}()

// Shot checks the request and returns the shot it describes, with the
// absent optional fields derived (ShotMadeFlag is 0; GameID and GameEventID
// are 0 when not given). It applies the validator of the data set
// (package dataset) to the completed shot, so a shot accepted here is one
// that ingest accepts once it has a Game ID and a label. Errors: a
// *httpjson.ValidationError listing every problem, each located at the
// member that causes it (a given zone that contradicts x/y names the zone,
// a date outside the seasons names game_date).
func (r ShotRequest) Shot() (nba.Shot, error) { return r.shotAt(time.Now()) }

// shotAt is Shot on the day now: the current season bounds game_date.
func (r ShotRequest) shotAt(now time.Time) (nba.Shot, error) {
	var ve httpjson.ValidationError
	r.checkTexts(&ve)
	r.checkNumbers(&ve)
	if r.SeasonType != nba.SeasonRegular && r.SeasonType != nba.SeasonPlayoffs {
		ve.Add(httpjson.Body(fmt.Sprintf("Input should be %q or %q", nba.SeasonRegular, nba.SeasonPlayoffs), "literal_error", "season_type"))
	}
	season := r.checkDate(&ve, now)
	teamID, known := league.TeamIDOf(r.TeamName)
	if !known {
		valueError(&ve, "team_name", "%q is not a team of the data set", r.TeamName)
	}
	if r.TeamID != nil {
		teamID = int32(*r.TeamID)
	}
	if err := invalid(&ve); err != nil {
		return nba.Shot{}, err
	}
	s := r.derive(teamID)
	r.checkAsDataset(&ve, s, season)
	if err := invalid(&ve); err != nil {
		return nba.Shot{}, err
	}
	return s, nil
}

func valueError(ve *httpjson.ValidationError, field, format string, args ...any) {
	ve.Add(httpjson.Body("Value error, "+fmt.Sprintf(format, args...), "value_error", field))
}

// checkTexts applies the text rule to every text member given. The table
// holds values, not pointers into r: escape analysis follows a table entry
// as a whole, so a pointer in it would put every request on the heap.
func (r *ShotRequest) checkTexts(ve *httpjson.ValidationError) {
	for _, t := range [...]struct {
		name  string
		v     string
		given bool
	}{
		{"player_name", r.PlayerName, true}, {"team_name", r.TeamName, true}, {"home_team", r.HomeTeam, true},
		{"away_team", r.AwayTeam, true}, {"action_type", r.ActionType, true}, {"season_type", r.SeasonType, true},
		{"shot_type", deref(r.ShotType, ""), r.ShotType != nil},
		{"shot_zone_basic", deref(r.ShotZoneBasic, ""), r.ShotZoneBasic != nil},
		{"shot_zone_area", deref(r.ShotZoneArea, ""), r.ShotZoneArea != nil},
		{"shot_zone_range", deref(r.ShotZoneRange, ""), r.ShotZoneRange != nil},
	} {
		if !t.given {
			continue
		}
		if msg := checkText(t.v); msg != "" {
			valueError(ve, t.name, "%s", msg)
		}
	}
}

// checkNumbers range-checks the integer members before they are narrowed
// to the shot's small types, or 257 would wrap to a valid period 1.
func (r *ShotRequest) checkNumbers(ve *httpjson.ValidationError) {
	for _, n := range [...]struct {
		name     string
		v        int
		min, max int
	}{
		{"period", r.Period, 1, maxPeriod}, {"minutes_remaining", r.MinutesRemaining, 0, maxMinutes},
		{"seconds_remaining", r.SecondsRemaining, 0, maxSeconds},
		{"x_location", r.XLocation, -court.SidelineX, court.SidelineX}, {"y_location", r.YLocation, minY, maxY},
	} {
		if n.v < n.min || n.v > n.max {
			valueError(ve, n.name, "%d is outside %d..%d", n.v, n.min, n.max)
		}
	}
	// A request built in Go, not decoded, can hold ints that do not fit the
	// 32-bit columns.
	for _, n := range [...]struct {
		name  string
		v     int
		given bool
	}{
		{"player_id", r.PlayerID, true}, {"game_date", r.GameDate, true}, {"game_id", deref(r.GameID, 0), r.GameID != nil},
		{"team_id", deref(r.TeamID, 0), r.TeamID != nil}, {"game_event_id", deref(r.GameEventID, 0), r.GameEventID != nil},
	} {
		if n.given && (n.v < math.MinInt32 || n.v > math.MaxInt32) {
			valueError(ve, n.name, "%d does not fit 32 bits", n.v)
		}
	}
	if r.ShotDistance != nil && (*r.ShotDistance < 0 || *r.ShotDistance > math.MaxInt16) {
		valueError(ve, "shot_distance", "%d is outside 0..%d", *r.ShotDistance, math.MaxInt16)
	}
}

// checkDate checks that game_date is a calendar date in a season from the
// first of the data set to the current one, and returns that season.
func (r *ShotRequest) checkDate(ve *httpjson.ValidationError, now time.Time) int {
	season, msg := seasonOfDate(r.GameDate, now)
	if msg != "" {
		valueError(ve, "game_date", "%s", msg)
	}
	return season
}

// seasonOfDate returns the season of a YYYYMMDD game date, or why the date
// is not one a game of the data can have: not a calendar date, before the
// first season of the data set, or after the season under way at now.
func seasonOfDate(d int, now time.Time) (int, string) {
	if d < math.MinInt32 || d > math.MaxInt32 {
		return 0, fmt.Sprintf("%d is not a calendar date written YYYYMMDD", d)
	}
	date, err := league.ParseDate(int32(d))
	if err != nil {
		return 0, fmt.Sprintf("%d is not a calendar date written YYYYMMDD", d)
	}
	season, current := league.SeasonOf(date), league.SeasonOf(now)
	switch {
	case season < league.FirstSeason:
		return 0, fmt.Sprintf("%d is before the first season of the data set (%s)", d, league.SeasonLabel(league.FirstSeason))
	case season > current:
		return 0, fmt.Sprintf("%d is after the current season (%s)", d, league.SeasonLabel(current))
	}
	return season, ""
}

// derive completes the request into a shot: zones, shot type and distance
// from x/y where the caller gave none.
func (r *ShotRequest) derive(teamID int32) nba.Shot {
	z := court.Classify(r.XLocation, r.YLocation)
	return r.shot(teamID, z)
}

// complete turns a record, whose derived members are all given, into its
// shot without deriving anything.
func (r *ShotRequest) complete(teamID int32) nba.Shot { return r.shot(teamID, court.Zones{}) }

// shot builds the shot of the request, taking the optional members from z
// where the request has none.
func (r *ShotRequest) shot(teamID int32, z court.Zones) nba.Shot {
	return nba.Shot{
		GameID:           int32(deref(r.GameID, 0)),
		GameEventID:      int32(deref(r.GameEventID, 0)),
		PlayerID:         int32(r.PlayerID),
		PlayerName:       r.PlayerName,
		TeamID:           teamID,
		TeamName:         r.TeamName,
		Period:           int8(r.Period),
		MinutesRemaining: int8(r.MinutesRemaining),
		SecondsRemaining: int8(r.SecondsRemaining),
		ActionType:       r.ActionType,
		ShotType:         deref(r.ShotType, z.ShotType),
		ShotZoneBasic:    deref(r.ShotZoneBasic, z.Basic),
		ShotZoneArea:     deref(r.ShotZoneArea, z.Area),
		ShotZoneRange:    deref(r.ShotZoneRange, z.Range),
		ShotDistance:     int16(deref(r.ShotDistance, z.Distance)),
		XLocation:        int16(r.XLocation),
		YLocation:        int16(r.YLocation),
		GameDate:         int32(r.GameDate),
		HomeTeam:         r.HomeTeam,
		AwayTeam:         r.AwayTeam,
		SeasonType:       r.SeasonType,
	}
}

// checkAsDataset applies the data set's validator to the completed shot
// and locates each problem at the member that causes it. The validator
// needs a Game ID and an event: it is lent valid ones for this season and
// type when the caller gave none, so that only what the caller said is
// judged.
func (r *ShotRequest) checkAsDataset(ve *httpjson.ValidationError, s nba.Shot, season int) {
	if r.GameID == nil {
		s.GameID = placeholderGameID(season, r.SeasonType == nba.SeasonPlayoffs)
	}
	if r.GameEventID == nil {
		s.GameEventID = 1
	}
	var rep dataset.Report
	dataset.Validate(&s, &rep)
	for _, is := range rep.Errors {
		field := ""
		for col, name := range nba.Columns() {
			if name == is.Field {
				field = columnField[col]
			}
		}
		if is.Rule == dataset.RuleTeamIDName && r.TeamID != nil {
			field = "team_id" // the caller's team_id contradicts the name
		}
		msg := fmt.Sprintf("Value error, %s (rule %s)", is.Detail, is.Rule)
		if field == "" {
			ve.Add(httpjson.Body(msg, "value_error"))
		} else {
			ve.Add(httpjson.Body(msg, "value_error", field))
		}
	}
}

// WithDerived returns r with its optional members filled from s (the result
// of r.Shot()): team ID, distance, zones and shot type. Game ID and Game
// Event ID stay as the caller gave them.
func (r ShotRequest) WithDerived(s nba.Shot) ShotRequest {
	teamID, dist := int(s.TeamID), int(s.ShotDistance)
	shotType, basic, area, rng := s.ShotType, s.ShotZoneBasic, s.ShotZoneArea, s.ShotZoneRange
	r.TeamID, r.ShotDistance = &teamID, &dist
	r.ShotType, r.ShotZoneBasic, r.ShotZoneArea, r.ShotZoneRange = &shotType, &basic, &area, &rng
	return r
}

// placeholderGameID returns a Game ID that is valid for a season and type.
func placeholderGameID(season int, playoffs bool) int32 {
	g := league.GameID{Type: league.GameTypeRegular, Season: season, Number: 1}
	if playoffs {
		g.Type = league.GameTypePlayoffs
		if season >= 2001 {
			g.Number = league.PlayoffNumber(1, 0, 1)
		}
	}
	return g.Int()
}

// checkText applies the data set's text rule (non-empty UTF-8 without
// control characters or surrounding spaces) and a length bound.
func checkText(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case len(s) > maxText:
		return fmt.Sprintf("must be at most %d bytes", maxText)
	case s[0] == ' ' || s[len(s)-1] == ' ':
		return "must not start or end with a space"
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "must not contain control characters"
	}
	return ""
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
