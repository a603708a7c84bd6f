package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
)

// EachMember walks a JSON object, calling fn for each member with its key
// (unescaped) and raw value, in document order. A document that is not one
// valid JSON object is a *ValidationError. Callers detect repeated keys: it
// is the walker under the strict decoders of the request types (package
// predict), which check their members as they go.
//
// The document is checked with json.Valid first; after that the walk only
// has to find where each key and value ends, which it does in one pass
// without allocating (json.Decoder's token API costs an allocation or more
// per token, which showed as a fifth of apid's CPU under load).
func EachMember(data []byte, fn func(key []byte, raw json.RawMessage)) error {
	if eachFlatMember(data, fn) {
		return nil
	}
	if !json.Valid(data) {
		return syntaxError(data)
	}
	i := skipSpace(data, 0)
	if data[i] != '{' {
		return Invalid(Body("Input should be a valid dictionary or object to extract fields from", "model_attributes_type"))
	}
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		return nil
	}
	var unescaped []byte
	for {
		end := stringEnd(data, i)
		key := data[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			_ = json.Unmarshal(data[i:end], &s) // valid: checked above
			unescaped = append(unescaped[:0], s...)
			key = unescaped
		}
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // the ':'
		vend := valueEnd(data, i)
		fn(key, data[i:vend])
		i = skipSpace(data, vend)
		if data[i] == '}' {
			return nil
		}
		i = skipSpace(data, i+1) // the ','
	}
}

// syntaxError locates the first syntax error of an invalid document.
func syntaxError(data []byte) error {
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return Invalid(Body("JSON decode error", "json_invalid", se.Offset))
	}
	return Invalid(Body("JSON decode error", "json_invalid", int64(len(data))))
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd returns the index just past the string starting at data[i].
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

// valueEnd returns the index just past the value starting at data[i].
func valueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				j = stringEnd(data, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(data)
	default:
		j := i
		for j < len(data) {
			switch data[j] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return j
			}
			j++
		}
		return j
	}
}

// Kind classifies a raw JSON value by its first byte: '"', '{', '[', 't',
// 'f' or 'n', '0' for a number, and 0 for nothing.
func Kind(raw json.RawMessage) byte {
	if len(raw) == 0 {
		return 0
	}
	switch c := raw[0]; c {
	case '"', '{', '[', 't', 'f', 'n':
		return c
	default:
		return '0' // a number
	}
}

// EachElement walks the JSON array raw, which must be valid JSON (as a
// json.RawMessage decoded by Unmarshal is), calling fn with each element's
// raw value in order; it stops at the first error fn returns. A value that
// is not an array is an error.
func EachElement(raw []byte, fn func(el json.RawMessage) error) error {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return errors.New("not an array")
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return nil
	}
	for i < len(raw) {
		end := valueEnd(raw, i)
		if err := fn(raw[i:end]); err != nil {
			return err
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] == ']' {
			return nil
		}
		i = skipSpace(raw, i+1) // past the ','
	}
	return nil
}
