package predict

import (
	"strconv"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Record returns the shot record of a request that Shot accepted, as JSON:
// the request with every derived member filled in (WithDerived). It is the
// body of POST /predict/record and the raw shot apid stores, the same bytes
// for both, so apid encodes a shot once.
// The error is always nil (kept for callers; encoding it cannot fail).
func (r ShotRequest) Record(s nba.Shot) ([]byte, error) {
	return r.AppendRecord(nil, &s), nil
}

// AppendRecord appends the record of r and s (Record) to b: byte for byte
// what encoding/json makes of r.WithDerived(s) (a test holds it to that),
// written by hand, without WithDerived's copies or encoding/json's
// reflection, into a buffer of the caller's (apid's pooled one).
func (r *ShotRequest) AppendRecord(b []byte, s *nba.Shot) []byte {
	b = appendIntMember(b, `{"player_id":`, r.PlayerID)
	b = appendTextMember(b, `,"player_name":`, r.PlayerName)
	b = appendTextMember(b, `,"team_name":`, r.TeamName)
	b = appendTextMember(b, `,"home_team":`, r.HomeTeam)
	b = appendTextMember(b, `,"away_team":`, r.AwayTeam)
	b = appendIntMember(b, `,"period":`, r.Period)
	b = appendIntMember(b, `,"minutes_remaining":`, r.MinutesRemaining)
	b = appendIntMember(b, `,"seconds_remaining":`, r.SecondsRemaining)
	b = appendTextMember(b, `,"action_type":`, r.ActionType)
	b = appendIntMember(b, `,"x_location":`, r.XLocation)
	b = appendIntMember(b, `,"y_location":`, r.YLocation)
	b = appendIntMember(b, `,"game_date":`, r.GameDate)
	b = appendTextMember(b, `,"season_type":`, r.SeasonType)
	if r.GameID != nil { // omitempty
		b = appendIntMember(b, `,"game_id":`, *r.GameID)
	}
	b = appendIntMember(b, `,"team_id":`, int(s.TeamID))
	if r.GameEventID != nil {
		b = appendIntMember(b, `,"game_event_id":`, *r.GameEventID)
	}
	b = appendTextMember(b, `,"shot_type":`, s.ShotType)
	b = appendTextMember(b, `,"shot_zone_basic":`, s.ShotZoneBasic)
	b = appendTextMember(b, `,"shot_zone_area":`, s.ShotZoneArea)
	b = appendTextMember(b, `,"shot_zone_range":`, s.ShotZoneRange)
	b = appendIntMember(b, `,"shot_distance":`, int(s.ShotDistance))
	return append(b, '}')
}

func appendIntMember(b []byte, prefix string, v int) []byte {
	return strconv.AppendInt(append(b, prefix...), int64(v), 10)
}

func appendTextMember(b []byte, prefix, v string) []byte {
	return httpjson.AppendString(append(b, prefix...), v)
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
	if err := invalid(&ve); err != nil {
		return nba.Shot{}, err
	}
	return r.complete(int32(*r.TeamID)), nil
}
