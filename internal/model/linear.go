package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/sajari/regression"
)

// LinearOptions configure the linear-probability baseline.
type LinearOptions struct {
	// MaxRows bounds the seeded subsample the regression is fitted on.
	// sajari/regression solves least squares through a full QR
	// factorisation that forms the n×n matrix Q, so its cost grows with
	// the square of the rows: 3000 rows take about a second and 70 MB.
	// Default 3000.
	MaxRows int
	Seed    uint64
}

// LinearFit is a fitted linear-probability model: p = clip(b + w·x, 0, 1).
type LinearFit struct {
	Intercept float64
	Weights   []float64
	Rows      int   // rows of the subsample
	Dropped   []int // columns left out as linearly dependent on others (weight 0)
}

// FitLinearProbability fits the baseline by ordinary least squares of the
// 0/1 label with github.com/sajari/regression. Columns that are constant or
// linear combinations of earlier ones (one-hot groups sum to the intercept)
// would make its QR solve divide by zero, so they are detected first and
// left out with weight 0.
func FitLinearProbability(X *Matrix, y []int8, opt LinearOptions) (*LinearFit, error) {
	if opt.MaxRows == 0 {
		opt.MaxRows = 3000
	}
	if X.Rows == 0 {
		return nil, errors.New("fit linear baseline: no rows")
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6c696e656172)) // "linear"
	idx := rng.Perm(X.Rows)[:min(X.Rows, opt.MaxRows)]
	slices.Sort(idx)
	sub, ys := X.Subset(idx, y)
	keep := independentColumns(sub)
	if sub.Rows < len(keep)+2 {
		return nil, fmt.Errorf("fit linear baseline: %d rows for %d independent features", sub.Rows, len(keep))
	}
	r := new(regression.Regression)
	r.SetObserved("Shot Made Flag")
	for k, j := range keep {
		r.SetVar(k, fmt.Sprintf("x%d", j))
	}
	vars := make([]float64, len(keep))
	for i := range sub.Rows {
		row := sub.Row(i)
		for k, j := range keep {
			vars[k] = float64(row[j])
		}
		r.Train(regression.DataPoint(float64(ys[i]), slices.Clone(vars)))
	}
	if err := r.Run(); err != nil {
		return nil, fmt.Errorf("fit linear baseline: %w", err)
	}
	coeffs := r.GetCoeffs()
	fit := &LinearFit{Intercept: coeffs[0], Weights: make([]float64, X.Cols), Rows: sub.Rows}
	kept := make([]bool, X.Cols)
	for k, j := range keep {
		fit.Weights[j] = coeffs[k+1]
		kept[j] = true
	}
	for j, ok := range kept {
		if !ok {
			fit.Dropped = append(fit.Dropped, j)
		}
	}
	for _, v := range coeffs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("fit linear baseline: coefficients are not finite")
		}
	}
	return fit, nil
}

// independentColumns returns the columns of X that, with the intercept,
// are linearly independent: modified Gram-Schmidt on the centred columns,
// dropping a column whose residual norm is below 1e-8 of its own.
func independentColumns(X *Matrix) []int {
	n := X.Rows
	var basis [][]float64
	var keep []int
	col := make([]float64, n)
	for j := range X.Cols {
		mean := 0.0
		for i := range n {
			col[i] = float64(X.Data[i*X.Cols+j])
			mean += col[i]
		}
		mean /= float64(n)
		norm0 := 0.0
		for i := range col {
			col[i] -= mean // orthogonal to the intercept
			norm0 += col[i] * col[i]
		}
		if norm0 == 0 {
			continue
		}
		for _, b := range basis {
			d := 0.0
			for i := range col {
				d += col[i] * b[i]
			}
			for i := range col {
				col[i] -= d * b[i]
			}
		}
		norm := 0.0
		for _, v := range col {
			norm += v * v
		}
		if norm <= 1e-16*norm0 {
			continue
		}
		inv := 1 / math.Sqrt(norm)
		b := make([]float64, n)
		for i, v := range col {
			b[i] = v * inv
		}
		basis = append(basis, b)
		keep = append(keep, j)
	}
	return keep
}
