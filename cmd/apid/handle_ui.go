package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/league"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// The endpoints the web UI (/ui, internal/webui) needs beyond the original
// API. They expose facts that live in Go (court geometry, season-aware
// teams, stored predictions, online accuracy) so that the page never
// re-derives them in JavaScript.

// Location bounds of a shot: the sidelines, and the y range the data
// set's validator accepts (predict.ShotRequest checks the same).
const (
	minShotY = -60
	maxShotY = 890
)

// Bounds of the list and window parameters.
const (
	defaultListLimit = 50
	maxListLimit     = 500
	maxWindow        = 100000
)

// queryInt reads an integer query parameter, FastAPI-style: a missing
// required one, a non-integer or one outside min..max adds a field error
// located at ["query", name]. def is used when the parameter is absent and
// not required.
func queryInt(r *http.Request, ve *httpjson.ValidationError, name string, required bool, def, min, max int) int {
	raw, ok := r.URL.Query()[name]
	if !ok || len(raw) == 0 || (!required && raw[0] == "") {
		if required {
			ve.Add(httpjson.FieldError{Loc: []any{"query", name}, Msg: "Field required", Type: "missing"})
		}
		return def
	}
	v, err := strconv.Atoi(strings.TrimSpace(raw[0]))
	switch {
	case err != nil:
		ve.Add(httpjson.FieldError{Loc: []any{"query", name}, Msg: "Input should be a valid integer, unable to parse string as an integer", Type: "int_parsing"})
	case v < min:
		ve.Add(httpjson.FieldError{Loc: []any{"query", name}, Msg: fmt.Sprintf("Input should be greater than or equal to %d", min), Type: "greater_than_equal"})
	case v > max:
		ve.Add(httpjson.FieldError{Loc: []any{"query", name}, Msg: fmt.Sprintf("Input should be less than or equal to %d", max), Type: "less_than_equal"})
	default:
		return v
	}
	return def
}

type zonesResponse struct {
	XLocation     int    `json:"x_location"`
	YLocation     int    `json:"y_location"`
	ShotDistance  int    `json:"shot_distance"`
	ShotType      string `json:"shot_type"`
	ShotZoneBasic string `json:"shot_zone_basic"`
	ShotZoneArea  string `json:"shot_zone_area"`
	ShotZoneRange string `json:"shot_zone_range"`
}

// handleCourtZones is GET /court/zones?x=&y=: the distance, zones and shot
// type court.Classify derives from a location, the same derivation
// /predict/shot applies. The page shows them as soon as a shot is placed.
func handleCourtZones(logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ve httpjson.ValidationError
		x := queryInt(r, &ve, "x", true, 0, -court.SidelineX, court.SidelineX)
		y := queryInt(r, &ve, "y", true, 0, minShotY, maxShotY)
		if err := ve.Err(); err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		z := court.Classify(x, y)
		w.Header().Set("Cache-Control", "public, max-age=86400") // pure function of x and y
		httpjson.Encode(w, http.StatusOK, zonesResponse{XLocation: x, YLocation: y, ShotDistance: z.Distance,
			ShotType: z.ShotType, ShotZoneBasic: z.Basic, ShotZoneArea: z.Area, ShotZoneRange: z.Range})
	})
}

type leagueTeam struct {
	TeamID   int32  `json:"team_id"`
	TeamName string `json:"team_name"`
	Code     string `json:"code"`
}

type leagueResponse struct {
	GameDate    int          `json:"game_date"`
	Season      int          `json:"season"`
	SeasonLabel string       `json:"season_label"`
	InDataSet   bool         `json:"in_data_set"`
	Teams       []leagueTeam `json:"teams"`
	ActionTypes []string     `json:"action_types"`
	SeasonTypes []string     `json:"season_types"`
}

