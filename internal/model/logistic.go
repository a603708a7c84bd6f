package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/nba-mlops/nba-mlops/internal/parallel"
)

// LogisticOptions configure a logistic regression fit.
type LogisticOptions struct {
	// C is the inverse strength of the L2 penalty with scikit-learn's
	// meaning: the fit minimises C·Σ logloss_i + ½‖w‖², the intercept
	// unpenalised.
	C float64
	// GradTol stops the fit when the infinity norm of the gradient of the
	// objective divided by C·N (the mean log loss plus ‖w‖²/(2CN), which
	// has the same minimiser) is below it. Default 1e-6: a hundredth of
	// scikit-learn's default tol for lbfgs on the same normalised
	// objective, and far below any change a metric can see.
	GradTol float64
	// MaxIter bounds L-BFGS iterations. Default 1000.
	MaxIter int
	// Workers is the number of goroutines computing loss and gradient over
	// row ranges. Default GOMAXPROCS. The result does not depend on it
	// beyond rounding: partial sums are added in a fixed order.
	Workers int
	// Init warm-starts the fit: intercept then weights. Nil starts at 0.
	Init []float64
	// Centre is where the penalty pulls the parameters, intercept first as
	// in Init: ½‖w − Centre‖² over the intercept too instead of ½‖w‖² over
	// the weights, so a prior model's weights and base rate are the
	// starting belief and the data moves them as far as it can pay for.
	// (A free intercept would let each small fit re-estimate the base rate
	// from a few hundred shots, noise a prior is there to remove.) Nil
	// is 0 with the intercept free.
	Centre []float64
}

// LogisticFit is a fitted logistic regression.
type LogisticFit struct {
	Intercept   float64
	Weights     []float64
	Iterations  int
	Evaluations int
	Status      string  // gonum's termination status
	GradNorm    float64 // infinity norm of the normalised gradient at the solution
	Objective   float64 // normalised objective at the solution
}

// Params returns intercept then weights, the layout of LogisticOptions.Init.
func (f *LogisticFit) Params() []float64 { return append([]float64{f.Intercept}, f.Weights...) }

// FitLogistic fits an L2-penalised logistic regression of y on the rows of
// X with gonum's L-BFGS. It is deterministic: the same data and options
// give the same weights.
func FitLogistic(ctx context.Context, X *Matrix, y []int8, opt LogisticOptions) (*LogisticFit, error) {
	if X.Rows == 0 {
		return nil, errors.New("fit logistic regression: no rows")
	}
	if len(y) != X.Rows {
		return nil, fmt.Errorf("fit logistic regression: %d labels for %d rows", len(y), X.Rows)
	}
	if !(opt.C > 0) || math.IsInf(opt.C, 0) {
		return nil, fmt.Errorf("fit logistic regression: C = %v, want a positive finite number", opt.C)
	}
	if opt.GradTol <= 0 {
		opt.GradTol = 1e-6
	}
	if opt.MaxIter <= 0 {
		opt.MaxIter = 1000
	}
	if opt.Workers <= 0 {
		opt.Workers = parallel.Workers()
	}
	if opt.Centre != nil && len(opt.Centre) != X.Cols+1 {
		return nil, fmt.Errorf("fit logistic regression: centre has %d parameters, want %d", len(opt.Centre), X.Cols+1)
	}
	obj := newObjective(X, y, opt.C, opt.Workers)
	obj.centre = opt.Centre
	pre, err := newPreconditioner(X, obj.lambda)
	if err != nil {
		return nil, fmt.Errorf("fit logistic regression: %w", err)
	}
	init := make([]float64, X.Cols+1)
	if opt.Init != nil {
		if len(opt.Init) != len(init) {
			return nil, fmt.Errorf("fit logistic regression: warm start has %d parameters, want %d", len(opt.Init), len(init))
		}
		pre.toV(init, opt.Init)
	}
	var ctxErr error
	w := make([]float64, len(init))
	gw := make([]float64, len(init))
	var cache struct {
		v    []float64
		f    float64
		g    []float64
		done bool
	}
	// eval computes the objective and its gradient at v together, once per
	// point: gonum calls Func and Grad separately at the same point.
	eval := func(v []float64) {
		if cache.done && slices.Equal(cache.v, v) {
			return
		}
		pre.toW(w, v)
		cache.f = obj.eval(w, gw)
		if cache.g == nil {
			cache.g = make([]float64, len(v))
		}
		pre.gradToV(cache.g, gw)
		cache.v = append(cache.v[:0], v...)
		cache.done = true
	}
	p := optimize.Problem{
		Func: func(v []float64) float64 {
			eval(v)
			return cache.f
		},
		Grad: func(g, v []float64) {
			eval(v)
			copy(g, cache.g)
		},
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				ctxErr = err
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: opt.GradTol,
		MajorIterations:   opt.MaxIter,
		// Stop when the objective no longer moves: far below any
		// difference a metric could see.
		Converger: &optimize.FunctionConverge{Absolute: 1e-15, Relative: 1e-15, Iterations: 20},
	}
	res, err := optimize.Minimize(p, init, settings, &optimize.LBFGS{GradStopThreshold: math.NaN()})
	if ctxErr != nil {
		return nil, ctxErr
	}
	if err != nil && res == nil {
		return nil, fmt.Errorf("fit logistic regression: %w", err)
	}
	// An iteration limit or a line search that cannot progress further
	// still leaves the best point found. Near the optimum the line search
	// stops when the objective's changes fall below its float64 rounding
	// (about 1e-16 of a mean log loss near 0.6) while the gradient can still
	// shrink: a few Newton steps, accepted on the gradient alone, finish
	// the job. They cost one pass building the Hessian each and run only
	// when L-BFGS stopped above the tolerance.
	pre.toW(w, res.X)
	f := obj.eval(w, gw)
	status := res.Status.String()
	if infNorm(gw) > opt.GradTol {
		if polished, ok := obj.newton(w, gw, opt.GradTol, 3); ok {
			f, status = polished, status+"+Newton"
		}
	}
	for _, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("fit logistic regression: weights are not finite")
		}
	}
	gn := infNorm(gw)
	return &LogisticFit{
		Intercept: w[0], Weights: slices.Clone(w[1:]),
		Iterations: res.Stats.MajorIterations, Evaluations: res.Stats.FuncEvaluations,
		Status: status, GradNorm: gn, Objective: f,
	}, nil
}

