package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nba-mlops/nba-mlops/internal/auth"
	"github.com/nba-mlops/nba-mlops/internal/store/storetest"
)

// claims are those of a token of account 1 (the first created in a test),
// version 0: forgeries built on them fail for the forgery alone.
func claims(sub string, iat, exp time.Time) jwt.MapClaims {
	return jwt.MapClaims{"iss": auth.Issuer, "sub": sub, "iat": iat.Unix(), "exp": exp.Unix(), "uid": 1, "ver": 0}
}

func signed(t *testing.T, m jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestProtectedRoutes checks every protected route against every kind of bad
// credential.
func TestProtectedRoutes(t *testing.T) {
	s := newTestServer(t, openSQLite)
	good := s.signupLogin("erin", "erinpass1")
	disabledTok := func() string {
		s.do("POST", "/signup", "", `{"username":"frank","password":"frankpass","disabled":true}`)
		// A token for a disabled user can only come from before it was
		// disabled, or from the key: mint one with the key.
		u, err := s.db.UserByName(t.Context(), "frank")
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := s.tokens.Issue(auth.Account{Name: u.Username, ID: u.ID, Version: u.TokenVersion})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}()
	now := time.Now()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	ghost, _, _ := s.tokens.Issue(auth.Account{Name: "ghost", ID: 999}) // valid signature, no such user

	creds := []struct {
		name   string
		header string // full Authorization header; "" sends none
		status int
		detail string
	}{
		{"no token", "", 401, "Not authenticated"},
		{"not bearer", "Basic ZXJpbjplcmlucGFzczE=", 401, "Not authenticated"},
		{"empty bearer", "Bearer ", 401, "Not authenticated"},
		{"expired", "Bearer " + signed(t, jwt.SigningMethodHS256, []byte(testSecret), claims("erin", now.Add(-2*time.Hour), now.Add(-time.Hour))), 401, "Could not validate credentials"},
		{"wrong signature", "Bearer " + signed(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-another"), claims("erin", now, now.Add(time.Hour))), 401, "Could not validate credentials"},
		{"alg none", "Bearer " + noneHeader + "." + parts[1] + ".", 401, "Could not validate credentials"},
		{"other alg HS512", "Bearer " + signed(t, jwt.SigningMethodHS512, []byte(testSecret), claims("erin", now, now.Add(time.Hour))), 401, "Could not validate credentials"},
		{"other alg RS256", "Bearer " + signed(t, jwt.SigningMethodRS256, rsaKey, claims("erin", now, now.Add(time.Hour))), 401, "Could not validate credentials"},
		{"garbage", "Bearer not-a-jwt", 401, "Could not validate credentials"},
		{"unknown user", "Bearer " + ghost, 401, "Could not validate credentials"},
		{"disabled user", "Bearer " + disabledTok, 403, "Inactive user"},
		{"good", "Bearer " + good, 200, ""},
		{"scheme case-insensitive", "bearer " + good, 200, ""},
	}
	routes := []struct{ method, path, body string }{
		{"POST", "/predict", readmeBody},
		{"POST", "/predict/shot", shotBody},
		{"GET", "/verify_random_prediction", ""},
		{"POST", "/verify_random_prediction", `{"prediction_id": 1, "true_value": 1}`},
	}
	for _, rt := range routes {
		for _, c := range creds {
			t.Run(rt.method+rt.path+"/"+c.name, func(t *testing.T) {
				var hdr []string
				if c.header != "" {
					hdr = []string{"Authorization", c.header}
				}
				r := s.do(rt.method, rt.path, "", rt.body, hdr...)
				if r.status != c.status {
					t.Fatalf("status %d %s, want %d", r.status, r.body, c.status)
				}
				if c.status == 401 && r.header.Get("WWW-Authenticate") != "Bearer" {
					t.Error("401 without WWW-Authenticate: Bearer")
				}
				if c.detail != "" && r.detail(t) != c.detail {
					t.Errorf("detail %q, want %q", r.detail(t), c.detail)
				}
			})
		}
	}
	if n := s.predict.calls.Load(); n != 4 { // the two good tokens on the two predict routes
		t.Errorf("predictd was called %d times, want 4: refused requests must not reach it", n)
	}
}

func TestPredictValidation(t *testing.T) {
	s := newTestServer(t, openSQLite)
	tok := s.signupLogin("gail", "gailpass1")
	tests := []struct {
		name   string
		path   string
		body   string
		status int
		first  string // "field:type" of the first field error
	}{
		{"missing feature", "/predict", jsonWith(readmeBody, "Period", ""), 422, "Period:missing"},
		{"extra feature", "/predict", jsonWith(readmeBody, "Shot_Made_Flag", "1"), 422, "Shot_Made_Flag:extra_forbidden"},
		{"string feature", "/predict", jsonWith(readmeBody, "Year", `"2022"`), 422, "Year:float_parsing"},
		{"null feature", "/predict", jsonWith(readmeBody, "Year", `null`), 422, "Year:float_type"},
		{"overflow", "/predict", jsonWith(readmeBody, "Year", `1e999`), 422, "Year:finite_number"},
		{"invalid JSON", "/predict", `{"Period": 1,`, 422, ":json_invalid"},
		{"empty body", "/predict", ``, 422, ":missing"},
		{"array", "/predict", `[1, 2, 3]`, 422, ":model_attributes_type"},
		{"oversized", "/predict", `{"Period": 1, "pad": "` + strings.Repeat("x", 65536) + `"}`, 413, ""},
		{"shot: missing", "/predict/shot", jsonWith(shotBody, "x_location", ""), 422, "x_location:missing"},
		{"shot: zone conflict", "/predict/shot", jsonWith(shotBody, "shot_zone_basic", `"Restricted Area"`), 422, "shot_zone_basic:value_error"},
		{"shot: unknown team", "/predict/shot", jsonWith(shotBody, "team_name", `"Springfield Atoms"`), 422, "team_name:value_error"},
		{"shot: off court", "/predict/shot", jsonWith(shotBody, "y_location", `900`), 422, "y_location:value_error"},
		{"shot: oversized", "/predict/shot", `{"pad": "` + strings.Repeat("x", 70000) + `"}`, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do("POST", tt.path, tok, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d %s, want %d", r.status, r.body, tt.status)
			}
			if tt.first != "" {
				if got := firstFieldError(t, r); got != tt.first {
					t.Errorf("first error %s, want %s", got, tt.first)
				}
			}
		})
	}
	if n := s.predict.calls.Load(); n != 0 {
		t.Errorf("predictd called %d times for invalid bodies", n)
	}
	st, _ := s.db.Stats(t.Context())
	if st.Predictions != 0 {
		t.Errorf("%d predictions stored for invalid bodies", st.Predictions)
	}

	// predictd's own 422 reaches the client as it is, and nothing is stored.
	s.predict.refuse.Store(true)
	r := s.do("POST", "/predict", tok, readmeBody)
	if r.status != 422 || firstFieldError(t, r) != "Year:value_error" || !strings.Contains(string(r.body), "model refuses") {
		t.Errorf("predictd 422 = %d %s, want it passed through", r.status, r.body)
	}
	if st, _ := s.db.Stats(t.Context()); st.Predictions != 0 {
		t.Errorf("a refused prediction was stored")
	}
}

// TestSQLMetacharacters sends SQL metacharacters in every string field of
// every endpoint: nothing may break, and stored strings come back verbatim.
func TestSQLMetacharacters(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newTestServer(t, b.open)
			tok := s.signupLogin("hal", "halpass12")
			for i, m := range storetest.SQLMeta {
				q, _ := json.Marshal(m)
				// signup: the name rule refuses them; the password takes them.
				if r := s.do("POST", "/signup", "", fmt.Sprintf(`{"username":%s,"password":"password1"}`, q)); r.status != 422 {
					t.Errorf("signup with name %q = %d", m, r.status)
				}
				name := "meta" + strconv.Itoa(i)
				pw := m + "pad-to-8"
				body, _ := json.Marshal(map[string]any{"username": name, "password": pw})
				if r := s.do("POST", "/signup", "", string(body)); r.status != 200 {
					t.Fatalf("signup with password %q = %d %s", pw, r.status, r.body)
				}
				login(t, s.URL, name, pw)
				// Login: the name rule refuses them (422) before any lookup.
				if r := s.do("POST", "/token", "", url.Values{"username": {m}, "password": {m}}.Encode()); r.status != 422 {
					t.Errorf("login as %q = %d, want 422", m, r.status)
				}
				// Raw shot: the player name is free text and is stored;
				// the other strings must match known values and are refused.
				r := s.do("POST", "/predict/shot", tok, jsonWith(shotBody, "player_name", string(q)))
				if r.status != 200 {
					t.Fatalf("shot with player_name %q = %d %s", m, r.status, r.body)
				}
				id := int64(r.json(t)["prediction_id"].(float64))
				p, err := s.db.Prediction(t.Context(), id)
				if err != nil {
					t.Fatal(err)
				}
				var raw map[string]any
				if err := json.Unmarshal(p.RawShot, &raw); err != nil || raw["player_name"] != m {
					t.Errorf("stored player_name %v, want %q", raw["player_name"], m)
				}
				for _, f := range []string{"team_name", "home_team", "away_team", "action_type", "season_type",
					"shot_type", "shot_zone_basic", "shot_zone_area", "shot_zone_range"} {
					r := s.do("POST", "/predict/shot", tok, jsonWith(shotBody, f, string(q)))
					if f == "action_type" {
						// Unknown action types are only a warning in the data
						// set; the text is stored verbatim.
						if r.status != 200 {
							t.Errorf("action_type %q = %d %s", m, r.status, r.body)
						}
						continue
					}
					if r.status != 422 {
						t.Errorf("%s = %q: status %d, want 422", f, m, r.status)
					}
				}
				if r := s.do("POST", "/verify_random_prediction", tok, fmt.Sprintf(`{"prediction_id": %s, "true_value": 1}`, q)); r.status != 422 {
					t.Errorf("verify with id %q = %d, want 422", m, r.status)
				}
			}
			st, err := s.db.Stats(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			n := int64(len(storetest.SQLMeta))
			if st.Users != 1+n || st.Predictions != 2*n {
				t.Errorf("stats %+v, want %d users and %d predictions: tables damaged", st, 1+n, 2*n)
			}
		})
	}
}

