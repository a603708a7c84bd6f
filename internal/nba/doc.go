// Package nba holds the domain types shared by every binary: the shot record
// of the Kaggle "NBA Shot Locations 1997 - 2020" data set and the error type
// whose message is safe to show a client. It depends on the standard library
// only, so every other package can import it.
package nba
