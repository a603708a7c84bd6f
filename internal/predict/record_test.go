package predict

import (
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
