package predict

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/sampledata"
)

// shotBody is a synthetic mid-range jumper: (-120, 150) is 19 ft out,
// Mid-Range, Left Side Center(LC), 16-24 ft, a two.
const shotBody = `{"player_id": 2544, "player_name": "LeBron James", "team_name": "Los Angeles Lakers",
 "home_team": "LAL", "away_team": "BOS", "period": 1, "minutes_remaining": 10, "seconds_remaining": 30,
 "action_type": "Jump Shot", "x_location": -120, "y_location": 150, "game_date": 20191105,
 "season_type": "Regular Season"}`

func shotWith(key, raw string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(shotBody), &m); err != nil {
		panic(err)
	}
	if raw == "" {
		delete(m, key)
	} else {
		m[key] = json.RawMessage(raw)
	}
	b, _ := json.Marshal(m)
	return b
}

func TestShotDerives(t *testing.T) {
	r, err := DecodeShotRequest([]byte(shotBody))
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.Shot()
	if err != nil {
		t.Fatal(err)
	}
	want := nba.Shot{PlayerID: 2544, PlayerName: "LeBron James", TeamID: 1610612747, TeamName: "Los Angeles Lakers",
		Period: 1, MinutesRemaining: 10, SecondsRemaining: 30, ActionType: "Jump Shot", ShotType: nba.ShotType2PT,
		ShotZoneBasic: nba.ZoneMidRange, ShotZoneArea: nba.AreaLeftCenter, ShotZoneRange: nba.Range16To24, ShotDistance: 19,
		XLocation: -120, YLocation: 150, GameDate: 20191105, HomeTeam: "LAL", AwayTeam: "BOS", SeasonType: nba.SeasonRegular}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Shot() (-want +got):\n%s", diff)
	}
	full := r.WithDerived(s)
	if *full.TeamID != 1610612747 || *full.ShotZoneArea != nba.AreaLeftCenter || *full.ShotDistance != 19 || full.GameID != nil {
		t.Errorf("WithDerived = %+v", full)
	}
	again, err := full.Shot()
	if err != nil || again != s {
		t.Errorf("the completed request gives %+v, %v; want the same shot", again, err)
	}
	b, _ := json.Marshal(full)
	back, err := DecodeShotRequest(b)
	if err != nil || !cmp.Equal(back, full) {
		t.Errorf("completed request does not round-trip: %s → %+v, %v", b, back, err)
	}
}

// TestShotDateBounds pins the season bounds of game_date: from the first
// season of the data set to the one under way on the given day.
func TestShotDateBounds(t *testing.T) {
	now := time.Date(2026, time.December, 7, 12, 0, 0, 0, time.UTC) // season 2026-27
	for _, tt := range []struct {
		date int
		ok   bool
	}{
		{19970801, true}, {19970731, false}, {20200701, true}, {20261207, true},
		{20270731, true}, {20270801, false}, {99991231, false},
	} {
		r, err := DecodeShotRequest(shotWith("game_date", strconv.Itoa(tt.date)))
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.shotAt(now)
		var ve *httpjson.ValidationError
		dateErr := errors.As(err, &ve) && slices.ContainsFunc(ve.Fields, func(f httpjson.FieldError) bool { return f.Loc[1] == "game_date" })
		if dateErr == tt.ok {
			t.Errorf("game_date %d on %s: %v; want accepted %v", tt.date, now.Format(time.DateOnly), err, tt.ok)
		}
	}
}

