package httpjson

import (
	"encoding/json"
	"math"
	"strconv"
)

// Hand-written encoders of hot answers and records append their members
// with these, byte for byte what encoding/json (json.Marshal, Encode) makes
// of the same value, without its reflection and allocations.

// AppendString quotes s as encoding/json does. Plain printable ASCII (what
// model versions, zones and most names are) is copied as it is; anything
// else (a quote, a backslash, HTML's <, > and &, control characters,
// non-ASCII with its U+2028/U+2029 and invalid-UTF-8 rules) goes through
// encoding/json itself.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// AppendFloat formats f as encoding/json does: the shortest repr, in
// exponent form only below 1e-6 or from 1e21, with a two-digit exponent
// like ES6. f must be finite (encoding/json refuses NaN and infinities).
func AppendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// AppendCompact appends src without the whitespace between its tokens:
// json.Compact's output for src, which must be valid JSON (a body a strict
// decoder of this package has accepted), without json.Compact's second
// validating scan or its bytes.Buffer.
func AppendCompact(b, src []byte) []byte {
	inString, escaped := false, false
	start := 0 // src[start:i] is waiting to be copied
	for i, c := range src {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			b = append(b, src[start:i]...)
			start = i + 1
		}
	}
	return append(b, src[start:]...)
}