// objective is the normalised logistic objective
//
//	F(w) = (1/N) Σ log(1+exp(z_i)) - y_i z_i  +  ‖w_1..‖² / (2CN),  z_i = w_0 + w·x_i
//
// with loss and gradient computed together in one pass over the rows.
type objective struct {
	X       *Matrix
	y       []int8
	lambda  float64   // 1/(C·N)
	centre  []float64 // penalty centre, intercept first; nil is 0 with the intercept free
	workers int
	parts   []partial
}

type partial struct {
	loss float64
	g    []float64
}

func newObjective(X *Matrix, y []int8, C float64, workers int) *objective {
	o := &objective{X: X, y: y, lambda: 1 / (C * float64(X.Rows)), workers: min(workers, X.Rows)}
	o.parts = make([]partial, o.workers)
	for i := range o.parts {
		o.parts[i].g = make([]float64, X.Cols+1)
	}
	return o
}

// eval computes F(x) and stores ∇F(x) in g. Rows are split into one
// contiguous range per worker, and the partial sums are added in range
// order, so the result does not depend on scheduling.
func (o *objective) eval(x, g []float64) float64 {
	n := o.X.Rows
	var wg sync.WaitGroup
	for k := range o.parts {
		lo, hi := k*n/o.workers, (k+1)*n/o.workers
		wg.Add(1)
		go func(p *partial) {
			defer wg.Done()
			p.loss = lossGrad(o.X, o.y, x, p.g, lo, hi)
		}(&o.parts[k])
	}
	wg.Wait()
	clear(g)
	loss := 0.0
	for _, p := range o.parts {
		loss += p.loss
		for j, v := range p.g {
			g[j] += v
		}
	}
	inv := 1 / float64(n)
	reg := 0.0
	for j := range g {
		g[j] *= inv
		switch {
		case o.centre != nil:
			d := x[j] - o.centre[j]
			g[j] += o.lambda * d
			reg += d * d
		case j > 0:
			g[j] += o.lambda * x[j]
			reg += x[j] * x[j]
		}
	}
	return loss*inv + 0.5*o.lambda*reg
}

