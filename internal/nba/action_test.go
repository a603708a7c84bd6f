package nba

import "testing"

func TestActionFamily(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Jump Shot", FamilyJumper},
		{"Tip Layup Shot", FamilyLayup},
		{"Driving Finger Roll Shot", FamilyLayup},
		{"Putback Slam Dunk Shot", FamilyDunk},
		{"Tip Shot", FamilyTip},
		{"Turnaround Hook Shot", FamilyHook},
		{"Jump Bank Shot", FamilyBank},
		{"Turnaround Fadeaway Bank Jump Shot", FamilyBank},
		{"Step Back Jump shot", FamilyJumper},
	}
	for _, tt := range tests {
		if got := ActionFamily(tt.in); got != tt.want {
			t.Errorf("ActionFamily(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestKey(t *testing.T) {
	a, b := MakeKey(21100057, 307), MakeKey(21100057, 308)
	if a == b || MakeKey(21100057, 307) != a {
		t.Errorf("MakeKey not injective: %d %d", a, b)
	}
}