func TestShotRejects(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want []string // "field:type" for each error, in order
	}{
		{"missing", shotWith("period", ""), []string{"period:missing"}},
		{"extra", shotWith("shot_made_flag", "1"), []string{"shot_made_flag:extra_forbidden"}},
		{"string for int", shotWith("period", `"1"`), []string{"period:int_type"}},
		{"fraction", shotWith("x_location", `1.5`), []string{"x_location:int_from_float"}},
		{"too big", shotWith("game_date", `1e12`), []string{"game_date:int_parsing_size"}},
		{"number for text", shotWith("team_name", `5`), []string{"team_name:string_type"}},
		{"null required", shotWith("team_name", `null`), []string{"team_name:string_type"}},
		{"period", shotWith("period", `0`), []string{"period:value_error"}},
		{"period wraps int8", shotWith("period", `257`), []string{"period:value_error"}},
		{"overtime clock", shotWith("period", `5`), []string{"minutes_remaining:value_error"}},
		{"seconds", shotWith("seconds_remaining", `60`), []string{"seconds_remaining:value_error"}},
		{"off court x", shotWith("x_location", `251`), []string{"x_location:value_error"}},
		{"off court y", shotWith("y_location", `-61`), []string{"y_location:value_error"}},
		{"not a date", shotWith("game_date", `20190230`), []string{"game_date:value_error"}},
		// Dates outside the seasons: the error is at game_date, the field
		// the caller sent, not at the Game ID it never sent.
		{"before the first season", shotWith("game_date", `19900105`), []string{"game_date:value_error"}},
		{"long before the first season", shotWith("game_date", `10000101`), []string{"game_date:value_error"}},
		{"after the current season", shotWith("game_date", `21000105`), []string{"game_date:value_error"}},
		{"season type", shotWith("season_type", `"Preseason"`), []string{"season_type:literal_error"}},
		{"unknown team", shotWith("team_name", `"Seattle Storm"`), []string{"team_name:value_error"}},
		{"team not in season", shotWith("team_name", `"Seattle SuperSonics"`), []string{"team_name:value_error"}},
		{"unknown code", shotWith("away_team", `"XXX"`), []string{"away_team:value_error"}},
		{"code not in season", shotWith("away_team", `"NJN"`), []string{"away_team:value_error"}},
		{"home equals away", shotWith("away_team", `"LAL"`), []string{"away_team:value_error"}},
		{"team not playing", shotWith("home_team", `"MIA"`), []string{"team_name:value_error"}},
		{"team id conflicts", shotWith("team_id", `1610612738`), []string{"team_id:value_error"}},
		{"zone conflicts", shotWith("shot_zone_basic", `"Restricted Area"`), []string{"shot_zone_basic:value_error", "shot_zone_area:value_error"}},
		{"area conflicts", shotWith("shot_zone_area", `"Right Side(R)"`), []string{"shot_zone_area:value_error"}},
		{"area impossible for zone", shotWith("shot_zone_area", `"Back Court(BC)"`), []string{"shot_zone_area:value_error", "shot_zone_area:value_error"}},
		{"range conflicts", shotWith("shot_zone_range", `"24+ ft."`), []string{"shot_zone_range:value_error"}},
		{"distance conflicts", shotWith("shot_distance", `18`), []string{"shot_distance:value_error"}},
		{"shot type conflicts", shotWith("shot_type", `"3PT Field Goal"`), []string{"shot_type:value_error"}},
		{"bad shot type", shotWith("shot_type", `"4PT Field Goal"`), []string{"shot_type:value_error"}},
		{"game id season", shotWith("game_id", `21800001`), []string{"game_id:value_error"}},
		{"game id type", shotWith("game_id", `41900101`), []string{"game_id:value_error"}},
		{"event id", shotWith("game_event_id", `0`), []string{"game_event_id:value_error"}},
		{"player id", shotWith("player_id", `0`), []string{"player_id:value_error"}},
		{"empty name", shotWith("player_name", `""`), []string{"player_name:value_error"}},
		{"control char", shotWith("action_type", `"Jump\nShot"`), []string{"action_type:value_error"}},
		{"long text", shotWith("player_name", strconv.Quote(strings.Repeat("x", 101))), []string{"player_name:value_error"}},
		{"padded", shotWith("player_name", `" LeBron"`), []string{"player_name:value_error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeShotRequest(tt.body)
			if err == nil {
				_, err = r.Shot()
			}
			var ve *httpjson.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a validation error", err)
			}
			var got []string
			for _, f := range ve.Fields {
				if len(f.Loc) != 2 || f.Loc[0] != "body" {
					t.Errorf("loc %v is not [body, field]", f.Loc)
					continue
				}
				got = append(got, f.Loc[1].(string)+":"+f.Type)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s\n%v", diff, ve)
			}
		})
	}
}