func TestLoginRateLimits(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := newTestServer(t, openSQLite, func(d *deps) { d.loginPerUser, d.loginPerAddr, d.now = 3, 100, clock })
	s.do("POST", "/signup", "", `{"username":"ivan","password":"ivanpass1"}`) // 1 address token
	// Per username and address: 3 failures, then refused even with the
	// right password.
	for i := range 3 {
		if r := s.do("POST", "/token", "", "username=ivan&password=wrong"); r.status != 401 {
			t.Fatalf("failure %d = %d", i, r.status)
		}
	}
	r := s.do("POST", "/token", "", "username=ivan&password=ivanpass1")
	if r.status != 429 || r.header.Get("Retry-After") != "20" {
		t.Fatalf("4th attempt = %d Retry-After %q, want 429 after 20 s", r.status, r.header.Get("Retry-After"))
	}
	now = now.Add(21 * time.Second)
	// Good logins do not count: after one token's refill, any number pass.
	for i := range 5 {
		if r := s.do("POST", "/token", "", "username=ivan&password=ivanpass1"); r.status != 200 {
			t.Fatalf("good login %d after waiting = %d %s", i, r.status, r.body)
		}
	}
	// Per address: every attempt counts, whatever the names.
	a := newTestServer(t, openSQLite, func(d *deps) { d.loginPerUser, d.loginPerAddr, d.now = 100, 3, clock })
	for i := range 3 {
		if r := a.do("POST", "/token", "", fmt.Sprintf("username=xx%d&password=whatever", i)); r.status != 401 {
			t.Fatalf("attempt %d = %d", i, r.status)
		}
	}
	r = a.do("POST", "/token", "", "username=xx9&password=whatever")
	if r.status != 429 || r.header.Get("Retry-After") != "20" {
		t.Errorf("4th attempt from one address = %d Retry-After %q, want 429 after 20 s", r.status, r.header.Get("Retry-After"))
	}
	if r := a.do("POST", "/signup", "", `{"username":"jane","password":"janepass1"}`); r.status != 429 {
		t.Errorf("signup past the address limit = %d, want 429", r.status)
	}
}

