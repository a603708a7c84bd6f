// Package modeltest trains real models for the tests of the services that
// serve them (predictd, apid, the end-to-end checks): the same transform
// fitting, design matrix and L-BFGS fit as cmd/train, on synthetic shots, so
// that those tests exercise model files written by the real training code.
package modeltest

import (
	"context"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
	"github.com/nba-mlops/nba-mlops/internal/model"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Train fits a logistic regression on n synthetic shots drawn with seed, and
// evaluates it on n/4 more.
func Train(tb testing.TB, seed uint64, n int) *model.Model {
	tb.Helper()
	shots := featuretest.Shots(seed, n+n/4)
	train, test := shots[:n], shots[n:]
	tr := fitTransform(tb, train)
	X := model.NewMatrix(n, tr.NumFeatures())
	y := make([]int8, n)
	v := make([]float64, tr.NumFeatures())
	for i := range train {
		s := features.Seed(tr, &train[i])
		X.SetRow(i, tr.VectorOf(&s, train[i].ActionType, v))
		y[i] = train[i].ShotMadeFlag
	}
	fit, err := model.FitLogistic(context.Background(), X, y, model.LogisticOptions{C: 1})
	if err != nil {
		tb.Fatal(err)
	}
	m, err := model.New(model.Spec{Algorithm: model.AlgorithmLogistic, Transform: tr,
		Intercept: fit.Intercept, Weights: fit.Weights,
		Lineage: model.Lineage{TrainRows: int64(n), TestRows: int64(n / 4), Seed: seed}})
	if err != nil {
		tb.Fatal(err)
	}
	p := make([]float64, len(test))
	yt := make([]int8, len(test))
	for i := range test {
		p[i] = m.ScoreShot(&test[i])
		yt[i] = test[i].ShotMadeFlag
	}
	m, err = model.New(model.Spec{Algorithm: model.AlgorithmLogistic, Transform: tr,
		Intercept: fit.Intercept, Weights: fit.Weights, Metrics: model.Evaluate(p, yt, model.DefaultThreshold),
		Lineage: model.Lineage{TrainRows: int64(n), TestRows: int64(n / 4), Seed: seed}})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TrainCalibrated fits a model with the whole procedure of cmd/train
// (model.Train: C by grouped CV, action type, player and team-season
// effects, calibration out of fold) on n synthetic shots, with the
// calibration forced to Platt scaling so that a test can tell a calibrated
// probability from a raw one.
func TrainCalibrated(tb testing.TB, seed uint64, n int) *model.Model {
	tb.Helper()
	shots := featuretest.Shots(seed, n)
	tr := fitTransform(tb, shots)
	d := &model.Data{X: model.NewMatrix(n, tr.NumFeatures()), Y: make([]int8, n)}
	v := make([]float64, tr.NumFeatures())
	for i := range shots {
		s := features.Seed(tr, &shots[i])
		d.X.SetRow(i, tr.VectorOf(&s, shots[i].ActionType, v))
		d.Y[i] = shots[i].ShotMadeFlag
		d.Games = append(d.Games, shots[i].GameID)
		d.IDs = append(d.IDs, features.IdentifiersOf(&shots[i]))
		d.Dates = append(d.Dates, shots[i].GameDate)
	}
	res, err := model.Train(context.Background(), d, model.TrainOptions{
		Search: model.SearchOptions{Seed: seed, Trials: 3}, Effects: true,
		Calibrations: []string{model.CalibrationPlatt}, Transform: tr})
	if err != nil {
		tb.Fatal(err)
	}
	m, err := model.New(model.Spec{Algorithm: model.AlgorithmLogistic, Transform: tr,
		Intercept: res.Fit.Intercept, Weights: res.Fit.Weights, Effects: res.Effects, Calibration: res.Calibration,
		Metrics: res.CV.Final(), Lineage: model.Lineage{TrainRows: int64(n), Seed: seed, CV: res.CV}})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func fitTransform(tb testing.TB, train []nba.Shot) *features.Transform {
	tb.Helper()
	f := features.NewFitter()
	for i := range train {
		f.Add(&train[i])
	}
	tr, err := f.Transform()
	if err != nil {
		tb.Fatal(err)
	}
	sf := tr.NewScalerFitter()
	for i := range train {
		s := features.Seed(tr, &train[i])
		sf.Add(&s)
	}
	if err := tr.SetScaler(sf); err != nil {
		tb.Fatal(err)
	}
	return tr
}

// Promote trains a model and promotes it in dir, as train does: the model
// file first, then best_model_metrics.json, both atomically. It returns the
// model file's path.
func Promote(tb testing.TB, dir string, seed uint64, n int) string {
	tb.Helper()
	m := Train(tb, seed, n)
	path, err := model.NewRegistry(dir).Promote(m, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return path
}
