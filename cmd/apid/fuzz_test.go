package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/auth"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
)

// fuzzRequest is a POST carrying body with the content type.
func fuzzRequest(contentType string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

// requireClientError checks that err, as apid answers it, is a 4xx with a
// FastAPI-shaped JSON body: malformed input is never a 500.
func requireClientError(t *testing.T, r *http.Request, err error) {
	t.Helper()
	w := httptest.NewRecorder()
	httpjson.Error(w, r, discard, err)
	if w.Code < 400 || w.Code > 499 {
		t.Fatalf("error %v answered %d, want a 4xx", err, w.Code)
	}
	var body struct {
		Detail json.RawMessage `json:"detail"`
	}
	if jerr := json.Unmarshal(w.Body.Bytes(), &body); jerr != nil || len(body.Detail) == 0 {
		t.Fatalf("error %v answered %q, want {\"detail\": ...}", err, w.Body)
	}
}

// FuzzDecodeSignup: a /signup body decodes to a request whose username and
// password meet the account rules, or to a client error.
func FuzzDecodeSignup(f *testing.F) {
	for _, s := range []string{
		`{"username": "newuser", "password": "newpassword", "disabled": false}`,
		`{"username": "a", "password": "x"}`,
		`{"username": "newuser", "password": "newpassword", "username": "other"}`,
		`{"username": null, "password": 12345678}`,
		`{"username": "ok_name", "password": "\ud800\udc00passpass", "extra": 1}`,
		`[]`, ``, `{`, `{"disabled": "yes"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := fuzzRequest("application/json", body)
		req, err := httpjson.Decode[signupRequest](r)
		if err != nil {
			requireClientError(t, r, err)
			return
		}
		if req.Username == nil || req.Password == nil {
			t.Fatalf("%q decoded without a username or password", body)
		}
		if err := auth.CheckUsername(*req.Username); err != nil {
			t.Fatalf("%q decoded with username %q, which breaks the rule: %v", body, *req.Username, err)
		}
		if err := auth.CheckPassword(*req.Password); err != nil {
			t.Fatalf("%q decoded with a password that breaks the rule: %v", body, err)
		}
	})
}

// FuzzLoginForm: a /token body, as a form or JSON, yields a username that
// meets the signup rule and a non-empty password, or a client error. The
// rule is what keeps names of any length out of the limits and the log.
func FuzzLoginForm(f *testing.F) {
	form := "application/x-www-form-urlencoded"
	for _, s := range []struct{ ct, body string }{
		{form, "username=carol&password=carolpass"},
		{form, "grant_type=password&username=carol&password=carolpass&scope=&client_id=x"},
		{form, "grant_type=client_credentials&username=carol&password=x"},
		{form, "username=" + url.QueryEscape("carol' OR '1'='1") + "&password=x"},
		{form, "username=%zz&password=x"},
		{form, "username=a&username=carol&password=p"},
		{"application/json", `{"username": "carol", "password": "carolpass"}`},
		{"application/json", `{"username": "carol", "password": null}`},
		{"application/json; charset=utf-8", `{"username": "carol", "password": "p", "grant_type": "password"}`},
		{"", "username=carol&password=p"},
		{"text/plain", `{"username": "carol"}`},
	} {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := fuzzRequest(contentType, body)
		name, password, err := loginForm(r)
		if err != nil {
			requireClientError(t, r, err)
			return
		}
		if err := auth.CheckUsername(name); err != nil {
			t.Fatalf("%q (%s) gave username %q, which breaks the signup rule: %v", body, contentType, name, err)
		}
		if password == "" {
			t.Fatalf("%q (%s) gave an empty password", body, contentType)
		}
	})
}

// FuzzDecodeVerify: a /verify_random_prediction body decodes to an id and
// a true value of 0 or 1, or to a client error.
func FuzzDecodeVerify(f *testing.F) {
	for _, s := range []string{
		`{"prediction_id": 1, "true_value": 1}`,
		`{"prediction_id": 1, "true_value": 2}`,
		`{"prediction_id": "1", "true_value": 1}`,
		`{"prediction_id": 1.5, "true_value": 0}`,
		`{"prediction_id": 99999999999999999999, "true_value": 0}`,
		`{"prediction_id": 1, "true_value": 0, "true_value": 1}`,
		`{"prediction_id": null}`, `{}`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := fuzzRequest("application/json", body)
		req, err := httpjson.Decode[verifyRequest](r)
		if err != nil {
			requireClientError(t, r, err)
			return
		}
		if req.PredictionID == nil || req.TrueValue == nil || (*req.TrueValue != 0 && *req.TrueValue != 1) {
			t.Fatalf("%q decoded to id %v, true value %v", body, req.PredictionID, req.TrueValue)
		}
	})
}
