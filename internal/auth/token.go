package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// Token settings.
const (
	// MinSecretBytes is the shortest HS256 key accepted: RFC 7518 §3.2 asks
	// for a key at least as long as the hash output.
	MinSecretBytes = 32
	// DefaultTTL is how long a token lives unless configured otherwise.
	DefaultTTL = 60 * time.Minute
	// Issuer is the iss claim of every token.
	Issuer = "nba-mlops-apid"
	// maxTokenBytes bounds what Verify parses; real tokens are ~200 bytes.
	maxTokenBytes = 4096
)

// ErrInvalidToken is what a client sees for any token that does not verify.
// The reason stays in the wrapped error, for the logs.
var ErrInvalidToken = &nba.Error{Code: nba.EUnauthorized, Message: "Could not validate credentials"}

// Tokens issues and verifies access tokens.
type Tokens struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// TokensOption configures Tokens.
type TokensOption func(*Tokens)

// WithClock makes Tokens read the time from now (tests use it to mint
// expired tokens).
func WithClock(now func() time.Time) TokensOption { return func(t *Tokens) { t.now = now } }

// NewTokens returns Tokens signing with secret (at least MinSecretBytes
// long); tokens expire after ttl.
func NewTokens(secret Secret, ttl time.Duration, opts ...TokensOption) (*Tokens, error) {
	if secret.Len() < MinSecretBytes {
		return nil, fmt.Errorf("the JWT secret is %d bytes, want at least %d", secret.Len(), MinSecretBytes)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("token lifetime %s must be positive", ttl)
	}
	t := &Tokens{key: []byte(secret.Reveal()), ttl: ttl, now: time.Now}
	for _, o := range opts {
		o(t)
	}
	return t, nil
}

// TTL returns the lifetime of new tokens.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Account is whom a token speaks for: an account, not a name. A name can
// pass to a new account once the old one is deleted, and the version
// changes on logout and password change, so tokens issued before die.
type Account struct {
	Name    string // the sub claim
	ID      int64  // the uid claim: the account's id, never reused
	Version int64  // the ver claim: the account's token version
}

// claims are the JWT claims of an access token.
type claims struct {
	jwt.RegisteredClaims
	UID *int64 `json:"uid,omitempty"`
	Ver *int64 `json:"ver,omitempty"`
}

// Issue returns a signed token for the account and its expiry.
func (t *Tokens) Issue(a Account) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(t.ttl)
	claims := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   a.Name,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		UID: &a.ID,
		Ver: &a.Version,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return s, exp, nil
}

// Verify checks a token's signature, algorithm (HS256 only: "none" and every
// other algorithm are refused before the signature is looked at), issuer,
// expiry and issue time, and returns the account it was issued to. The
// caller must check that the account still has that id and version.
// Errors: unauthorized (ErrInvalidToken) for any token that fails.
func (t *Tokens) Verify(token string) (Account, error) {
	if len(token) > maxTokenBytes {
		return Account{}, fmt.Errorf("%w: token of %d bytes", ErrInvalidToken, len(token))
	}
	var claims claims
	_, err := jwt.ParseWithClaims(token, &claims, func(tok *jwt.Token) (any, error) {
		// WithValidMethods already pins HS256; this guards against a
		// future edit of the options list.
		if _, ok := tok.Method.(*jwt.SigningMethodHMAC); !ok {
			return nil, fmt.Errorf("unexpected signing method %v", tok.Header["alg"])
		}
		return t.key, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.now),
		jwt.WithLeeway(5*time.Second), // clock skew between replicas
	)
	if err != nil {
		return Account{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.Subject == "" || claims.IssuedAt == nil {
		return Account{}, fmt.Errorf("%w: %w", ErrInvalidToken, errors.New("token has no subject or issue time"))
	}
	// Tokens from before accounts were bound (no uid or ver) are refused:
	// their holders log in again.
	if claims.UID == nil || claims.Ver == nil || *claims.UID <= 0 {
		return Account{}, fmt.Errorf("%w: %w", ErrInvalidToken, errors.New("token has no account id or version"))
	}
	return Account{Name: claims.Subject, ID: *claims.UID, Version: *claims.Ver}, nil
}
