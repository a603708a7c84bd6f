// Package model fits, evaluates, stores and serves the shot models.
//
// Two algorithms: logistic regression with an L2 penalty fitted with gonum's
// L-BFGS (the default), and a linear-probability baseline fitted by least
// squares with github.com/sajari/regression. Both are linear in the feature
// vector of package features, so a model file holds the transform, the
// weights and nothing else that scoring needs.
//
// A model file is self-contained JSON: the transform (frequency encodings,
// scaler, vector features), the algorithm, the weights, the test metrics and
// the lineage (data hashes, rows, seed, hyperparameters, creation time,
// version). Load validates all of it. Registry manages a models directory:
// versions, the champion pointer best_model_metrics.json, promotion and the
// discarded/ folder.
package model
