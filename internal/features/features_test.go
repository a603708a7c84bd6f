package features

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// fit fits a transform on shots, both passes.
func fit(tb testing.TB, shots []nba.Shot) *Transform {
	tb.Helper()
	f := NewFitter()
	for i := range shots {
		f.Add(&shots[i])
	}
	t, err := f.Transform()
	if err != nil {
		tb.Fatal(err)
	}
	sf := t.NewScalerFitter()
	for i := range shots {
		seed := Seed(t, &shots[i])
		sf.Add(&seed)
	}
	if err := t.SetScaler(sf); err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestDayOfWeek(t *testing.T) {
	t.Parallel()
	for d := time.Date(1899, 12, 25, 0, 0, 0, 0, time.UTC); d.Year() < 2101; d = d.AddDate(0, 0, 13) {
		want := (int(d.Weekday()) + 6) % 7 // time.Sunday = 0; pandas Monday = 0
		if got := DayOfWeek(d.Year(), int(d.Month()), d.Day()); got != want {
			t.Fatalf("DayOfWeek(%s) = %d, want %d", d.Format("2006-01-02"), got, want)
		}
	}
}

// TestRowLayout pins what Row.seedArray relies on: the 39 seed fields are
// contiguous float32s in nba.FeatureNames order, each tagged with its name.
func TestRowLayout(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[Row]()
	first, ok := typ.FieldByName("Period")
	if !ok {
		t.Fatal("Row has no Period field")
	}
	for i, name := range nba.FeatureNames() {
		f := typ.Field(first.Index[0] + i)
		if f.Type.Kind() != reflect.Float32 || f.Offset != first.Offset+uintptr(4*i) || f.Tag.Get("parquet") != name {
			t.Errorf("field %d: %s %s at %d tagged %q; want float32 at %d tagged %q",
				i, f.Name, f.Type, f.Offset, f.Tag.Get("parquet"), first.Offset+uintptr(4*i), name)
		}
	}
	var r Row
	s := featuretest.Shots(1, 1)[0]
	seed := [nba.NumSeedFeatures]float64{}
	for i := range seed {
		seed[i] = float64(i) + 0.5
	}
	r.SetSeed(&s, &seed)
	if got := r.Seed(); got != seed || r.DayOfWeek != 38.5 || r.GameID != s.GameID {
		t.Errorf("SetSeed/Seed round trip: got %v, DayOfWeek %v", got, r.DayOfWeek)
	}
}

// TestSeedKnownShot checks every seed value of one hand-made shot.
func TestSeedKnownShot(t *testing.T) {
	t.Parallel()
	a := nba.Shot{GameID: 21100057, GameEventID: 307, PlayerID: 201580, TeamName: "Washington Wizards",
		Period: 3, MinutesRemaining: 9, SecondsRemaining: 31, ActionType: "Jump Shot",
		ShotType: nba.ShotType3PT, ShotZoneBasic: nba.ZoneLeftCorner3, ShotZoneArea: nba.AreaLeft,
		ShotZoneRange: nba.Range24Plus, ShotDistance: 22, XLocation: -225, YLocation: 30,
		GameDate: 20120101, HomeTeam: "WAS", AwayTeam: "BOS", SeasonType: nba.SeasonRegular}
	b := a
	b.GameEventID, b.ActionType, b.HomeTeam, b.AwayTeam, b.TeamName = 400, "Dunk Shot", "BOS", "WAS", "Boston Celtics"
	c := a
	c.GameID, c.GameEventID = 21100058, 307
	tr := fit(t, []nba.Shot{a, b, c, a}) // a twice: frequencies 2/4 and so on
	got := Seed(tr, &a)
	want := [nba.NumSeedFeatures]float64{
		3, 9, 31, 22, -225, 30,
		0.75, 0.75, 0.75, 0.75, // Jump Shot 3/4, Wizards 3/4, home WAS 3/4, away BOS 3/4
		0, 1, // 3PT
		0, 0, 0, 1, 0, 0, 0, // Left Corner 3
		0, 0, 0, 1, 0, 0, // Left Side(L)
		0, 1, 0, 0, 0, // 24+ ft.
		0, 1, // Regular Season
		0.75, 0.75, 0.5, // game 21100057 3/4, event 307 3/4, player 4/4... see below
		2012, 1, 1, 6, // 2012-01-01 was a Sunday
	}
	want[SeedPlayerIDFrequency] = 1
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Seed (-want +got):\n%s", diff)
	}
	unseen := a
	unseen.ActionType, unseen.GameID, unseen.PlayerID, unseen.ShotZoneBasic = "Tip Shot", 1, 2, "Nowhere"
	s := Seed(tr, &unseen)
	if s[SeedActionTypeFrequency] != 0 || s[SeedGameIDFrequency] != 0 || s[SeedPlayerIDFrequency] != 0 {
		t.Errorf("unseen values encode as %v, %v, %v; want 0", s[SeedActionTypeFrequency], s[SeedGameIDFrequency], s[SeedPlayerIDFrequency])
	}
	for i := SeedZoneBasic; i < SeedZoneArea; i++ {
		if s[i] != 0 {
			t.Errorf("unknown zone: one-hot %s = %v, want 0", nba.FeatureName(i), s[i])
		}
	}
}