// TestLoginNoTargetedLockout: a third party guessing a user's password
// spends its own allowance (user and address pair), not the user's: the
// user logs in every time while the guesser is refused.
func TestLoginNoTargetedLockout(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newTestServer(t, b.open, func(d *deps) { d.loginPerUser, d.loginPerAddr, d.loginUserHour = 5, 1000, 1000 })
			s.signupLogin("victim", "victimpass1")
			attacker := clientFrom("127.0.0.2")
			refused, good := 0, 0
			for i := range 18 {
				if r := doWith(t, attacker, s.URL, "POST", "/token", "", "username=victim&password=guess"+strconv.Itoa(i)); r.status == 429 {
					refused++
				}
				if r := s.do("POST", "/token", "", "username=victim&password=victimpass1"); r.status == 200 {
					good++
				}
			}
			if good != 18 || refused != 13 {
				t.Errorf("%d of 18 correct logins passed and %d of 18 guesses were refused; want 18 and 13 (5 guesses allowed)", good, refused)
			}
		})
	}
}

// TestLoginUserCeiling: guesses at one user from many addresses stop at the
// per-user ceiling, whatever each address has left.
func TestLoginUserCeiling(t *testing.T) {
	s := newTestServer(t, openSQLite, func(d *deps) { d.loginPerUser, d.loginPerAddr, d.loginUserHour = 5, 1000, 12 })
	s.signupLogin("target", "targetpass1")
	var statuses []int
	for i := range 4 {
		c := clientFrom(fmt.Sprintf("127.0.1.%d", i+1))
		for j := range 4 {
			statuses = append(statuses, doWith(t, c, s.URL, "POST", "/token", "", fmt.Sprintf("username=target&password=guess%d", j)).status)
		}
	}
	want := slices.Repeat([]int{401}, 12)
	want = append(want, 429, 429, 429, 429)
	if !slices.Equal(statuses, want) {
		t.Errorf("16 guesses from 4 addresses: %v, want 12 × 401 then 429s (ceiling 12 an hour)", statuses)
	}
	// The bucket refills continuously (one attempt every 300 s), so the
	// wait is 300 s less the time the guesses above took.
	r := s.do("POST", "/token", "", "username=target&password=targetpass1")
	if wait, err := strconv.Atoi(r.header.Get("Retry-After")); r.status != 429 || err != nil || wait < 240 || wait > 300 {
		t.Errorf("the user at the ceiling = %d, Retry-After %q; want 429 for about 300 s (12 an hour)", r.status, r.header.Get("Retry-After"))
	}
}

