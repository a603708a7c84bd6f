package court

import (
	"math"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Thresholds in tenths of feet. Squared radii are compared in integers so that
// a point exactly on a circle is classified the same way everywhere.
const (
	// HalfCourtY is the y of the half-court line; a shot at or beyond it is a
	// Backcourt shot. Integer y ≥ 423 ⇔ y ≥ 422.5.
	HalfCourtY = 422.5
	// RestrictedRadius is the radius of the restricted-area arc (4 ft).
	RestrictedRadius = 40
	// PaintHalfWidth is half the width of the lane (8 ft) and PaintTopY the y
	// below which a shot inside the lane is "In The Paint". The data puts the
	// cut between 138 and 141; 140 matches all 2000 reference rows.
	PaintHalfWidth = 80
	PaintTopY      = 140
	// CornerX is where the corner three starts (22 ft from the rim) and
	// CornerMaxY the top of the straight part of the line (y ≤ 92.5).
	CornerX    = 220
	CornerMaxY = 92.5
	// ArcRadius is the radius of the 3-point arc (23.75 ft).
	ArcRadius = 237.5
	// BaselineY and SidelineX bound the court.
	BaselineY = -47.5
	SidelineX = 250
)

// Distance is the shot distance in whole feet as the data records it:
// the distance from the rim truncated, floor(sqrt(x²+y²)/10), in integers.
func Distance(x, y int) int {
	return isqrt(x*x+y*y) / 10
}

// isqrt returns floor(sqrt(n)) for n ≥ 0, exactly.
func isqrt(n int) int {
	if n <= 0 {
		return 0
	}
	r := int(math.Sqrt(float64(n)))
	for r*r > n {
		r--
	}
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}

// Radius is the distance from the rim in tenths of feet.
func Radius(x, y int) float64 { return math.Hypot(float64(x), float64(y)) }

// Angle is θ = atan2(x, y) in degrees: 0 straight out from the rim, negative
// to the left, beyond ±90 behind the rim line.
func Angle(x, y int) float64 { return math.Atan2(float64(x), float64(y)) * 180 / math.Pi }

// Zones are the labels the data derives from a shot's coordinates.
type Zones struct {
	Basic    string
	Area     string
	Range    string
	Distance int
	// ShotType is the type the zone implies: 3PT for the three-point zones
	// and the backcourt, 2PT otherwise. The scorer's label can disagree near
	// the arc; see package dataset.
	ShotType string
}

// Classify derives distance, zones and shot type from a location.
func Classify(x, y int) Zones {
	z := Zones{Distance: Distance(x, y)}
	z.Basic = Basic(x, y)
	z.Range = rangeFor(z.Basic, z.Distance)
	z.Area = area(z.Basic, x, y)
	z.ShotType = ShotTypeFor(z.Basic)
	return z
}

// Basic returns Shot Zone Basic for a location. The first matching rule wins.
func Basic(x, y int) string {
	r2 := x*x + y*y
	ax := abs(x)
	switch {
	case float64(y) >= HalfCourtY:
		return nba.ZoneBackcourt
	case r2 < RestrictedRadius*RestrictedRadius:
		return nba.ZoneRestrictedArea
	case ax <= PaintHalfWidth && y < PaintTopY:
		return nba.ZonePaint
	case ax >= CornerX && float64(y) <= CornerMaxY:
		if x < 0 {
			return nba.ZoneLeftCorner3
		}
		return nba.ZoneRightCorner3
	case 4*r2 >= int(4*ArcRadius*ArcRadius): // r ≥ 237.5 without a square root
		return nba.ZoneAboveBreak3
	default:
		return nba.ZoneMidRange
	}
}

// IsThree reports whether a Shot Zone Basic is worth three points.
func IsThree(basic string) bool {
	switch basic {
	case nba.ZoneAboveBreak3, nba.ZoneLeftCorner3, nba.ZoneRightCorner3, nba.ZoneBackcourt:
		return true
	}
	return false
}

// ShotTypeFor returns the shot type a zone implies.
func ShotTypeFor(basic string) string {
	if IsThree(basic) {
		return nba.ShotType3PT
	}
	return nba.ShotType2PT
}

func rangeFor(basic string, d int) string {
	switch {
	case basic == nba.ZoneBackcourt:
		return nba.RangeBackCourt
	case IsThree(basic):
		// Corner threes start at 22 ft, yet every three is labelled 24+.
		return nba.Range24Plus
	case d < 8:
		return nba.RangeLessThan8
	case d < 16 || basic == nba.ZonePaint:
		// The paint's far corners, (±80, 139), are 16.04 ft out; the data
		// never labels the paint beyond 8-16 ft, so neither do we.
		return nba.Range8To16
	default:
		return nba.Range16To24
	}
}

// area splits rings around the rim into equal angular sectors: one sector
// inside 8 ft, three of 60° from 8 to 16 ft, five of 36° beyond.
func area(basic string, x, y int) string {
	r2 := x*x + y*y
	switch {
	case basic == nba.ZoneBackcourt:
		return nba.AreaBackCourt
	case basic == nba.ZoneLeftCorner3:
		return nba.AreaLeft
	case basic == nba.ZoneRightCorner3:
		return nba.AreaRight
	case r2 < 80*80:
		return nba.AreaCenter
	}
	theta := Angle(x, y)
	at := math.Abs(theta)
	if r2 < 160*160 || basic == nba.ZonePaint { // the paint uses the 8-16 ft sectors even at its far corners
		switch {
		case at < 30:
			return nba.AreaCenter
		case theta < 0:
			return nba.AreaLeft
		default:
			return nba.AreaRight
		}
	}
	switch {
	case at < 18:
		return nba.AreaCenter
	case at <= 54 || basic == nba.ZoneAboveBreak3: // above the break is never a side
		if theta < 0 {
			return nba.AreaLeftCenter
		}
		return nba.AreaRightCenter
	case theta < 0:
		return nba.AreaLeft
	default:
		return nba.AreaRight
	}
}

// AreasFor lists the Shot Zone Area values that occur with a Shot Zone Basic.
// Above the Break 3 with Back Court(BC) is in the NBA's own zone list, though
// rare, so it is allowed.
func AreasFor(basic string) []string {
	switch basic {
	case nba.ZoneRestrictedArea:
		return []string{nba.AreaCenter}
	case nba.ZonePaint:
		return []string{nba.AreaCenter, nba.AreaLeft, nba.AreaRight}
	case nba.ZoneMidRange:
		return []string{nba.AreaCenter, nba.AreaLeft, nba.AreaRight, nba.AreaLeftCenter, nba.AreaRightCenter}
	case nba.ZoneAboveBreak3:
		return []string{nba.AreaCenter, nba.AreaLeftCenter, nba.AreaRightCenter, nba.AreaBackCourt}
	case nba.ZoneLeftCorner3:
		return []string{nba.AreaLeft}
	case nba.ZoneRightCorner3:
		return []string{nba.AreaRight}
	case nba.ZoneBackcourt:
		return []string{nba.AreaBackCourt}
	}
	return nil
}

// Margin is how far, in tenths of feet (or degrees for angular cuts), a
// location lies from the nearest zone boundary that applies to it. The
// validator warns on small margins: a scorer's rounding there is plausible.
func Margin(x, y int) float64 {
	fx, fy := float64(x), float64(y)
	r := math.Hypot(fx, fy)
	ax := math.Abs(fx)
	m := math.Inf(1)
	consider := func(d float64) { m = math.Min(m, math.Abs(d)) }
	consider(fy - HalfCourtY)
	consider(r - RestrictedRadius)
	if fy < PaintTopY+5 {
		consider(ax - (PaintHalfWidth + 0.5))
	}
	if ax <= PaintHalfWidth+5 {
		consider(fy - (PaintTopY - 0.5))
	}
	if fy <= CornerMaxY+5 {
		consider(ax - (CornerX - 0.5))
	}
	if ax >= CornerX-5 {
		consider(fy - CornerMaxY)
	}
	if fy > CornerMaxY {
		consider(r - ArcRadius)
	}
	return m
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
