package synth

import "math"

// A game's play-by-play is a sequence of events numbered from 1 (the Game
// Event ID); some of them are shots. Each period holds a run of events: the
// first opens the period, the last closes it at 0:00, and the ones between
// are spread over the clock in order, so Game Event IDs grow with period and
// clock exactly as in the real data (docs/data.md §1: 0 inversions). Everything
// here is a pure function of the Game ID, so the same event has the same
// clock in every batch.

const (
	maxPeriods  = 7   // four quarters and up to three overtimes
	regulation  = 720 // seconds in a quarter
	overtime    = 300 // seconds in an overtime
	lateSeconds = 24  // the last shot clock of a period
)

// Event density over a period, as the real clock shows it (docs/data.md §4:
// minutes roughly uniform, the first minute light, the last minute ~10% of
// shots, 5% in the last 24 s). Breakpoints are in elapsed seconds.
var (
	quarterDensity  = density{cuts: []float64{0, 60, 120, regulation - lateSeconds, regulation}, rates: []float64{0.75, 0.85, 1, 1.35}}
	overtimeDensity = density{cuts: []float64{0, 30, overtime - lateSeconds, overtime}, rates: []float64{0.8, 1, 1.35}}
)

// density is a piecewise-constant event rate over a period.
type density struct {
	cuts  []float64
	rates []float64
}

// mass is the integral of the rate over the period.
func (d *density) mass() float64 {
	total := 0.0
	for i, r := range d.rates {
		total += r * (d.cuts[i+1] - d.cuts[i])
	}
	return total
}

// elapsed maps a quantile v in [0, 1) of the events to the elapsed seconds
// at which it happens: the inverse of the density's distribution function.
func (d *density) elapsed(v float64) float64 {
	m := v * d.mass()
	for i, r := range d.rates {
		seg := r * (d.cuts[i+1] - d.cuts[i])
		if m < seg {
			return d.cuts[i] + m/r
		}
		m -= seg
	}
	return d.cuts[len(d.cuts)-1]
}

// gameTimeline is the shape of one game's play-by-play.
type gameTimeline struct {
	periods int
	first   [maxPeriods]int32 // Game Event ID of the event opening period p
	events  [maxPeriods]int   // events in period p, both markers included
	shots   [maxPeriods]int   // shots in period p
	buzzer  [maxPeriods]bool  // the period's second-to-last event is a shot at 0:00
	total   int               // shots in the game
}

// Event counts: the real data has P1 events 2-162 and P4 up to 762, so a
// quarter holds 100-190 events, about 29% of them shots (~170 a game, as the
// 4.7M shots of the Kaggle set over ~29,000 games imply). 6% of games go to
// overtime, a fifth of those to a second, and so on.
const (
	minQuarterEvents = 100
	maxQuarterEvents = 190
	minOTEvents      = 40
	maxOTEvents      = 75
	// buzzerShare is the chance that a period ends on a shot at 0:00.
	buzzerShare = 0.23
)

// timeline builds the play-by-play shape of a game.
func timeline(gameID int32) gameTimeline {
	r := newRNG(hash(saltGame, uint64(gameID)))
	var t gameTimeline
	t.periods = 4
	if r.float() < 0.06 {
		t.periods++
		for t.periods < maxPeriods && r.float() < 0.2 {
			t.periods++
		}
	}
	q := r.between(0.26, 0.32) // this game's pace of shots among events
	next := int32(1)
	for p := 0; p < t.periods; p++ {
		lo, hi := minQuarterEvents, maxQuarterEvents
		if p >= 4 {
			lo, hi = minOTEvents, maxOTEvents
		}
		e := lo + r.intn(hi-lo+1)
		t.first[p] = next
		t.events[p] = e
		next += int32(e)
		t.buzzer[p] = r.float() < buzzerShare
		// Candidates are the events between the markers, less the buzzer
		// slot when the period ends on a shot.
		cand := e - 2
		if t.buzzer[p] {
			cand--
		}
		mean := q * float64(cand)
		n := int(mean + r.norm()*0.5*math.Sqrt(mean) + 0.5)
		n = max(0, min(cand, n))
		if t.buzzer[p] {
			n++
		}
		t.shots[p] = n
		t.total += n
	}
	return t
}

// periodLength is the length of period p (0-based) in seconds.
func periodLength(p int) int {
	if p >= 4 {
		return overtime
	}
	return regulation
}

// shotEvent is one shot of a game's timeline.
type shotEvent struct {
	eventID   int32
	period    int // 1-based
	remaining int // seconds left in the period
	buzzer    bool
}

// pickedShots calls fn for the shots of the game whose indexes (among the
// game's shots, in event order) are listed in picks, ascending. It stops
// early when fn returns false. Which events are shots is decided per period
// by selection sampling, so the period holds exactly t.shots[p] of them; the
// clock is worked out only for the picked ones, and periods without a pick
// are skipped.
func (t *gameTimeline) pickedShots(gameID int32, picks []int, fn func(ev shotEvent) bool) {
	i, next := 0, 0
	for p := 0; p < t.periods && next < len(picks); p++ {
		if picks[next] >= i+t.shots[p] {
			i += t.shots[p]
			continue
		}
		r := newRNG(hash(saltPeriod, uint64(gameID), uint64(p)))
		e := t.events[p]
		dens := &quarterDensity
		if p >= 4 {
			dens = &overtimeDensity
		}
		length := periodLength(p)
		need := t.shots[p]
		cand := e - 2
		if t.buzzer[p] {
			need--
			cand--
		}
		// Interior events j = 1..e-2 are spread over the clock; j = e-2 is
		// the buzzer slot when the period ends on a shot.
		for j := 1; j <= cand && need > 0; j++ {
			if r.intn(cand-(j-1)) >= need {
				continue
			}
			need--
			if i == picks[next] {
				id := t.first[p] + int32(j)
				// Each interior event owns an equal quantile slice of the
				// period and sits at a hashed point inside it, so clocks
				// never run backwards as event numbers grow.
				jit := float64(hash(saltEventTime, uint64(gameID), uint64(id))>>11) * 0x1p-53
				v := (float64(j-1) + jit) / float64(e-2)
				rem := int(float64(length) - dens.elapsed(v)) // the clock shows whole seconds, truncated
				rem = max(0, min(length-1, rem))
				if !fn(shotEvent{eventID: id, period: p + 1, remaining: rem}) {
					return
				}
				if next++; next == len(picks) {
					return
				}
			}
			i++
		}
		if t.buzzer[p] {
			if i == picks[next] {
				id := t.first[p] + int32(e-2)
				if !fn(shotEvent{eventID: id, period: p + 1, remaining: 0, buzzer: true}) {
					return
				}
				next++
			}
			i++
		}
	}
}
