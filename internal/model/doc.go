// Package model fits, evaluates, stores and serves the shot models.
//
// Two algorithms: logistic regression with an L2 penalty fitted with gonum's
// L-BFGS (the default), and a linear-probability baseline fitted by least
// squares with github.com/sajari/regression. Both are linear in the feature
// vector of package features. On top of the linear part a logistic model
// may carry effects (shrunk logit offsets per action type, player and
// team-season: identifiers enter as who they are, never as how often they
// appeared in training) and a calibration (Platt or isotonic, fitted on
// out-of-fold predictions). One scoring function applies all three, so
// every scorer serves the same calibrated probability.
//
// Train is the training procedure: C by game-grouped cross-validation, then
// on the same folds the effects' strengths and the calibration, each chosen
// by held-out log loss, optionally with the penalty centred on a prior
// model; ValidateTimeSplit reruns it on the earlier games and scores the
// latest ones. Metrics include the expected calibration error and its
// reliability table.
//
// A model file is self-contained JSON: the transform (frequency encodings,
// scaler, vector features), the algorithm, the weights, the effects, the
// calibration, the test metrics and the lineage (data hashes, rows, seed,
// hyperparameters, cross-validation and time-split reports, prior, creation
// time, version). Load validates all of it. Registry manages a models directory:
// versions, the champion pointer best_model_metrics.json, promotion and the
// discarded/ folder.
package model
