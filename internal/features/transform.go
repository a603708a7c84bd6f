package features

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Frequency tables: the columns the original system frequency-encodes.
const (
	tableActionType = iota
	tableTeamName
	tableHomeTeam
	tableAwayTeam
	tableGameID
	tableGameEventID
	tablePlayerID
	numTables
)

var (
	tableColumns = [numTables]string{
		nba.ColumnName(nba.ColActionType), nba.ColumnName(nba.ColTeamName), nba.ColumnName(nba.ColHomeTeam),
		nba.ColumnName(nba.ColAwayTeam), nba.ColumnName(nba.ColGameID), nba.ColumnName(nba.ColGameEventID),
		nba.ColumnName(nba.ColPlayerID),
	}
	tableSeed = [numTables]int{
		SeedActionTypeFrequency, SeedTeamNameFrequency, SeedHomeTeamFrequency, SeedAwayTeamFrequency,
		SeedGameIDFrequency, SeedGameEventIDFrequency, SeedPlayerIDFrequency,
	}
)

// freqTable maps a column's values to their share of the training rows.
// Text columns use str, id columns num; a nil map encodes every value as 0.
type freqTable struct {
	str map[string]float64
	num map[int32]float64
}

// Stat is the standard scaler of one feature: population mean and standard
// deviation on the training split, as scikit-learn's StandardScaler.
type Stat struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// Transform is the fitted feature transform: frequency encodings, the
// standard scaler and the chosen vector features. It is immutable once
// fitted and safe for concurrent use.
type Transform struct {
	rows   int64
	tables [numTables]freqTable
	// family is the reverse lookup of Action_Type_Frequency: float32
	// frequency → index into mixes.
	family map[float32]int
	mixes  []actionMix
	stats  map[string]Stat // scaler of every non-binary catalogue feature fitted
	sel    []int           // chosen catalogue features, in vector order
	mean   []float64       // per vector position: 0 for binary features
	inv    []float64       // per vector position: 1/std, 1 for binary features
}

// Rows is the number of training rows the transform was fitted on.
func (t *Transform) Rows() int64 { return t.rows }

// Fitter fits the frequency encodings in one streaming pass over the
// training split. Use one per goroutine and Merge them.
type Fitter struct {
	rows int64
	str  [4]map[string]int64
	num  [3]map[int32]int64
}

// NewFitter returns an empty Fitter.
func NewFitter() *Fitter {
	f := &Fitter{}
	for i := range f.str {
		f.str[i] = make(map[string]int64)
	}
	for i := range f.num {
		f.num[i] = make(map[int32]int64)
	}
	return f
}

// Add counts one training shot.
func (f *Fitter) Add(s *nba.Shot) {
	f.rows++
	f.str[tableActionType][s.ActionType]++
	f.str[tableTeamName][s.TeamName]++
	f.str[tableHomeTeam][s.HomeTeam]++
	f.str[tableAwayTeam][s.AwayTeam]++
	f.num[tableGameID-4][s.GameID]++
	f.num[tableGameEventID-4][s.GameEventID]++
	f.num[tablePlayerID-4][s.PlayerID]++
}

// Merge adds the counts of o to f.
func (f *Fitter) Merge(o *Fitter) {
	f.rows += o.rows
	for i := range f.str {
		for k, v := range o.str[i] {
			f.str[i][k] += v
		}
	}
	for i := range f.num {
		for k, v := range o.num[i] {
			f.num[i][k] += v
		}
	}
}

// Rows returns the number of shots counted.
func (f *Fitter) Rows() int64 { return f.rows }