// TestVector checks scaling and the derived features on the same fit.
func TestVector(t *testing.T) {
	t.Parallel()
	shots := featuretest.Shots(5, 3000)
	tr := fit(t, shots)
	// Standardised columns have mean 0 and std 1 on the training rows.
	n := tr.NumFeatures()
	sum, sumSq := make([]float64, n), make([]float64, n)
	v := make([]float64, n)
	for i := range shots {
		seed := Seed(tr, &shots[i])
		tr.Vector(&seed, v)
		for j, x := range v {
			sum[j] += x
			sumSq[j] += x * x
		}
	}
	names := tr.Features()
	bin := tr.Binary()
	for j := range n {
		mean := sum[j] / float64(len(shots))
		std := math.Sqrt(sumSq[j]/float64(len(shots)) - mean*mean)
		if bin[j] {
			if mean < 0 || mean > 1 {
				t.Errorf("%s: binary feature has mean %v", names[j], mean)
			}
			continue
		}
		if math.Abs(mean) > 1e-9 || (math.Abs(std-1) > 1e-9 && std != 0) {
			t.Errorf("%s: mean %v, std %v after scaling; want 0, 1", names[j], mean, std)
		}
	}

	// Derived values from a hand-set seed, read back through an unscaled
	// view of every feature.
	all, err := tr.Select(All())
	if err != nil {
		t.Fatal(err)
	}
	raw := *all
	n = raw.NumFeatures()
	names = raw.Features()
	v = make([]float64, n)
	raw.inv = make([]float64, n)
	raw.mean = make([]float64, n)
	for j := range raw.inv {
		raw.inv[j] = 1
	}
	var seed [nba.NumSeedFeatures]float64
	seed[SeedMinutesRemaining], seed[SeedSecondsRemaining], seed[SeedShotDistance] = 0, 2, 31
	seed[SeedXLocation], seed[SeedYLocation], seed[SeedPeriod] = -100, 100, 5
	seed[SeedActionTypeFrequency] = tr.tables[tableActionType].str["Jump Shot"] // the most common type: a unique count
	raw.Vector(&seed, v)
	got := map[string]float64{}
	for j, name := range names {
		got[name] = v[j]
	}
	for name, want := range map[string]float64{
		"Seconds_Left_In_Period": 2, "Clock_Under_3s": 1, "Clock_Under_24s": 1, "Overtime": 1,
		"Log1p_Distance": math.Log(32), "Distance_Under_3ft": 0, "Distance_Hinge_3ft": 28,
		"Distance_Hinge_27ft": 4, "Heave_30ft_Plus": 1, "Abs_X_Location": 100, "Shot_Angle": 45,
		"Action_Family_Dunk": 0, "Action_Family_Jumper": 1, "Action_Family_Unknown": 0, "Jumper_x_Distance": 31,
	} {
		if math.Abs(got[name]-want) > 1e-12 {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	seed[SeedActionTypeFrequency] = 0.123456 // matches no action type
	raw.Vector(&seed, v)
	for j, name := range names {
		if name == "Action_Family_Unknown" && v[j] != 1 {
			t.Errorf("unmatched frequency: Action_Family_Unknown = %v, want 1", v[j])
		}
	}
}

// TestFamilyLookup: types with the same training count share a frequency,
// and the family (and Action_Plain) is then split between them; a
// frequency that went through float32 still matches.
func TestFamilyLookup(t *testing.T) {
	t.Parallel()
	base := featuretest.Shots(2, 1)[0]
	var shots []nba.Shot
	for _, a := range []string{"Jump Shot", "Jump Shot", "Jump Shot", "Dunk Shot", "Turnaround Hook Shot", "Driving Layup Shot", "Driving Layup Shot"} {
		s := base
		s.ActionType = a
		shots = append(shots, s)
	}
	tr := fit(t, shots)
	tests := []struct {
		action string
		want   actionMix
	}{
		{"Jump Shot", actionMix{5: 1, mixPlain: 1}},
		{"Driving Layup Shot", actionMix{1: 1}},
		{"Dunk Shot", actionMix{0: 0.5, 3: 0.5, mixPlain: 0.5}}, // Dunk and Hook both 1/7; the dunk is plain
	}
	for _, tt := range tests {
		f := tr.tables[tableActionType].str[tt.action]
		if got := *tr.familyOf(f); got != tt.want {
			t.Errorf("familyOf(%s) = %v, want %v", tt.action, got, tt.want)
		}
		if got := *tr.familyOf(float64(float32(f))); got != tt.want {
			t.Errorf("familyOf(float32 %s) = %v, want %v", tt.action, got, tt.want)
		}
	}
	if got := *tr.familyOf(0); got != unknownMix {
		t.Errorf("familyOf(0) = %v, want unknown", got)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	shots := featuretest.Shots(9, 500)
	tr := fit(t, shots)
	for _, names := range [][]string{Default(), Original(), All()} {
		sel, err := tr.Select(names)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(sel)
		if err != nil {
			t.Fatal(err)
		}
		var back Transform
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		b2, _ := json.Marshal(&back)
		if string(b) != string(b2) {
			t.Errorf("re-encoding differs")
		}
		v1, v2 := make([]float64, sel.NumFeatures()), make([]float64, back.NumFeatures())
		for i := range shots {
			s1, s2 := Seed(sel, &shots[i]), Seed(&back, &shots[i])
			if diff := cmp.Diff(sel.Vector(&s1, v1), back.Vector(&s2, v2)); diff != "" {
				t.Fatalf("row %d: vector differs after JSON round trip:\n%s", i, diff)
			}
		}
		_, hasGame := sel.tables[tableGameID].num[shots[0].GameID]
		if want := len(names) == nba.NumSeedFeatures; hasGame != want {
			t.Errorf("%d features: Game ID table kept = %v, want %v", len(names), hasGame, want)
		}
	}
}

func TestUnmarshalErrors(t *testing.T) {
	t.Parallel()
	tr := fit(t, featuretest.Shots(9, 50))
	good, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		json.Unmarshal(good, &m)
		f(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct{ name, in, want string }{
		{"format", edit(func(m map[string]any) { m["format"] = "x" }), `format is "x"`},
		{"version", edit(func(m map[string]any) { m["format_version"] = 2 }), "format_version is 2"},
		{"seed names", edit(func(m map[string]any) { m["seed_features"] = []string{"Period"} }), "seed_features differ"},
		{"rows", edit(func(m map[string]any) { m["rows"] = 0 }), "rows is 0"},
		{"unknown feature", edit(func(m map[string]any) { m["features"] = []string{"Nope"} }), `unknown vector feature "Nope"`},
		{"duplicate feature", edit(func(m map[string]any) { m["features"] = []string{"Period", "Period"} }), `"Period" listed twice`},
		{"bad std", edit(func(m map[string]any) { m["scaler"].(map[string]any)["Period"] = map[string]any{"mean": 1, "std": 0} }), `"Period": mean 1, std 0`},
		{"no stats", edit(func(m map[string]any) { delete(m["scaler"].(map[string]any), "Year") }), `"Year" has no scaler statistics`},
		{"binary scaled", edit(func(m map[string]any) {
			m["scaler"].(map[string]any)["Overtime"] = map[string]any{"mean": 0, "std": 1}
		}), `"Overtime" is binary`},
		{"frequency range", edit(func(m map[string]any) {
			m["frequencies"].(map[string]any)["Team Name"] = map[string]any{"X": 2}
		}), `"Team Name": value "X" has frequency 2`},
		{"id key", edit(func(m map[string]any) {
			m["frequencies"].(map[string]any)["Player ID"] = map[string]any{"abc": 0.5}
		}), `key "abc" is not an int32`},
		{"missing table", edit(func(m map[string]any) { delete(m["frequencies"].(map[string]any), "Action Type") }), `needs the "Action Type" frequency table`},
		{"unknown column", edit(func(m map[string]any) { m["frequencies"].(map[string]any)["Colour"] = map[string]any{} }), `unknown column "Colour"`},
	}
	for _, tt := range tests {
		var got Transform
		err := json.Unmarshal([]byte(tt.in), &got)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestScalerMerge(t *testing.T) {
	t.Parallel()
	shots := featuretest.Shots(4, 1000)
	one := fit(t, shots)
	f := NewFitter()
	for i := range shots {
		f.Add(&shots[i])
	}
	tr, _ := f.Transform()
	a, b := tr.NewScalerFitter(), tr.NewScalerFitter()
	for i := range shots {
		seed := Seed(tr, &shots[i])
		if i%3 == 0 {
			a.Add(&seed)
		} else {
			b.Add(&seed)
		}
	}
	a.Merge(b)
	if err := tr.SetScaler(a); err != nil {
		t.Fatal(err)
	}
	for name, st := range one.stats {
		got := tr.stats[name]
		if math.Abs(got.Mean-st.Mean) > 1e-9*math.Max(1, math.Abs(st.Mean)) || math.Abs(got.Std-st.Std) > 1e-9*st.Std {
			t.Errorf("%s: merged %+v, single pass %+v", name, got, st)
		}
	}
}

func TestNoAllocations(t *testing.T) {
	shots := featuretest.Shots(4, 200)
	tr := fit(t, shots)
	v := make([]float64, tr.NumFeatures())
	allocs := testing.AllocsPerRun(100, func() {
		for i := range shots {
			seed := Seed(tr, &shots[i])
			tr.Vector(&seed, v)
		}
	})
	if allocs != 0 {
		t.Errorf("Seed+Vector allocate %v times per run, want 0", allocs)
	}
}

// BenchmarkFeaturize measures the shared feature path, raw shot → Seed →
// Vector, per shot.
func BenchmarkFeaturize(b *testing.B) {
	shots := featuretest.Shots(4, 10000)
	tr := fit(b, shots)
	v := make([]float64, tr.NumFeatures())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		seed := Seed(tr, &shots[i%len(shots)])
		tr.Vector(&seed, v)
		i++
	}
}

// TestSeedIndexes ties the Seed* index constants to the one list of names in
// package nba: each constant must point at the feature it is named after.
func TestSeedIndexes(t *testing.T) {
	t.Parallel()
	for i, want := range map[int]string{
		SeedPeriod: "Period", SeedMinutesRemaining: "Minutes_Remaining", SeedSecondsRemaining: "Seconds_Remaining",
		SeedShotDistance: "Shot_Distance", SeedXLocation: "X_Location", SeedYLocation: "Y_Location",
		SeedActionTypeFrequency: "Action_Type_Frequency", SeedTeamNameFrequency: "Team_Name_Frequency",
		SeedHomeTeamFrequency: "Home_Team_Frequency", SeedAwayTeamFrequency: "Away_Team_Frequency",
		SeedShotType: "ShotType_2PT_Field_Goal", SeedZoneBasic: "ShotZoneBasic_Above_the_Break_3",
		SeedZoneArea: "ShotZoneArea_Back_Court_BC", SeedZoneRange: "ShotZoneRange_16_24_ft",
		SeedSeasonType: "SeasonType_Playoffs", SeedGameIDFrequency: "Game_ID_Frequency",
		SeedGameEventIDFrequency: "Game_Event_ID_Frequency", SeedPlayerIDFrequency: "Player_ID_Frequency",
		SeedYear: "Year", SeedMonth: "Month", SeedDay: "Day", SeedDayOfWeek: "Day_of_Week",
	} {
		if got := nba.FeatureName(i); got != want {
			t.Errorf("nba.FeatureName(%d) = %q, want %q", i, got, want)
		}
	}
	if SeedDayOfWeek != nba.NumSeedFeatures-1 {
		t.Errorf("SeedDayOfWeek = %d, want the last of %d", SeedDayOfWeek, nba.NumSeedFeatures)
	}
}
