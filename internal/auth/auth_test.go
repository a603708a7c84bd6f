package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

const testKey = "0123456789abcdef0123456789abcdef-test-key"

func TestSecretRedacted(t *testing.T) {
	s := NewSecret("hunter2-hunter2")
	cfg := struct {
		JWTSecret Secret `json:"jwt_secret"`
		Port      int    `json:"port"`
	}{s, 8000}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "secret", s, "cfg", cfg)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "secret", s)
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%q": fmt.Sprintf("%q", s),
		"%+v struct": fmt.Sprintf("%+v", cfg), "%#v struct": fmt.Sprintf("%#v", cfg), "%x": fmt.Sprintf("%x", s),
		"json": string(js), "slog": logs.String(),
	}
	for how, out := range outputs {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s prints the secret: %s", how, out)
		}
		if !strings.Contains(out, "redacted") && how != "%x" {
			t.Errorf("%s = %s, want it to say redacted", how, out)
		}
	}
	if s.Reveal() != "hunter2-hunter2" || s.Len() != 15 || s.IsZero() || !NewSecret("").IsZero() {
		t.Error("Reveal/Len/IsZero do not report the value")
	}
}

func TestHasher(t *testing.T) {
	h, err := NewHasher(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost(h.dummy); c != h.Cost() {
		t.Errorf("dummy hash cost %d, want %d: unknown users would answer faster", c, h.Cost())
	}
	long := strings.Repeat("é", 100) // 200 bytes
	tests := []struct {
		password, attempt string
		want              bool
	}{
		{"correct horse", "correct horse", true},
		{"correct horse", "correct horsE", false},
		{"correct horse", "", false},
		{long, long, true},
		{long, long[:len(long)-2] + "e", false}, // differs after byte 72: must still fail
		{strings.Repeat("a", 72), strings.Repeat("a", 72), true},
		{strings.Repeat("a", 73), strings.Repeat("a", 72), false},
	}
	for _, tt := range tests {
		hash, err := h.Hash(tt.password)
		if err != nil {
			t.Fatalf("Hash(%d bytes): %v", len(tt.password), err)
		}
		if got := h.Compare(hash, tt.attempt); got != tt.want {
			t.Errorf("Compare(hash of %.10q…, %.10q…) = %v, want %v", tt.password, tt.attempt, got, tt.want)
		}
	}
	if h.Compare("", "anything") {
		t.Error("Compare with no hash (unknown user) matched")
	}
	for _, bad := range []int{3, 32} {
		if _, err := NewHasher(bad); err == nil {
			t.Errorf("NewHasher(%d) accepted", bad)
		}
	}
}

func TestAccountRules(t *testing.T) {
	tests := []struct {
		username, password string
		userOK, passOK     bool
	}{
		{"newuser", "newpassword", true, true},
		{"ab", "1234567", false, false},
		{strings.Repeat("u", 64), strings.Repeat("p", 128), true, true},
		{strings.Repeat("u", 65), strings.Repeat("p", 129), false, false},
		{"a.b-c_D9", strings.Repeat("é", 8), true, true},
		{"bob'; DROP TABLE users;--", "'; DROP TABLE users;--", false, true},
		{"bob smith", "pass\xffword", false, false},
		{"ünïcode", "short", false, false},
	}
	for _, tt := range tests {
		if err := CheckUsername(tt.username); (err == nil) != tt.userOK || (err != nil && nba.ErrorCode(err) != nba.EInvalid) {
			t.Errorf("CheckUsername(%q) = %v, want ok=%v", tt.username, err, tt.userOK)
		}
		if err := CheckPassword(tt.password); (err == nil) != tt.passOK {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v", tt.password, err, tt.passOK)
		}
	}
}

func newTokens(t testing.TB, now time.Time) *Tokens {
	t.Helper()
	tok, err := NewTokens(NewSecret(testKey), time.Hour, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokens(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tok := newTokens(t, now)
	alice := Account{Name: "alice", ID: 7, Version: 3}
	good, exp, err := tok.Issue(alice)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(time.Hour)) {
		t.Errorf("expiry %v, want %v", exp, now.Add(time.Hour))
	}
	if got, err := tok.Verify(good); err != nil || got != alice {
		t.Fatalf("Verify(own token) = %+v, %v; want %+v", got, err, alice)
	}
	// Version 0 is a version like any other (every new account has it).
	if got, err := tok.Verify(tok.mustIssue(t, "bob")); err != nil || got.Version != 0 || got.ID != 1 {
		t.Fatalf("Verify(version 0 token) = %+v, %v", got, err)
	}
	id, ver := int64(7), int64(3)
	mk := func(mod func(*claims)) claims {
		c := claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: Issuer, Subject: "alice", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))},
			UID: &id, Ver: &ver}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	zero := int64(0)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	tests := []struct {
		name  string
		token string
	}{
		{"expired", newTokens(t, now.Add(-2*time.Hour)).mustIssue(t, "alice")},
		{"wrong signature", sign(t, jwt.SigningMethodHS256, []byte("another-key-another-key-another-key!"), mk(nil))},
		{"tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"nba-mlops-apid","sub":"admin","iat":1777636800,"exp":1777640400}`)) + "." + parts[2]},
		{"alg none", noneHeader + "." + parts[1] + "."},
		{"alg none with signature", noneHeader + "." + parts[1] + "." + parts[2]},
		{"none via library", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, mk(nil))},
		{"HS512 same key", sign(t, jwt.SigningMethodHS512, []byte(testKey), mk(nil))},
		{"HS384 same key", sign(t, jwt.SigningMethodHS384, []byte(testKey), mk(nil))},
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, mk(nil))},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, []byte(testKey), mk(func(c *claims) { c.Issuer = "evil" }))},
		{"no expiry", sign(t, jwt.SigningMethodHS256, []byte(testKey), mk(func(c *claims) { c.ExpiresAt = nil }))},
		{"no subject", sign(t, jwt.SigningMethodHS256, []byte(testKey), mk(func(c *claims) { c.Subject = "" }))},
		{"no issued-at", sign(t, jwt.SigningMethodHS256, []byte(testKey), mk(func(c *claims) { c.IssuedAt = nil }))},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, []byte(testKey), mk(func(c *claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour)) }))},
		{"no account id (a token from before accounts were bound)", sign(t, jwt.SigningMethodHS256, []byte(testKey), mk(func(c *claims) { c.UID = nil }))},
		{"no version", sign(t, jwt.SigningMethodHS256, []byte(testKey), mk(func(c *claims) { c.Ver = nil }))},
		{"account id 0", sign(t, jwt.SigningMethodHS256, []byte(testKey), mk(func(c *claims) { c.UID = &zero }))},
		{"garbage", "not.a.token"},
		{"empty", ""},
		{"huge", strings.Repeat("a", 5000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := tok.Verify(tt.token)
			if err == nil {
				t.Fatalf("Verify accepted it (%+v)", a)
			}
			if nba.ErrorCode(err) != nba.EUnauthorized || nba.ErrorMessage(err) != "Could not validate credentials" {
				t.Errorf("Verify error = %v (%s), want unauthorized", err, nba.ErrorCode(err))
			}
		})
	}
}

