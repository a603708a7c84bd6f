package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// SearchOptions configure the hyperparameter search of the logistic
// regression.
type SearchOptions struct {
	Folds   int     // k of the k-fold cross-validation; default 5
	MaxRows int     // the search runs on a seeded subsample of at most this many rows; default 40000
	Trials  int     // values of C tried; default 8
	CMin    float64 // C is drawn log-uniformly from [CMin, CMax]; default 1e-4
	CMax    float64 // default 1e2
	Seed    uint64
	Workers int
	// Centre is the penalty centre of every fit (a prior's weights); nil
	// is 0.
	Centre []float64
}

// Trial is one value of C and its cross-validated scores, pooled over the
// held-out folds.
type Trial struct {
	C       float64 `json:"C"`
	LogLoss float64 `json:"cv_log_loss"`
	ROCAUC  float64 `json:"cv_roc_auc"`
}

// SearchResult is the outcome of SearchC.
type SearchResult struct {
	Best   Trial   `json:"best"`
	Trials []Trial `json:"trials"`
	Rows   int     `json:"rows"`  // rows of the subsample
	Folds  int     `json:"folds"` // folds actually used
	// Init is the mean of the best C's fold solutions (intercept first):
	// a warm start for the fit on all rows.
	Init []float64 `json:"-"`

	cv *cvFolds // the folds and the best C's fold fits, for CrossValidate
}

// cvFolds is the state of a search that later cross-validation steps
// reuse, so that every choice is made on the same games and folds.
type cvFolds struct {
	idx   []int // subsample rows, indexes into the searched matrix, increasing
	sub   *Matrix
	y     []int8
	fold  []int // per subsample row
	folds int   // the k of the search (some folds may be empty)
	fits  [][]float64
}

// SearchC chooses C by k-fold cross-validation on a seeded subsample of the
// training rows, so that its cost is bounded whatever the data size. Folds
// are formed by game (groups holds each row's Game ID): the test split is by
// game, so validation must be too, or per-game features would look more
// useful than they are. The C values are a stratified log-uniform draw (one
// per equal slice of log C), and the best is the one with the lowest pooled
// held-out log loss, a proper score; ties go to the smaller C.
func SearchC(ctx context.Context, X *Matrix, y []int8, groups []int32, opt SearchOptions) (*SearchResult, error) {
	if opt.Folds == 0 {
		opt.Folds = 5
	}
	if opt.MaxRows == 0 {
		opt.MaxRows = 40_000
	}
	if opt.Trials == 0 {
		opt.Trials = 8
	}
	if opt.CMin == 0 {
		opt.CMin = 1e-4
	}
	if opt.CMax == 0 {
		opt.CMax = 1e2
	}
	switch {
	case opt.Folds < 2:
		return nil, fmt.Errorf("search: %d folds, want at least 2", opt.Folds)
	case opt.Trials < 1:
		return nil, fmt.Errorf("search: %d trials, want at least 1", opt.Trials)
	case !(opt.CMin > 0 && opt.CMin <= opt.CMax):
		return nil, fmt.Errorf("search: C range [%g, %g] is not a positive interval", opt.CMin, opt.CMax)
	case len(y) != X.Rows || len(groups) != X.Rows:
		return nil, fmt.Errorf("search: %d rows, %d labels, %d groups", X.Rows, len(y), len(groups))
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x73656172636843)) // "searchC"

	// Subsample without replacement: a partial Fisher-Yates shuffle.
	idx := make([]int, X.Rows)
	for i := range idx {
		idx[i] = i
	}
	n := min(X.Rows, opt.MaxRows)
	for i := range n {
		j := i + rng.IntN(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	idx = idx[:n]
	slices.Sort(idx) // keep the data's order: fits do not depend on the draw order
	sub, ys := X.Subset(idx, y)

	// Folds by game, through a seeded hash of the Game ID.
	salt := rng.Uint64()
	fold := make([]int, n)
	counts := make([]int, opt.Folds)
	for k, i := range idx {
		fold[k] = int(mix64(uint64(uint32(groups[i]))^salt) % uint64(opt.Folds))
		counts[fold[k]]++
	}
	folds := 0
	for _, c := range counts {
		if c > 0 {
			folds++
		}
	}
	if folds < 2 {
		return nil, errors.New("search: the training rows span too few games for cross-validation")
	}

	// Stratified log-uniform draw of C, fitted in increasing order so that
	// each fold warm-starts from the previous C's solution.
	cs := make([]float64, opt.Trials)
	lo, hi := math.Log(opt.CMin), math.Log(opt.CMax)
	for t := range cs {
		u := (float64(t) + rng.Float64()) / float64(opt.Trials)
		cs[t] = math.Exp(lo + u*(hi-lo))
	}
	slices.Sort(cs)

	p := make([][]float64, len(cs)) // held-out probabilities per C, in subsample order
	for t := range p {
		p[t] = make([]float64, n)
	}
	inits := make([][]float64, len(cs))
	fits := make([][][]float64, len(cs))
	for t := range fits {
		fits[t] = make([][]float64, opt.Folds)
	}
	for f := range opt.Folds {
		if counts[f] == 0 {
			continue
		}
		var trIdx, vaIdx []int
		for k := range n {
			if fold[k] == f {
				vaIdx = append(vaIdx, k)
			} else {
				trIdx = append(trIdx, k)
			}
		}
		Xt, yt := sub.Subset(trIdx, ys)
		var warm []float64
		for t, C := range cs {
			fit, err := FitLogistic(ctx, Xt, yt, LogisticOptions{C: C, Init: warm, Workers: opt.Workers, GradTol: 1e-5, Centre: opt.Centre})
			if err != nil {
				return nil, fmt.Errorf("search: C=%g fold %d: %w", C, f, err)
			}
			warm = fit.Params()
			fits[t][f] = warm
			for _, k := range vaIdx {
				p[t][k] = sigmoid(fit.Intercept + dot(fit.Weights, sub.Row(k)))
			}
			if inits[t] == nil {
				inits[t] = make([]float64, len(warm))
			}
			for j, v := range warm {
				inits[t][j] += v / float64(folds)
			}
		}
	}
	res := &SearchResult{Rows: n, Folds: folds}
	best := -1
	for t, C := range cs {
		m := Evaluate(p[t], ys, 0.5)
		tr := Trial{C: C, LogLoss: m.LogLoss, ROCAUC: m.ROCAUC}
		res.Trials = append(res.Trials, tr)
		if best < 0 || tr.LogLoss < res.Trials[best].LogLoss {
			best = t
		}
	}
	res.Best = res.Trials[best]
	res.Init = inits[best]
	res.cv = &cvFolds{idx: idx, sub: sub, y: ys, fold: fold, folds: opt.Folds, fits: fits[best]}
	return res, nil
}

// mix64 is the splitmix64 finaliser: a cheap, well-mixed hash of an integer.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