// lossGrad returns Σ logloss over rows lo..hi and stores the sum of the
// per-row gradients in g (intercept first).
func lossGrad(X *Matrix, y []int8, w, g []float64, lo, hi int) float64 {
	clear(g)
	b, wv := w[0], w[1:]
	gb, gv := 0.0, g[1:]
	loss := 0.0
	d := X.Cols
	for i := lo; i < hi; i++ {
		row := X.Data[i*d : (i+1)*d : (i+1)*d]
		z := b + dot(wv, row)
		yi := float64(y[i])
		// log(1+e^z) - y·z and σ(z) from one exponential, stable for
		// either sign of z.
		e := math.Exp(-math.Abs(z))
		var r float64
		if z > 0 {
			loss += z + math.Log1p(e) - yi*z
			r = 1/(1+e) - yi
		} else {
			loss += math.Log1p(e) - yi*z
			r = e/(1+e) - yi
		}
		gb += r
		axpy(gv, r, row)
	}
	g[0] = gb
	return loss
}

func infNorm(g []float64) float64 {
	n := 0.0
	for _, v := range g {
		n = math.Max(n, math.Abs(v))
	}
	return n
}

// newton takes up to steps Newton steps from w, whose gradient is g,
// updating both in place while the gradient's infinity norm decreases and
// stays above tol. It reports the objective at the final point and whether
// any step was taken.
func (o *objective) newton(w, g []float64, tol float64, steps int) (float64, bool) {
	d := len(w)
	h := mat.NewSymDense(d, nil)
	step := make([]float64, d)
	wNew := make([]float64, d)
	gNew := make([]float64, d)
	f := 0.0
	took := false
	for range steps {
		o.hessian(w, h)
		var chol mat.Cholesky
		if !chol.Factorize(h) {
			break
		}
		if err := chol.SolveVecTo(mat.NewVecDense(d, step), mat.NewVecDense(d, g)); err != nil {
			break
		}
		for j := range w {
			wNew[j] = w[j] - step[j]
		}
		fNew := o.eval(wNew, gNew)
		if !(infNorm(gNew) < infNorm(g)) {
			break
		}
		copy(w, wNew)
		copy(g, gNew)
		f, took = fNew, true
		if infNorm(g) <= tol {
			break
		}
	}
	if !took {
		return 0, false
	}
	return f, true
}

// hessian stores the Hessian of the normalised objective at w in h:
// (1/N) Σ σ(z)(1-σ(z)) x̃x̃ᵀ over rows x̃ = (1, x), plus λ on the diagonal
// except for the intercept. Rows are split by worker and summed in order.
func (o *objective) hessian(w []float64, h *mat.SymDense) {
	n, d := o.X.Rows, len(w)
	parts := make([][]float64, o.workers)
	var wg sync.WaitGroup
	for k := range parts {
		lo, hi := k*n/o.workers, (k+1)*n/o.workers
		parts[k] = make([]float64, d*d)
		wg.Add(1)
		go func(acc []float64) {
			defer wg.Done()
			x := make([]float64, d)
			for i := lo; i < hi; i++ {
				row := o.X.Row(i)
				x[0] = 1
				for j, v := range row {
					x[j+1] = float64(v)
				}
				p := sigmoid(w[0] + dot(w[1:], row))
				s := p * (1 - p)
				for a := range d {
					xa := s * x[a]
					if xa == 0 {
						continue
					}
					r := acc[a*d : a*d+d]
					for b := a; b < d; b++ {
						r[b] += xa * x[b]
					}
				}
			}
		}(parts[k])
	}
	wg.Wait()
	inv := 1 / float64(n)
	for a := range d {
		for b := a; b < d; b++ {
			v := 0.0
			for _, acc := range parts {
				v += acc[a*d+b]
			}
			v *= inv
			if a == b && (a > 0 || o.centre != nil) {
				v += o.lambda
			}
			h.SetSym(a, b, v)
		}
	}
}

func dot(w []float64, x []float32) float64 {
	w = w[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += w[i] * float64(x[i])
		s1 += w[i+1] * float64(x[i+1])
		s2 += w[i+2] * float64(x[i+2])
		s3 += w[i+3] * float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += w[i] * float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func axpy(g []float64, a float64, x []float32) {
	g = g[:len(x)]
	for i, v := range x {
		g[i] += a * float64(v)
	}
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
