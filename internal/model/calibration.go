package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Calibration methods.
const (
	// CalibrationNone leaves the model's probability as it is. A model file
	// written before calibration existed carries it.
	CalibrationNone = "none"
	// CalibrationPlatt is Platt scaling: p' = σ(A·logit(p) + B).
	CalibrationPlatt = "platt"
	// CalibrationIsotonic is isotonic regression: p' is the piecewise
	// linear, non-decreasing map through the knots (X[k], Y[k]).
	CalibrationIsotonic = "isotonic"
)

// CalibrationMethods returns the methods a model can carry.
func CalibrationMethods() []string {
	return []string{CalibrationNone, CalibrationPlatt, CalibrationIsotonic}
}

// isotonicClip keeps isotonic probabilities off 0 and 1: a bin in which
// every shot of the calibration rows was made (or missed) says "rarely",
// not "never", and one wrong certainty would cost a log loss of 35.
const isotonicClip = 1e-3

// Calibration maps the model's raw probability to a calibrated one. It is
// fitted on out-of-fold predictions of the training rows, so it corrects
// the model's bias on shots it did not see, not on those it fitted. The
// zero value is the identity.
type Calibration struct {
	Method string    `json:"method"`
	A      float64   `json:"a,omitempty"` // Platt slope on the logit
	B      float64   `json:"b,omitempty"` // Platt intercept
	X      []float64 `json:"x,omitempty"` // isotonic knots: raw probabilities, increasing
	Y      []float64 `json:"y,omitempty"` // isotonic knots: calibrated probabilities, non-decreasing
}

// validate checks a calibration read from a file.
func (c *Calibration) validate() error {
	switch c.Method {
	case "", CalibrationNone:
		return nil
	case CalibrationPlatt:
		if !finite(c.A) || !finite(c.B) || c.A <= 0 {
			return fmt.Errorf("calibration: platt a=%v b=%v: want finite values and a > 0 (a probability map that keeps the order)", c.A, c.B)
		}
		return nil
	case CalibrationIsotonic:
		if len(c.X) == 0 || len(c.X) != len(c.Y) {
			return fmt.Errorf("calibration: isotonic has %d x and %d y knots, want the same number > 0", len(c.X), len(c.Y))
		}
		for k := range c.X {
			if !finite(c.X[k]) || !(c.Y[k] >= 0 && c.Y[k] <= 1) {
				return fmt.Errorf("calibration: isotonic knot %d (%v, %v) is not a probability pair", k, c.X[k], c.Y[k])
			}
			if k > 0 && (c.X[k] <= c.X[k-1] || c.Y[k] < c.Y[k-1]) {
				return fmt.Errorf("calibration: isotonic knot %d: x must increase and y must not decrease", k)
			}
		}
		return nil
	}
	return fmt.Errorf("calibration: method %q is not one of %v", c.Method, CalibrationMethods())
}

// apply calibrates a raw probability p whose logit is z (z may be NaN when
// p was not computed from a logit).
func (c *Calibration) apply(p, z float64) float64 {
	switch c.Method {
	case CalibrationPlatt:
		if math.IsNaN(z) {
			z = logit(p)
		}
		return sigmoid(c.A*z + c.B)
	case CalibrationIsotonic:
		return c.isotonic(p)
	}
	return p
}

// isotonic interpolates linearly between the knots, flat beyond the ends.
func (c *Calibration) isotonic(p float64) float64 {
	x, y := c.X, c.Y
	if p != p {
		return p
	}
	if p <= x[0] {
		return y[0]
	}
	n := len(x)
	if p >= x[n-1] {
		return y[n-1]
	}
	// Binary search without a closure: this runs on every prediction.
	lo, hi := 0, n-1 // x[lo] < p < x[hi]
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if x[mid] <= p {
			lo = mid
		} else {
			hi = mid
		}
	}
	t := (p - x[lo]) / (x[hi] - x[lo])
	return y[lo] + t*(y[hi]-y[lo])
}

// Apply calibrates the probabilities p in place.
func (c *Calibration) Apply(p []float64) {
	for i, v := range p {
		p[i] = c.apply(v, math.NaN())
	}
}

// String names the calibration for logs.
func (c Calibration) String() string {
	switch c.Method {
	case CalibrationPlatt:
		return fmt.Sprintf("platt(a=%.4g, b=%.4g)", c.A, c.B)
	case CalibrationIsotonic:
		return fmt.Sprintf("isotonic(%d knots)", len(c.X))
	}
	return CalibrationNone
}

func logit(p float64) float64 {
	p = math.Min(math.Max(p, clipEps), 1-clipEps)
	return math.Log(p / (1 - p))
}

// FitCalibration fits a calibration of the given method to probabilities p
// and labels y.
func FitCalibration(method string, p []float64, y []int8) (Calibration, error) {
	if len(p) == 0 || len(p) != len(y) {
		return Calibration{}, fmt.Errorf("fit calibration: %d probabilities, %d labels", len(p), len(y))
	}
	switch method {
	case CalibrationNone:
		return Calibration{Method: CalibrationNone}, nil
	case CalibrationPlatt:
		return fitPlatt(p, y)
	case CalibrationIsotonic:
		return fitIsotonic(p, y), nil
	}
	return Calibration{}, fmt.Errorf("fit calibration: method %q is not one of %v", method, CalibrationMethods())
}

