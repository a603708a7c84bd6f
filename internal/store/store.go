package store

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// User is an account of the API.
type User struct {
	ID           int64
	Username     string
	PasswordHash string // bcrypt
	Disabled     bool
	CreatedAt    time.Time
	// TokenVersion is written into the account's access tokens; logout, a
	// password change and deletion increment it, so older tokens die.
	TokenVersion int64
	// Labeler marks an account whose verifications export-feedback sends
	// into training (self-registered accounts are not labelers).
	Labeler bool
}

// Prediction is one answered prediction request as stored.
type Prediction struct {
	ID           int64
	UserID       int64
	Prediction   int // 0 miss, 1 make
	Probability  float64
	ModelVersion string
	// Input is the request body as JSON: the 39 features of /predict, or the
	// raw shot of /predict/shot as the client sent it.
	Input json.RawMessage
	// RawShot is the raw shot of /predict/shot with its derived fields
	// (zones, distance, shot type, team id) filled in; nil for /predict.
	RawShot json.RawMessage
	// Verification is the true outcome a user reported, nil until then.
	Verification *int
	VerifiedBy   *int64
	VerifiedAt   *time.Time
	CreatedAt    time.Time
}

// Verify asks to record the true outcome of a prediction.
type Verify struct {
	PredictionID int64
	Value        int // 0 or 1
	UserID       int64
	At           time.Time
}

// Verification is the outcome of a Verify.
type Verification struct {
	Prediction   int
	ModelVersion string
	// Changed is true when this call recorded the value, false when the
	// prediction already held the same value (a repeated verification).
	Changed bool
}

// Feedback is one verification, as the online-accuracy gauge reads it.
type Feedback struct {
	ModelVersion string
	Correct      bool
}

// Stats are the row counts exposed as gauges.
type Stats struct {
	Users       int64
	Predictions int64
	Unverified  int64
}

// VerifiedShot is a verified /predict/shot prediction, as export-feedback
// reads it. GameID and EventID are the keys an earlier export gave it, or 0.
type VerifiedShot struct {
	ID      int64
	RawShot json.RawMessage
	Value   int
	GameID  int32
	EventID int32
	// ByLabeler is true when the account that verified it is a labeler.
	ByLabeler bool
}

// ExportKey gives a prediction its exported (Game ID, Game Event ID).
type ExportKey struct {
	PredictionID int64
	GameID       int32
	EventID      int32
}

// ErrUnavailable is the error adapters wrap when the database cannot be
// reached; its message is what a client sees (HTTP 503).
var ErrUnavailable = &nba.Error{Code: nba.EUnavailable, Message: "database unavailable"}

// TimeFormat is the fixed-width UTC text form of times in SQLite; it sorts
// as text and keeps microseconds, PostgreSQL's precision.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// DeletedName is the name a deleted account's row takes: it frees the
// original name for a new account, and the username rule ('#' is not
// allowed) keeps anyone from logging in as it.
func DeletedName(id int64) string { return "#deleted-" + strconv.FormatInt(id, 10) }
