package synth

// Action types by shot context. The real data's Action Type tracks the
// shot's distance and the season (docs/data.md §4): dunks only within 4 ft,
// layups within 7, tips within 2, threes only from jump and bank shots; the
// play-by-play of the early seasons knew about 14 types, later ones dozens,
// and some types come and go (Pullup from 2008, Step Back from 2007, Driving
// Floating, Cutting and Tip Layup from 2015, Slam Dunk and Tip Shot until
// 2014). Each entry has a weight per era and the seasons it exists in; the
// generator draws from the entries of the shot's context that exist in its
// season.

// Shot contexts: where a shot is taken, as far as the action type cares.
const (
	ctxOrigin   = iota // the (0,0) pile-up of the early tracking
	ctxRim01           // restricted area, 0-1 ft
	ctxRim2            // restricted area, 2 ft
	ctxRim3            // restricted area, 3 ft
	ctxPaint4          // paint, 4 ft: the last foot a dunk happens
	ctxPaint57         // paint, 5-7 ft: layups still happen
	ctxPaint815        // paint, 8-15 ft
	ctxMid812          // mid-range, 8-12 ft
	ctxMid1323         // mid-range, 13-23 ft
	ctxThree           // any three
	ctxHeave           // end-of-period heave
	numCtx
)

// era is the data's three eras: 1997-2004, 2005-2012, 2013-2019 (docs/data.md §4).
func era(season int) int {
	switch {
	case season <= 2004:
		return 0
	case season <= 2012:
		return 1
	default:
		return 2
	}
}

// action is a weighted Action Type in a context.
type action struct {
	name     string
	w        [3]float64 // weight in each era
	from, to int        // seasons it exists in; 0 = open
}

func (a action) in(season int) bool {
	return (a.from == 0 || season >= a.from) && (a.to == 0 || season <= a.to)
}

// Availability windows shared by several contexts.
const (
	since2005 = 2005
	since2007 = 2007
	since2008 = 2008
	since2013 = 2013
	since2015 = 2015
	until2004 = 2004
	until2014 = 2014
)

// offsets are the make-probability offsets (logit) of each action type
// relative to its context's baseline, which the calibration solves for. They
// carry docs/data.md §4's differences: dunks ~91%, Driving Layup 68% against
// Layup 44%, pull-ups, turnarounds, fadeaways and floaters above the plain
// Jump Shot, bank shots well above.
var offsets = map[string]float64{
	"Dunk Shot": 2.3, "Slam Dunk Shot": 3.3, "Alley Oop Dunk Shot": 1.9, "Driving Dunk Shot": 2.3,
	"Reverse Dunk Shot": 1.5, "Running Dunk Shot": 2.2, "Putback Dunk Shot": 1.8, "Putback Slam Dunk Shot": 2.5,
	"Follow Up Dunk Shot": 1.8, "Cutting Dunk Shot": 2.8, "Driving Slam Dunk Shot": 2.5,
	"Running Alley Oop Dunk Shot": 1.8, "Tip Dunk Shot": 1.5, "Driving Reverse Dunk Shot": 1.5,
	"Running Slam Dunk Shot": 2.5, "Reverse Slam Dunk Shot": 2.0,

	"Layup Shot": -0.3, "Driving Layup Shot": 0.9, "Reverse Layup Shot": -0.05, "Running Layup Shot": 0.8,
	"Finger Roll Shot": 0.1, "Finger Roll Layup Shot": 0.2, "Driving Finger Roll Layup Shot": 0.4,
	"Driving Finger Roll Shot": 0.3, "Driving Reverse Layup Shot": 0.2, "Putback Layup Shot": 0.2,
	"Alley Oop Layup shot": 0.3, "Tip Layup Shot": -0.1, "Cutting Layup Shot": 0.6,
	"Cutting Finger Roll Layup Shot": 0.5, "Running Reverse Layup Shot": 0.2, "Running Finger Roll Layup Shot": 0.3,

	"Tip Shot": -0.1, "Running Tip Shot": -0.1,

	"Hook Shot": -0.1, "Jump Hook Shot": 0.1, "Turnaround Hook Shot": 0.1, "Running Hook Shot": 0.15,
	"Driving Hook Shot": 0.1, "Hook Bank Shot": 0.2,

	"Jump Bank Shot": 0.6, "Running Bank shot": 0.7, "Turnaround Bank shot": 0.7, "Pullup Bank shot": 0.6,
	"Fadeaway Bank shot": 0.6, "Turnaround Fadeaway Bank Jump Shot": 0.6, "Step Back Bank Jump Shot": 0.5,
	"Driving Floating Bank Jump Shot": 0.7,

	"Jump Shot": 0, "Running Jump Shot": 0.4, "Fadeaway Jump Shot": 0.7, "Turnaround Jump Shot": 1.0,
	"Pullup Jump shot": 0.7, "Step Back Jump shot": 0.35, "Floating Jump shot": 0.6,
	"Driving Floating Jump Shot": 0.9, "Turnaround Fadeaway shot": 0.35, "Driving Jump shot": 0.2,
	"Running Pull-Up Jump Shot": 0.25,
}