// mustIssue issues a token for account sub with id 1, version 0.
func (t *Tokens) mustIssue(tb testing.TB, sub string) string {
	tb.Helper()
	s, _, err := t.Issue(Account{Name: sub, ID: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestNewTokensRejectsShortSecret(t *testing.T) {
	if _, err := NewTokens(NewSecret(strings.Repeat("k", 31)), time.Hour); err == nil {
		t.Error("a 31-byte secret was accepted")
	}
	if _, err := NewTokens(NewSecret(testKey), 0); err == nil {
		t.Error("a zero lifetime was accepted")
	}
}

// FuzzVerifyToken checks that Verify never panics and accepts only tokens
// that carry a valid HS256 signature under the key (so nothing the fuzzer
// builds without the key gets in).
func FuzzVerifyToken(f *testing.F) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tok := newTokens(f, now)
	good := tok.mustIssue(f, "alice")
	parts := strings.Split(good, ".")
	f.Add(good)
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS512","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2])
	f.Add("..")
	f.Add("e30.e30.e30")
	f.Fuzz(func(t *testing.T, token string) {
		a, err := tok.Verify(token)
		if err != nil {
			if nba.ErrorCode(err) != nba.EUnauthorized {
				t.Fatalf("Verify(%q) error %v is not unauthorized", token, err)
			}
			return
		}
		p := strings.Split(token, ".")
		if len(p) != 3 {
			t.Fatalf("accepted a token with %d parts", len(p))
		}
		mac := hmac.New(sha256.New, []byte(testKey))
		mac.Write([]byte(p[0] + "." + p[1]))
		sig, err := base64.RawURLEncoding.DecodeString(p[2])
		if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
			t.Fatalf("accepted %q without a valid HS256 signature (%+v)", token, a)
		}
		var hdr struct{ Alg string }
		hb, _ := base64.RawURLEncoding.DecodeString(p[0])
		if json.Unmarshal(hb, &hdr) != nil || hdr.Alg != "HS256" {
			t.Fatalf("accepted a header %s", hb)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	tok := newTokens(b, time.Now())
	s := tok.mustIssue(b, "alice")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tok.Verify(s); err != nil {
			b.Fatal(err)
		}
	}
}
