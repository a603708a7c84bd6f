// Package court is the one place that knows the geometry of an NBA half
// court in the data's coordinates: tenths of feet, the centre of the rim at
// the origin, x<0 on the side the data labels "Left", y growing toward half
// court.
//
// The thresholds reproduce the labels of 2000 real rows exactly (see
// docs/data.md §2). The generator, the validator, the prediction service and the
// web UI's server-side checks all derive zones here, so they cannot drift.
package court