// TestLoginConcurrentGuesses sends 50 wrong guesses at once for one user
// with a limit of 10: the check and the charge are one step, so exactly 10
// reach bcrypt.
func TestLoginConcurrentGuesses(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newTestServer(t, b.open, func(d *deps) {
				d.loginPerUser, d.loginPerAddr, d.loginUserHour = 10, 1000, 1000
				d.hasher, _ = auth.NewHasher(8) // ~20 ms a guess: the requests overlap
			})
			s.signupLogin("mallory", "mallorypass")
			client := clientFrom("127.0.0.3")
			counts := map[int]int{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := doWith(t, client, s.URL, "POST", "/token", "", fmt.Sprintf("username=mallory&password=wrong%d", i))
					mu.Lock()
					counts[r.status]++
					mu.Unlock()
				}()
			}
			wg.Wait()
			if counts[401] != 10 || counts[429] != 40 {
				t.Errorf("50 concurrent guesses: %v, want 10 × 401 and 40 × 429", counts)
			}
		})
	}
}

// TestLoginLimitsAcrossReplicas runs two apid handlers on one PostgreSQL:
// the limit is the same as for one.
func TestLoginLimitsAcrossReplicas(t *testing.T) {
	a := newTestServer(t, openPostgres, func(d *deps) { d.loginPerUser, d.loginPerAddr, d.loginUserHour = 6, 1000, 1000 })
	d := a.deps
	d.reg = prometheus.NewRegistry() // another process: its own metrics, the same database
	b := httptest.NewServer(NewServer(d))
	t.Cleanup(b.Close)
	a.signupLogin("replica", "replicapass")
	var statuses []int
	for i := range 8 {
		base := []string{a.URL, b.URL}[i%2]
		statuses = append(statuses, do(t, base, "POST", "/token", "", "username=replica&password=wrong").status)
	}
	if want := []int{401, 401, 401, 401, 401, 401, 429, 429}; !slices.Equal(statuses, want) {
		t.Errorf("8 guesses alternating between two replicas: %v, want %v (a limit of 6 in all)", statuses, want)
	}
}

