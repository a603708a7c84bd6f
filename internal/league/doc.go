// Package league holds the facts about the NBA that the shot data encodes:
// the season calendar, how a Game ID is built, and the season-aware mapping
// between team IDs, team names and the three-letter codes used for the home
// and away teams. The validator checks rows against it and the synthetic
// generator builds rows from it.
package league
