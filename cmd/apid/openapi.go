package main

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/nba-mlops/nba-mlops/internal/auth"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/version"
)

// The OpenAPI 3.1 document is built from the same facts the code uses (the
// 39 feature names, the value sets of the shot fields, the account rules),
// so it cannot describe a different API than the one served; a test checks
// that it documents every route and only routes that exist.

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func jsonBody(schema obj) obj {
	return obj{"required": true, "content": obj{"application/json": obj{"schema": schema}}}
}

func jsonResponse(desc string, schema obj) obj {
	return obj{"description": desc, "content": obj{"application/json": obj{"schema": schema}}}
}

var (
	resp401 = jsonResponse("Missing, invalid or expired token (WWW-Authenticate: Bearer)", ref("HTTPError"))
	resp403 = jsonResponse("Inactive user", ref("HTTPError"))
	resp413 = jsonResponse("Request body over 64 KiB", ref("HTTPError"))
	resp422 = jsonResponse("Validation error", ref("HTTPValidationError"))
	resp429 = jsonResponse("Too many attempts; see Retry-After", ref("HTTPError"))
	resp503 = jsonResponse("Database or prediction service unavailable", ref("HTTPError"))
	secured = []obj{{"OAuth2PasswordBearer": []string{}}}
)

func queryParam(name string, required bool, schema obj) obj {
	return obj{"name": name, "in": "query", "required": required, "schema": schema}
}

