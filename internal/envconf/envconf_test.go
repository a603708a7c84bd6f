package envconf

import "testing"

func TestOr(t *testing.T) {
	env := map[string]string{"SET": "x", "EMPTY": ""}
	getenv := func(k string) string { return env[k] }
	for _, tt := range []struct{ key, want string }{{"SET", "x"}, {"EMPTY", "def"}, {"UNSET", "def"}} {
		if got := Or(getenv, tt.key, "def"); got != tt.want {
			t.Errorf("Or(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}