// Transform returns the transform with its frequency encodings fitted. Its
// scaler is not fitted yet: feed the seeds of the training split to a
// ScalerFitter and call SetScaler before using Vector. It fails when no row
// was counted.
func (f *Fitter) Transform() (*Transform, error) {
	if f.rows == 0 {
		return nil, errors.New("fit transform: no training rows")
	}
	t := &Transform{rows: f.rows}
	n := float64(f.rows)
	for i, m := range f.str {
		t.tables[i].str = make(map[string]float64, len(m))
		for k, c := range m {
			t.tables[i].str[k] = float64(c) / n
		}
	}
	for i, m := range f.num {
		t.tables[4+i].num = make(map[int32]float64, len(m))
		for k, c := range m {
			t.tables[4+i].num[k] = float64(c) / n
		}
	}
	t.buildFamilies()
	if err := t.choose(Default()); err != nil {
		return nil, err
	}
	return t, nil
}

// buildFamilies derives the reverse lookup Action_Type_Frequency → family
// mix from the action type table.
func (t *Transform) buildFamilies() {
	byFreq := map[float32][]string{}
	for a, fr := range t.tables[tableActionType].str {
		k := float32(fr)
		byFreq[k] = append(byFreq[k], a)
	}
	keys := make([]float32, 0, len(byFreq))
	for k := range byFreq {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic mix indexes
	t.family = make(map[float32]int, len(keys))
	t.mixes = make([]actionMix, len(keys))
	for i, k := range keys {
		acts := byFreq[k]
		for _, a := range acts {
			t.mixes[i][familyIndex(nba.ActionFamily(a))] += 1 / float64(len(acts))
			if plainAction(a) {
				t.mixes[i][mixPlain] += 1 / float64(len(acts))
			}
		}
		t.family[k] = i
	}
}

func familyIndex(f string) int {
	for i, name := range families {
		if name == f {
			return i
		}
	}
	return familyUnknown
}

// families is nba.Families, copied once: familyIndex runs for every scored
// raw shot and must not allocate.
var families = nba.Families()

// ScalerFitter accumulates the scaler statistics of every non-binary
// catalogue feature over the seeds of the training split.
type ScalerFitter struct {
	t     *Transform
	n     float64
	shift [numCatalogue]float64 // first value seen: sums are shifted for accuracy
	sum   [numCatalogue]float64
	sumSq [numCatalogue]float64
	all   *Transform // t with every catalogue feature chosen and no scaling
}

// NewScalerFitter returns a ScalerFitter for t's frequency encodings.
func (t *Transform) NewScalerFitter() *ScalerFitter {
	all := *t
	all.stats = nil
	all.sel = make([]int, numCatalogue)
	all.mean = make([]float64, numCatalogue)
	all.inv = make([]float64, numCatalogue)
	for i := range all.sel {
		all.sel[i], all.inv[i] = i, 1
	}
	return &ScalerFitter{t: t, all: &all}
}

// Add accumulates one training seed.
func (sf *ScalerFitter) Add(seed *[nba.NumSeedFeatures]float64) {
	var v [numCatalogue]float64
	sf.all.Vector(seed, v[:])
	if sf.n == 0 {
		sf.shift = v
	}
	sf.n++
	for i := range v {
		d := v[i] - sf.shift[i]
		sf.sum[i] += d
		sf.sumSq[i] += d * d
	}
}

// Merge adds the statistics of o, which must come from the same transform.
func (sf *ScalerFitter) Merge(o *ScalerFitter) {
	if o.n == 0 {
		return
	}
	if sf.n == 0 {
		*sf = *o
		return
	}
	for i := range sf.sum {
		// Re-centre o's sums on sf's shift: Σ(x-a) = Σ(x-b) + n(b-a).
		delta := o.shift[i] - sf.shift[i]
		sf.sumSq[i] += o.sumSq[i] + 2*delta*o.sum[i] + o.n*delta*delta
		sf.sum[i] += o.sum[i] + o.n*delta
	}
	sf.n += o.n
}

// SetScaler installs the scaler fitted by sf. A feature that is constant on
// the training split gets a standard deviation of 1, as scikit-learn does.
func (t *Transform) SetScaler(sf *ScalerFitter) error {
	if sf.n == 0 {
		return errors.New("fit scaler: no training rows")
	}
	stats := make(map[string]Stat)
	for i, f := range catalogue {
		if f.binary {
			continue
		}
		mean := sf.sum[i] / sf.n
		variance := math.Max(sf.sumSq[i]/sf.n-mean*mean, 0)
		std := math.Sqrt(variance)
		if std < 1e-12*math.Max(1, math.Abs(mean+sf.shift[i])) {
			std = 1
		}
		stats[f.name] = Stat{Mean: mean + sf.shift[i], Std: std}
	}
	t.stats = stats
	return t.choose(t.Features())
}

// Select returns a copy of t whose vector holds the named features, in
// order. Frequency tables that no chosen feature reads are dropped (their
// seed values become 0), which keeps model files small: the Game ID table
// alone has one entry per training game.
func (t *Transform) Select(names []string) (*Transform, error) {
	c := *t
	if err := c.choose(names); err != nil {
		return nil, err
	}
	need := map[int]bool{}
	for _, k := range c.sel {
		for _, d := range catalogue[k].deps {
			need[d] = true
		}
	}
	for i := range c.tables {
		if !need[tableSeed[i]] {
			c.tables[i] = freqTable{}
		}
	}
	if !need[SeedActionTypeFrequency] {
		c.family, c.mixes = nil, nil
	}
	return &c, nil
}

// choose sets the vector features. Before the scaler is fitted (stats nil)
// every feature is left unscaled.
func (t *Transform) choose(names []string) error {
	if len(names) == 0 {
		return errors.New("no vector features")
	}
	sel := make([]int, len(names))
	mean := make([]float64, len(names))
	inv := make([]float64, len(names))
	seen := map[string]bool{}
	for i, name := range names {
		k, ok := catalogueIndex[name]
		if !ok {
			return fmt.Errorf("unknown vector feature %q (this version knows %d: see features.Catalogue)", name, len(catalogue))
		}
		if seen[name] {
			return fmt.Errorf("vector feature %q listed twice", name)
		}
		seen[name] = true
		sel[i], inv[i] = k, 1
		if catalogue[k].binary || t.stats == nil {
			continue
		}
		st, ok := t.stats[name]
		if !ok {
			return fmt.Errorf("vector feature %q has no scaler statistics", name)
		}
		mean[i], inv[i] = st.Mean, 1/st.Std
	}
	t.sel, t.mean, t.inv = sel, mean, inv
	return nil
}

// Scale returns the standard scaler of vector position i: the feature's
// value v enters the model as (v − mean)/std. Binary features have mean 0
// and std 1.
func (t *Transform) Scale(i int) (mean, std float64) { return t.mean[i], 1 / t.inv[i] }

// Binary reports, per vector position, whether the feature is a 0/1
// indicator (or a share in [0,1]) left unscaled.
func (t *Transform) Binary() []bool {
	out := make([]bool, len(t.sel))
	for i, k := range t.sel {
		out[i] = catalogue[k].binary
	}
	return out
}

// Format identifies transform JSON documents.
const (
	Format        = "nba-mlops/transform"
	FormatVersion = 1
)

type transformJSON struct {
	Format        string                        `json:"format"`
	FormatVersion int                           `json:"format_version"`
	Rows          int64                         `json:"rows"`
	SeedFeatures  []string                      `json:"seed_features"`
	Features      []string                      `json:"features"`
	Scaler        map[string]Stat               `json:"scaler"`
	Frequencies   map[string]map[string]float64 `json:"frequencies"`
}

// MarshalJSON encodes the transform. Map keys come out sorted, so the same
// fit gives the same bytes.
func (t *Transform) MarshalJSON() ([]byte, error) {
	if t.stats == nil {
		return nil, errors.New("transform: scaler not fitted")
	}
	w := transformJSON{
		Format: Format, FormatVersion: FormatVersion, Rows: t.rows,
		SeedFeatures: nba.FeatureNames(), Features: t.Features(),
		Scaler: t.stats, Frequencies: map[string]map[string]float64{},
	}
	for i, tb := range t.tables {
		switch {
		case tb.str != nil:
			w.Frequencies[tableColumns[i]] = tb.str
		case tb.num != nil:
			m := make(map[string]float64, len(tb.num))
			for k, v := range tb.num {
				m[strconv.FormatInt(int64(k), 10)] = v
			}
			w.Frequencies[tableColumns[i]] = m
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes and validates a transform: format and version, the
// seed feature names, known vector features, finite scaler statistics with
// a positive standard deviation, and frequencies in [0, 1].
func (t *Transform) UnmarshalJSON(b []byte) error {
	var w transformJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Format != Format {
		return fmt.Errorf("format is %q, want %q", w.Format, Format)
	}
	if w.FormatVersion != FormatVersion {
		return fmt.Errorf("format_version is %d, this build reads %d", w.FormatVersion, FormatVersion)
	}
	if !slices.Equal(w.SeedFeatures, nba.FeatureNames()) {
		return errors.New("seed_features differ from the 39 features of the /predict body")
	}
	if w.Rows <= 0 {
		return fmt.Errorf("rows is %d, want > 0", w.Rows)
	}
	var nt Transform
	nt.rows = w.Rows
	for name, st := range w.Scaler {
		k, ok := catalogueIndex[name]
		if !ok {
			return fmt.Errorf("scaler: unknown feature %q", name)
		}
		if catalogue[k].binary {
			return fmt.Errorf("scaler: feature %q is binary and is never scaled", name)
		}
		if !finite(st.Mean) || !finite(st.Std) || st.Std <= 0 {
			return fmt.Errorf("scaler: feature %q: mean %v, std %v: want finite values and std > 0", name, st.Mean, st.Std)
		}
	}
	nt.stats = w.Scaler
	if nt.stats == nil {
		nt.stats = map[string]Stat{}
	}
	tableOf := map[string]int{}
	for i, c := range tableColumns {
		tableOf[c] = i
	}
	for col, m := range w.Frequencies {
		i, ok := tableOf[col]
		if !ok {
			return fmt.Errorf("frequencies: unknown column %q", col)
		}
		for k, v := range m {
			if !finite(v) || v < 0 || v > 1 {
				return fmt.Errorf("frequencies: %q: value %q has frequency %v, want 0..1", col, k, v)
			}
		}
		if i < tableGameID {
			nt.tables[i].str = m
			continue
		}
		nm := make(map[int32]float64, len(m))
		for k, v := range m {
			id, err := strconv.ParseInt(k, 10, 32)
			if err != nil {
				return fmt.Errorf("frequencies: %q: key %q is not an int32", col, k)
			}
			nm[int32(id)] = v
		}
		nt.tables[i].num = nm
	}
	nt.buildFamilies()
	if err := nt.choose(w.Features); err != nil {
		return fmt.Errorf("features: %w", err)
	}
	for _, k := range nt.sel {
		for _, d := range catalogue[k].deps {
			for ti, s := range tableSeed {
				if s == d && nt.tables[ti].str == nil && nt.tables[ti].num == nil {
					return fmt.Errorf("features: %q needs the %q frequency table, which is missing", catalogue[k].name, tableColumns[ti])
				}
			}
		}
	}
	*t = nt
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Vocabulary returns the values of a frequency-encoded column sorted by
// decreasing frequency (ties by value), for reports and the web UI.
// column is a Kaggle column name such as "Action Type".
func (t *Transform) Vocabulary(column string) []string {
	for i, c := range tableColumns {
		if c != column {
			continue
		}
		type kv struct {
			k string
			v float64
		}
		var all []kv
		for k, v := range t.tables[i].str {
			all = append(all, kv{k, v})
		}
		for k, v := range t.tables[i].num {
			all = append(all, kv{strconv.FormatInt(int64(k), 10), v})
		}
		sort.Slice(all, func(a, b int) bool {
			if all[a].v != all[b].v {
				return all[a].v > all[b].v
			}
			return all[a].k < all[b].k
		})
		out := make([]string, len(all))
		for j, e := range all {
			out[j] = e.k
		}
		return out
	}
	return nil
}