// TestLoginUsernameCheckedFirst: a name outside the signup rule is a 422
// that touches neither the limits' store nor the log.
func TestLoginUsernameCheckedFirst(t *testing.T) {
	s := newTestServer(t, openSQLite, func(d *deps) { d.loginPerUser, d.loginPerAddr = 1, 1 })
	long := strings.Repeat("n", 60<<10)
	for range 5 { // past both limits, were they charged
		r := s.do("POST", "/token", "", "username="+long+"&password=whatever1")
		if r.status != 422 || firstFieldError(t, r) != "username:value_error" {
			t.Fatalf("60 KB username = %d %s, want 422 at username", r.status, r.body[:min(len(r.body), 200)])
		}
	}
	if n, err := s.db.PruneLogin(t.Context(), time.Now().Add(24*time.Hour)); err != nil || n != 0 {
		t.Errorf("the login limits hold %d buckets (%v) after refused names, want 0", n, err)
	}
	if strings.Contains(s.logs.String(), strings.Repeat("n", 100)) {
		t.Error("the refused name reached the log")
	}
	if r := s.do("POST", "/token", "", "username=someone&password=whatever1"); r.status != 401 {
		t.Errorf("a valid name after them = %d, want 401: refused names must not spend the address's allowance", r.status)
	}
}

func TestCORS(t *testing.T) {
	none := newTestServer(t, openSQLite)
	r := none.do("OPTIONS", "/predict", "", "", "Origin", "https://ui.example.org", "Access-Control-Request-Method", "POST")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS allowed with no origins configured")
	}
	s := newTestServer(t, openSQLite, func(d *deps) { d.corsOrigins = []string{"https://ui.example.org"} })
	r = s.do("OPTIONS", "/predict", "", "", "Origin", "https://ui.example.org", "Access-Control-Request-Method", "POST")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://ui.example.org" ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight = %d %v", r.status, r.header)
	}
	r = s.do("GET", "/", "", "", "Origin", "https://evil.example.com")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS allowed an unlisted origin")
	}
}