func openAPIDocument() obj {
	features := obj{}
	example := obj{}
	readme := []float64{1, 10, 30, 15, 5, 10, 0.2, 0.5, 0.4, 0.6, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0,
		1, 0, 0, 0, 1, 1, 0, 0.8, 0.7, 0.9, 2022, 6, 11, 5}
	for i, n := range nba.FeatureNames() {
		features[n] = obj{"type": "number"}
		example[n] = readme[i]
	}
	integer := func(min, max int, desc string) obj {
		return obj{"type": "integer", "minimum": min, "maximum": max, "description": desc}
	}
	text := func(desc string) obj {
		return obj{"type": "string", "minLength": 1, "maxLength": 100, "description": desc}
	}
	enum := func(values []string, desc string) obj {
		return obj{"type": "string", "enum": values, "description": desc}
	}
	shotRequired := []string{"player_id", "player_name", "team_name", "home_team", "away_team", "period", "minutes_remaining",
		"seconds_remaining", "action_type", "x_location", "y_location", "game_date", "season_type"}
	derived := obj{
		"shot_distance":   obj{"type": "integer", "description": "feet from the rim, truncated"},
		"shot_type":       enum(nba.ShotTypes(), "derived from the zone"),
		"shot_zone_basic": enum(nba.ZoneBasics(), ""),
		"shot_zone_area":  enum(nba.ZoneAreas(), ""),
		"shot_zone_range": enum(nba.ZoneRanges(), ""),
	}
	prediction := obj{
		"prediction":    obj{"type": "integer", "enum": []int{0, 1}, "description": "1: the shot goes in"},
		"probability":   obj{"type": "number", "minimum": 0, "maximum": 1},
		"model_version": obj{"type": "string"},
	}
	merge := func(ms ...obj) obj {
		out := obj{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	id := obj{"prediction_id": obj{"type": "integer", "description": "id of the stored prediction, for POST /verify_random_prediction"}}

	schemas := obj{
		"Features": obj{
			"type": "object", "properties": features, "required": nba.FeatureNames(), "additionalProperties": false,
			"description": "The original system's 39 features, unscaled. Every key is required, no other key is allowed, and every value must be a finite number.",
			"example":     example,
		},
		"ShotRequest": obj{
			"type": "object", "required": shotRequired, "additionalProperties": false,
			"description": "A raw shot in the Kaggle data set's snake_case names. Zones, distance and shot type are derived from x/y when absent and checked against them when given; team_id is derived from team_name.",
			"properties": merge(obj{
				"player_id":         integer(1, 9999999, ""),
				"player_name":       text(""),
				"team_name":         text("the shooter's team, as the data set names it in that season"),
				"home_team":         obj{"type": "string", "pattern": "^[A-Z]{3}$", "description": "three-letter code in use that season"},
				"away_team":         obj{"type": "string", "pattern": "^[A-Z]{3}$"},
				"period":            integer(1, 10, "5 and above are overtimes"),
				"minutes_remaining": integer(0, 11, "0..4 in overtime"),
				"seconds_remaining": integer(0, 59, ""),
				"action_type":       text("e.g. Jump Shot"),
				"x_location":        integer(-250, 250, "tenths of feet from the rim, negative to the left"),
				"y_location":        integer(-60, 890, "tenths of feet from the rim toward half court"),
				"game_date":         obj{"type": "integer", "description": "YYYYMMDD", "example": 20191105},
				"season_type":       enum(nba.SeasonTypes(), ""),
				"game_id":           obj{"type": "integer", "description": "8-digit TYYNNNNN, when known"},
				"team_id":           obj{"type": "integer"},
				"game_event_id":     integer(1, 9999, "when known"),
			}, derived),
			"example": obj{"player_id": 2544, "player_name": "LeBron James", "team_name": "Los Angeles Lakers", "home_team": "LAL",
				"away_team": "BOS", "period": 1, "minutes_remaining": 10, "seconds_remaining": 30, "action_type": "Jump Shot",
				"x_location": -120, "y_location": 150, "game_date": 20191105, "season_type": "Regular Season"},
		},
		"PredictResponse": obj{"type": "object", "properties": merge(id, prediction),
			"required": []string{"prediction_id", "prediction", "probability", "model_version"}},
		"ShotPredictResponse": obj{"type": "object", "properties": merge(id, prediction, derived),
			"required": []string{"prediction_id", "prediction", "probability", "model_version", "shot_distance", "shot_type",
				"shot_zone_basic", "shot_zone_area", "shot_zone_range"}},
		"UserCreate": obj{"type": "object", "required": []string{"username", "password"}, "properties": obj{
			"username": obj{"type": "string", "pattern": "^[A-Za-z0-9_.-]+$", "minLength": auth.MinUsername, "maxLength": auth.MaxUsername},
			"password": obj{"type": "string", "minLength": auth.MinPassword, "maxLength": auth.MaxPassword},
			"disabled": obj{"type": "boolean", "default": false},
		}, "example": obj{"username": "newuser", "password": "newpassword", "disabled": false}},
		"PasswordChange": obj{"type": "object", "required": []string{"current_password", "new_password"}, "properties": obj{
			"current_password": obj{"type": "string"},
			"new_password":     obj{"type": "string", "minLength": auth.MinPassword, "maxLength": auth.MaxPassword},
		}},
		"AccountDelete": obj{"type": "object", "required": []string{"password"}, "properties": obj{"password": obj{"type": "string"}}},
		"LoginForm": obj{"type": "object", "required": []string{"username", "password"}, "properties": obj{
			"grant_type":    obj{"type": "string", "pattern": "^password$"},
			"username":      obj{"type": "string"},
			"password":      obj{"type": "string", "format": "password"},
			"scope":         obj{"type": "string", "default": ""},
			"client_id":     obj{"type": "string"},
			"client_secret": obj{"type": "string", "format": "password"},
		}},
		"Token": obj{"type": "object", "required": []string{"access_token", "token_type"}, "properties": obj{
			"access_token": obj{"type": "string"},
			"token_type":   obj{"type": "string", "enum": []string{"bearer"}},
			"expires_in":   obj{"type": "integer", "description": "seconds"},
		}},
		"Message": obj{"type": "object", "required": []string{"message"}, "properties": obj{"message": obj{"type": "string"}}},
		"VerifyRequest": obj{"type": "object", "required": []string{"prediction_id", "true_value"}, "properties": obj{
			"prediction_id": obj{"type": "integer"},
			"true_value":    obj{"type": "integer", "enum": []int{0, 1}, "description": "1 if the shot went in"},
		}, "example": obj{"prediction_id": 13, "true_value": 0}},
		"RandomPrediction": obj{"type": "object", "properties": obj{
			"prediction_id":    obj{"type": "integer"},
			"model_prediction": obj{"type": "integer", "enum": []int{0, 1}},
			"date_time":        obj{"type": "string", "format": "date-time"},
			"input_parameters": obj{"type": "object", "description": "the request body of the prediction"},
			"probability":      obj{"type": "number"},
			"model_version":    obj{"type": "string"},
		}},
		"CourtZones": obj{"type": "object", "description": "What court.Classify derives from a location; /predict/shot derives the same.",
			"required":   []string{"x_location", "y_location", "shot_distance", "shot_type", "shot_zone_basic", "shot_zone_area", "shot_zone_range"},
			"properties": merge(obj{"x_location": obj{"type": "integer"}, "y_location": obj{"type": "integer"}}, derived),
			"example": obj{"x_location": -120, "y_location": 150, "shot_distance": 19, "shot_type": nba.ShotType2PT,
				"shot_zone_basic": nba.ZoneMidRange, "shot_zone_area": nba.AreaLeftCenter, "shot_zone_range": nba.Range16To24}},
		"LeagueTeam": obj{"type": "object", "required": []string{"team_id", "team_name", "code"}, "properties": obj{
			"team_id":   obj{"type": "integer"},
			"team_name": obj{"type": "string", "description": "the name /predict/shot's team_name takes that season"},
			"code":      obj{"type": "string", "description": "the code home_team/away_team take that season"},
		}},
		"League": obj{"type": "object", "required": []string{"game_date", "season", "season_label", "in_data_set", "teams", "action_types", "season_types"},
			"properties": obj{
				"game_date":    obj{"type": "integer"},
				"season":       obj{"type": "integer", "description": "the year the season starts"},
				"season_label": obj{"type": "string", "example": "2019-20"},
				"in_data_set":  obj{"type": "boolean", "description": "the season is one of the data set's (1997-98 to 2019-20)"},
				"teams":        obj{"type": "array", "items": ref("LeagueTeam"), "description": "one per franchise, by name"},
				"action_types": obj{"type": "array", "items": obj{"type": "string"}},
				"season_types": obj{"type": "array", "items": enum(nba.SeasonTypes(), "")},
			}},
		"StoredPrediction": obj{"type": "object",
			"required": []string{"prediction_id", "created_at", "prediction", "probability", "model_version", "true_value", "verified_at", "kind", "input_parameters", "shot"},
			"properties": merge(obj{
				"prediction_id":    obj{"type": "integer"},
				"created_at":       obj{"type": "string", "format": "date-time"},
				"true_value":       obj{"type": []string{"integer", "null"}, "enum": []any{0, 1, nil}, "description": "the verified outcome; null until verified"},
				"verified_at":      obj{"type": []string{"string", "null"}, "format": "date-time"},
				"kind":             obj{"type": "string", "enum": []string{"shot", "features"}, "description": "shot: POST /predict/shot; features: POST /predict"},
				"input_parameters": obj{"type": "object", "description": "the request body of the prediction"},
				"shot":             obj{"type": []string{"object", "null"}, "description": "the raw shot with its derived fields (kind shot); null for kind features"},
			}, prediction)},
		"PredictionList": obj{"type": "object", "required": []string{"limit", "predictions"}, "properties": obj{
			"limit":       obj{"type": "integer"},
			"predictions": obj{"type": "array", "items": ref("StoredPrediction"), "description": "newest first"},
		}},
		"AccuracyGroup": obj{"type": "object", "required": []string{"model_version", "verifications", "correct", "accuracy"}, "properties": obj{
			"model_version": obj{"type": "string"},
			"verifications": obj{"type": "integer"},
			"correct":       obj{"type": "integer"},
			"accuracy":      obj{"type": "number", "minimum": 0, "maximum": 1},
		}},
		"Accuracy": obj{"type": "object", "required": []string{"window", "verifications", "correct", "accuracy", "by_model_version"}, "properties": obj{
			"window":           obj{"type": "integer", "description": "how many of the last verifications were read"},
			"verifications":    obj{"type": "integer", "description": "verifications found (at most window)"},
			"correct":          obj{"type": "integer"},
			"accuracy":         obj{"type": []string{"number", "null"}, "minimum": 0, "maximum": 1, "description": "correct / verifications; null without verifications"},
			"by_model_version": obj{"type": "array", "items": ref("AccuracyGroup"), "description": "the nba_online_accuracy gauge's values"},
		}},
		"Readiness": obj{"type": "object", "properties": obj{
			"status": obj{"type": "string"}, "detail": obj{"type": "string"},
			"checks": obj{"type": "object", "additionalProperties": obj{"type": "string"}},
		}},
		"HTTPError": obj{"type": "object", "required": []string{"detail"}, "properties": obj{"detail": obj{"type": "string"}}},
		"ValidationError": obj{"type": "object", "required": []string{"loc", "msg", "type"}, "properties": obj{
			"loc":  obj{"type": "array", "items": obj{"anyOf": []obj{{"type": "string"}, {"type": "integer"}}}},
			"msg":  obj{"type": "string"},
			"type": obj{"type": "string"},
		}},
		"HTTPValidationError": obj{"type": "object", "properties": obj{"detail": obj{"type": "array", "items": ref("ValidationError")}}},
	}

	tokenOp := func(id, summary string) obj {
		return obj{
			"operationId": id, "tags": []string{"auth"}, "summary": summary,
			"requestBody": obj{"required": true, "content": obj{
				"application/x-www-form-urlencoded": obj{"schema": ref("LoginForm")},
				"application/json":                  obj{"schema": ref("LoginForm")},
			}},
			"responses": obj{"200": jsonResponse("Access token", ref("Token")), "401": jsonResponse("Incorrect username or password", ref("HTTPError")),
				"403": resp403, "413": resp413, "422": resp422, "429": resp429, "503": resp503},
		}
	}
	paths := obj{
		"/": obj{"get": obj{"operationId": "root", "tags": []string{"meta"}, "summary": "Welcome message",
			"responses": obj{"200": jsonResponse("Welcome", ref("Message"))}}},
		"/signup": obj{"post": obj{"operationId": "signup", "tags": []string{"auth"}, "summary": "Create an account",
			"requestBody": jsonBody(ref("UserCreate")),
			"responses": obj{"200": jsonResponse("Created", ref("Message")), "400": jsonResponse("Username already registered", ref("HTTPError")),
				"413": resp413, "422": resp422, "429": resp429, "503": resp503}}},
		"/token": obj{"post": tokenOp("token", "Log in (OAuth2 password flow)")},
		"/login": obj{"post": tokenOp("login", "Log in (the original's path; same as /token)")},
		"/logout": obj{"post": obj{"operationId": "logout", "tags": []string{"auth"}, "summary": "End every session of the account (all its tokens)",
			"security":  secured,
			"responses": obj{"200": jsonResponse("Logged out", ref("Message")), "401": resp401, "403": resp403, "503": resp503}}},
		"/users/me/password": obj{"post": obj{"operationId": "change_password", "tags": []string{"auth"},
			"summary":  "Change the password; every token of the account dies, log in again",
			"security": secured, "requestBody": jsonBody(ref("PasswordChange")),
			"responses": obj{"200": jsonResponse("Changed", ref("Message")), "401": resp401, "403": jsonResponse("Incorrect password, or inactive user", ref("HTTPError")),
				"413": resp413, "422": resp422, "429": resp429, "503": resp503}}},
		"/users/me": obj{"delete": obj{"operationId": "delete_account", "tags": []string{"auth"},
			"summary":  "Delete the account (its name is freed, its tokens die; its predictions stay)",
			"security": secured, "requestBody": jsonBody(ref("AccountDelete")),
			"responses": obj{"200": jsonResponse("Deleted", ref("Message")), "401": resp401, "403": jsonResponse("Incorrect password, or inactive user", ref("HTTPError")),
				"413": resp413, "422": resp422, "429": resp429, "503": resp503}}},
		"/predict": obj{"post": obj{"operationId": "predict", "tags": []string{"predict"}, "summary": "Predict from the 39 features; the prediction is stored",
			"security": secured, "requestBody": jsonBody(ref("Features")),
			"responses": obj{"200": jsonResponse("Prediction", ref("PredictResponse")), "401": resp401, "403": resp403,
				"413": resp413, "422": resp422, "503": resp503}}},
		"/predict/shot": obj{"post": obj{"operationId": "predict_shot", "tags": []string{"predict"}, "summary": "Predict a raw shot; the prediction and the shot are stored",
			"security": secured, "requestBody": jsonBody(ref("ShotRequest")),
			"responses": obj{"200": jsonResponse("Prediction and derived fields", ref("ShotPredictResponse")), "401": resp401,
				"403": resp403, "413": resp413, "422": resp422, "503": resp503}}},
		"/verify_random_prediction": obj{
			"get": obj{"operationId": "random_prediction", "tags": []string{"feedback"}, "summary": "An unverified prediction picked at random", "security": secured,
				"responses": obj{"200": jsonResponse("A prediction to verify, or a message that there is none",
					obj{"oneOf": []obj{ref("RandomPrediction"), ref("Message")}}), "401": resp401, "403": resp403, "503": resp503}},
			"post": obj{"operationId": "verify_prediction", "tags": []string{"feedback"}, "summary": "Record the true outcome of a prediction (the first verification wins)",
				"security": secured, "requestBody": jsonBody(ref("VerifyRequest")),
				"responses": obj{"200": jsonResponse("Verified (or the same value again)", ref("Message")), "401": resp401, "403": resp403,
					"404": jsonResponse("Unknown prediction_id", ref("HTTPError")),
					"409": jsonResponse("Already verified with the other value", ref("HTTPError")),
					"413": resp413, "422": resp422, "503": resp503}},
		},
		"/court/zones": obj{"get": obj{"operationId": "court_zones", "tags": []string{"reference"}, "summary": "Distance, zones and shot type of a location",
			"parameters": []obj{
				queryParam("x", true, integer(-250, 250, "tenths of feet from the rim, negative to the left")),
				queryParam("y", true, integer(-60, 890, "tenths of feet from the rim toward half court")),
			},
			"responses": obj{"200": jsonResponse("Derived fields", ref("CourtZones")), "422": resp422}}},
		"/league": obj{"get": obj{"operationId": "league", "tags": []string{"reference"}, "summary": "Teams, codes, action types and season types valid on a date",
			"parameters": []obj{queryParam("game_date", true, obj{"type": "integer", "description": "YYYYMMDD", "example": 20191225})},
			"responses":  obj{"200": jsonResponse("The season of the date and its values", ref("League")), "422": resp422}}},
		"/predictions": obj{"get": obj{"operationId": "list_predictions", "tags": []string{"predict"}, "summary": "The signed-in user's recent predictions, newest first",
			"security":   secured,
			"parameters": []obj{queryParam("limit", false, obj{"type": "integer", "minimum": 1, "maximum": maxListLimit, "default": defaultListLimit})},
			"responses": obj{"200": jsonResponse("Predictions with their verified outcomes", ref("PredictionList")), "401": resp401, "403": resp403,
				"422": resp422, "503": resp503}}},
		"/accuracy": obj{"get": obj{"operationId": "online_accuracy", "tags": []string{"feedback"}, "summary": "Online accuracy over the last verifications",
			"security": secured,
			"parameters": []obj{queryParam("window", false, obj{"type": "integer", "minimum": 1, "maximum": maxWindow,
				"description": "how many of the last verifications to read; default: the feedback window of nba_online_accuracy (FEEDBACK_WINDOW)"})},
			"responses": obj{"200": jsonResponse("Accuracy, overall and by model version", ref("Accuracy")), "401": resp401, "403": resp403,
				"422": resp422, "503": resp503}}},
		"/healthz": obj{"get": obj{"operationId": "healthz", "tags": []string{"meta"}, "summary": "Liveness",
			"responses": obj{"200": jsonResponse("Serving", obj{"type": "object"})}}},
		"/readyz": obj{"get": obj{"operationId": "readyz", "tags": []string{"meta"}, "summary": "Readiness: database and prediction service reachable",
			"responses": obj{"200": jsonResponse("Ready", ref("Readiness")), "503": jsonResponse("Not ready", ref("Readiness"))}}},
		"/openapi.json": obj{"get": obj{"operationId": "openapi", "tags": []string{"meta"}, "summary": "This document",
			"responses": obj{"200": jsonResponse("OpenAPI 3.1", obj{"type": "object"})}}},
	}
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":       "NBA shot prediction API",
			"version":     version.Version,
			"description": "Predicts whether an NBA shot goes in. Sign up, log in with Authorize (OAuth2 password flow), then try /predict or /predict/shot. Errors use FastAPI's shapes. The web UI is at /ui.",
		},
		"tags": []obj{
			{"name": "auth", "description": "Accounts and access tokens"},
			{"name": "predict", "description": "Predictions, stored for verification"},
			{"name": "feedback", "description": "Users report what really happened"},
			{"name": "reference", "description": "Court geometry and league facts (used by the web UI at /ui)"},
			{"name": "meta", "description": "Probes and this document (metrics are on a separate listener, --metrics-addr)"},
		},
		"paths": paths,
		"components": obj{
			"schemas": schemas,
			"securitySchemes": obj{"OAuth2PasswordBearer": obj{
				"type": "oauth2", "flows": obj{"password": obj{"tokenUrl": "/token", "scopes": obj{}}},
			}},
		},
	}
}

var openAPIJSON = sync.OnceValues(func() ([]byte, error) { return json.Marshal(openAPIDocument()) })

func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := openAPIJSON()
		if err != nil {
			http.Error(w, `{"detail":"internal error"}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
}
