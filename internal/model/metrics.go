package model

import (
	"fmt"
	"math"
	"slices"
)

// Metrics are a model's scores on a set of labelled shots.
type Metrics struct {
	Accuracy float64 `json:"accuracy"`  // share of correct predictions at the model's threshold
	ROCAUC   float64 `json:"roc_auc"`   // area under the ROC curve, ties counted half
	LogLoss  float64 `json:"log_loss"`  // mean negative log-likelihood, p clipped to [1e-15, 1-1e-15]
	Brier    float64 `json:"brier"`     // mean squared error of the probability
	BaseRate float64 `json:"base_rate"` // share of made shots
	Rows     int64   `json:"rows"`
	// CalibrationError is the expected calibration error over
	// ReliabilityBins equal-count bins of the probability: the
	// row-weighted mean of |mean predicted − observed rate| per bin. 0.03
	// means the probabilities are off by 3 points on average. Model files
	// from before it was measured read it as 0.
	CalibrationError float64 `json:"calibration_error"`
	// Reliability is the table behind CalibrationError, lowest
	// probabilities first.
	Reliability []ReliabilityBin `json:"reliability,omitempty"`
}

// ReliabilityBin is one row of a reliability table: the shots whose
// probability falls in one equal-count bin.
type ReliabilityBin struct {
	Bin           int     `json:"bin"` // 1..ReliabilityBins, lowest probabilities first
	MeanPredicted float64 `json:"mean_predicted"`
	ObservedRate  float64 `json:"observed_rate"`
	Count         int64   `json:"count"`
}

// ReliabilityBins is the number of equal-count bins of CalibrationError.
const ReliabilityBins = 10

// Metric names accepted by --metric, with their direction.
const (
	MetricROCAUC   = "roc_auc"
	MetricLogLoss  = "log_loss"
	MetricBrier    = "brier"
	MetricAccuracy = "accuracy"
	// MetricCalibrationError is the expected calibration error (lower is
	// better).
	MetricCalibrationError = "calibration_error"
)

// MetricNames returns the metrics a promotion can compare on. It returns a
// new slice each time, so no caller can change the list.
func MetricNames() []string {
	return []string{MetricROCAUC, MetricLogLoss, MetricBrier, MetricAccuracy, MetricCalibrationError}
}

// Get returns the named metric.
func (m Metrics) Get(name string) (float64, error) {
	switch name {
	case MetricROCAUC:
		return m.ROCAUC, nil
	case MetricLogLoss:
		return m.LogLoss, nil
	case MetricBrier:
		return m.Brier, nil
	case MetricAccuracy:
		return m.Accuracy, nil
	case MetricCalibrationError:
		return m.CalibrationError, nil
	}
	return 0, fmt.Errorf("unknown metric %q (want one of %v)", name, MetricNames())
}

// HigherIsBetter reports the direction of a metric.
func HigherIsBetter(name string) bool { return name == MetricROCAUC || name == MetricAccuracy }

// Improvement returns how much challenger beats champion on the metric, in
// the metric's units, positive when the challenger is better whatever the
// metric's direction.
func Improvement(name string, challenger, champion float64) float64 {
	if HigherIsBetter(name) {
		return challenger - champion
	}
	return champion - challenger
}

const clipEps = 1e-15

// Evaluate scores probabilities p against labels y (0/1) with a decision
// threshold. It sorts a copy of p for the AUC; p and y are not modified.
func Evaluate(p []float64, y []int8, threshold float64) Metrics {
	n := len(p)
	m := Metrics{Rows: int64(n)}
	if n == 0 {
		return m
	}
	var correct, made int
	var ll, brier float64
	for i, pi := range p {
		yi := float64(y[i])
		made += int(y[i])
		if (pi >= threshold) == (y[i] == 1) {
			correct++
		}
		c := math.Min(math.Max(pi, clipEps), 1-clipEps)
		if y[i] == 1 {
			ll -= math.Log(c)
		} else {
			ll -= math.Log1p(-c)
		}
		brier += (pi - yi) * (pi - yi)
	}
	m.Accuracy = float64(correct) / float64(n)
	m.LogLoss = ll / float64(n)
	m.Brier = brier / float64(n)
	m.BaseRate = float64(made) / float64(n)
	m.ROCAUC = AUC(p, y)
	m.Reliability = Reliability(p, y)
	m.CalibrationError = calibrationError(m.Reliability, n)
	return m
}

// Reliability returns the reliability table of p against y: ReliabilityBins
// bins of equal count (the first bins one row shorter when the rows do not
// divide evenly) over the probabilities sorted in increasing order. Bins
// are fewer when there are fewer rows than bins.
func Reliability(p []float64, y []int8) []ReliabilityBin {
	n := len(p)
	if n == 0 {
		return nil
	}
	idx := byProbability(p)
	bins := min(ReliabilityBins, n)
	out := make([]ReliabilityBin, 0, bins)
	for k := range bins {
		lo, hi := k*n/bins, (k+1)*n/bins
		var sp, sy float64
		for _, i := range idx[lo:hi] {
			sp += p[i]
			sy += float64(y[i])
		}
		c := float64(hi - lo)
		out = append(out, ReliabilityBin{Bin: k + 1, MeanPredicted: sp / c, ObservedRate: sy / c, Count: int64(hi - lo)})
	}
	return out
}

// calibrationError is the expected calibration error of a reliability
// table over n rows.
func calibrationError(bins []ReliabilityBin, n int) float64 {
	e := 0.0
	for _, b := range bins {
		e += float64(b.Count) / float64(n) * math.Abs(b.MeanPredicted-b.ObservedRate)
	}
	return e
}

// AUC is the area under the ROC curve: the probability that a random made
// shot scores above a random miss, ties counting one half (the
// Mann-Whitney statistic, as scikit-learn's roc_auc_score). It is NaN when
// only one class is present.
func AUC(p []float64, y []int8) float64 {
	idx := byProbability(p)
	// Sum of the ranks of the positives, tied groups sharing their mean rank.
	var pos, neg float64
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			j++
		}
		mean := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if y[idx[k]] == 1 {
				rankSum += mean
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// byProbability returns the row indexes ordered by increasing probability,
// ties in row order, so that the reliability bins are deterministic.
func byProbability(p []float64) []int32 {
	idx := make([]int32, len(p))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	return idx
}