func TestMiscHTTP(t *testing.T) {
	s := newTestServer(t, openSQLite)
	r := s.do("GET", "/nope", "", "")
	if r.status != 404 || r.detail(t) != "Not Found" {
		t.Errorf("unknown path = %d %s", r.status, r.body)
	}
	r = s.do("DELETE", "/predict", "", "")
	if r.status != 405 || r.detail(t) != "Method Not Allowed" {
		t.Errorf("wrong method = %d %s", r.status, r.body)
	}
	r = s.do("GET", "/healthz", "", "", "X-Request-ID", "abc-123")
	if r.status != 200 || r.header.Get("X-Request-ID") != "abc-123" {
		t.Errorf("healthz = %d, request id %q", r.status, r.header.Get("X-Request-ID"))
	}
	r = s.do("GET", "/healthz", "", "", "X-Request-ID", "bad id\twith junk")
	if id := r.header.Get("X-Request-ID"); id == "" || strings.Contains(id, " ") {
		t.Errorf("unsafe request id echoed: %q", id)
	}
	if !strings.Contains(s.logs.String(), "request_id=abc-123") {
		t.Errorf("logs lack the request id")
	}
	r = s.do("GET", "/readyz", "", "")
	if r.status != 200 || r.json(t)["status"] != "ready" {
		t.Errorf("readyz = %d %s", r.status, r.body)
	}
	s.predict.Stop()
	r = s.do("GET", "/readyz", "", "")
	if checks, _ := r.json(t)["checks"].(map[string]any); r.status != 503 || checks["prediction_service"] != "unavailable" || checks["database"] != "ok" {
		t.Errorf("readyz with predictd down = %d %s", r.status, r.body)
	}
	r = s.do("GET", "/docs/", "", "")
	if r.status != 200 || !strings.Contains(string(r.body), "swagger-ui-bundle.js") ||
		strings.Contains(string(r.body), `src="http`) || strings.Contains(string(r.body), `href="http`) {
		t.Errorf("/docs/ = %d, want the embedded Swagger UI with no CDN link", r.status)
	}
	if r := s.do("GET", "/docs/swagger-ui-bundle.js", "", ""); r.status != 200 || len(r.body) < 100000 {
		t.Errorf("/docs/swagger-ui-bundle.js = %d, %d bytes", r.status, len(r.body))
	}
	if r := s.do("GET", "/docs", "", ""); r.status != 200 { // redirect followed
		t.Errorf("/docs = %d", r.status)
	}
}

