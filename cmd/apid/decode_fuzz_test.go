package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
)

// FuzzDecodeBodies checks apid's own request decoders (signup, the /token
// form, verify) under the one rule set: whatever the body and media type,
// the answer is a client error (413, 415 or 422), never a 500 or a panic;
// an accepted JSON body has every required field and no repeated key.
func FuzzDecodeBodies(f *testing.F) {
	for _, s := range []struct{ ct, body string }{
		{"application/json", `{"username":"alice","password":"password1"}`},
		{"application/json", `{"username":"alice","password":"password1","username":"root"}`},
		{"application/json", `{"prediction_id":1,"true_value":0}`},
		{"application/json", `{"prediction_id":1,"true_value":0,"true_value":1}`},
		{"application/x-www-form-urlencoded", `username=alice&password=password1`},
		{"multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n--b--\r\n"},
		{"text/plain", `{"username":"alice","password":"password1"}`},
		{"", `{"prediction_id":"1"}`},
	} {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		req := func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/x", bytes.NewReader(body))
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			return r
		}
		clientError := func(what string, err error) {
			if s := httpjson.Status(err); s != 413 && s != 415 && s != 422 {
				t.Fatalf("%s: %v is status %d, want a client error", what, err, s)
			}
		}
		checkAccepted := func(what string) {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("%s accepted a body that is not a JSON object: %v", what, err)
			}
			if httpjson.Unmarshal(body, &m) != nil {
				t.Fatalf("%s accepted a body the one decoder refuses", what)
			}
		}
		if s, err := httpjson.Decode[signupRequest](req()); err != nil {
			clientError("signup", err)
		} else {
			if s.Username == nil || s.Password == nil {
				t.Fatal("signup accepted without username or password")
			}
			checkAccepted("signup")
		}
		if v, err := httpjson.Decode[verifyRequest](req()); err != nil {
			clientError("verify", err)
		} else {
			if v.PredictionID == nil || v.TrueValue == nil || (*v.TrueValue != 0 && *v.TrueValue != 1) {
				t.Fatalf("verify accepted %+v", v)
			}
			checkAccepted("verify")
		}
		if name, password, err := loginForm(req()); err != nil {
			clientError("token", err)
		} else if name == "" || password == "" {
			t.Fatal("token form accepted without username or password")
		}
	})
}
