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
			err = limits.take(r, limits.addrBucket(r))
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
	switch err := auth.CheckUsername(username); {
	case !okU || username == "":
		ve.Add(httpjson.Body("Field required", "missing", "username"))
	case err != nil:
		// The signup rule: a name no account can have is refused before
		// it reaches the limits or the log (it could be 60 KB long).
		ve.Add(httpjson.Body("Value error, "+nba.ErrorMessage(err), "value_error", "username"))
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
//
// The username is checked against the signup rule first (422): a name that
// cannot exist never reaches the limits or the log. Then the attempt is
// charged to the address, to the name from this address and to the name
// (loginLimits), in one step, before bcrypt; a right password gets the
// name's tokens back.
func handleToken(logger *slog.Logger, users userStore, hasher *auth.Hasher, tokens *auth.Tokens, limits *loginLimits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(err error) { httpjson.Error(w, r, logger, err) }
		name, password, err := loginForm(r)
		if err != nil {
			fail(err)
			return
		}
		guess := limits.userBuckets(r, name)
		if err := limits.take(r, append(guess, limits.addrBucket(r))...); err != nil {
			fail(err)
			return
		}
		u, err := users.UserByName(r.Context(), name)
		if err != nil && nba.ErrorCode(err) != nba.ENotFound {
			fail(err) // the database is away: say so rather than "wrong password"
			return
		}
		if !hasher.Compare(u.PasswordHash, password) { // u is zero for an unknown user
			fail(fmt.Errorf("%w: login as %q", errBadLogin, name))
			return
		}
		limits.refund(r, guess)
		if u.Disabled {
			fail(errInactive)
			return
		}
		tok, _, err := tokens.Issue(auth.Account{Name: u.Username, ID: u.ID, Version: u.TokenVersion})
		if err != nil {
			fail(err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpjson.Encode(w, http.StatusOK, tokenResponse{AccessToken: tok, TokenType: "bearer", ExpiresIn: int(tokens.TTL().Seconds())})
	})
}

// accountStore changes an account; each change revokes its tokens.
type accountStore interface {
	// RevokeTokens, SetPassword, DeleteUser: errors not_found; unavailable.
	RevokeTokens(ctx context.Context, id int64) error
	SetPassword(ctx context.Context, id int64, hash string) error
	DeleteUser(ctx context.Context, id int64) error
}

// handleLogout is POST /logout: every token of the account dies (the token
// version moves on), on every replica once its user cache has expired
// (userCacheTTL, 2 s).
func handleLogout(logger *slog.Logger, accounts accountStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := userFrom(r.Context())
		if err == nil {
			err = accounts.RevokeTokens(r.Context(), u.ID)
		}
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		logger.InfoContext(r.Context(), "logged out", "user_id", u.ID)
		httpjson.Encode(w, http.StatusOK, map[string]string{"message": "Logged out"})
	})
}

var errWrongPassword = &nba.Error{Code: nba.EForbidden, Message: "Incorrect password"}

// checkPassword re-authenticates the user of a request before a change to
// the account, under the same limits as a login: a stolen token must not
// become a way to guess the password.
func checkPassword(r *http.Request, hasher *auth.Hasher, limits *loginLimits, u store.User, password string) error {
	guess := limits.userBuckets(r, u.Username)
	if err := limits.take(r, append(guess, limits.addrBucket(r))...); err != nil {
		return err
	}
	if !hasher.Compare(u.PasswordHash, password) {
		return fmt.Errorf("%w: user %d", errWrongPassword, u.ID)
	}
	limits.refund(r, guess)
	return nil
}

type passwordRequest struct {
	CurrentPassword *string `json:"current_password"`
	NewPassword     *string `json:"new_password"`
}

// Valid checks the new password by the signup rule.
func (p *passwordRequest) Valid(context.Context) error {
	var ve httpjson.ValidationError
	if p.CurrentPassword == nil {
		ve.Add(httpjson.Body("Field required", "missing", "current_password"))
	}
	switch {
	case p.NewPassword == nil:
		ve.Add(httpjson.Body("Field required", "missing", "new_password"))
	case auth.CheckPassword(*p.NewPassword) != nil:
		ve.Add(httpjson.Body("Value error, "+nba.ErrorMessage(auth.CheckPassword(*p.NewPassword)), "value_error", "new_password"))
	}
	return ve.Err()
}

// reauthenticate starts a request that changes the account: the token's
// user, the body T decoded (and validated), and the current password taken
// from it checked under the login limits.
func reauthenticate[T any](r *http.Request, hasher *auth.Hasher, limits *loginLimits, password func(*T) string) (store.User, T, error) {
	var zero T
	u, err := userFrom(r.Context())
	if err != nil {
		return store.User{}, zero, err
	}
	req, err := httpjson.Decode[T](r)
	if err != nil {
		return store.User{}, zero, err
	}
	if err := checkPassword(r, hasher, limits, u, password(&req)); err != nil {
		return store.User{}, zero, err
	}
	return u, req, nil
}

// handlePasswordChange is POST /users/me/password {"current_password",
// "new_password"}: the current password is checked, and every token of the
// account dies with the old password; the client logs in again.
func handlePasswordChange(logger *slog.Logger, hasher *auth.Hasher, limits *loginLimits, accounts accountStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(err error) { httpjson.Error(w, r, logger, err) }
		u, req, err := reauthenticate(r, hasher, limits, func(p *passwordRequest) string { return *p.CurrentPassword })
		if err != nil {
			fail(err)
			return
		}
		hash, err := hasher.Hash(*req.NewPassword)
		if err == nil {
			err = accounts.SetPassword(r.Context(), u.ID, hash)
		}
		if err != nil {
			fail(err)
			return
		}
		logger.InfoContext(r.Context(), "password changed", "user_id", u.ID)
		httpjson.Encode(w, http.StatusOK, map[string]string{"message": "Password changed; log in again"})
	})
}

type deleteRequest struct {
	Password *string `json:"password"`
}

// Valid requires the password.
func (d *deleteRequest) Valid(context.Context) error {
	if d.Password == nil {
		return httpjson.Invalid(httpjson.Body("Field required", "missing", "password"))
	}
	return nil
}

// handleDeleteAccount is DELETE /users/me {"password"}: the account is
// deleted (its name freed, its tokens dead); its predictions stay.
func handleDeleteAccount(logger *slog.Logger, hasher *auth.Hasher, limits *loginLimits, accounts accountStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(err error) { httpjson.Error(w, r, logger, err) }
		u, _, err := reauthenticate(r, hasher, limits, func(d *deleteRequest) string { return *d.Password })
		if err == nil {
			err = accounts.DeleteUser(r.Context(), u.ID)
		}
		if err != nil {
			fail(err)
			return
		}
		logger.InfoContext(r.Context(), "user deleted", "user_id", u.ID)
		httpjson.Encode(w, http.StatusOK, map[string]string{"message": fmt.Sprintf("User %s deleted", u.Username)})
	})
}
