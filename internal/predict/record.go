package predict

import (
	"time"

	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// DecodeRecord reads the body of POST /predict/record: a complete shot
// record in nba.Shot's JSON, as ShotRequest.Shot completed it in the
// caller. It is not a second validation of the request: the derivation
// (zones, distance, team) and the data set's cross-field rules ran once, in
// the caller. It checks what keeps the model's arithmetic meaningful, so
// that a confused or hostile caller cannot make predictd score nonsense: the
// decoder's rules, each number within its range, and the date within the
// seasons. Errors: a *httpjson.ValidationError.
func DecodeRecord(body []byte) (nba.Shot, error) {
	var s nba.Shot
	if err := httpjson.Unmarshal(body, &s); err != nil {
		return nba.Shot{}, err
	}
	return s, checkRecord(&s, time.Now())
}

func checkRecord(s *nba.Shot, now time.Time) error {
	var ve httpjson.ValidationError
	for _, n := range []struct {
		name     string
		v        int
		min, max int
	}{
		{"period", int(s.Period), 1, maxPeriod}, {"minutes_remaining", int(s.MinutesRemaining), 0, maxMinutes},
		{"seconds_remaining", int(s.SecondsRemaining), 0, maxSeconds},
		{"x_location", int(s.XLocation), -court.SidelineX, court.SidelineX}, {"y_location", int(s.YLocation), minY, maxY},
		{"shot_distance", int(s.ShotDistance), 0, maxShotDistance},
	} {
		if n.v < n.min || n.v > n.max {
			valueError(&ve, n.name, "%d is outside %d..%d", n.v, n.min, n.max)
		}
	}
	if _, msg := seasonOfDate(int(s.GameDate), now); msg != "" {
		valueError(&ve, "game_date", "%s", msg)
	}
	return ve.Err()
}