// fitPlatt fits p' = σ(A·logit(p) + B) by maximum likelihood with Newton's
// method, from the identity (A=1, B=0). A tiny ridge toward the identity
// keeps it defined when the rows are separable.
func fitPlatt(p []float64, y []int8) (Calibration, error) {
	const ridge = 1e-6
	u := make([]float64, len(p))
	for i, v := range p {
		u[i] = logit(v)
	}
	a, b := 1.0, 0.0
	n := float64(len(p))
	for range 50 {
		var ga, gb, haa, hab, hbb float64
		for i, ui := range u {
			q := sigmoid(a*ui + b)
			r := q - float64(y[i])
			s := q * (1 - q)
			ga += r * ui
			gb += r
			haa += s * ui * ui
			hab += s * ui
			hbb += s
		}
		ga, gb = ga/n+ridge*(a-1), gb/n+ridge*b
		haa, hab, hbb = haa/n+ridge, hab/n, hbb/n+ridge
		det := haa*hbb - hab*hab
		if !(det > 0) {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		a, b = a-da, b-db
		if math.Abs(da) < 1e-10 && math.Abs(db) < 1e-10 {
			break
		}
	}
	c := Calibration{Method: CalibrationPlatt, A: a, B: b}
	if err := c.validate(); err != nil {
		// A slope ≤ 0 means the scores carry no usable order on these
		// rows: a calibration cannot fix that, so it is refused.
		return Calibration{}, fmt.Errorf("fit calibration: %w", err)
	}
	return c, nil
}

// fitIsotonic fits isotonic regression by pool-adjacent-violators on the
// rows sorted by p (tied probabilities pooled first), and keeps one knot
// per pooled block: its mean probability and its observed rate, clipped to
// [isotonicClip, 1-isotonicClip].
func fitIsotonic(p []float64, y []int8) Calibration {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	type block struct{ sumP, sumY, n float64 }
	var st []block
	for k := 0; k < len(idx); {
		j := k
		var b block
		for j < len(idx) && p[idx[j]] == p[idx[k]] {
			b.sumP += p[idx[j]]
			b.sumY += float64(y[idx[j]])
			b.n++
			j++
		}
		k = j
		st = append(st, b)
		for len(st) > 1 {
			l, r := st[len(st)-2], st[len(st)-1]
			if l.sumY/l.n < r.sumY/r.n {
				break
			}
			st = st[:len(st)-2]
			st = append(st, block{l.sumP + r.sumP, l.sumY + r.sumY, l.n + r.n})
		}
	}
	c := Calibration{Method: CalibrationIsotonic}
	for _, b := range st {
		x := b.sumP / b.n
		v := math.Min(math.Max(b.sumY/b.n, isotonicClip), 1-isotonicClip)
		if n := len(c.X); n > 0 && x <= c.X[n-1] {
			continue // rounding made two block means equal: keep the first
		}
		c.X = append(c.X, x)
		c.Y = append(c.Y, v)
	}
	return c
}

// CalibrationTrial is one method's score in the cross-validated choice.
type CalibrationTrial struct {
	Method  string  `json:"method"`
	LogLoss float64 `json:"cv_log_loss"`
	Brier   float64 `json:"cv_brier"`
	ECE     float64 `json:"cv_calibration_error"`
}

// CalibrationChoice is the outcome of ChooseCalibration.
type CalibrationChoice struct {
	Calibration Calibration        `json:"calibration"`
	Trials      []CalibrationTrial `json:"trials"`
	// Calibrated are the held-out predictions calibrated by the chosen
	// method, each by a calibration fitted without its fold.
	Calibrated []float64 `json:"-"`
}

// ChooseCalibration chooses among methods by cross-validation over the
// given folds of out-of-fold predictions p: for each fold, each method is
// fitted on the other folds' rows and applied to the fold's rows, and the
// method with the lowest pooled log loss wins (ties go to the earlier
// method, so list the simplest first). The winner is then fitted on all
// rows. fold[i] in 0..folds-1 is the fold of row i; folds are the games of
// the search, so a game's shots are never both fitted and scored.
func ChooseCalibration(p []float64, y []int8, fold []int, folds int, methods []string) (*CalibrationChoice, error) {
	if len(p) != len(y) || len(p) != len(fold) {
		return nil, fmt.Errorf("choose calibration: %d probabilities, %d labels, %d folds", len(p), len(y), len(fold))
	}
	if len(methods) == 0 {
		return nil, errors.New("choose calibration: no method to choose from")
	}
	out := &CalibrationChoice{}
	best := -1
	var bestP []float64
	for _, method := range methods {
		held := make([]float64, len(p))
		ok := true
		for f := range folds {
			var fp []float64
			var fy []int8
			for i := range p {
				if fold[i] != f {
					fp, fy = append(fp, p[i]), append(fy, y[i])
				}
			}
			if len(fp) == len(p) {
				continue // an empty fold
			}
			c, err := FitCalibration(method, fp, fy)
			if err != nil {
				ok = false // e.g. Platt with no usable order: not a candidate
				break
			}
			for i := range p {
				if fold[i] == f {
					held[i] = c.apply(p[i], math.NaN())
				}
			}
		}
		if !ok {
			continue
		}
		m := Evaluate(held, y, 0.5)
		out.Trials = append(out.Trials, CalibrationTrial{Method: method, LogLoss: m.LogLoss, Brier: m.Brier, ECE: m.CalibrationError})
		if best < 0 || m.LogLoss < out.Trials[best].LogLoss {
			best, bestP = len(out.Trials)-1, held
		}
	}
	if best < 0 {
		return nil, errors.New("choose calibration: no method could be fitted")
	}
	c, err := FitCalibration(out.Trials[best].Method, p, y)
	if err != nil {
		return nil, err
	}
	out.Calibration, out.Calibrated = c, slices.Clone(bestP)
	return out, nil
}
