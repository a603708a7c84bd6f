package httpjson

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// TestAppendString holds AppendString to json.Marshal, byte for byte.
func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "v1", "Los Angeles Lakers", "model_best_lr-v12-20261207", `quote " back \ slash`,
		"<html> & é \u2028 \u2029 \x01 \x7f", "\xff\xfe invalid", "tab\tnew\nline", "Ñoño Müller", "emoji 🏀"} {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got[1:], want)
		}
	}
}

// TestAppendFloat holds AppendFloat to json.Marshal, byte for byte.
func TestAppendFloat(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.41, 1e-7, 1.5e-10, 0.000001, math.Nextafter(1, 0), 1e21, 1e20, 0.1 + 0.2,
		0.999999999, -2.5e-8, math.SmallestNonzeroFloat64, math.MaxFloat64, 123456789.125} {
		want, _ := json.Marshal(f)
		if got := AppendFloat(nil, f); string(got) != string(want) {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

var compactCases = []string{
	`{}`, ` { } `, `{"a": 1, "b" : [1, 2 ,3],` + "\n\t\r" + `"c": {"d": null}}`,
	`{"s": "spaces  inside \" quoted \\ ", "t": "\\"}`, `{"u": "\u00e9 é \t"}`, `"x"`, ` 12 `, `[true, false, null]`,
	`{"player_id": 2544, "player_name": "LeBron James", "x_location": -120}`,
}

// TestAppendCompact holds AppendCompact to json.Compact on valid documents.
func TestAppendCompact(t *testing.T) {
	for _, src := range compactCases {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(src)); err != nil {
			t.Fatal(err)
		}
		if got := AppendCompact([]byte("x"), []byte(src)); string(got) != "x"+want.String() {
			t.Errorf("AppendCompact(%s) = %s, want %s", src, got[1:], want.String())
		}
	}
}

// FuzzAppendCompact checks the property on any valid document.
func FuzzAppendCompact(f *testing.F) {
	for _, src := range compactCases {
		f.Add([]byte(src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if !json.Valid(src) {
			return
		}
		var want bytes.Buffer
		_ = json.Compact(&want, src)
		if got := AppendCompact(nil, src); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("AppendCompact(%q) = %q, want %q", src, got, want.Bytes())
		}
	})
}

// FuzzAppendString checks AppendString against json.Marshal on any string.
func FuzzAppendString(f *testing.F) {
	f.Add("LeBron James")
	f.Add("<\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}
