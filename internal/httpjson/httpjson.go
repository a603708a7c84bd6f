package httpjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
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
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, &http.MaxBytesError{Limit: MaxBodyBytes}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return nil, err
	case err != nil:
		return nil, nba.Errorf(nba.EInvalid, "could not read the request body")
	case len(b) > MaxBodyBytes:
		return nil, &http.MaxBytesError{Limit: MaxBodyBytes}
	}
	return b, nil
}

// Validator is implemented by request types that check themselves after
// decoding; Valid returns a *ValidationError (or another error) when the
// value is unacceptable.
type Validator interface {
	Valid(ctx context.Context) error
}

// Decode reads a JSON request body into a T, size-limited to MaxBodyBytes.
// Every failure comes back as an error Error can answer: a
// *ValidationError (422) for a missing body, invalid JSON, a value of the
// wrong type, or whatever T's UnmarshalJSON or Valid method reports; an
// *http.MaxBytesError (413) for an oversized body. Unknown fields are
// ignored, as FastAPI does, unless T's own UnmarshalJSON forbids them.
func Decode[T any](r *http.Request) (T, error) {
	var v T
	body, err := ReadBody(r)
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

// Unmarshal decodes a JSON document into v, turning decoding errors into
// FastAPI-shaped *ValidationError values located in the body.
func Unmarshal(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Invalid(Body("Field required", "missing"))
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var (
		ve *ValidationError
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &ve):
		return ve
	case errors.As(err, &se):
		return Invalid(Body("JSON decode error", "json_invalid", se.Offset))
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
