// Package synth generates realistic synthetic shots in the Kaggle schema,
// for tests, demos and nightly pipeline runs when no real source file is at
// hand.
//
// The shots come from a fixed virtual league (the universe): the 23 seasons
// of the data set with their real calendars, a schedule, season-aware teams,
// a roster of players whose careers run through the seasons, and a
// play-by-play for every game. The universe holds about as many shots as
// the real data set (~4.8M); none of it depends on the seed. A run draws a
// uniform random subset of it: the seed decides only which shots. So
//   - every row of every batch agrees with every other on what a Game ID
//     means (date, teams, season type), on Player ID ↔ name, and on the
//     clock of a Game Event ID;
//   - a key drawn twice is the same row twice, and ingest's deduplication
//     by (Game ID, Game Event ID) does the right thing;
//   - a fresh seed draws mostly fresh keys: two runs of n rows share about
//     n²/Available keys, and nightly batches fill the data set as samples of
//     a real one would.
//
// The shot model follows docs/data.md §4: the season's mix of zones (threes
// rising from 16 to 36 %, mid-range falling from 39 to 19 %, the (0,0)
// pile-up before 2010-11), distances read off the sample's histograms,
// action types that fit distance and season, end-of-period heaves. Labels
// are court.Classify of the drawn (x, y). The make probability is a
// logistic function of a per-(zone, distance) baseline, an action-type
// offset, a late-clock penalty and the shooter's skill; the baselines are
// solved at start-up so that every cell's average equals its target rate,
// which makes the rates by zone and by distance land on docs/data.md's
// calibration targets.
//
// Generation streams: memory stays flat whatever the number of rows.
package synth
