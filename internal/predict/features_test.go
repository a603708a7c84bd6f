package predict

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// readmeBody is the original README's /predict example.
const readmeBody = ExampleBody

var readmeVector = [nba.NumSeedFeatures]float64{1, 10, 30, 15, 5, 10, 0.2, 0.5, 0.4, 0.6, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0,
	1, 0, 0, 0, 1, 1, 0, 0.8, 0.7, 0.9, 2022, 6, 11, 5}

// TestFeaturesJSON checks that the JSON of Features is built from the one
// list of names: keys in nba.FeatureNames order, numbers as encoding/json
// writes them, and what it writes decodes to the same vector.
func TestFeaturesJSON(t *testing.T) {
	var v Features
	for i := range v {
		v[i] = float64(i) + 0.5
	}
	v[0], v[1], v[2] = 1e-7, 1e21, -0.25
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// Encoding writes the keys in FeatureNames order, as the original's clients do.
	pos := -1
	for _, n := range nba.FeatureNames() {
		p := strings.Index(string(b), `"`+n+`"`)
		if p <= pos {
			t.Fatalf("key %s out of order in %s", n, b)
		}
		pos = p
	}
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	std, _ := json.Marshal(m)
	for i, n := range nba.FeatureNames() {
		want, _ := json.Marshal(v[i])
		if !strings.Contains(string(b), `"`+n+`":`+string(want)) {
			t.Errorf("%s written unlike encoding/json's %s in %s", n, want, b)
		}
		if m[n] != v[i] {
			t.Errorf("%s = %v after a round trip, want %v (%s)", n, m[n], v[i], std)
		}
	}
	if _, err := json.Marshal(Features{0: math.NaN()}); err == nil {
		t.Error("Marshal of a NaN feature succeeded")
	}
	// Array views the same memory: no copy between the wire and the model.
	v.Array()[38] = 7
	if v[38] != 7 {
		t.Error("Array is a copy")
	}
}

func TestDecodeFeaturesReadme(t *testing.T) {
	f, err := DecodeFeatures([]byte(readmeBody))
	if err != nil {
		t.Fatalf("README example refused: %v", err)
	}
	if got := [nba.NumSeedFeatures]float64(f); got != readmeVector {
		t.Errorf("vector = %v, want %v", got, readmeVector)
	}
	var viaJSON Features
	if err := json.Unmarshal([]byte(readmeBody), &viaJSON); err != nil || viaJSON != f {
		t.Errorf("json.Unmarshal = %v, %v; want the same as DecodeFeatures", viaJSON, err)
	}
}

