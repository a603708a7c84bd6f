package synth

import (
	"errors"
	"io"
	"math"
	"os"
	"sort"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/sampledata"
)

// TestLearnable fits a logistic regression on features like the project's
// (clock, distance, x/y, zone one-hots, action-type frequency, date) and
// checks that held-out ROC AUC lands where real data puts it (~0.62-0.68):
// the label must carry signal, but no more than real shots do. With the real
// sample at hand it logs that AUC too, for comparison.
func TestLearnable(t *testing.T) {
	if testing.Short() {
		t.Skip("fits a model on 60,000 rows: skipped with -short")
	}
	var shots []nba.Shot
	generate(t, Config{Rows: 60_000, Seed: 99}, func(s *nba.Shot, _ *dataset.Report) { shots = append(shots, *s) })
	// Split by game, as process does, so no game straddles the split.
	var train, test []nba.Shot
	for _, s := range shots {
		if hash(uint64(s.GameID))%5 == 0 {
			test = append(test, s)
		} else {
			train = append(train, s)
		}
	}
	auc := fitAUC(train, test)
	t.Logf("synthetic: logistic regression ROC AUC %.3f on %d held-out shots", auc, len(test))
	if auc < 0.60 || auc > 0.72 {
		t.Errorf("ROC AUC %.3f, want 0.60-0.72 like real data", auc)
	}
	t.Run("real sample", func(t *testing.T) {
		path := sampledata.Path(t)
		real := readShots(t, path)
		var scores, labels []float64
		for k := range 5 { // 5-fold cross-validation: the sample is small
			var tr, te []nba.Shot
			for i, s := range real {
				if i%5 == k {
					te = append(te, s)
				} else {
					tr = append(tr, s)
				}
			}
			m := fitModel(tr)
			for i := range te {
				scores = append(scores, m.predict(&te[i]))
				labels = append(labels, float64(te[i].ShotMadeFlag))
			}
		}
		t.Logf("real sample: same model, 5-fold ROC AUC %.3f on %d shots", rocAUC(scores, labels), len(real))
	})
}

func readShots(tb testing.TB, path string) []nba.Shot {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rd, err := dataset.NewReader(f, path)
	if err != nil {
		tb.Fatal(err)
	}
	var (
		out []nba.Shot
		rep dataset.Report
	)
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		var s nba.Shot
		if !dataset.Check(rec.Fields, &s, &rep) {
			tb.Fatalf("%s:%d: %s", path, rec.Line, rep.Detail())
		}
		out = append(out, s)
	}
}

// model is a logistic regression on standardised features.
type model struct {
	actionFreq map[string]float64
	mean, sd   []float64
	beta       []float64
}

// raw returns the features of a shot before scaling.
func (m *model) raw(s *nba.Shot) []float64 {
	f := []float64{
		float64(s.Period), float64(s.MinutesRemaining), float64(s.SecondsRemaining), float64(s.ShotDistance),
		float64(s.XLocation), float64(s.YLocation), m.actionFreq[s.ActionType],
		float64(s.GameDate / 10000), float64(s.GameDate / 100 % 100),
	}
	onehot := func(v string, cats []string) {
		for _, c := range cats {
			if v == c {
				f = append(f, 1)
			} else {
				f = append(f, 0)
			}
		}
	}
	onehot(s.ShotType, nba.ShotTypes())
	onehot(s.ShotZoneBasic, nba.ZoneBasics())
	onehot(s.ShotZoneArea, nba.ZoneAreas())
	onehot(s.ShotZoneRange, nba.ZoneRanges())
	onehot(s.SeasonType, nba.SeasonTypes())
	return f
}

func (m *model) features(s *nba.Shot) []float64 {
	f := m.raw(s)
	x := make([]float64, len(f)+1)
	x[0] = 1
	for i, v := range f {
		x[i+1] = (v - m.mean[i]) / m.sd[i]
	}
	return x
}

func (m *model) predict(s *nba.Shot) float64 {
	x := m.features(s)
	z := 0.0
	for i, v := range x {
		z += m.beta[i] * v
	}
	return sigmoid(z)
}

// fitModel fits by iteratively reweighted least squares with a small ridge
// penalty (the one-hot groups are collinear).
func fitModel(train []nba.Shot) *model {
	m := &model{actionFreq: map[string]float64{}}
	for _, s := range train {
		m.actionFreq[s.ActionType] += 1 / float64(len(train))
	}
	k := len(m.raw(&train[0]))
	m.mean, m.sd = make([]float64, k), make([]float64, k)
	for _, s := range train {
		for i, v := range m.raw(&s) {
			m.mean[i] += v / float64(len(train))
		}
	}
	for _, s := range train {
		for i, v := range m.raw(&s) {
			m.sd[i] += (v - m.mean[i]) * (v - m.mean[i]) / float64(len(train))
		}
	}
	for i := range m.sd {
		m.sd[i] = math.Sqrt(m.sd[i])
		if m.sd[i] == 0 {
			m.sd[i] = 1
		}
	}
	xs := make([][]float64, len(train))
	for i := range train {
		xs[i] = m.features(&train[i])
	}
	p := k + 1
	m.beta = make([]float64, p)
	const ridge = 1.0
	for range 12 {
		h := make([]float64, p*p)
		g := make([]float64, p)
		for i, x := range xs {
			z := 0.0
			for j, v := range x {
				z += m.beta[j] * v
			}
			mu := sigmoid(z)
			w := mu * (1 - mu)
			r := float64(train[i].ShotMadeFlag) - mu
			for a, va := range x {
				g[a] += r * va
				for b := a; b < p; b++ {
					h[a*p+b] += w * va * x[b]
				}
			}
		}
		for a := range p {
			for b := 0; b < a; b++ {
				h[a*p+b] = h[b*p+a]
			}
			h[a*p+a] += ridge
			g[a] -= ridge * m.beta[a]
		}
		step := solve(h, g, p)
		for j := range m.beta {
			m.beta[j] += step[j]
		}
	}
	return m
}

// solve solves the symmetric positive-definite system h·x = g (Cholesky).
func solve(h, g []float64, n int) []float64 {
	l := make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			s := h[i*n+j]
			for k := 0; k < j; k++ {
				s -= l[i*n+k] * l[j*n+k]
			}
			if i == j {
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	y := make([]float64, n)
	for i := range n {
		s := g[i]
		for k := 0; k < i; k++ {
			s -= l[i*n+k] * y[k]
		}
		y[i] = s / l[i*n+i]
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * x[k]
		}
		x[i] = s / l[i*n+i]
	}
	return x
}

func fitAUC(train, test []nba.Shot) float64 {
	m := fitModel(train)
	scores := make([]float64, len(test))
	labels := make([]float64, len(test))
	for i := range test {
		scores[i] = m.predict(&test[i])
		labels[i] = float64(test[i].ShotMadeFlag)
	}
	return rocAUC(scores, labels)
}

// rocAUC is the Mann-Whitney statistic: the chance that a random made shot
// scores above a random miss, ties counting half.
func rocAUC(scores, labels []float64) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSum, pos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks are 1-based
		for k := i; k < j; k++ {
			if labels[idx[k]] == 1 {
				rankSum += avg
				pos++
			}
		}
		i = j
	}
	neg := float64(len(scores)) - pos
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
