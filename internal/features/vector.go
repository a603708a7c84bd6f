package features

import (
	"math"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// A feature of the model's input vector. The first nba.NumSeedFeatures
// catalogue entries are the seed features themselves; the rest are derived
// from seed values only (never from anything a /predict caller does not
// send). Names are part of the model file format: never rename one, add new
// ones at the end.
type feature struct {
	name   string
	binary bool  // 0/1 (or a soft share in [0,1]): left unscaled
	deps   []int // seed indexes the value reads
}

// Derived feature indexes, after the seed features.
const (
	fSecondsLeft = nba.NumSeedFeatures + iota
	fClockUnder3s
	fClockUnder24s
	fOvertime
	fLog1pDistance
	fDistanceUnder3
	fHinge3
	fHinge10
	fHinge16
	fHinge23
	fHinge27
	fHeave
	fAbsX
	fAngle
	fFamily // first of numFamilies action-family shares
)

const (
	fJumperDistance = fFamily + numFamilies + iota
	fActionPlain
	numCatalogue
)

// Action families as the Vector sees them: nba.Families plus "unknown" for
// an Action_Type_Frequency that matches no action type of the training
// split.
const (
	numFamilies   = 7
	familyUnknown = numFamilies - 1
)

var familyNames = [numFamilies]string{"Dunk", "Layup", "Tip", "Hook", "Bank", "Jumper", "Unknown"}

// actionMix is what the Action_Type_Frequency lookup recovers: the share
// of each family among the action types with that frequency, then the
// share of plain descriptions among them (mixPlain).
type actionMix [numFamilies + 1]float64

const mixPlain = numFamilies

// plainAction reports whether an action type is the plain name of its
// family ("Jump Shot", "Layup Shot", …) rather than a specific one
// ("Pullup Jump shot", "Driving Layup Shot"). The play-by-play uses the
// plain names for the shots it did not describe further, and they go in
// less often than the family's others (a plain layup 44%, a driving one
// 68% on the real sample), which is what Action_Type_Frequency carried
// before: the plain names are also the most frequent.
func plainAction(a string) bool {
	switch a {
	case "Jump Shot", "Layup Shot", "Dunk Shot", "Hook Shot", "Tip Shot", "Bank Shot":
		return true
	}
	return false
}

var catalogue = func() []feature {
	c := make([]feature, numCatalogue)
	for i, name := range nba.FeatureNames() {
		c[i] = feature{name: name, binary: i >= SeedShotType && i < SeedGameIDFrequency, deps: []int{i}}
	}
	clock := []int{SeedMinutesRemaining, SeedSecondsRemaining}
	dist := []int{SeedShotDistance}
	xy := []int{SeedXLocation, SeedYLocation}
	act := []int{SeedActionTypeFrequency}
	c[fSecondsLeft] = feature{name: "Seconds_Left_In_Period", deps: clock}
	c[fClockUnder3s] = feature{name: "Clock_Under_3s", binary: true, deps: clock}
	c[fClockUnder24s] = feature{name: "Clock_Under_24s", binary: true, deps: clock}
	c[fOvertime] = feature{name: "Overtime", binary: true, deps: []int{SeedPeriod}}
	c[fLog1pDistance] = feature{name: "Log1p_Distance", deps: dist}
	c[fDistanceUnder3] = feature{name: "Distance_Under_3ft", binary: true, deps: dist}
	c[fHinge3] = feature{name: "Distance_Hinge_3ft", deps: dist}
	c[fHinge10] = feature{name: "Distance_Hinge_10ft", deps: dist}
	c[fHinge16] = feature{name: "Distance_Hinge_16ft", deps: dist}
	c[fHinge23] = feature{name: "Distance_Hinge_23ft", deps: dist}
	c[fHinge27] = feature{name: "Distance_Hinge_27ft", deps: dist}
	c[fHeave] = feature{name: "Heave_30ft_Plus", binary: true, deps: dist}
	c[fAbsX] = feature{name: "Abs_X_Location", deps: xy}
	c[fAngle] = feature{name: "Shot_Angle", deps: xy}
	for k := range numFamilies {
		c[fFamily+k] = feature{name: "Action_Family_" + familyNames[k], binary: true, deps: act}
	}
	c[fJumperDistance] = feature{name: "Jumper_x_Distance", deps: []int{SeedActionTypeFrequency, SeedShotDistance}}
	c[fActionPlain] = feature{name: "Action_Plain", binary: true, deps: act}
	return c
}()

var catalogueIndex = func() map[string]int {
	m := make(map[string]int, len(catalogue))
	for i, f := range catalogue {
		m[f.name] = i
	}
	return m
}()

// Original lists the vector features of the original system: its 39 seed
// features, numeric ones standardised.
func Original() []string { return append([]string(nil), nba.FeatureNames()...) }

// Default lists the default vector features, chosen for what makes a shot
// go in and checked by game-grouped cross-validation on the real sample:
// distance and its shape (the make rate drops from 58% under 3 ft to about
// 35% and again beyond the arc), the shot type and angle, the action family
// (dunks 91%, jumpers 36%) and jumpers' fall-off with distance, whether
// the action type is its family's plain name (Action_Plain), the clock
// (end-of-period heaves), and era and season type. No frequency encoding:
// a value that says how often an action, team, game or player appeared in
// training changes meaning with the size of the training set (and
// Game_ID_Frequency is 0 for every unseen game under a split by game).
// Action_Plain replaced Action_Type_Frequency, which mostly said "plain
// jump shot or layup", and did better in grouped CV on the sample (log
// loss 0.6383 against 0.6436). Who shoots, and the action type itself,
// enter through the models' effects instead. The zone
// one-hots are left out as well: distance, shot type and angle already say
// where the shot was.
func Default() []string {
	return []string{
		"Shot_Distance", "Log1p_Distance", "Distance_Under_3ft", "Distance_Hinge_3ft", "Distance_Hinge_10ft",
		"Distance_Hinge_16ft", "Distance_Hinge_23ft", "Distance_Hinge_27ft", "Heave_30ft_Plus",
		"ShotType_3PT_Field_Goal", "Shot_Angle",
		"Action_Family_Dunk", "Action_Family_Layup", "Action_Family_Tip", "Action_Family_Hook",
		"Action_Family_Bank", "Action_Family_Jumper", "Action_Family_Unknown", "Jumper_x_Distance", "Action_Plain",
		"Period", "Seconds_Left_In_Period", "Clock_Under_3s", "Clock_Under_24s",
		"Year", "SeasonType_Playoffs",
	}
}

// DefaultV1 lists the default vector features before identifier effects,
// with Action_Type_Frequency, kept so that older results can be reproduced
// and compared.
func DefaultV1() []string {
	return []string{
		"Shot_Distance", "Log1p_Distance", "Distance_Under_3ft", "Distance_Hinge_3ft", "Distance_Hinge_10ft",
		"Distance_Hinge_16ft", "Distance_Hinge_23ft", "Distance_Hinge_27ft", "Heave_30ft_Plus",
		"ShotType_3PT_Field_Goal", "Shot_Angle",
		"Action_Type_Frequency", "Action_Family_Dunk", "Action_Family_Layup", "Action_Family_Tip", "Action_Family_Hook",
		"Action_Family_Bank", "Action_Family_Jumper", "Action_Family_Unknown", "Jumper_x_Distance",
		"Period", "Seconds_Left_In_Period", "Clock_Under_3s", "Clock_Under_24s",
		"Year", "SeasonType_Playoffs",
	}
}

// All lists every catalogue feature except Game_ID_Frequency, which is 0
// for every game the model has not seen in training and so only skews
// predictions when the split is by game.
func All() []string {
	var out []string
	for i, f := range catalogue {
		if i != SeedGameIDFrequency {
			out = append(out, f.name)
		}
	}
	return out
}

// Catalogue lists every vector feature this version of the code can compute.
func Catalogue() []string {
	out := make([]string, len(catalogue))
	for i, f := range catalogue {
		out[i] = f.name
	}
	return out
}

// NumFeatures is the length of the model's input vector.
func (t *Transform) NumFeatures() int { return len(t.sel) }

// Features returns the names of the vector features in order.
func (t *Transform) Features() []string {
	out := make([]string, len(t.sel))
	for i, k := range t.sel {
		out[i] = catalogue[k].name
	}
	return out
}

// MaxFeatures bounds the length of any vector, so callers can keep one on
// the stack.
const MaxFeatures = numCatalogue

// Vector writes the model's input vector for seed into dst, which must have
// NumFeatures elements, and returns it. Non-binary features are
// standardised with the scaler fitted on the training split. It reads only
// the 39 seed values and the transform, and does not allocate: the action
// family features come from Action_Type_Frequency by reverse lookup, all a
// /predict body offers.
func (t *Transform) Vector(seed *[nba.NumSeedFeatures]float64, dst []float64) []float64 {
	return t.vector(seed, nil, dst)
}

// VectorOf is Vector for a shot whose action type is known by name (a raw
// shot, a training row): the action family features come from the name
// itself, so they do not depend on how many times the type, or another of
// the same training count, appeared in training, and an action type
// training never saw still has its family.
func (t *Transform) VectorOf(seed *[nba.NumSeedFeatures]float64, actionType string, dst []float64) []float64 {
	m := mixOf(actionType)
	return t.vector(seed, &m, dst)
}

// vector computes the vector; fam nil means the frequency lookup.
func (t *Transform) vector(seed *[nba.NumSeedFeatures]float64, fam *actionMix, dst []float64) []float64 {
	dst = dst[:len(t.sel)]
	for i, k := range t.sel {
		var v float64
		if k < nba.NumSeedFeatures {
			v = seed[k]
		} else {
			if fam == nil && (k >= fFamily && k < fFamily+numFamilies || k == fJumperDistance || k == fActionPlain) {
				fam = t.familyOf(seed[SeedActionTypeFrequency])
			}
			v = derived(k, seed, fam)
		}
		dst[i] = (v - t.mean[i]) * t.inv[i]
	}
	return dst
}

// mixOf is the action mix of one named action type.
func mixOf(actionType string) actionMix {
	var m actionMix
	m[familyIndex(nba.ActionFamily(actionType))] = 1
	if plainAction(actionType) {
		m[mixPlain] = 1
	}
	return m
}

// derived computes catalogue feature k > seed features. fam is the action
// family mix when k needs it.
func derived(k int, seed *[nba.NumSeedFeatures]float64, fam *actionMix) float64 {
	d := seed[SeedShotDistance]
	left := seed[SeedMinutesRemaining]*60 + seed[SeedSecondsRemaining]
	switch k {
	case fSecondsLeft:
		return left
	case fClockUnder3s:
		return indicator(left < 3)
	case fClockUnder24s:
		return indicator(left < 24)
	case fOvertime:
		return indicator(seed[SeedPeriod] >= 5)
	case fLog1pDistance:
		return math.Log1p(math.Max(d, 0))
	case fDistanceUnder3:
		return indicator(d < 3)
	case fHinge3:
		return math.Max(d-3, 0)
	case fHinge10:
		return math.Max(d-10, 0)
	case fHinge16:
		return math.Max(d-16, 0)
	case fHinge23:
		return math.Max(d-23, 0)
	case fHinge27:
		return math.Max(d-27, 0)
	case fHeave:
		return indicator(d >= 30)
	case fAbsX:
		return math.Abs(seed[SeedXLocation])
	case fAngle:
		return math.Abs(math.Atan2(seed[SeedXLocation], seed[SeedYLocation])) * 180 / math.Pi
	case fJumperDistance:
		return fam[5] * d
	case fActionPlain:
		return fam[mixPlain]
	}
	if k >= fFamily && k < fFamily+numFamilies {
		return fam[k-fFamily]
	}
	return 0
}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// familyOf returns the action family mix of an Action_Type_Frequency value:
// the families of the training split's action types with exactly that
// frequency, weighted equally (several rare types can share a count). A
// value that matches no action type is "unknown". Frequencies are matched
// in float32, so a value that went through a float32 feature file still
// matches.
func (t *Transform) familyOf(freq float64) *actionMix {
	if i, ok := t.family[float32(freq)]; ok {
		return &t.mixes[i]
	}
	return &unknownMix
}

var unknownMix = actionMix{familyUnknown: 1}