// bodyWith returns the README body with key set to the raw JSON value, or
// removed when raw is "".
func bodyWith(key, raw string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(readmeBody), &m); err != nil {
		panic(err)
	}
	if raw == "" {
		delete(m, key)
	} else {
		m[key] = json.RawMessage(raw)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestDecodeFeaturesRejects(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []httpjson.FieldError
	}{
		{"missing", bodyWith("Period", ""), []httpjson.FieldError{httpjson.Body("Field required", "missing", "Period")}},
		{"extra", bodyWith("Shot_Made_Flag", "1"), []httpjson.FieldError{httpjson.Body("Extra inputs are not permitted", "extra_forbidden", "Shot_Made_Flag")}},
		{"case matters", strings.Replace(readmeBody, `"Period"`, `"period"`, 1), []httpjson.FieldError{
			httpjson.Body("Extra inputs are not permitted", "extra_forbidden", "period"), httpjson.Body("Field required", "missing", "Period")}},
		{"string", bodyWith("Year", `"2022"`), []httpjson.FieldError{httpjson.Body("Input should be a valid number, unable to parse string as a number", "float_parsing", "Year")}},
		{"bool", bodyWith("Day", `true`), []httpjson.FieldError{httpjson.Body("Input should be a valid number", "float_type", "Day")}},
		{"null", bodyWith("Month", `null`), []httpjson.FieldError{httpjson.Body("Input should be a valid number", "float_type", "Month")}},
		{"array", bodyWith("Month", `[6]`), []httpjson.FieldError{httpjson.Body("Input should be a valid number", "float_type", "Month")}},
		{"overflow", bodyWith("X_Location", `1e999`), []httpjson.FieldError{httpjson.Body("Input should be a finite number", "finite_number", "X_Location")}},
		{"negative overflow", bodyWith("X_Location", `-1e400`), []httpjson.FieldError{httpjson.Body("Input should be a finite number", "finite_number", "X_Location")}},
		{"duplicate", strings.Replace(readmeBody, `"Period": 1,`, `"Period": 1, "Period": 2,`, 1), []httpjson.FieldError{
			httpjson.Body("Duplicate key in JSON object", "duplicate_key", "Period")}},
		{"every problem at once", strings.Replace(strings.Replace(bodyWith("Day", ""), `"Year":2022`, `"Year":"x"`, 1), `{`, `{"junk":0,`, 1),
			[]httpjson.FieldError{
				httpjson.Body("Input should be a valid number, unable to parse string as a number", "float_parsing", "Year"),
				httpjson.Body("Extra inputs are not permitted", "extra_forbidden", "junk"),
				httpjson.Body("Field required", "missing", "Day"),
			}},
		{"not an object", `[1, 2]`, []httpjson.FieldError{httpjson.Body("Input should be a valid dictionary or object to extract fields from", "model_attributes_type")}},
		{"empty object", `{}`, nil}, // 39 missing: checked by count below
		{"truncated", readmeBody[:40], []httpjson.FieldError{httpjson.Body("JSON decode error", "json_invalid", "OFFSET")}},
		{"trailing data", readmeBody + `{}`, []httpjson.FieldError{httpjson.Body("JSON decode error", "json_invalid", "OFFSET")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeFeatures([]byte(tt.body))
			var ve *httpjson.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("DecodeFeatures = %v, want a validation error", err)
			}
			if tt.want == nil {
				if len(ve.Fields) != nba.NumSeedFeatures {
					t.Errorf("%d field errors, want %d", len(ve.Fields), nba.NumSeedFeatures)
				}
				return
			}
			got := ve.Fields
			for i, f := range got {
				if f.Type == "json_invalid" && len(f.Loc) == 2 {
					if _, ok := f.Loc[1].(int64); ok {
						got[i].Loc[1] = "OFFSET" // the exact offset is encoding/json's business
					}
				}
			}
			// The extra key sorts first after a map round trip; compare as sets.
			if diff := cmp.Diff(tt.want, got, cmp.Transformer("sort", sortFields)); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
}

func sortFields(in []httpjson.FieldError) []string {
	out := make([]string, len(in))
	for i, f := range in {
		b, _ := json.Marshal(f)
		out[i] = string(b)
	}
	slicesSort(out)
	return out
}

func slicesSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestDecodeFeaturesNumbers(t *testing.T) {
	tests := []struct {
		raw  string
		want float64
	}{
		{"-0", math.Copysign(0, -1)}, {"1e-999", 0}, {"0.89e3", 890}, {"-6.0E+1", -60}, {"0.1", 0.1},
	}
	for _, tt := range tests {
		f, err := DecodeFeatures([]byte(bodyWith("Y_Location", tt.raw)))
		if err != nil {
			t.Errorf("Y_Location %s refused: %v", tt.raw, err)
			continue
		}
		if got := f[features.SeedYLocation]; got != tt.want || math.Signbit(got) != math.Signbit(tt.want) {
			t.Errorf("Y_Location %s = %v, want %v", tt.raw, got, tt.want)
		}
	}
}

// FuzzDecodePredictRequest checks the strict decoder's properties: it never
// panics; it accepts only objects with exactly the 39 names; an accepted
// body re-encodes to a body that decodes to the same vector; and it agrees
// with encoding/json's lenient decoding on every value it accepts.
func FuzzDecodePredictRequest(f *testing.F) {
	f.Add([]byte(readmeBody))
	f.Add([]byte(bodyWith("Period", "1e999")))
	f.Add([]byte(bodyWith("Period", `"1"`)))
	f.Add([]byte(bodyWith("Period", "")))
	f.Add([]byte(bodyWith("Extra", "0")))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"Period": 1, "Period": 1}`))
	zero, _ := json.Marshal(Features{})
	f.Add(zero)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeFeatures(data)
		if err != nil {
			var ve *httpjson.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("error %v is not a non-empty validation error", err)
			}
			return
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(data, &keys); err != nil || len(keys) != nba.NumSeedFeatures {
			t.Fatalf("accepted a body with %d keys (%v)", len(keys), err)
		}
		for _, n := range nba.FeatureNames() {
			if _, ok := keys[n]; !ok {
				t.Fatalf("accepted a body without %s", n)
			}
		}
		v := got
		for i, x := range v {
			if math.IsInf(x, 0) || math.IsNaN(x) {
				t.Fatalf("accepted a non-finite %s = %v", nba.FeatureName(i), x)
			}
		}
		var l map[string]float64 // encoding/json's lenient reading
		if err := json.Unmarshal(data, &l); err != nil {
			t.Fatalf("encoding/json refuses an accepted body: %v", err)
		}
		for i, n := range nba.FeatureNames() {
			if l[n] != v[i] {
				t.Fatalf("strict %s = %v, lenient %v", n, v[i], l[n])
			}
		}
		if err := got.Check(); err != nil {
			t.Fatalf("accepted a body whose values are out of range: %v", err)
		}
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeFeatures(again)
		if err != nil || back != v {
			t.Fatalf("re-encoded body %s decodes to %v, %v; want %v", again, back, err, v)
		}
	})
}

func BenchmarkDecodeFeatures(b *testing.B) {
	body := []byte(readmeBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeFeatures(body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodeFeaturesRanges: each feature has the range the data allows, and
// a value outside it is a 422 naming the feature. The README's example,
// which sets two zones at once, stays accepted.
func TestDecodeFeaturesRanges(t *testing.T) {
	both := func(a, b, va, vb string) string {
		var m map[string]json.RawMessage
		_ = json.Unmarshal([]byte(bodyWith(a, va)), &m)
		m[b] = json.RawMessage(vb)
		out, _ := json.Marshal(m)
		return string(out)
	}
	zeros := func(prefix string) string {
		var m map[string]json.RawMessage
		_ = json.Unmarshal([]byte(readmeBody), &m)
		for k := range m {
			if strings.HasPrefix(k, prefix) {
				m[k] = json.RawMessage("0")
			}
		}
		out, _ := json.Marshal(m)
		return string(out)
	}
	tests := []struct {
		name string
		body string
		want string // "field:type"; "" accepted
	}{
		{"readme example", readmeBody, ""},
		{"period 99", bodyWith("Period", "99"), "Period:less_than_equal"},
		{"period 0", bodyWith("Period", "0"), "Period:greater_than_equal"},
		{"period 1.5", bodyWith("Period", "1.5"), "Period:int_from_float"},
		{"overtime 10", bodyWith("Period", "10"), ""},
		{"minutes 12", bodyWith("Minutes_Remaining", "12"), "Minutes_Remaining:less_than_equal"},
		{"seconds 60", bodyWith("Seconds_Remaining", "60"), "Seconds_Remaining:less_than_equal"},
		{"month 13", bodyWith("Month", "13"), "Month:less_than_equal"},
		{"day 0", bodyWith("Day", "0"), "Day:greater_than_equal"},
		{"weekday 7", bodyWith("Day_of_Week", "7"), "Day_of_Week:less_than_equal"},
		{"year 1e308", bodyWith("Year", "1e308"), "Year:less_than_equal"},
		{"year before the data", bodyWith("Year", "1996"), "Year:greater_than_equal"},
		{"year 1997", bodyWith("Year", "1997"), ""},
		{"year 2022 (the example)", bodyWith("Year", "2022"), ""},
		{"negative distance", bodyWith("Shot_Distance", "-1"), "Shot_Distance:greater_than_equal"},
		{"distance off the court", bodyWith("Shot_Distance", "93"), "Shot_Distance:less_than_equal"},
		{"distance 92", bodyWith("Shot_Distance", "92"), ""},
		{"x off the court", bodyWith("X_Location", "251"), "X_Location:less_than_equal"},
		{"y behind the baseline", bodyWith("Y_Location", "-61"), "Y_Location:greater_than_equal"},
		{"frequency above 1", bodyWith("Action_Type_Frequency", "1.2"), "Action_Type_Frequency:less_than_equal"},
		{"negative frequency", bodyWith("Player_ID_Frequency", "-0.1"), "Player_ID_Frequency:greater_than_equal"},
		{"one-hot 0.5", bodyWith("ShotZoneBasic_Backcourt", "0.5"), "ShotZoneBasic_Backcourt:literal_error"},
		{"one-hot 2", bodyWith("ShotZoneArea_Left_Side_L", "2"), "ShotZoneArea_Left_Side_L:literal_error"},
		{"two shot types", bodyWith("ShotType_3PT_Field_Goal", "1"), "ShotType_2PT_Field_Goal:value_error"},
		{"no shot type", bodyWith("ShotType_2PT_Field_Goal", "0"), "ShotType_2PT_Field_Goal:value_error"},
		{"both season types", bodyWith("SeasonType_Regular_Season", "1"), "SeasonType_Playoffs:value_error"},
		{"the other season type", both("SeasonType_Playoffs", "SeasonType_Regular_Season", "0", "1"), ""},
		{"no zone", zeros("ShotZoneBasic_"), "ShotZoneBasic_Above_the_Break_3:value_error"},
		{"no area", zeros("ShotZoneArea_"), "ShotZoneArea_Back_Court_BC:value_error"},
		{"no range", zeros("ShotZoneRange_"), "ShotZoneRange_16_24_ft:value_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeFeatures([]byte(tt.body))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *httpjson.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 1 {
				t.Fatalf("DecodeFeatures = %v, want one field error %s", err, tt.want)
			}
			f := ve.Fields[0]
			if got := f.Loc[1].(string) + ":" + f.Type; got != tt.want || len(f.Loc) != 2 {
				t.Errorf("error %v at %v, want %s", f, f.Loc, tt.want)
			}
		})
	}
}
