package httpjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// MaxBodyBytes is the largest request body Decode and ReadBody accept
// (64 KiB): a 39-feature body is under 2 KiB.
const MaxBodyBytes = 64 << 10

// Encode writes v as JSON with the given status. A value that cannot be
// encoded is a programming error; the client then gets a 500.
func Encode(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"detail":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// A failed write means the client went away; there is no one to tell.
	_, _ = w.Write(append(b, '\n'))
}

// ReadBody reads the whole request body, at most MaxBodyBytes of it; a
// longer body is an *http.MaxBytesError (HTTP 413).
func ReadBody(r *http.Request) ([]byte, error) {
	return readBodyInto(r, new(bytes.Buffer))
}

// readBodyInto is ReadBody into buf, which it resets first; the bytes
// returned are buf's.
func readBodyInto(r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	buf.Reset()
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, &http.MaxBytesError{Limit: MaxBodyBytes}
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, MaxBodyBytes+1))
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return nil, err
	case err != nil:
		return nil, nba.Errorf(nba.EInvalid, "could not read the request body")
	case buf.Len() > MaxBodyBytes:
		return nil, &http.MaxBytesError{Limit: MaxBodyBytes}
	}
	return buf.Bytes(), nil
}

// Validator is implemented by request types that check themselves after
// decoding; Valid returns a *ValidationError (or another error) when the
// value is unacceptable.
type Validator interface {
	Valid(ctx context.Context) error
}

// StrictDecoder is implemented by request types that decode themselves
// under this package's rules (one JSON object, no key given twice, errors as
// a *ValidationError located in the body), usually in one pass with
// EachMember. Unmarshal hands them the body instead of walking it first.
type StrictDecoder interface {
	DecodeJSON(body []byte) error
}

// Decode reads a JSON request body into a T, size-limited to MaxBodyBytes,
// under the one rule set of every JSON body of both services:
//   - the Content-Type is application/json, with or without parameters, or
//     absent (as FastAPI reads it): anything else is a *MediaTypeError (415);
//   - a body larger than MaxBodyBytes is an *http.MaxBytesError (413);
//   - an empty body, invalid JSON, a key given twice in any object, a value
//     of the wrong type, or whatever T's decoder or Valid method reports is
//     a *ValidationError (422).
//
// Unknown fields are ignored, as FastAPI does, unless T's own decoder
// forbids them.
func Decode[T any](r *http.Request) (T, error) {
	var v T
	body, err := ReadJSON(r)
	if err != nil {
		return v, err
	}
	if err := Unmarshal(body, &v); err != nil {
		return v, err
	}
	if vd, ok := any(&v).(Validator); ok {
		if err := vd.Valid(r.Context()); err != nil {
			return v, err
		}
	}
	return v, nil
}

// ReadJSON checks that the request carries JSON (RequireContentType with
// application/json) and reads its body with ReadBody.
func ReadJSON(r *http.Request) ([]byte, error) {
	if err := RequireContentType(r, "application/json"); err != nil {
		return nil, err
	}
	return ReadBody(r)
}

// ReadJSONInto is ReadJSON into buf (reset first), for a handler that
// reads bodies into pooled buffers; the bytes returned are buf's.
func ReadJSONInto(r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	if err := RequireContentType(r, "application/json"); err != nil {
		return nil, err
	}
	return readBodyInto(r, buf)
}

// Unmarshal decodes a JSON document into v under Decode's rules, turning
// decoding errors into FastAPI-shaped *ValidationError values located in
// the body.
func Unmarshal(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Invalid(Body("Field required", "missing"))
	}
	if sd, ok := v.(StrictDecoder); ok {
		return sd.DecodeJSON(body)
	}
	if !json.Valid(body) {
		return syntaxError(body)
	}
	if loc := duplicateKey(body); loc != nil {
		return Invalid(Body("Duplicate key in JSON object", "duplicate_key", loc...))
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var (
		ve *ValidationError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &ve):
		return ve
	case errors.As(err, &te):
		var path []any
		if te.Field != "" {
			for _, p := range strings.Split(te.Field, ".") {
				path = append(path, p)
			}
		}
		msg, typ := typeMessage(te.Type)
		return Invalid(Body(msg, typ, path...))
	}
	return Invalid(Body("JSON decode error", "json_invalid"))
}

