package predict

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Record returns the shot record of a request that Shot accepted, as JSON:
// the request with every derived member filled in (WithDerived). It is the
// body of POST /predict/record and the raw shot apid stores, the same bytes
// for both, so apid encodes a shot once.
func (r ShotRequest) Record(s nba.Shot) ([]byte, error) {
	b, err := json.Marshal(r.WithDerived(s))
	if err != nil {
		return nil, fmt.Errorf("encode shot record: %w", err)
	}
	return b, nil
}

// DecodeRecord reads the body of POST /predict/record (see Record) and
// returns the shot it describes. It is not a second validation of the
// request: the derivation (zones, distance, team) and the data set's
// cross-field rules ran once, in the caller, and every derived member must
// be there. It applies the decoder's rules (one pass, no unknown or repeated
// member, the types) and checks what keeps the model's arithmetic
// meaningful, so that a confused or hostile caller cannot make predictd
// score nonsense: each number within its range and the date within the
// seasons. Errors: a *httpjson.ValidationError.
func DecodeRecord(body []byte) (nba.Shot, error) {
	return decodeRecord(body, time.Now())
}

func decodeRecord(body []byte, now time.Time) (nba.Shot, error) {
	r, err := DecodeShotRequest(body)
	if err != nil {
		return nba.Shot{}, err
	}
	var ve httpjson.ValidationError
	for _, m := range []struct {
		name  string
		given bool
	}{
		{"team_id", r.TeamID != nil}, {"shot_type", r.ShotType != nil}, {"shot_zone_basic", r.ShotZoneBasic != nil},
		{"shot_zone_area", r.ShotZoneArea != nil}, {"shot_zone_range", r.ShotZoneRange != nil},
		{"shot_distance", r.ShotDistance != nil},
	} {
		if !m.given {
			ve.Add(httpjson.Body("Field required: a record carries every derived member", "missing", m.name))
		}
	}
	r.checkNumbers(&ve)
	if r.ShotDistance != nil && *r.ShotDistance > maxShotDistance {
		valueError(&ve, "shot_distance", "%d is outside 0..%d", *r.ShotDistance, maxShotDistance)
	}
	r.checkDate(&ve, now)
	if err := ve.Err(); err != nil {
		return nba.Shot{}, err
	}
	return r.complete(int32(*r.TeamID)), nil
}
