package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFlow drives the API as the original's clients do, on both stores.
func TestFlow(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newTestServer(t, b.open)
			if r := s.do("GET", "/", "", ""); r.status != 200 || r.json(t)["message"] != "Welcome to the NBA prediction API!" {
				t.Fatalf("GET / = %d %s", r.status, r.body)
			}
			r := s.do("POST", "/signup", "", `{"username":"newuser","password":"newpassword","disabled":false}`)
			if r.status != 200 || r.json(t)["message"] != "User newuser created successfully" {
				t.Fatalf("signup = %d %s", r.status, r.body)
			}
			tok := login(t, s.URL, "newuser", "newpassword")

			r = s.do("GET", "/verify_random_prediction", tok, "")
			if r.status != 200 || r.json(t)["message"] != "No unverified predictions available" {
				t.Errorf("GET verify with no predictions = %d %s", r.status, r.body)
			}

			r = s.do("POST", "/predict", tok, readmeBody)
			if r.status != 200 {
				t.Fatalf("predict = %d %s", r.status, r.body)
			}
			pred := r.json(t)
			want := map[string]any{"prediction_id": pred["prediction_id"], "prediction": 0.0, "probability": 0.25, "model_version": "v1"}
			if diff := cmp.Diff(want, pred); diff != "" || pred["prediction_id"] == nil {
				t.Errorf("predict answer (-want +got):\n%s", diff)
			}
			id := int64(pred["prediction_id"].(float64))
			stored, err := s.db.Prediction(t.Context(), id)
			if err != nil {
				t.Fatalf("a 200 without a stored row: %v", err)
			}
			var in map[string]float64
			if err := json.Unmarshal(stored.Input, &in); err != nil || len(in) != 39 || in["Year"] != 2022 {
				t.Errorf("stored input %s (%v), want the 39 features", stored.Input, err)
			}

			r = s.do("POST", "/predict/shot", tok, shotBody)
			if r.status != 200 {
				t.Fatalf("predict/shot = %d %s", r.status, r.body)
			}
			shot := r.json(t)
			for k, v := range map[string]any{"shot_distance": 19.0, "shot_zone_basic": "Mid-Range", "shot_zone_area": "Left Side Center(LC)",
				"shot_zone_range": "16-24 ft.", "shot_type": "2PT Field Goal", "model_version": "v1"} {
				if shot[k] != v {
					t.Errorf("predict/shot %s = %v, want %v", k, shot[k], v)
				}
			}
			shotID := int64(shot["prediction_id"].(float64))
			sp, err := s.db.Prediction(t.Context(), shotID)
			if err != nil || sp.RawShot == nil {
				t.Fatalf("shot prediction stored without its raw shot: %v", err)
			}
			var raw map[string]any
			json.Unmarshal(sp.RawShot, &raw)
			if raw["shot_zone_area"] != "Left Side Center(LC)" || raw["team_id"] != 1610612747.0 || raw["game_id"] != nil {
				t.Errorf("raw shot %s lacks the derived fields", sp.RawShot)
			}

			seen := map[int64]bool{}
			for range 40 {
				r = s.do("GET", "/verify_random_prediction", tok, "")
				m := r.json(t)
				seen[int64(m["prediction_id"].(float64))] = true
				if m["date_time"] == "" || m["input_parameters"] == nil || m["model_prediction"] == nil {
					t.Fatalf("random prediction %s lacks fields", r.body)
				}
			}
			if !seen[id] || !seen[shotID] || len(seen) != 2 {
				t.Errorf("random picks %v, want both predictions", seen)
			}

			verify := func(id int64, v int) response {
				return s.do("POST", "/verify_random_prediction", tok, fmt.Sprintf(`{"prediction_id": %d, "true_value": %d}`, id, v))
			}
			if r = verify(id, 0); r.status != 200 || r.json(t)["message"] != fmt.Sprintf("Prediction_id:%d verified successfully", id) {
				t.Errorf("verify = %d %s", r.status, r.body)
			}
			if r = verify(id, 0); r.status != 200 {
				t.Errorf("same verification again = %d %s, want 200", r.status, r.body)
			}
			if r = verify(id, 1); r.status != 409 || !strings.Contains(r.detail(t), "already verified") {
				t.Errorf("contradicting verification = %d %s, want 409", r.status, r.body)
			}
			if r = verify(id+1000, 1); r.status != 404 || r.detail(t) != fmt.Sprintf("Prediction_id:%d not found", id+1000) {
				t.Errorf("unknown id = %d %s, want 404", r.status, r.body)
			}
			if r = verify(shotID, 2); r.status != 422 {
				t.Errorf("true_value 2 = %d %s, want 422", r.status, r.body)
			}
			if r = verify(shotID, 1); r.status != 200 {
				t.Errorf("verify shot = %d %s", r.status, r.body)
			}
			r = s.do("GET", "/verify_random_prediction", tok, "")
			if r.json(t)["message"] != "No unverified predictions available" {
				t.Errorf("after verifying all: %s", r.body)
			}

			// Metrics: feedback counted once per first verification, accuracy
			// over the window, gauges from the store, HTTP by route pattern.
			if got := counter(t, s, "nba_feedback_total", "true", "v1"); got != 1 {
				t.Errorf(`nba_feedback_total{correct="true"} = %v, want 1`, got)
			}
			if got := counter(t, s, "nba_feedback_total", "false", "v1"); got != 1 {
				t.Errorf(`nba_feedback_total{correct="false"} = %v, want 1`, got)
			}
			metrics := s.metrics().body
			for _, line := range []string{
				`nba_online_accuracy{model_version="v1"} 0.5`,
				`nba_online_accuracy_samples{model_version="v1"} 2`,
				`nba_users 1`, `nba_predictions_stored 2`, `nba_predictions_unverified 0`,
				`http_requests_total{handler="/verify_random_prediction",method="POST",status="200"} 3`,
				`http_requests_total{handler="/predict",method="POST",status="200"} 1`,
				`http_request_duration_seconds_count{handler="/predict/shot",method="POST"} 1`,
			} {
				if !strings.Contains(string(metrics), line) {
					t.Errorf("/metrics lacks %q", line)
				}
			}
		})
	}
}

