package httpjson

import (
	"encoding/json"
	"slices"
	"testing"
)

// predictBody and shotBody are request bodies of the kind the scanner is
// built for: the original /predict body and a raw shot.
const (
	predictBody = `{"Period": 1, "Minutes_Remaining": 10, "Seconds_Remaining": 30, "Shot_Distance": 15, "X_Location": 5,
 "Y_Location": 10, "Action_Type_Frequency": 0.2, "Team_Name_Frequency": 0.5, "Home_Team_Frequency": 0.4,
 "ShotType_2PT_Field_Goal": 1, "SeasonType_Playoffs": 1, "Year": 2022, "Month": 6, "Day": 11, "Day_of_Week": 5}`
	shotBody = `{"player_id": 2544, "player_name": "LeBron James", "team_name": "Los Angeles Lakers",
 "home_team": "LAL", "away_team": "BOS", "period": 4, "minutes_remaining": 1, "seconds_remaining": 12,
 "action_type": "Jump Shot", "x_location": -220, "y_location": 20, "game_date": 20200117,
 "season_type": "Regular Season", "game_id": null, "shot_zone_basic": "Left Corner 3"}`
)

type kv struct{ k, v string }

func members(t *testing.T, data []byte, flat bool) ([]kv, bool) {
	var got []kv
	fn := func(key []byte, raw json.RawMessage) { got = append(got, kv{string(key), string(raw)}) }
	if flat {
		return got, eachFlatMember(data, fn)
	}
	err := EachMember(data, fn)
	return got, err == nil
}

// FuzzFlatMatchesGeneral checks the one-pass scanner against json.Valid and
// the general walk: whatever it accepts is valid JSON with the same members,
// and every valid flat object of scalars with plain keys is accepted.
func FuzzFlatMatchesGeneral(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { "a" : 1 , "b":-0.5e+3 } `, `{"a":"x\"y\u00e9","b":true,"c":false,"d":null}`,
		`{"a":01}`, `{"a":1,}`, `{"a":[1]}`, `{"a\n":1}`, `{"a":1} x`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`,
		`{"a":"\x01"}`, `{"a":"\q"}`, `{"a":"\u12"}`, `[1]`, `{"k\u0041":1}`, `{"a":tru}`,
	} {
		f.Add([]byte(s))
	}
	f.Add([]byte(predictBody))
	f.Add([]byte(shotBody))
	f.Fuzz(func(t *testing.T, data []byte) {
		flat, ok := members(t, data, true)
		if !ok {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("flat scanner accepted invalid JSON %q", data)
		}
		general, gok := members(t, slices.Clone(data), false)
		if !gok || !slices.Equal(flat, general) {
			t.Fatalf("members differ for %q:\nflat    %q\ngeneral %q", data, flat, general)
		}
	})
}

func TestFlatAcceptsValidScalarObjects(t *testing.T) {
	for _, s := range []string{`{}`, ` {"a":1, "b" : "x\"\\/\b\f\n\r\t\u00e9", "c":[]} `, predictBody, shotBody} {
		_, ok := members(t, []byte(s), true)
		wantFlat := s != ` {"a":1, "b" : "x\"\\/\b\f\n\r\t\u00e9", "c":[]} ` // an array value takes the general path
		if ok != wantFlat {
			t.Errorf("eachFlatMember(%.40q) = %v, want %v", s, ok, wantFlat)
		}
	}
	for _, s := range []string{`{"a":01}`, `{"a":1,}`, `{"a":1} x`, `{"a":-}`, `{"a":1.}`, `{"a":"\q"}`, `{"a" 1}`, `{"a":1`} {
		if _, ok := members(t, []byte(s), true); ok {
			t.Errorf("eachFlatMember accepted invalid %q", s)
		}
	}
}