// Layups and dunks at the rim, shared by the restricted-area contexts.
var rimLayups = []action{
	{"Layup Shot", [3]float64{40, 30, 22}, 0, 0},
	{"Driving Layup Shot", [3]float64{16, 16, 16}, 0, 0},
	{"Reverse Layup Shot", [3]float64{3, 3, 3}, 0, 0},
	{"Finger Roll Shot", [3]float64{2, 0, 0}, 0, until2004},
	{"Finger Roll Layup Shot", [3]float64{0, 2, 1.5}, since2005, 0},
	{"Running Layup Shot", [3]float64{0, 2, 2}, since2005, 0},
	{"Driving Reverse Layup Shot", [3]float64{0, 2, 3}, since2005, 0},
	{"Driving Finger Roll Layup Shot", [3]float64{0, 2, 2.5}, since2005, 0},
	{"Driving Finger Roll Shot", [3]float64{0, 0.5, 0.3}, since2005, until2014},
	{"Putback Layup Shot", [3]float64{0, 1.5, 2}, since2005, 0},
	{"Alley Oop Layup shot", [3]float64{0, 0.5, 1}, since2005, 0},
	{"Running Reverse Layup Shot", [3]float64{0, 0.3, 0.5}, since2008, 0},
	{"Running Finger Roll Layup Shot", [3]float64{0, 0.3, 0.4}, since2008, 0},
	{"Tip Layup Shot", [3]float64{0, 0, 4}, since2015, 0},
	{"Cutting Layup Shot", [3]float64{0, 0, 1.5}, since2015, 0},
	{"Cutting Finger Roll Layup Shot", [3]float64{0, 0, 0.5}, since2015, 0},
}

var rimDunks = []action{
	{"Dunk Shot", [3]float64{10, 8, 8}, 0, 0},
	{"Slam Dunk Shot", [3]float64{8, 5, 3}, 0, until2014},
	{"Alley Oop Dunk Shot", [3]float64{3, 3, 4}, 0, 0},
	{"Driving Dunk Shot", [3]float64{0, 4, 5}, since2005, 0},
	{"Reverse Dunk Shot", [3]float64{0, 1, 1}, since2005, 0},
	{"Running Dunk Shot", [3]float64{0, 2, 2.5}, since2005, 0},
	{"Putback Dunk Shot", [3]float64{0, 1, 1.5}, since2005, 0},
	{"Putback Slam Dunk Shot", [3]float64{0, 0.5, 0.5}, since2005, until2014},
	{"Follow Up Dunk Shot", [3]float64{0, 1, 0.5}, since2005, until2014},
	{"Driving Slam Dunk Shot", [3]float64{0, 0.5, 0.3}, since2005, until2014},
	{"Running Slam Dunk Shot", [3]float64{0, 0.2, 0.1}, since2005, until2014},
	{"Reverse Slam Dunk Shot", [3]float64{0, 0.1, 0.1}, since2005, until2014},
	{"Running Alley Oop Dunk Shot", [3]float64{0, 0.3, 0.5}, since2008, 0},
	{"Tip Dunk Shot", [3]float64{0, 0.2, 0.5}, since2008, 0},
	{"Driving Reverse Dunk Shot", [3]float64{0, 0, 0.2}, since2013, 0},
	{"Cutting Dunk Shot", [3]float64{0, 0, 2.5}, since2015, 0},
}

