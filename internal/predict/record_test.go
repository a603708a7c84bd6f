package predict

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
)

// TestDecodeRecord: the record apid forwards decodes to the shot it
// completed, and a record that would make the model's arithmetic
// meaningless is refused, naming the field.
func TestDecodeRecord(t *testing.T) {
	r, err := DecodeShotRequest([]byte(shotBody))
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.Shot()
	if err != nil {
		t.Fatal(err)
	}
	body, err := r.Record(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeRecord(body)
	if err != nil || got != s {
		t.Fatalf("DecodeRecord(%s) = %+v, %v; want %+v", body, got, err, s)
	}
	for _, tt := range []struct{ from, to, want string }{
		{`"period":1`, `"period":0`, "period:value_error"},
		{`"period":1`, `"period":300`, "period:value_error"},
		{`"period":1`, `"period":1.5`, "period:int_from_float"},
		{`"seconds_remaining":30`, `"seconds_remaining":60`, "seconds_remaining:value_error"},
		{`"x_location":-120`, `"x_location":-900`, "x_location:value_error"},
		{`"shot_distance":19`, `"shot_distance":400`, "shot_distance:value_error"},
		{`,"shot_distance":19`, ``, "shot_distance:missing"},
		{`"game_date":20191105`, `"game_date":19900105`, "game_date:value_error"},
		{`"game_date":20191105`, `"game_date":20191105,"game_date":20191106`, "game_date:duplicate_key"},
		{`"team_name":"Los Angeles Lakers"`, `"team_name":5`, "team_name:string_type"},
		{`"team_name":"Los Angeles Lakers"`, `"team_name":"Los Angeles Lakers","shot_made_flag":1`, "shot_made_flag:extra_forbidden"},
	} {
		bad := strings.Replace(string(body), tt.from, tt.to, 1)
		_, err := DecodeRecord([]byte(bad))
		var ve *httpjson.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 1 {
			t.Errorf("DecodeRecord(%s) = %v, want one field error", tt.to, err)
			continue
		}
		if f := ve.Fields[0]; len(f.Loc) != 2 || f.Loc[1].(string)+":"+f.Type != tt.want {
			t.Errorf("DecodeRecord(%s): error %v at %v, want %s", tt.to, f, f.Loc, tt.want)
		}
	}
}

// BenchmarkShotPaths compares what predictd does per /predict/shot body when
// it validates the request from scratch (decode, Shot: the checks, the
// derivation and the data set's validator) with what it does for apid's
// forwarded record (decode, bounds).
func BenchmarkShotPaths(b *testing.B) {
	req, _ := DecodeShotRequest([]byte(shotBody))
	s, _ := req.Shot()
	record, _ := req.Record(s)
	b.Run("request", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := DecodeShotRequest([]byte(shotBody))
			if err == nil {
				_, err = r.Shot()
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("record", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeRecord(record); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestAppendRecord holds the hand-written record encoder to encoding/json's
// output for the completed request, byte for byte.
func TestAppendRecord(t *testing.T) {
	for _, body := range [][]byte{
		[]byte(shotBody),
		shotWith("game_id", "21900123"),
		shotWith("game_event_id", "7"),
		shotWith("player_name", `"Nikola Jokić"`),
		shotWith("player_name", `"<b> & \"q\" \\ \u2028 \u0001"`),
		shotWith("action_type", `"Driving Finger Roll Layup Shot"`),
		shotWith("x_location", "0"),
		shotWith("shot_zone_basic", `"Mid-Range"`),
		shotWith("team_id", "1610612747"),
	} {
		r, err := DecodeShotRequest(body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		s := r.derive(1610612747)
		want, err := json.Marshal(r.WithDerived(s))
		if err != nil {
			t.Fatal(err)
		}
		if got := r.AppendRecord([]byte("x"), &s); string(got) != "x"+string(want) {
			t.Errorf("AppendRecord(%s) = %s, want %s", body, got[1:], want)
		}
		if got, _ := r.Record(s); string(got) != string(want) {
			t.Errorf("Record(%s) = %s, want %s", body, got, want)
		}
	}
}