// TestUnboundedLabels sends requests with unique methods and long unique
// paths: neither the metrics nor a log line may grow with them.
func TestUnboundedLabels(t *testing.T) {
	s := newTestServer(t, openSQLite)
	send := func(method, path string) {
		t.Helper()
		req, err := http.NewRequest(method, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	send("WARMUP", "/")
	send("WARMUP", "/nope")
	before := len(s.metrics().body)
	for i := range 200 {
		m := fmt.Sprintf("M%s%d", strings.Repeat("X", 1000), i)
		send(m, "/")
		send(m, "/nope/"+strings.Repeat("p", 2000)+strconv.Itoa(i))
	}
	if after := len(s.metrics().body); after > before+200 { // counter values grow by a few digits
		t.Errorf("/metrics grew from %d to %d bytes after 400 requests with unique methods", before, after)
	}
	for _, line := range strings.Split(s.logs.String(), "\n") {
		if len(line) > 1500 {
			t.Fatalf("a log line of %d bytes: request fields must be clipped: %.200s…", len(line), line)
		}
	}
}

// TestTokensBoundToAccount: a token names an account (id and token
// version), not a username. Deletion, logout and a password change kill
// the tokens issued before; a new account with a deleted one's name does
// not inherit them.
func TestTokensBoundToAccount(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newTestServer(t, b.open, func(d *deps) { d.userCacheTTL = time.Minute })
			ok := func(tok string) int { return s.do("GET", "/predictions", tok, "").status }

			// Deletion: the old token dies, and stays dead for the new
			// account with the same name.
			old := s.signupLogin("reused", "reusedpass1")
			if st := ok(old); st != 200 {
				t.Fatalf("fresh token = %d", st)
			}
			if r := s.do("DELETE", "/users/me", old, `{"password":"wrong-password"}`); r.status != 403 {
				t.Errorf("delete with a wrong password = %d %s, want 403", r.status, r.body)
			}
			if r := s.do("DELETE", "/users/me", old, `{}`); r.status != 422 {
				t.Errorf("delete without a password = %d, want 422", r.status)
			}
			if r := s.do("DELETE", "/users/me", old, `{"password":"reusedpass1"}`); r.status != 200 || r.detail(t) != "" {
				t.Fatalf("delete = %d %s", r.status, r.body)
			}
			if st := ok(old); st != 401 {
				t.Errorf("token of a deleted account = %d, want 401", st)
			}
			if r := s.do("POST", "/token", "", "username=reused&password=reusedpass1"); r.status != 401 {
				t.Errorf("login to a deleted account = %d, want 401", r.status)
			}
			fresh := s.signupLogin("reused", "otherpass12")
			if st := ok(old); st != 401 {
				t.Errorf("the deleted account's token on the new account with its name = %d, want 401", st)
			}
			if st := ok(fresh); st != 200 {
				t.Errorf("the new account's token = %d", st)
			}

			// Logout ends every session of the account.
			second := login(t, s.URL, "reused", "otherpass12")
			if r := s.do("POST", "/logout", fresh, ""); r.status != 200 {
				t.Fatalf("logout = %d %s", r.status, r.body)
			}
			for name, tok := range map[string]string{"logged-out token": fresh, "other session": second} {
				if st := ok(tok); st != 401 {
					t.Errorf("%s after logout = %d, want 401", name, st)
				}
			}
			if r := s.do("POST", "/logout", fresh, ""); r.status != 401 {
				t.Errorf("logout with a dead token = %d, want 401", r.status)
			}

			// Password change: the current password is required, the new
			// one follows the signup rule, and old tokens die.
			tok := login(t, s.URL, "reused", "otherpass12")
			for _, c := range []struct {
				body string
				want int
			}{
				{`{"current_password":"nope-nope","new_password":"newpass123"}`, 403},
				{`{"current_password":"otherpass12","new_password":"short"}`, 422},
				{`{"new_password":"newpass123"}`, 422},
				{`{"current_password":"otherpass12","new_password":"newpass123"}`, 200},
			} {
				if r := s.do("POST", "/users/me/password", tok, c.body); r.status != c.want {
					t.Errorf("password change %s = %d %s, want %d", c.body, r.status, r.body, c.want)
				}
			}
			if st := ok(tok); st != 401 {
				t.Errorf("token from before the password change = %d, want 401", st)
			}
			if r := s.do("POST", "/token", "", "username=reused&password=otherpass12"); r.status != 401 {
				t.Errorf("login with the old password = %d, want 401", r.status)
			}
			if st := ok(login(t, s.URL, "reused", "newpass123")); st != 200 {
				t.Errorf("token after the password change = %d", st)
			}
		})
	}
}

// TestTokenVersionAcrossReplicas: a replica whose cache holds the user from
// before a password change made on another replica accepts the new token at
// once (it re-reads the user) and refuses the old one within its cache time.
func TestTokenVersionAcrossReplicas(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a := newTestServer(t, openPostgres, func(d *deps) { d.userCacheTTL, d.now = 2*time.Second, clock })
	d := a.deps
	d.reg = prometheus.NewRegistry()
	b := httptest.NewServer(NewServer(d))
	t.Cleanup(b.Close)
	old := a.signupLogin("roamer", "roamerpass")
	if r := do(t, b.URL, "GET", "/predictions", old, ""); r.status != 200 { // b caches the user
		t.Fatalf("b = %d", r.status)
	}
	if r := a.do("POST", "/users/me/password", old, `{"current_password":"roamerpass","new_password":"roamerpass2"}`); r.status != 200 {
		t.Fatalf("password change on a = %d %s", r.status, r.body)
	}
	fresh := login(t, a.URL, "roamer", "roamerpass2")
	if r := do(t, b.URL, "GET", "/predictions", fresh, ""); r.status != 200 {
		t.Errorf("new token on the other replica = %d, want 200 at once", r.status)
	}
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	if r := do(t, b.URL, "GET", "/predictions", old, ""); r.status != 401 {
		t.Errorf("old token on the other replica after its cache time = %d, want 401", r.status)
	}
}