// Jump shots near the basket: floaters, turnarounds and hooks' cousins.
var shortJumpers = []action{
	{"Jump Shot", [3]float64{52, 45, 24}, 0, 0},
	{"Turnaround Jump Shot", [3]float64{8, 6, 5}, 0, 0},
	{"Fadeaway Jump Shot", [3]float64{3, 3, 2}, 0, 0},
	{"Running Jump Shot", [3]float64{4, 3, 2}, 0, 0},
	{"Floating Jump shot", [3]float64{0, 8, 6}, since2005, 0},
	{"Driving Floating Jump Shot", [3]float64{0, 0, 22}, since2015, 0},
	{"Turnaround Fadeaway shot", [3]float64{0, 2, 2}, since2005, 0},
	{"Driving Jump shot", [3]float64{0, 1.5, 1}, since2005, 0},
	{"Pullup Jump shot", [3]float64{0, 2, 3}, since2008, 0},
}

var paintHooks = []action{
	{"Hook Shot", [3]float64{20, 12, 8}, 0, 0},
	{"Jump Hook Shot", [3]float64{0, 6, 8}, since2005, 0},
	{"Turnaround Hook Shot", [3]float64{0, 3, 3}, since2005, 0},
	{"Running Hook Shot", [3]float64{0, 2, 2}, since2005, 0},
	{"Driving Hook Shot", [3]float64{0, 1, 1}, since2005, 0},
	{"Hook Bank Shot", [3]float64{0, 0.5, 0.5}, since2008, 0},
}

var midBanks = []action{
	{"Jump Bank Shot", [3]float64{4, 3, 2}, 0, 0},
	{"Running Bank shot", [3]float64{0, 1, 1}, since2005, 0},
	{"Turnaround Bank shot", [3]float64{0, 0.5, 0.5}, since2005, 0},
	{"Pullup Bank shot", [3]float64{0, 0.3, 0.5}, since2008, 0},
	{"Fadeaway Bank shot", [3]float64{0, 0.2, 0.3}, since2008, 0},
	{"Turnaround Fadeaway Bank Jump Shot", [3]float64{0, 0.2, 0.3}, since2008, 0},
	{"Step Back Bank Jump Shot", [3]float64{0, 0, 0.3}, since2013, 0},
	{"Driving Floating Bank Jump Shot", [3]float64{0, 0, 0.3}, since2015, 0},
}

var midJumpers = []action{
	{"Jump Shot", [3]float64{90, 80, 66}, 0, 0},
	{"Turnaround Jump Shot", [3]float64{2.5, 2.5, 2.5}, 0, 0},
	{"Fadeaway Jump Shot", [3]float64{3, 3, 3}, 0, 0},
	{"Running Jump Shot", [3]float64{3, 1.5, 1}, 0, 0},
	{"Pullup Jump shot", [3]float64{0, 4, 16}, since2008, 0},
	{"Step Back Jump shot", [3]float64{0, 1, 5}, since2007, 0},
	{"Turnaround Fadeaway shot", [3]float64{0, 2, 3}, since2005, 0},
	{"Driving Jump shot", [3]float64{0, 0.5, 0.3}, since2005, 0},
	{"Running Pull-Up Jump Shot", [3]float64{0, 0, 1}, since2013, 0},
}

// scale returns the actions with every weight multiplied by f.
func scale(f float64, as []action) []action {
	out := make([]action, len(as))
	for i, a := range as {
		out[i] = a
		for e := range a.w {
			out[i].w[e] *= f
		}
	}
	return out
}

