package httpjson

import "encoding/json"

// maxFlatMembers bounds the members the one-pass scanner records; a larger
// object (never a valid request body) takes the general path.
const maxFlatMembers = 64

type member struct{ k0, k1, v0, v1 int32 }

// eachFlatMember is EachMember's fast path for the common body: one object
// whose member values are all scalars (numbers, strings, true, false, null).
// It checks the JSON grammar and finds the members in a single pass, instead
// of json.Valid followed by a walk (json.Valid was a fifth of predictd's CPU
// under load). It calls fn only once the whole document is known to be valid.
// ok is false when the document is anything else (nested values, escaped
// keys, more than maxFlatMembers members, or invalid JSON): the caller then
// takes the general path, which also produces the error message.
func eachFlatMember(data []byte, fn func(key []byte, raw json.RawMessage)) (ok bool) {
	var (
		ms [maxFlatMembers]member
		n  int
	)
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		if n == maxFlatMembers || i >= len(data) || data[i] != '"' {
			return false
		}
		k1, escaped, ok := scanString(data, i)
		if !ok || escaped {
			return false // escaped keys are unescaped by the general path
		}
		k0 := i
		i = skipSpace(data, k1)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		v0 := skipSpace(data, i+1)
		v1, ok := scanScalar(data, v0)
		if !ok {
			return false
		}
		ms[n] = member{int32(k0 + 1), int32(k1 - 1), int32(v0), int32(v1)}
		n++
		i = skipSpace(data, v1)
		if i >= len(data) {
			return false
		}
		if data[i] == '}' {
			if skipSpace(data, i+1) != len(data) {
				return false
			}
			break
		}
		if data[i] != ',' {
			return false
		}
		i = skipSpace(data, i+1)
	}
	for _, m := range ms[:n] {
		fn(data[m.k0:m.k1], data[m.v0:m.v1])
	}
	return true
}

// scanString checks the string starting at data[i] ('"') and returns the
// index just past it and whether it holds escapes.
func scanString(data []byte, i int) (end int, escaped, ok bool) {
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return j + 1, escaped, true
		case c < 0x20:
			return 0, false, false
		case c == '\\':
			escaped = true
			j++
			if j >= len(data) {
				return 0, false, false
			}
			switch data[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(data) {
					return 0, false, false
				}
				for _, h := range data[j+1 : j+5] {
					if !isHex(h) {
						return 0, false, false
					}
				}
				j += 4
			default:
				return 0, false, false
			}
		}
	}
	return 0, false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanScalar checks the scalar value starting at data[i] and returns the
// index just past it. Objects and arrays are not scalars.
func scanScalar(data []byte, i int) (int, bool) {
	if i >= len(data) {
		return 0, false
	}
	switch c := data[i]; {
	case c == '"':
		end, _, ok := scanString(data, i)
		return end, ok
	case c == 't':
		return literal(data, i, "true")
	case c == 'f':
		return literal(data, i, "false")
	case c == 'n':
		return literal(data, i, "null")
	case c == '-' || '0' <= c && c <= '9':
		return scanNumber(data, i)
	}
	return 0, false
}

func literal(data []byte, i int, lit string) (int, bool) {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}

// scanNumber checks a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(data []byte, i int) (int, bool) {
	digits := func(j int) int {
		for j < len(data) && '0' <= data[j] && data[j] <= '9' {
			j++
		}
		return j
	}
	if data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return 0, false
	case data[i] == '0':
		i++
	case '1' <= data[i] && data[i] <= '9':
		i = digits(i)
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}
