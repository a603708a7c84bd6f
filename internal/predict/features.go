package predict

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Features is the one type of the original system's 39 features: the body
// of POST /predict, a row of the Open Inference Protocol tensor and the
// model's seed input, values unscaled, in nba.FeatureNames order. It is an
// array, so the model scores it as it is (Array) and no code copies it field
// by field; its JSON is an object keyed by nba.FeatureNames, written and read
// from that one list.
type Features [nba.NumSeedFeatures]float64

// Array returns f as the plain array the model scores, without copying.
func (f *Features) Array() *[nba.NumSeedFeatures]float64 {
	return (*[nba.NumSeedFeatures]float64)(f)
}

// AppendJSON appends f as a /predict body, keys in nba.FeatureNames order
// and numbers formatted as encoding/json formats a float64.
func (f *Features) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	for i, x := range f {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, nba.FeatureName(i)...)
		dst = append(dst, '"', ':')
		dst = appendFloat(dst, x)
	}
	return append(dst, '}')
}

// appendFloat formats x as encoding/json does: shortest representation,
// exponent notation only for very small or very large magnitudes.
func appendFloat(dst []byte, x float64) []byte {
	format := byte('f')
	if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, x, format, -1, 64)
	if format == 'e' {
		// 1e-07 → 1e-7, as encoding/json writes it.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// MarshalJSON writes f as a /predict body. A non-finite value, which the
// decoders never produce, is an error as in encoding/json.
func (f Features) MarshalJSON() ([]byte, error) {
	for i, x := range f {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, &json.UnsupportedValueError{Str: nba.FeatureName(i) + " is not a finite number"}
		}
	}
	return f.AppendJSON(make([]byte, 0, 1024)), nil
}

// DecodeFeatures decodes a /predict body strictly: one JSON object holding
// exactly the 39 keys of nba.FeatureNames, each a finite number within the
// range the data allows (see Check). Every problem is reported at once in a
// *httpjson.ValidationError, located like FastAPI's (["body", "Period"]): a
// missing key ("missing"), an unknown one ("extra_forbidden"), a key given
// twice ("duplicate_key"), a string ("float_parsing"), any other non-number
// ("float_type"), a number too large for a float64, such as 1e999
// ("finite_number"), and the range errors of Check.
func DecodeFeatures(data []byte) (Features, error) {
	var (
		v    Features
		seen [nba.NumSeedFeatures]bool // the key is there
		have [nba.NumSeedFeatures]bool // and its value is a finite number
		ve   httpjson.ValidationError
	)
	err := httpjson.EachMember(data, func(k []byte, raw json.RawMessage) {
		i, ok := nba.FeatureIndex(string(k))
		if !ok {
			ve.Add(httpjson.Body("Extra inputs are not permitted", "extra_forbidden", string(k)))
			return
		}
		key := nba.FeatureName(i)
		if seen[i] {
			ve.Add(httpjson.Body("Duplicate key in JSON object", "duplicate_key", key))
			return
		}
		seen[i] = true
		x, fe, ok := parseFloat(raw, key)
		if !ok {
			ve.Add(fe)
			return
		}
		have[i] = true
		v[i] = x
	})
	if err != nil {
		return Features{}, err
	}
	all := true
	for i := range have {
		all = all && have[i]
		if !seen[i] {
			ve.Add(httpjson.Body("Field required", "missing", nba.FeatureName(i)))
		}
	}
	// The ranges of the values that did decode, so that every problem is
	// reported at once; the group rules need the whole group.
	checkRanges(&v, &have, all, func(i int, msg, typ string) {
		ve.Add(httpjson.Body(msg, typ, nba.FeatureName(i)))
	})
	if err := ve.Err(); err != nil {
		return Features{}, err
	}
	return v, nil
}

// parseFloat reads one member's value as a finite float64.
func parseFloat(raw json.RawMessage, key string) (float64, httpjson.FieldError, bool) {
	switch httpjson.Kind(raw) {
	case '0':
	case '"':
		return 0, httpjson.Body("Input should be a valid number, unable to parse string as a number", "float_parsing", key), false
	default:
		return 0, httpjson.Body("Input should be a valid number", "float_type", key), false
	}
	x, err := strconv.ParseFloat(string(raw), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, httpjson.Body("Input should be a valid number", "float_type", key), false
	}
	// ErrRange with a finite result is an underflow to (nearly) zero,
	// which is a fine number; an overflow gives ±Inf.
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, httpjson.Body("Input should be a finite number", "finite_number", key), false
	}
	return x, httpjson.FieldError{}, true
}

// DecodeJSON decodes strictly with DecodeFeatures (httpjson.StrictDecoder),
// so that httpjson.Decode[Features] reads the body in one pass.
func (f *Features) DecodeJSON(data []byte) error {
	got, err := DecodeFeatures(data)
	if err != nil {
		return err
	}
	*f = got
	return nil
}

// UnmarshalJSON decodes strictly with DecodeFeatures, so that
// json.Unmarshal applies the same rules.
func (f *Features) UnmarshalJSON(data []byte) error { return f.DecodeJSON(data) }