func join(parts ...[]action) []action {
	var out []action
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// contextActions lists the actions of each context. Family shares follow
// docs/data.md §4: at the rim ~74% layups, 14% dunks, 5.5% tips; the origin
// pile-up is mostly plain and driving layups; hooks are ~20% of paint shots;
// threes are 94% plain Jump Shots in the sample, fewer in the modern era.
var contextActions = [numCtx][]action{
	ctxOrigin: {
		{"Layup Shot", [3]float64{50, 40, 40}, 0, 0},
		{"Driving Layup Shot", [3]float64{18, 22, 22}, 0, 0},
		{"Reverse Layup Shot", [3]float64{4, 4, 4}, 0, 0},
		{"Finger Roll Shot", [3]float64{3, 0, 0}, 0, until2004},
		{"Finger Roll Layup Shot", [3]float64{0, 2, 2}, since2005, 0},
		{"Running Layup Shot", [3]float64{0, 2, 2}, since2005, 0},
		{"Driving Finger Roll Layup Shot", [3]float64{0, 1, 1}, since2005, 0},
		{"Driving Reverse Layup Shot", [3]float64{0, 1, 1}, since2005, 0},
		{"Putback Layup Shot", [3]float64{0, 1, 1}, since2005, 0},
		{"Tip Shot", [3]float64{7, 7, 7}, 0, until2014},
		{"Dunk Shot", [3]float64{3, 2.5, 2.5}, 0, 0},
		{"Slam Dunk Shot", [3]float64{2, 1.5, 1.5}, 0, until2014},
		{"Alley Oop Dunk Shot", [3]float64{0.5, 0.5, 0.5}, 0, 0},
		{"Driving Dunk Shot", [3]float64{0, 0.5, 0.5}, since2005, 0},
		{"Hook Shot", [3]float64{2, 1.5, 1.5}, 0, 0},
		{"Jump Shot", [3]float64{5, 4, 4}, 0, 0},
		{"Turnaround Jump Shot", [3]float64{0.5, 0.5, 0.5}, 0, 0},
		{"Jump Bank Shot", [3]float64{0.3, 0.3, 0.3}, 0, 0},
	},
	ctxRim01: join(rimLayups, scale(1.2, rimDunks), []action{
		{"Tip Shot", [3]float64{6, 5, 4}, 0, until2014},
		{"Running Tip Shot", [3]float64{0, 0.2, 0.1}, since2008, until2014},
		{"Hook Shot", [3]float64{1, 0.5, 0.3}, 0, 0},
		{"Jump Hook Shot", [3]float64{0, 0.3, 0.3}, since2005, 0},
		{"Jump Shot", [3]float64{2, 1.5, 1}, 0, 0},
		{"Turnaround Jump Shot", [3]float64{0.3, 0.3, 0.3}, 0, 0},
	}),
	ctxRim2: join(scale(1.1, rimLayups), scale(0.45, rimDunks), []action{
		{"Tip Shot", [3]float64{4, 3.5, 3}, 0, until2014},
		{"Hook Shot", [3]float64{3, 2, 1.5}, 0, 0},
		{"Jump Hook Shot", [3]float64{0, 1, 1}, since2005, 0},
		{"Turnaround Hook Shot", [3]float64{0, 0.5, 0.5}, since2005, 0},
		{"Jump Shot", [3]float64{3, 2, 1.5}, 0, 0},
		{"Turnaround Jump Shot", [3]float64{0.5, 0.5, 0.5}, 0, 0},
		{"Floating Jump shot", [3]float64{0, 0.3, 0.3}, since2005, 0},
		{"Driving Floating Jump Shot", [3]float64{0, 0, 0.5}, since2015, 0},
	}),
	ctxRim3: join(scale(1.1, rimLayups), scale(0.15, rimDunks), []action{
		{"Hook Shot", [3]float64{5, 4, 3.5}, 0, 0},
		{"Jump Hook Shot", [3]float64{0, 1.5, 1.5}, since2005, 0},
		{"Jump Shot", [3]float64{5, 4, 3}, 0, 0},
		{"Turnaround Jump Shot", [3]float64{1, 1, 1}, 0, 0},
		{"Floating Jump shot", [3]float64{0, 1, 1}, since2005, 0},
		{"Driving Floating Jump Shot", [3]float64{0, 0, 1.5}, since2015, 0},
	}),
	ctxPaint4: join(shortJumpers, paintHooks, []action{
		{"Alley Oop Dunk Shot", [3]float64{0.5, 0.5, 0.5}, 0, 0},
		{"Dunk Shot", [3]float64{0.3, 0.3, 0.3}, 0, 0},
		{"Layup Shot", [3]float64{5, 4, 3}, 0, 0},
		{"Driving Layup Shot", [3]float64{2, 2, 2}, 0, 0},
		{"Reverse Layup Shot", [3]float64{1, 1, 1}, 0, 0},
		{"Finger Roll Layup Shot", [3]float64{0, 1, 1}, since2005, 0},
		{"Jump Bank Shot", [3]float64{1, 1, 1}, 0, 0},
	}),
	ctxPaint57: join(shortJumpers, paintHooks, []action{
		{"Layup Shot", [3]float64{2.5, 2, 1.5}, 0, 0},
		{"Driving Layup Shot", [3]float64{1, 1, 1}, 0, 0},
		{"Reverse Layup Shot", [3]float64{0.5, 0.5, 0.5}, 0, 0},
		{"Jump Bank Shot", [3]float64{1.5, 1.5, 1.5}, 0, 0},
		{"Running Bank shot", [3]float64{0, 0.5, 0.5}, since2005, 0},
	}),
	ctxPaint815: join(scale(1.2, shortJumpers), scale(0.5, paintHooks), midBanks, []action{
		{"Step Back Jump shot", [3]float64{0, 0.5, 1}, since2007, 0},
	}),
	ctxMid812: join(midJumpers, midBanks, []action{
		{"Floating Jump shot", [3]float64{0, 1, 1}, since2005, 0},
		{"Driving Floating Jump Shot", [3]float64{0, 0, 3}, since2015, 0},
		{"Hook Shot", [3]float64{2, 1, 0.5}, 0, 0},
		{"Turnaround Hook Shot", [3]float64{0, 0.5, 0.5}, since2005, 0},
		{"Jump Hook Shot", [3]float64{0, 0.5, 0.5}, since2005, 0},
	}),
	ctxMid1323: join(midJumpers, scale(0.6, midBanks)),
	ctxThree: {
		{"Jump Shot", [3]float64{97, 94, 85}, 0, 0},
		{"Pullup Jump shot", [3]float64{0, 3, 9}, since2008, 0},
		{"Step Back Jump shot", [3]float64{0, 1, 6}, since2007, 0},
		{"Running Jump Shot", [3]float64{2, 1, 0.8}, 0, 0},
		{"Turnaround Jump Shot", [3]float64{0.3, 0.2, 0.2}, 0, 0},
		{"Fadeaway Jump Shot", [3]float64{0.2, 0.2, 0.2}, 0, 0},
		{"Running Pull-Up Jump Shot", [3]float64{0, 0, 1}, since2013, 0},
		{"Jump Bank Shot", [3]float64{0.4, 0.4, 0.4}, 0, 0},
	},
	ctxHeave: {
		{"Jump Shot", [3]float64{90, 90, 90}, 0, 0},
		{"Running Jump Shot", [3]float64{10, 10, 10}, 0, 0},
	},
}

// actionTable is a context's actions in one season, ready to draw from.
type actionTable struct {
	names   []string
	offsets []float64
	cum     []float64
}

func newActionTable(season int, as []action) actionTable {
	var t actionTable
	e := era(season)
	for _, a := range as {
		if !a.in(season) || a.w[e] == 0 {
			continue
		}
		t.names = append(t.names, a.name)
		t.offsets = append(t.offsets, offsets[a.name])
		t.cum = append(t.cum, a.w[e])
	}
	cumulate(t.cum)
	return t
}

// weights returns the probability of each entry.
func (t *actionTable) weights() []float64 {
	w := make([]float64, len(t.cum))
	prev := 0.0
	for i, c := range t.cum {
		w[i] = (c - prev) / t.cum[len(t.cum)-1]
		prev = c
	}
	return w
}
