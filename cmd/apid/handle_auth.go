package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/nba-mlops/nba-mlops/internal/auth"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// loginLimits rate-limits the endpoints that run bcrypt: failed logins per
// username (password guessing against one account, from anywhere) and all
// login and signup attempts per client address (guessing across accounts,
// and burning CPU: each attempt costs a bcrypt hash).
type loginLimits struct {
	user *limiter
	addr *limiter
}

const errTooManyLogins = "Too many login attempts; retry later"

func (l *loginLimits) takeAddr(r *http.Request) error {
	if wait := l.addr.take(clientAddr(r)); wait > 0 {
		return &httpjson.RateLimitError{RetryAfter: wait, Message: errTooManyLogins}
	}
	return nil
}

type signupRequest struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
	Disabled bool    `json:"disabled"`
}

// Valid checks the account rules, reporting each field like FastAPI.
func (s *signupRequest) Valid(context.Context) error {
	var ve httpjson.ValidationError
	check := func(name string, v *string, rule func(string) error) {
		switch {
		case v == nil:
			ve.Add(httpjson.Body("Field required", "missing", name))
		case rule(*v) != nil:
			ve.Add(httpjson.Body("Value error, "+nba.ErrorMessage(rule(*v)), "value_error", name))
		}
	}
	check("username", s.Username, auth.CheckUsername)
	check("password", s.Password, auth.CheckPassword)
	return ve.Err()
}

// handleSignup creates an account: POST /signup {"username", "password",
// "disabled"} → {"message": "User <name> created successfully"}; a taken
// name is 400, as in the original.
func handleSignup(logger *slog.Logger, users userStore, hasher *auth.Hasher, limits *loginLimits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := httpjson.Decode[signupRequest](r)
		if err == nil {
			err = limits.takeAddr(r)
		}
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		hash, err := hasher.Hash(*req.Password)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		u := store.User{Username: *req.Username, PasswordHash: hash, Disabled: req.Disabled}
		if err := users.CreateUser(r.Context(), &u); err != nil {
			if nba.ErrorCode(err) == nba.EConflict {
				err = nba.Errorf(nba.EInvalid, "Username already registered")
			}
			httpjson.Error(w, r, logger, err)
			return
		}
		logger.InfoContext(r.Context(), "user created", "user_id", u.ID, "username", u.Username, "disabled", u.Disabled)
		httpjson.Encode(w, http.StatusOK, map[string]string{"message": fmt.Sprintf("User %s created successfully", u.Username)})
	})
}

// The form media types of POST /token.
const (
	formURLEncoded = "application/x-www-form-urlencoded"
	formMultipart  = "multipart/form-data"
)

var errBadLogin = &nba.Error{Code: nba.EUnauthorized, Message: "Incorrect username or password"}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// loginForm reads the OAuth2 password form (what the original's clients and
// Swagger UI send: application/x-www-form-urlencoded, or multipart/form-data
// as FastAPI's form parser also reads), or the same fields as a JSON object.
// Any other media type is a 415.
func loginForm(r *http.Request) (username, password string, err error) {
	if err := httpjson.RequireContentType(r, formURLEncoded, formMultipart, "application/json"); err != nil {
		return "", "", err
	}
	body, err := httpjson.ReadBody(r)
	if err != nil {
		return "", "", err
	}
	var (
		ve   httpjson.ValidationError
		get  func(string) (string, bool)
		kind = "form"
	)
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		kind = "json"
		var v struct {
			Username  *string `json:"username"`
			Password  *string `json:"password"`
			GrantType *string `json:"grant_type"`
		}
		if err := httpjson.Unmarshal(body, &v); err != nil {
			return "", "", err
		}
		get = func(k string) (string, bool) {
			p := map[string]*string{"username": v.Username, "password": v.Password, "grant_type": v.GrantType}[k]
			if p == nil {
				return "", false
			}
			return *p, true
		}
	case formMultipart:
		form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(httpjson.MaxBodyBytes)
		if err != nil || params["boundary"] == "" {
			return "", "", httpjson.Invalid(httpjson.Body("Unable to parse the multipart form", "form_invalid"))
		}
		defer func() { _ = form.RemoveAll() }()
		get = func(k string) (string, bool) {
			v, ok := form.Value[k]
			if !ok || len(v) == 0 {
				return "", false
			}
			return v[0], true
		}
	default: // the urlencoded form, also when no Content-Type is given
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return "", "", httpjson.Invalid(httpjson.Body("Unable to parse the form", "form_invalid"))
		}
		get = func(k string) (string, bool) { return form.Get(k), form.Has(k) }
	}
	username, okU := get("username")
	password, okP := get("password")
	if !okU || username == "" {
		ve.Add(httpjson.Body("Field required", "missing", "username"))
	}
	if !okP || password == "" {
		ve.Add(httpjson.Body("Field required", "missing", "password"))
	}
	// OAuth2PasswordRequestForm: grant_type is optional, but when present it
	// must be "password". client_id, client_secret and scope are ignored.
	if gt, ok := get("grant_type"); ok && gt != "" && gt != "password" {
		ve.Add(httpjson.Body("String should match pattern '^password$'", "string_pattern_mismatch", "grant_type"))
	}
	if err := ve.Err(); err != nil {
		return "", "", fmt.Errorf("%s login: %w", kind, err)
	}
	return username, password, nil
}

// handleToken is POST /token and POST /login: the OAuth2 password flow.
// Unknown users and wrong passwords get the same 401 after the same bcrypt
// work; a disabled account is 403 "Inactive user" (only once its password is
// right, so the answer says nothing to those who do not know it).
func handleToken(logger *slog.Logger, users userStore, hasher *auth.Hasher, tokens *auth.Tokens, limits *loginLimits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(err error) { httpjson.Error(w, r, logger, err) }
		if err := limits.takeAddr(r); err != nil {
			fail(err)
			return
		}
		name, password, err := loginForm(r)
		if err != nil {
			fail(err)
			return
		}
		if wait := limits.user.wait(name); wait > 0 {
			fail(&httpjson.RateLimitError{RetryAfter: wait, Message: errTooManyLogins})
			return
		}
		u, err := users.UserByName(r.Context(), name)
		if err != nil && nba.ErrorCode(err) != nba.ENotFound {
			fail(err) // the database is away: say so rather than "wrong password"
			return
		}
		if !hasher.Compare(u.PasswordHash, password) { // u is zero for an unknown user
			limits.user.take(name)
			fail(fmt.Errorf("%w: login as %q", errBadLogin, name))
			return
		}
		if u.Disabled {
			fail(errInactive)
			return
		}
		tok, _, err := tokens.Issue(u.Username)
		if err != nil {
			fail(err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpjson.Encode(w, http.StatusOK, tokenResponse{AccessToken: tok, TokenType: "bearer", ExpiresIn: int(tokens.TTL().Seconds())})
	})
}