// counter reads one series of a counter vector from the registry; labels
// are given in the order the metric declares them.
func counter(t *testing.T, s *testServer, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for i, lp := range m.GetLabel() {
				if i < len(labels) && lp.GetValue() != labels[i] {
					continue series
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestSignup(t *testing.T) {
	s := newTestServer(t, openSQLite)
	tests := []struct {
		name   string
		body   string
		status int
		want   string // detail, or the loc/type of the first field error
	}{
		{"ok", `{"username":"alice","password":"password1"}`, 200, ""},
		{"duplicate", `{"username":"alice","password":"password2"}`, 400, "Username already registered"},
		{"short name", `{"username":"al","password":"password1"}`, 422, "username:value_error"},
		{"bad characters", `{"username":"al ice","password":"password1"}`, 422, "username:value_error"},
		{"SQL in name", `{"username":"x'; DROP TABLE users;--","password":"password1"}`, 422, "username:value_error"},
		{"short password", `{"username":"bob","password":"1234567"}`, 422, "password:value_error"},
		{"long password", `{"username":"bob","password":"` + strings.Repeat("p", 129) + `"}`, 422, "password:value_error"},
		{"missing password", `{"username":"bob"}`, 422, "password:missing"},
		{"wrong type", `{"username":"bob","password":12345678}`, 422, "password:string_type"},
		{"invalid JSON", `{"username":"bob",`, 422, ":json_invalid"},
		{"a form", `username=bob&password=password1`, 415, `Unsupported Media Type: send the body as application/json (got "application/x-www-form-urlencoded")`},
		// encoding/json would take the last name; the body is refused.
		{"duplicate key", `{"username":"bob","password":"password1","username":"root"}`, 422, "username:duplicate_key"},
		{"oversized", `{"username":"bob","password":"` + strings.Repeat("p", 70000) + `"}`, 413, "Request body too large: the limit is 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do("POST", "/signup", "", tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d %s, want %d", r.status, r.body, tt.status)
			}
			switch {
			case tt.status == 422:
				if got := firstFieldError(t, r); got != tt.want {
					t.Errorf("first field error %s, want %s (%s)", got, tt.want, r.body)
				}
			case tt.want != "":
				if r.detail(t) != tt.want {
					t.Errorf("detail %q, want %q", r.detail(t), tt.want)
				}
			}
		})
	}
	if r := s.do("POST", "/token", "", "username=alice&password=password2"); r.status != 401 {
		t.Errorf("the duplicate signup changed alice's password: login with it = %d", r.status)
	}
	login(t, s.URL, "alice", "password1")
}

