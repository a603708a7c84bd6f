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
}

// Metric names accepted by --metric, with their direction.
const (
	MetricROCAUC   = "roc_auc"
	MetricLogLoss  = "log_loss"
	MetricBrier    = "brier"
	MetricAccuracy = "accuracy"
)

// MetricNames lists the metrics a promotion can compare on.
var MetricNames = []string{MetricROCAUC, MetricLogLoss, MetricBrier, MetricAccuracy}

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
	}
	return 0, fmt.Errorf("unknown metric %q (want one of %v)", name, MetricNames)
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
	return m
}

// AUC is the area under the ROC curve: the probability that a random made
// shot scores above a random miss, ties counting one half (the
// Mann-Whitney statistic, as scikit-learn's roc_auc_score). It is NaN when
// only one class is present.
func AUC(p []float64, y []int8) float64 {
	idx := make([]int32, len(p))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
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
