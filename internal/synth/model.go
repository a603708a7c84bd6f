package synth

import (
	"math"

	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Location classes: where a shot is aimed from. The zone labels themselves
// always come from court.Classify of the drawn (x, y); the class only steers
// the draw.
const (
	clsOrigin = iota // exactly (0, 0): the early tracking's pile-up
	clsRA            // the rest of the restricted area
	clsPaint
	clsMid
	clsLeftCorner
	clsRightCorner
	clsAboveBreak
	numClass
)

// maxD is the longest non-heave shot, in feet (docs/data.md §4: every shot over
// 30 ft is an end-of-period heave).
const maxD = 30

// Shares of shot classes by season, in percent of all shots (docs/data.md §4).
// The per-season values rise or fall smoothly and average, over each era,
// to the sample's figures: 3PA 16.0 / 21.8 / 36.1 %, mid-range 38.9 / 35.4 /
// 18.7 %; the restricted area stays at 30 %, and the paint takes the rest.
var (
	threeShare = map[int]float64{
		1997: 14.5, 1998: 15.0, 1999: 15.5, 2000: 16.0, 2001: 16.0, 2002: 16.5, 2003: 17.0, 2004: 17.5,
		2005: 20.0, 2006: 20.5, 2007: 21.0, 2008: 21.5, 2009: 22.0, 2010: 22.5, 2011: 23.0, 2012: 24.0,
		2013: 30.0, 2014: 32.0, 2015: 34.0, 2016: 36.0, 2017: 38.0, 2018: 40.0, 2019: 42.7,
	}
	midShare = map[int]float64{
		1997: 39.5, 1998: 39.5, 1999: 39.0, 2000: 39.0, 2001: 39.0, 2002: 38.5, 2003: 38.5, 2004: 38.2,
		2005: 37.5, 2006: 37.0, 2007: 36.5, 2008: 36.0, 2009: 35.5, 2010: 35.0, 2011: 33.5, 2012: 32.2,
		2013: 26.0, 2014: 23.5, 2015: 21.0, 2016: 18.5, 2017: 16.0, 2018: 13.5, 2019: 12.4,
	}
)

const (
	rimShare = 30.0
	// originShare is the (0,0) pile-up: 18-26 shots a season in the sample,
	// ≈23 % of shots in every season to 2009-10 and none after (docs/data.md §2).
	originShare     = 23.0
	lastOriginYear  = 2009
	cornerOfThrees  = 0.27 // corner threes among threes (131 of 480)
	heaveShareOf3PA = 0.4  // percent of shots that are heaves, counted among threes
)

// classShares returns the shares of the location classes in a season, for
// shots that are not heaves.
func classShares(season int) [numClass]float64 {
	var w [numClass]float64
	three := threeShare[season] - heaveShareOf3PA
	mid := midShare[season]
	if season <= lastOriginYear {
		w[clsOrigin] = originShare
	}
	w[clsRA] = rimShare - w[clsOrigin]
	w[clsMid] = mid
	w[clsPaint] = 100 - rimShare - mid - three
	w[clsLeftCorner] = three * cornerOfThrees / 2
	w[clsRightCorner] = three * cornerOfThrees / 2
	w[clsAboveBreak] = three * (1 - cornerOfThrees)
	return w
}

// Distance distributions (relative weights by whole foot) of the classes
// whose distance is drawn first, read off the sample's per-zone histograms.
var (
	rimFeet   = []float64{24, 34, 28, 14}                              // 0-3 ft, origin excluded
	paintFeet = []float64{4: 18, 21, 26, 19, 13, 13, 7, 6, 7, 5, 4, 3} // 4-15 ft
	midFeet   = []float64{8: 12, 14, 17, 25, 32, 33, 34, 45, 70, 78, 75, 68, 48, 42, 28, 9}
	abFeet    = []float64{23: 2, 28.6, 40.8, 20.4, 5.6, 2.0, 0.5, 0.2} // 23-30 ft
)

// targetRate is the make rate a (class, distance) cell aims at. The curves
// reproduce docs/data.md §4 by zone (RA 57.1, paint 37.1, mid 39.0, above the
// break 31.8, corners 33-38 %) and by distance bucket (0-2 ft 58.0, 3-9 35.4,
// 10-15 40.2, 16-22 39.5, 23-26 33.2 %) at once, given the distance mix
// above.
func targetRate(class, d int) float64 {
	switch class {
	case clsOrigin:
		return 0.62
	case clsRA:
		return [...]float64{0.62, 0.57, 0.47, 0.43}[min(d, 3)]
	case clsPaint:
		switch {
		case d <= 4:
			return 0.39
		case d <= 9:
			return 0.35
		default:
			return 0.39
		}
	case clsMid:
		if d < 8 {
			d = 8
		}
		return [...]float64{8: 0.32, 0.33, 0.36, 0.36, 0.39, 0.40, 0.40, 0.40, 0.41, 0.41,
			0.40, 0.38, 0.375, 0.37, 0.365, 0.36}[min(d, 23)]
	case clsLeftCorner, clsRightCorner:
		return max(0.33, 0.375-0.01*float64(d-22))
	default: // above the break
		return [...]float64{23: 0.345, 0.335, 0.325, 0.315, 0.32, 0.31, 0.30, 0.29}[max(23, min(d, 30))]
	}
}

// contextOf maps a class and distance to the action-type context.
func contextOf(class, d int) int {
	switch class {
	case clsOrigin:
		return ctxOrigin
	case clsRA:
		switch {
		case d <= 1:
			return ctxRim01
		case d == 2:
			return ctxRim2
		default:
			return ctxRim3
		}
	case clsPaint:
		switch {
		case d <= 4:
			return ctxPaint4
		case d <= 7:
			return ctxPaint57
		default:
			return ctxPaint815
		}
	case clsMid:
		if d <= 12 {
			return ctxMid812
		}
		return ctxMid1323
	default:
		return ctxThree
	}
}

// Make-probability terms besides the cell baseline and the action offset.
const (
	// lateOffset lowers the odds of a shot in the last 24 s of a period
	// (docs/data.md §4: FG 33 % there against 42.7 % overall, heaves included).
	lateOffset = -0.3
	// lateShare is the share of non-heave shots taken in the last 24 s,
	// which the calibration averages over.
	lateShare = 0.05
	// skillSD is the spread of players' make odds around their cells.
	skillSD = 0.2
	// heaveShare is the chance that a shot at the buzzer is a heave from
	// beyond 30 ft (all 7 such shots in the sample were at 0:00).
	heaveShare = 0.64
)

// seasonModel is the shot model of one season, ready to draw from.
type seasonModel struct {
	classCum [numClass]float64
	actions  [numCtx]actionTable
	// alpha is the calibrated logit baseline of each (class, distance)
	// cell: the value that makes the cell's average make rate, over its
	// action mix, the late-clock share and the players' skill, equal its
	// target rate.
	alpha [numClass][maxD + 1]float64
}

func newSeasonModel(season int) *seasonModel {
	m := &seasonModel{}
	w := classShares(season)
	copy(m.classCum[:], cumulate(w[:]))
	for c := range m.actions {
		m.actions[c] = newActionTable(season, contextActions[c])
	}
	// Many cells share a (target, context) pair: solve each pair once.
	type cell struct {
		target float64
		ctx    int
	}
	solved := map[cell]float64{}
	for class := range numClass {
		for d := 0; d <= maxD; d++ {
			c := cell{targetRate(class, d), contextOf(class, d)}
			a, ok := solved[c]
			if !ok {
				a = calibrate(c.target, &m.actions[c.ctx])
				solved[c] = a
			}
			m.alpha[class][d] = a
		}
	}
	return m
}

// Gauss-Hermite nodes and weights (5 points) for averaging over a normal
// player skill.
var (
	ghNodes   = [...]float64{-2.0201828704560856, -0.9585724646138185, 0, 0.9585724646138185, 2.0201828704560856}
	ghWeights = [...]float64{0.019953242059045913, 0.39361932315224116, 0.9453087204829419, 0.39361932315224116, 0.019953242059045913}
)

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// expectedRate is a cell's average make rate for baseline alpha, over its
// action mix w, the late-clock share and the players' skill, and its
// derivative in alpha.
func expectedRate(alpha float64, w, offsets []float64) (rate, slope float64) {
	for i, o := range offsets {
		for k, z := range ghNodes {
			u := math.Sqrt2 * skillSD * z
			wk := w[i] * ghWeights[k] / math.SqrtPi
			for _, late := range [2]struct{ share, off float64 }{{1 - lateShare, 0}, {lateShare, lateOffset}} {
				p := sigmoid(alpha + o + u + late.off)
				rate += wk * late.share * p
				slope += wk * late.share * p * (1 - p)
			}
		}
	}
	return rate, slope
}

// calibrate solves expectedRate(alpha) = target with Newton's method; the
// rate is smooth and increasing in alpha, so a dozen steps from 0 reach
// machine precision.
func calibrate(target float64, t *actionTable) float64 {
	w := t.weights()
	alpha := 0.0
	for range 12 {
		rate, slope := expectedRate(alpha, w, t.offsets)
		alpha -= (rate - target) / slope
	}
	return alpha
}

// location draws (x, y) for a class; the labels come from court.Classify.
// Each class draws a distance, then an angle and a radius within that foot,
// rounds to the data's integer tenths of feet, and retries the angle until
// the point classifies as intended. Keeping the distance fixed while
// retrying keeps the distance mix as drawn (a redraw would favour the feet
// where a class covers more angles); classifying every point keeps zone
// shares exact and the geometry in one place.
//
// Points are kept off the bands where the zone depends on convention (the
// top of the paint at y 138-141, the top of the corner at y 84-93): the
// real sample has almost none there (docs/data.md §2), and the validator warns.
func location(r *rng, class int) (x, y int, z court.Zones) {
	if class == clsOrigin {
		return 0, 0, court.Classify(0, 0)
	}
	for range 20 {
		var d int
		switch class {
		case clsRA:
			d = r.pick(rimCum)
		case clsPaint:
			d = r.pick(paintCum)
		case clsMid:
			d = r.pick(midCum)
		case clsAboveBreak:
			d = r.pick(abCum)
		}
		for range 200 {
			switch class {
			case clsRA:
				x, y = polar(float64(10*d)+10*r.float(), 60*r.norm())
			case clsPaint:
				x, y = polar(float64(10*d)+10*r.float(), 35*r.norm())
			case clsMid:
				x, y = polar(float64(10*d)+10*r.float(), r.between(-96, 96))
			case clsLeftCorner, clsRightCorner:
				// |x| from the line (220) to the sideline, mostly 222-240;
				// y from the baseline to the top of the straight line.
				x = 221 + int(26*math.Pow(r.float(), 1.3))
				if class == clsLeftCorner {
					x = -x
				}
				y = -35 + r.intn(120)
			case clsAboveBreak:
				lo := max(float64(10*d), court.ArcRadius)
				x, y = polar(lo+r.float()*(float64(10*d+10)-lo), r.between(-70, 70))
			}
			if y < -40 || x < -sideline || x > sideline || conventionBand(x, y) {
				continue
			}
			z = court.Classify(x, y)
			if classOf(z.Basic, x, y) == class && z.Distance <= maxD {
				return x, y, z
			}
		}
	}
	// Unreachable with the distributions above; a fixed point of the class
	// keeps the row valid if a future edit makes a class too narrow.
	x, y = fallback[class][0], fallback[class][1]
	return x, y, court.Classify(x, y)
}

var fallback = [numClass][2]int{{0, 0}, {5, 10}, {0, 80}, {-150, 150}, {-230, 20}, {230, 20}, {0, 250}}

var (
	rimCum   = cumulate(append([]float64(nil), rimFeet...))
	paintCum = cumulate(append([]float64(nil), paintFeet...))
	midCum   = cumulate(append([]float64(nil), midFeet...))
	abCum    = cumulate(append([]float64(nil), abFeet...))
)

// heave draws an end-of-period heave: from the backcourt (4 of the 7 in
// the sample) or from deep in the frontcourt, 31-42 ft.
func heave(r *rng) (x, y int, z court.Zones) {
	for {
		if r.float() < 0.57 {
			x, y = r.intn(241)-120, 430+r.intn(230)
		} else {
			x, y = polar(r.between(310, 420), r.between(-25, 25))
		}
		z = court.Classify(x, y)
		if z.Distance > maxD {
			return x, y, z
		}
	}
}

// sideline is the widest |x| a shot is taken from (±247 in the data).
const sideline = 247

// polar converts a radius (tenths of feet) and an angle θ (degrees from
// straight out, negative to the left) to integer coordinates.
func polar(rad, theta float64) (x, y int) {
	s, c := math.Sincos(theta * math.Pi / 180)
	return int(math.Round(rad * s)), int(math.Round(rad * c))
}

// conventionBand reports whether (x, y) lies where the zone depends on
// convention rather than on the sample (dataset's zone_convention warning).
func conventionBand(x, y int) bool {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	return (ax <= court.PaintHalfWidth && y >= 138 && y <= 141) || (ax >= court.CornerX && y > 84 && y < 93)
}

// classOf is the class of a classified point.
func classOf(basic string, x, y int) int {
	switch basic {
	case nba.ZoneRestrictedArea:
		if x == 0 && y == 0 {
			return clsOrigin
		}
		return clsRA
	case nba.ZonePaint:
		return clsPaint
	case nba.ZoneMidRange:
		return clsMid
	case nba.ZoneLeftCorner3:
		return clsLeftCorner
	case nba.ZoneRightCorner3:
		return clsRightCorner
	case nba.ZoneAboveBreak3:
		return clsAboveBreak
	}
	return -1
}

// seasonIndex is the index of a season in the universe's tables.
func seasonIndex(season int) int { return season - league.FirstSeason }