// handleLeague is GET /league?game_date=YYYYMMDD: the season of the date,
// its teams (names and the codes their games carry that season, as the
// validator of /predict/shot checks them), the action types and the season
// types, so that the page only offers values valid for the date.
func handleLeague(logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ve httpjson.ValidationError
		d := queryInt(r, &ve, "game_date", true, 0, 1000_01_01, 9999_12_31)
		var date time.Time
		if ve.Err() == nil {
			var err error
			if date, err = league.ParseDate(int32(d)); err != nil {
				ve.Add(httpjson.FieldError{Loc: []any{"query", "game_date"}, Msg: fmt.Sprintf("Value error, %d is not a calendar date written YYYYMMDD", d), Type: "value_error"})
			}
		}
		if err := ve.Err(); err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		season := league.SeasonOf(date)
		res := leagueResponse{
			GameDate: d, Season: season, SeasonLabel: league.SeasonLabel(season),
			InDataSet:   season >= league.FirstSeason && season <= league.LastSeason,
			Teams:       []leagueTeam{},
			ActionTypes: slices.Sorted(slices.Values(nba.ActionTypes())),
			SeasonTypes: []string{nba.SeasonRegular, nba.SeasonPlayoffs},
		}
		for _, t := range league.TeamsIn(season) {
			res.Teams = append(res.Teams, leagueTeam{TeamID: t.ID, TeamName: t.Name, Code: t.Code})
		}
		slices.SortFunc(res.Teams, func(a, b leagueTeam) int { return strings.Compare(a.TeamName, b.TeamName) })
		w.Header().Set("Cache-Control", "public, max-age=3600") // facts of the binary's tables
		httpjson.Encode(w, http.StatusOK, res)
	})
}

type storedPrediction struct {
	PredictionID int64   `json:"prediction_id"`
	CreatedAt    string  `json:"created_at"`
	Prediction   int     `json:"prediction"`
	Probability  float64 `json:"probability"`
	ModelVersion string  `json:"model_version"`
	// TrueValue is the verified outcome, null until someone verifies it.
	TrueValue  *int    `json:"true_value"`
	VerifiedAt *string `json:"verified_at"`
	// Kind is "shot" for /predict/shot and "features" for /predict.
	Kind            string          `json:"kind"`
	InputParameters json.RawMessage `json:"input_parameters"`
	// Shot is the raw shot with its derived fields (zones, distance), null
	// for a 39-feature prediction.
	Shot json.RawMessage `json:"shot"`
}

type predictionList struct {
	Limit       int                `json:"limit"`
	Predictions []storedPrediction `json:"predictions"`
}

// handleUserPredictions is GET /predictions?limit=N: the signed-in user's
// last N predictions, newest first, with their verified outcomes.
func handleUserPredictions(logger *slog.Logger, preds predictionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ve httpjson.ValidationError
		limit := queryInt(r, &ve, "limit", false, defaultListLimit, 1, maxListLimit)
		if err := ve.Err(); err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		u, err := userFrom(r.Context())
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		ps, err := preds.UserPredictions(r.Context(), u.ID, limit)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		out := predictionList{Limit: limit, Predictions: make([]storedPrediction, 0, len(ps))}
		for _, p := range ps {
			sp := storedPrediction{
				PredictionID: p.ID, CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339Nano),
				Prediction: p.Prediction, Probability: p.Probability, ModelVersion: p.ModelVersion,
				TrueValue: p.Verification, Kind: "features", InputParameters: p.Input, Shot: p.RawShot,
			}
			if p.RawShot != nil {
				sp.Kind = "shot"
			}
			if p.VerifiedAt != nil {
				at := p.VerifiedAt.UTC().Format(time.RFC3339Nano)
				sp.VerifiedAt = &at
			}
			out.Predictions = append(out.Predictions, sp)
		}
		w.Header().Set("Cache-Control", "no-store")
		httpjson.Encode(w, http.StatusOK, out)
	})
}

type accuracyResponse struct {
	Window int `json:"window"`
	accuracy
	ByModelVersion []versionAccuracy `json:"by_model_version"`
}

// handleAccuracy is GET /accuracy?window=N: the online accuracy over the
// last N verifications (default: apid's feedback window, the one the
// nba_online_accuracy gauge uses), overall and per model version. It reads
// the store on every call: the gauge's cache is for scrapes, while a user
// who just verified a prediction expects to see it counted.
func handleAccuracy(logger *slog.Logger, stats statsStore, defaultWindow int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ve httpjson.ValidationError
		window := queryInt(r, &ve, "window", false, defaultWindow, 1, maxWindow)
		if err := ve.Err(); err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		fb, err := stats.RecentFeedback(r.Context(), window)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		all, by := onlineAccuracy(fb)
		if by == nil {
			by = []versionAccuracy{}
		}
		w.Header().Set("Cache-Control", "no-store")
		httpjson.Encode(w, http.StatusOK, accuracyResponse{Window: window, accuracy: all, ByModelVersion: by})
	})
}
