package court

import (
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

func TestClassifyKnownPoints(t *testing.T) {
	tests := []struct {
		x, y  int
		basic string
		area  string
		rng   string
		dist  int
	}{
		{0, 0, nba.ZoneRestrictedArea, nba.AreaCenter, nba.RangeLessThan8, 0},
		{0, 39, nba.ZoneRestrictedArea, nba.AreaCenter, nba.RangeLessThan8, 3},
		{0, 40, nba.ZonePaint, nba.AreaCenter, nba.RangeLessThan8, 4},
		{80, 139, nba.ZonePaint, nba.AreaCenter, nba.Range8To16, 16}, // 29.9°: still centre
		{-81, 100, nba.ZoneMidRange, nba.AreaLeft, nba.Range8To16, 12},
		{0, 140, nba.ZoneMidRange, nba.AreaCenter, nba.Range8To16, 14},
		{-96, 145, nba.ZoneMidRange, nba.AreaLeftCenter, nba.Range16To24, 17},
		{-230, 40, nba.ZoneLeftCorner3, nba.AreaLeft, nba.Range24Plus, 23},
		{221, 92, nba.ZoneRightCorner3, nba.AreaRight, nba.Range24Plus, 23},
		{217, 92, nba.ZoneMidRange, nba.AreaRight, nba.Range16To24, 23},
		{221, 93, nba.ZoneAboveBreak3, nba.AreaRightCenter, nba.Range24Plus, 23}, // AB3 is never a side
		{164, 199, nba.ZoneAboveBreak3, nba.AreaRightCenter, nba.Range24Plus, 25},
		{0, 238, nba.ZoneAboveBreak3, nba.AreaCenter, nba.Range24Plus, 23},
		{0, 237, nba.ZoneMidRange, nba.AreaCenter, nba.Range16To24, 23},
		{-107, 212, nba.ZoneMidRange, nba.AreaLeftCenter, nba.Range16To24, 23}, // r = 237.47: inside the arc
		{-150, -20, nba.ZoneMidRange, nba.AreaLeft, nba.Range8To16, 15},
		{50, 423, nba.ZoneBackcourt, nba.AreaBackCourt, nba.RangeBackCourt, 42},
		{0, 422, nba.ZoneAboveBreak3, nba.AreaCenter, nba.Range24Plus, 42},
	}
	for _, tt := range tests {
		z := Classify(tt.x, tt.y)
		if z.Basic != tt.basic || z.Area != tt.area || z.Range != tt.rng || z.Distance != tt.dist {
			t.Errorf("Classify(%d, %d) = %s / %s / %s / %d ft, want %s / %s / %s / %d ft",
				tt.x, tt.y, z.Basic, z.Area, z.Range, z.Distance, tt.basic, tt.area, tt.rng, tt.dist)
		}
		if !contains(AreasFor(z.Basic), z.Area) {
			t.Errorf("Classify(%d, %d): area %s not allowed for %s", tt.x, tt.y, z.Area, z.Basic)
		}
	}
}

// TestClassifyEverywhere sweeps the whole half court: every label must be a
// combination AreasFor allows, and the distance must be the truncated one.
func TestClassifyEverywhere(t *testing.T) {
	for x := -250; x <= 250; x++ {
		for y := -52; y <= 470; y++ {
			z := Classify(x, y)
			if !contains(AreasFor(z.Basic), z.Area) {
				t.Fatalf("(%d, %d): area %s with basic %s", x, y, z.Area, z.Basic)
			}
			if d := z.Distance; d*10 > isqrt(x*x+y*y) || (d+1)*10 <= isqrt(x*x+y*y) {
				t.Fatalf("(%d, %d): distance %d", x, y, d)
			}
			if (x < 0) != (z.Area == nba.AreaLeft || z.Area == nba.AreaLeftCenter) && z.Area != nba.AreaCenter && z.Area != nba.AreaBackCourt {
				t.Fatalf("(%d, %d): side of %s", x, y, z.Area)
			}
		}
	}
}

func TestIsqrt(t *testing.T) {
	for n := 0; n < 200000; n++ {
		r := isqrt(n)
		if r*r > n || (r+1)*(r+1) <= n {
			t.Fatalf("isqrt(%d) = %d", n, r)
		}
	}
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func BenchmarkClassify(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Classify(-96, 145)
	}
}