// duplicateKey returns the location of the first key that an object of the
// valid JSON document data repeats (in any case), or nil. encoding/json would silently
// keep the last value; a body that says two things is refused instead.
func duplicateKey(data []byte) []any {
	_, loc := walkKeys(data, skipSpace(data, 0))
	return loc
}

// walkKeys walks the valid JSON value at data[i] and returns the index just
// past it, or the location (below this value) of a repeated key. The
// location is built only on the way back from a repeat, so walking a large
// array of numbers does not allocate.
func walkKeys(data []byte, i int) (int, []any) {
	switch data[i] {
	case '{':
		var ks keySet
		i = skipSpace(data, i+1)
		if data[i] == '}' {
			return i + 1, nil
		}
		for {
			end := stringEnd(data, i)
			key := string(data[i+1 : end-1])
			if bytes.IndexByte(data[i:end], '\\') >= 0 {
				_ = json.Unmarshal(data[i:end], &key) // valid: checked by the caller
			}
			if !ks.add(key) {
				return 0, []any{key}
			}
			i = skipSpace(data, skipSpace(data, end)+1) // past the ':'
			var loc []any
			if i, loc = walkKeys(data, i); loc != nil {
				return 0, append([]any{key}, loc...)
			}
			i = skipSpace(data, i)
			if data[i] == '}' {
				return i + 1, nil
			}
			i = skipSpace(data, i+1) // past the ','
		}
	case '[':
		i = skipSpace(data, i+1)
		if data[i] == ']' {
			return i + 1, nil
		}
		for n := 0; ; n++ {
			var loc []any
			if i, loc = walkKeys(data, i); loc != nil {
				return 0, append([]any{n}, loc...)
			}
			i = skipSpace(data, i)
			if data[i] == ']' {
				return i + 1, nil
			}
			i = skipSpace(data, i+1)
		}
	default:
		return valueEnd(data, i), nil
	}
}

// keySet holds the keys of one object: a slice for the usual few, a map
// once there are many, so that an object of a million keys costs a million
// steps, not a million squared. Keys compare without regard to case, as
// encoding/json matches them to fields: {"username": …, "USERNAME": …}
// would otherwise set one field twice and keep the last.
type keySet struct {
	few  []string
	many map[string]struct{}
}

// add adds k and reports whether it was new.
func (s *keySet) add(k string) bool {
	if s.many != nil {
		f := strings.ToLower(k)
		if _, ok := s.many[f]; ok {
			return false
		}
		s.many[f] = struct{}{}
		return true
	}
	if slices.ContainsFunc(s.few, func(o string) bool { return strings.EqualFold(o, k) }) {
		return false
	}
	s.few = append(s.few, k)
	if len(s.few) == 32 {
		s.many = make(map[string]struct{}, 64)
		for _, f := range s.few {
			s.many[strings.ToLower(f)] = struct{}{}
		}
	}
	return true
}

// typeMessage returns pydantic's message and type for a value that is not of
// the wanted kind.
func typeMessage(t reflect.Type) (msg, typ string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "Input should be a valid string", "string_type"
	case reflect.Bool:
		return "Input should be a valid boolean", "bool_type"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "Input should be a valid integer", "int_type"
	case reflect.Float32, reflect.Float64:
		return "Input should be a valid number", "float_type"
	case reflect.Slice, reflect.Array:
		return "Input should be a valid list", "list_type"
	default:
		return "Input should be a valid dictionary or object to extract fields from", "model_attributes_type"
	}
}