func TestShotAccepts(t *testing.T) {
	tests := []struct {
		name string
		body []byte
	}{
		{"null optional", shotWith("game_id", "null")},
		{"integral float", shotWith("period", "1.0")},
		{"given fields agree", shotWith("shot_zone_area", `"Left Side Center(LC)"`)},
		{"game id", shotWith("game_id", "21900123")},
		{"playoff game", []byte(strings.Replace(string(shotWith("game_id", "41900406")), `"Regular Season"`, `"Playoffs"`, 1))},
		{"SQL in player name", shotWith("player_name", `"O'Neal\"; DROP TABLE predictions; --"`)},
		{"unknown action type is only a warning", shotWith("action_type", `"Behind The Back Shot"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeShotRequest(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Shot(); err != nil {
				t.Errorf("Shot() = %v", err)
			}
		})
	}
}

// TestShotSample feeds every real row the data set's validator accepts
// through ShotRequest: with all optional fields given it must accept the row
// and return it unchanged; with them absent it must derive the row's zones.
func TestShotSample(t *testing.T) {
	path := sampledata.Path(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := dataset.NewReader(f, path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		rep  dataset.Report
		s    nba.Shot
		good int
	)
	for {
		rec, err := rd.Read()
		if err != nil {
			break
		}
		if !dataset.Check(rec.Fields, &s, &rep) {
			continue
		}
		good++
		gid, tid, eid, dist := int(s.GameID), int(s.TeamID), int(s.GameEventID), int(s.ShotDistance)
		st, zb, za, zr := s.ShotType, s.ShotZoneBasic, s.ShotZoneArea, s.ShotZoneRange
		req := ShotRequest{PlayerID: int(s.PlayerID), PlayerName: s.PlayerName, TeamName: s.TeamName, HomeTeam: s.HomeTeam,
			AwayTeam: s.AwayTeam, Period: int(s.Period), MinutesRemaining: int(s.MinutesRemaining), SecondsRemaining: int(s.SecondsRemaining),
			ActionType: s.ActionType, XLocation: int(s.XLocation), YLocation: int(s.YLocation), GameDate: int(s.GameDate), SeasonType: s.SeasonType}
		bare := req
		req.GameID, req.TeamID, req.GameEventID, req.ShotDistance = &gid, &tid, &eid, &dist
		req.ShotType, req.ShotZoneBasic, req.ShotZoneArea, req.ShotZoneRange = &st, &zb, &za, &zr
		got, err := req.Shot()
		if err != nil {
			t.Errorf("line %d: full request refused: %v", rec.Line, err)
			continue
		}
		want := s
		want.ShotMadeFlag = 0
		if got != want {
			t.Errorf("line %d: Shot() = %+v, want %+v", rec.Line, got, want)
		}
		d, err := bare.Shot()
		if err != nil {
			t.Errorf("line %d: bare request refused: %v", rec.Line, err)
			continue
		}
		if d.ShotDistance != s.ShotDistance || d.ShotZoneArea != s.ShotZoneArea || d.ShotZoneRange != s.ShotZoneRange ||
			(d.ShotZoneBasic != s.ShotZoneBasic && s.ShotZoneBasic != nba.ZoneAboveBreak3) {
			t.Errorf("line %d: derived %s/%s/%s/%d, row has %s/%s/%s/%d", rec.Line, d.ShotZoneBasic, d.ShotZoneArea, d.ShotZoneRange,
				d.ShotDistance, s.ShotZoneBasic, s.ShotZoneArea, s.ShotZoneRange, s.ShotDistance)
		}
	}
	if good < 900 {
		t.Errorf("only %d sample rows validated", good)
	}
}

// FuzzDecodeShotRequest checks that the decoder never panics, that what it
// accepts re-encodes to an equal request, and that Shot never panics on it.
func FuzzDecodeShotRequest(f *testing.F) {
	f.Add([]byte(shotBody))
	f.Add(shotWith("game_id", "21900123"))
	f.Add(shotWith("period", "1.5"))
	f.Add(shotWith("player_name", `"a\u0000b"`))
	f.Add(shotWith("shot_zone_basic", "null"))
	f.Add([]byte(`{"player_id": 1, "player_id": 2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		body := bytes.Clone(data)
		r, err := DecodeShotRequest(body)
		// The request owns its values: they do not change with the body's
		// buffer, which apid reuses for the next request.
		want, _ := DecodeShotRequest(data)
		clear(body)
		if !cmp.Equal(r, want) {
			t.Fatalf("%s decodes to %+v, which changed to %+v with the buffer", data, want, r)
		}
		if err != nil {
			var ve *httpjson.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("error %v is not a non-empty validation error", err)
			}
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeShotRequest(b)
		if err != nil || !cmp.Equal(back, r) {
			t.Fatalf("%s re-encodes to %s, which decodes to %+v, %v", data, b, back, err)
		}
		if s, err := r.Shot(); err == nil {
			if again, err := r.WithDerived(s).Shot(); err != nil || again != s {
				t.Fatalf("completed request gives %+v, %v; want %+v", again, err, s)
			}
		}
		// The record encoder against encoding/json, with the request's own
		// (any) text in the derived members.
		s := nba.Shot{TeamID: int32(r.Period), ShotDistance: int16(r.XLocation), ShotType: r.PlayerName,
			ShotZoneBasic: r.TeamName, ShotZoneArea: r.ActionType, ShotZoneRange: r.HomeTeam}
		rec, err := json.Marshal(r.WithDerived(s))
		if err != nil {
			t.Fatal(err)
		}
		if got := r.AppendRecord(nil, &s); !bytes.Equal(got, rec) {
			t.Fatalf("AppendRecord = %s, want %s", got, rec)
		}
	})
}

func TestNumShotFields(t *testing.T) {
	if n := len(new(ShotRequest).members()); n != numShotFields {
		t.Errorf("members() has %d fields, numShotFields is %d", n, numShotFields)
	}
	if n := reflect.TypeFor[ShotRequest]().NumField(); n != numShotFields {
		t.Errorf("ShotRequest has %d fields, numShotFields is %d", n, numShotFields)
	}
}
