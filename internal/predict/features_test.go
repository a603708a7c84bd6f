package predict

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// readmeBody is the original README's /predict example.
const readmeBody = ExampleBody

var readmeVector = [nba.NumSeedFeatures]float64{1, 10, 30, 15, 5, 10, 0.2, 0.5, 0.4, 0.6, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0,
	1, 0, 0, 0, 1, 1, 0, 0.8, 0.7, 0.9, 2022, 6, 11, 5}

// TestFeaturesOrder pins the struct to nba.FeatureNames: the JSON tags, the
// field order and the order of fields() must all match it.
func TestFeaturesOrder(t *testing.T) {
	typ := reflect.TypeFor[Features]()
	if typ.NumField() != nba.NumSeedFeatures {
		t.Fatalf("Features has %d fields, want %d", typ.NumField(), nba.NumSeedFeatures)
	}
	for i := range typ.NumField() {
		if tag := typ.Field(i).Tag.Get("json"); tag != nba.FeatureName(i) {
			t.Errorf("field %d (%s) has JSON name %q, want %q", i, typ.Field(i).Name, tag, nba.FeatureName(i))
		}
		var f Features
		*f.fields()[i] = 1
		if reflect.ValueOf(f).Field(i).Float() != 1 {
			t.Errorf("fields()[%d] is not field %s", i, typ.Field(i).Name)
		}
	}
	var v [nba.NumSeedFeatures]float64
	for i := range v {
		v[i] = float64(i) + 0.5
	}
	if got := FeaturesFromVector(v).Vector(); got != v {
		t.Errorf("Vector(FeaturesFromVector(v)) = %v, want %v", got, v)
	}
	b, err := json.Marshal(FeaturesFromVector(v))
	if err != nil {
		t.Fatal(err)
	}
	// Encoding writes the keys in SeedFeatures order, as the original's clients do.
	pos := -1
	for _, n := range nba.FeatureNames() {
		p := strings.Index(string(b), `"`+n+`"`)
		if p <= pos {
			t.Fatalf("key %s out of order in %s", n, b)
		}
		pos = p
	}
}

func TestDecodeFeaturesReadme(t *testing.T) {
	f, err := DecodeFeatures([]byte(readmeBody))
	if err != nil {
		t.Fatalf("README example refused: %v", err)
	}
	if got := f.Vector(); got != readmeVector {
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
		{"-0", math.Copysign(0, -1)}, {"1e-999", 0}, {"1.7976931348623157e308", math.MaxFloat64}, {"-12.5E+1", -125}, {"0.1", 0.1},
	}
	for _, tt := range tests {
		f, err := DecodeFeatures([]byte(bodyWith("Y_Location", tt.raw)))
		if err != nil {
			t.Errorf("Y_Location %s refused: %v", tt.raw, err)
			continue
		}
		if f.YLocation != tt.want {
			t.Errorf("Y_Location %s = %v, want %v", tt.raw, f.YLocation, tt.want)
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
		v := got.Vector()
		for i, x := range v {
			if math.IsInf(x, 0) || math.IsNaN(x) {
				t.Fatalf("accepted a non-finite %s = %v", nba.FeatureName(i), x)
			}
		}
		type lenient Features // no UnmarshalJSON
		var l lenient
		if err := json.Unmarshal(data, &l); err != nil {
			t.Fatalf("encoding/json refuses an accepted body: %v", err)
		}
		if Features(l).Vector() != v {
			t.Fatalf("strict %v != lenient %v", v, Features(l).Vector())
		}
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeFeatures(again)
		if err != nil || back.Vector() != v {
			t.Fatalf("re-encoded body %s decodes to %v, %v; want %v", again, back.Vector(), err, v)
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