// firstFieldError returns "field:type" of the first 422 entry ("" for the
// field when loc has no second element or it is a number).
func firstFieldError(t testing.TB, r response) string {
	t.Helper()
	var v struct {
		Detail []struct {
			Loc  []any  `json:"loc"`
			Type string `json:"type"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(r.body, &v); err != nil || len(v.Detail) == 0 {
		t.Fatalf("not a FastAPI validation body: %s", r.body)
	}
	d := v.Detail[0]
	if len(d.Loc) == 0 || d.Loc[0] != "body" {
		t.Errorf("loc %v does not start with body", d.Loc)
	}
	field := ""
	if len(d.Loc) > 1 {
		field, _ = d.Loc[1].(string)
	}
	return field + ":" + d.Type
}

func TestLogin(t *testing.T) {
	s := newTestServer(t, openSQLite)
	s.signupLogin("carol", "carolpass")
	s.do("POST", "/signup", "", `{"username":"dan","password":"danpass1","disabled":true}`)
	tests := []struct {
		name, path, body string
		json             bool
		status           int
		detail           string
	}{
		{"form on /token", "/token", "username=carol&password=carolpass", false, 200, ""},
		{"form on /login", "/login", "grant_type=password&username=carol&password=carolpass&scope=&client_id=x", false, 200, ""},
		{"JSON on /login", "/login", `{"username":"carol","password":"carolpass"}`, true, 200, ""},
		{"wrong password", "/token", "username=carol&password=wrongpass", false, 401, "Incorrect username or password"},
		{"unknown user", "/token", "username=nobody&password=carolpass", false, 401, "Incorrect username or password"},
		// Names outside the signup rule are refused before any lookup.
		{"SQL in username", "/token", url.Values{"username": {"carol' OR '1'='1"}, "password": {"x' OR '1'='1"}}.Encode(), false, 422, ""},
		{"long username", "/token", url.Values{"username": {strings.Repeat("a", 60000)}, "password": {"carolpass"}}.Encode(), false, 422, ""},
		{"SQL in password", "/token", url.Values{"username": {"carol"}, "password": {"x' OR '1'='1"}}.Encode(), false, 401, "Incorrect username or password"},
		{"disabled user", "/token", "username=dan&password=danpass1", false, 403, "Inactive user"},
		{"disabled user, wrong password", "/token", "username=dan&password=nope", false, 401, "Incorrect username or password"},
		{"missing password", "/token", "username=carol", false, 422, ""},
		{"bad grant type", "/token", "grant_type=client_credentials&username=carol&password=carolpass", false, 422, ""},
		{"invalid JSON", "/login", `{"username":`, true, 422, ""},
		{"empty password", "/token", "username=ghost&password=", false, 422, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do("POST", tt.path, "", tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d %s, want %d", r.status, r.body, tt.status)
			}
			switch r.status {
			case 200:
				m := r.json(t)
				if m["token_type"] != "bearer" || m["access_token"] == "" || m["expires_in"] != 3600.0 {
					t.Errorf("token answer %s", r.body)
				}
			case 401:
				if r.header.Get("WWW-Authenticate") != "Bearer" {
					t.Errorf("401 without WWW-Authenticate: Bearer")
				}
				fallthrough
			case 403:
				if r.detail(t) != tt.detail {
					t.Errorf("detail %q, want %q", r.detail(t), tt.detail)
				}
			}
		})
	}
	var n int
	users, _ := s.db.Stats(t.Context())
	if n = int(users.Users); n != 2 {
		t.Errorf("%d users after SQL-laden logins, want 2", n)
	}
}
