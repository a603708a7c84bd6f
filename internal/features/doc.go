// Package features turns shots into model inputs. It holds the one feature
// function of the system, so that training and serving cannot drift apart:
//
//	raw shot ──Seed──▶ the 39 features of the original /predict body ──Vector──▶ model input
//	/predict body (39 values) ───────────────────────────────────────Vector──▶ model input
//
// Seed gives the original system's 39 features (nba.FeatureNames order,
// unscaled): frequency encodings fitted on the training split (values never
// seen in training encode as 0), one-hots, and Year/Month/Day/Day_of_Week
// from Game Date (Monday = 0). Vector derives the model's input from those 39
// values only: a chosen list of seed features and derived ones (distance
// shape, clock, angle, action family), every non-binary one standardised
// with a scaler fitted on the training split. The original scaled only the
// six location and clock columns; scaling Year and the frequencies too
// changes no prediction a linear model can make but keeps the optimiser
// well conditioned and the L2 penalty even-handed. Because a /predict caller
// sends only the 39 values, nothing the model sees may come from anywhere
// else.
//
// The action family (dunk, layup, tip, hook, bank, jumper) is recovered from
// Action_Type_Frequency by reverse lookup in the fitted vocabulary: the
// families of the action types with exactly that training frequency, shared
// equally when several types have the same count; a value that matches no
// type is "unknown".
//
// A Transform is fitted by a Fitter in two streaming passes over the
// training split (frequencies, then scaler statistics) and is stored as JSON
// in transform.json and inside every model file.
package features
