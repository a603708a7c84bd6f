package main

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"
)

// TestJSONRoutesContentType: a JSON route reads application/json (with or
// without parameters) and answers 415 for any other media type, even when
// the bytes are JSON.
func TestJSONRoutesContentType(t *testing.T) {
	s := newTestServer(t, openSQLite)
	tok := s.signupLogin("ctuser", "password1")
	pred := s.do("POST", "/predict", tok, readmeBody)
	if pred.status != 200 {
		t.Fatalf("POST /predict = %d %s", pred.status, pred.body)
	}
	id := pred.json(t)["prediction_id"]
	for _, tt := range []struct {
		path, token, body string
	}{
		{"/signup", "", `{"username":"ctuser2","password":"password1"}`},
		{"/predict", tok, readmeBody},
		{"/predict/shot", tok, shotBody},
		{"/verify_random_prediction", tok, fmt.Sprintf(`{"prediction_id": %v, "true_value": 1}`, id)},
	} {
		for _, ct := range []string{"text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "application/xml"} {
			r := s.do("POST", tt.path, tt.token, tt.body, "Content-Type", ct)
			if r.status != 415 || !strings.Contains(r.detail(t), "application/json") {
				t.Errorf("POST %s as %s = %d %s, want 415 naming application/json", tt.path, ct, r.status, r.body)
			}
		}
		if r := s.do("POST", tt.path, tt.token, tt.body, "Content-Type", "application/json; charset=utf-8"); r.status != 200 {
			t.Errorf("POST %s as application/json; charset=utf-8 = %d %s, want 200", tt.path, r.status, r.body)
		}
	}
	if got := s.predict.calls.Load(); got != 3 {
		t.Errorf("predictd got %d calls, want 3: a refused media type must not reach it", got)
	}
}

// TestTokenContentTypes: /token reads the OAuth2 form, urlencoded or
// multipart, and JSON; anything else is a 415.
func TestTokenContentTypes(t *testing.T) {
	s := newTestServer(t, openSQLite)
	s.signupLogin("formuser", "password1")
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	_ = mw.WriteField("username", "formuser")
	_ = mw.WriteField("password", "password1")
	_ = mw.WriteField("grant_type", "password")
	_ = mw.Close()
	for _, tt := range []struct {
		name, ct, body string
		status         int
	}{
		{"urlencoded", "application/x-www-form-urlencoded", "username=formuser&password=password1", 200},
		{"urlencoded with charset", "application/x-www-form-urlencoded; charset=utf-8", "username=formuser&password=password1", 200},
		{"multipart", mw.FormDataContentType(), mp.String(), 200},
		{"multipart without boundary", "multipart/form-data", mp.String(), 422},
		{"json", "application/json", `{"username":"formuser","password":"password1"}`, 200},
		{"json with a repeated key", "application/json", `{"username":"formuser","password":"password1","password":"x"}`, 422},
		{"text", "text/plain", "username=formuser&password=password1", 415},
		{"xml", "application/xml", "<u/>", 415},
	} {
		r := s.do("POST", "/token", "", tt.body, "Content-Type", tt.ct)
		if r.status != tt.status {
			t.Errorf("%s: /token = %d %s, want %d", tt.name, r.status, r.body, tt.status)
		}
		if tt.status == 200 && r.json(t)["access_token"] == "" {
			t.Errorf("%s: no token in %s", tt.name, r.body)
		}
	}
}

// TestDuplicateKeys: every body follows one rule; a key given twice is a
// 422 naming it, never the last value silently.
func TestDuplicateKeys(t *testing.T) {
	s := newTestServer(t, openSQLite)
	tok := s.signupLogin("dupuser", "password1")
	id := s.do("POST", "/predict", tok, readmeBody).json(t)["prediction_id"]
	for _, tt := range []struct {
		path, token, body, key string
	}{
		{"/signup", "", `{"username":"dupuser2","password":"password1","username":"admin"}`, "username"},
		{"/predict", tok, strings.Replace(readmeBody, `"Day": 11`, `"Day": 11, "Day": 12`, 1), "Day"},
		{"/predict/shot", tok, strings.Replace(shotBody, `"period": 1`, `"period": 1, "period": 2`, 1), "period"},
		{"/verify_random_prediction", tok, fmt.Sprintf(`{"prediction_id": %v, "true_value": 0, "true_value": 1}`, id), "true_value"},
	} {
		r := s.do("POST", tt.path, tt.token, tt.body)
		if r.status != 422 || firstFieldError(t, r) != tt.key+":duplicate_key" {
			t.Errorf("POST %s with %s twice = %d %s, want 422 duplicate_key", tt.path, tt.key, r.status, r.body)
		}
	}
	// The verification was not recorded with either value.
	if r := s.do("POST", "/verify_random_prediction", tok, fmt.Sprintf(`{"prediction_id": %v, "true_value": 0}`, id)); r.status != 200 {
		t.Errorf("a clean verification after the refused one = %d %s", r.status, r.body)
	}
}

// TestPredictRanges: apid refuses what the data cannot produce, naming the
// field, before predictd or the database see it.
func TestPredictRanges(t *testing.T) {
	s := newTestServer(t, openSQLite)
	tok := s.signupLogin("rangeuser", "password1")
	for _, tt := range []struct {
		path, body, want string
	}{
		{"/predict", jsonWith(readmeBody, "Period", "99"), "Period:less_than_equal"},
		{"/predict", jsonWith(readmeBody, "Month", "13"), "Month:less_than_equal"},
		{"/predict", jsonWith(readmeBody, "Year", "1e308"), "Year:less_than_equal"},
		{"/predict/shot", jsonWith(shotBody, "game_date", "19900105"), "game_date:value_error"},
		{"/predict/shot", jsonWith(shotBody, "game_date", "21000105"), "game_date:value_error"},
	} {
		r := s.do("POST", tt.path, tok, tt.body)
		if r.status != 422 || firstFieldError(t, r) != tt.want {
			t.Errorf("POST %s = %d %s, want 422 at %s", tt.path, r.status, r.body, tt.want)
		}
	}
	if got := s.predict.calls.Load(); got != 0 {
		t.Errorf("predictd got %d calls for refused bodies", got)
	}
}
