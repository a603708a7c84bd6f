package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/nba-mlops/nba-mlops/internal/auth"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/httpmetrics"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// withRequestID gives each request an ID: the caller's X-Request-ID when it
// is short and plain, a random one otherwise. It is echoed in the response
// and added to every log record of the request.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id string
		if v := r.Header[requestIDHeader]; len(v) > 0 {
			id = v[0]
		}
		if !plainID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:]) // crypto/rand never fails on Linux
			id = hex.EncodeToString(b[:])
		}
		w.Header()[requestIDHeader] = []string{id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// requestIDHeader is X-Request-ID in the canonical form net/http stores
// header names in; indexing the header maps with it directly skips the
// canonicalisation (an allocation) that Get and Set make for a name not
// already in that form.
const requestIDHeader = "X-Request-Id"

func plainID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// accessLog writes one line per request, with the route pattern beside the
// raw path. Probes and scrapes log at Debug so they do not drown the rest.
func accessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			d := time.Since(start)
			route := "none" // as httpmetrics labels unmatched paths
			if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
				route = rc.RoutePattern()
			}
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			switch route {
			case "/healthz", "/readyz", "/metrics":
				level = slog.LevelDebug
			}
			if !logger.Enabled(r.Context(), level) {
				return
			}
			logger.LogAttrs(r.Context(), level, "request",
				slog.String("method", httpmetrics.Method(r.Method)), slog.String("path", clip(r.URL.Path)), slog.String("route", route),
				slog.Int("status", status), slog.Int("bytes", ww.BytesWritten()),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.String("remote", clientAddr(r)))
		})
	}
}

// clip bounds what a request can put in one log line: a path may be as long
// as the header limit allows.
func clip(s string) string {
	const max = 256
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// recoverer turns a panic into a logged 500, so one bad request cannot take
// the process down.
func recoverer(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v) // the server's own way to abort a response
				}
				httpjson.Error(w, r, logger, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// limitBody refuses bodies over httpjson.MaxBodyBytes: at once when the
// Content-Length says so, and while reading otherwise.
func limitBody(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > httpjson.MaxBodyBytes {
				httpjson.Error(w, r, logger, &http.MaxBytesError{Limit: httpjson.MaxBodyBytes})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, httpjson.MaxBodyBytes)
			next.ServeHTTP(w, r)
		})
	}
}

// withTimeout bounds each request, and with it every database and
// prediction-service call it makes.
func withTimeout(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// cors answers CORS for the configured origins ("*" allows any). With none
// configured it adds nothing, so browsers keep the same-origin policy.
// Credentials are never allowed: the API authenticates with bearer tokens,
// not cookies.
func cors(origins []string) func(http.Handler) http.Handler {
	anyOrigin := slices.Contains(origins, "*")
	return func(next http.Handler) http.Handler {
		if len(origins) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin == "" || !(anyOrigin || slices.Contains(origins, origin)) {
				next.ServeHTTP(w, r)
				return
			}
			h := w.Header()
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "Retry-After, X-Request-ID, WWW-Authenticate")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-ID")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// clientAddr is the address rate limits key on: the TCP peer. Forwarded-for
// headers are ignored on purpose: anyone can send them, and trusting them
// would let one client pose as many.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

var (
	errNotAuthenticated = &nba.Error{Code: nba.EUnauthorized, Message: "Not authenticated"}
	errInactive         = &nba.Error{Code: nba.EForbidden, Message: "Inactive user"}
)

// tokenVerifier checks an access token and returns its account.
type tokenVerifier interface {
	Verify(token string) (auth.Account, error)
}

// requireUser admits requests that carry a valid bearer token of an
// existing, enabled account, and puts the user in the context. The token
// must name the account's id and token version: a token of a deleted
// account does not work for a new one with the same name, and logout,
// password change and deletion kill the tokens issued before. Users come
// from a short cache (userCache); a token that disagrees with the cached
// user is checked against the store before it is refused.
func requireUser(logger *slog.Logger, tokens tokenVerifier, users *userCache) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
				httpjson.Error(w, r, logger, errNotAuthenticated)
				return
			}
			acc, err := tokens.Verify(strings.TrimSpace(token))
			if err != nil {
				httpjson.Error(w, r, logger, err)
				return
			}
			u, err := users.UserByName(r.Context(), acc.Name)
			if err == nil && (u.ID != acc.ID || u.TokenVersion != acc.Version) {
				u, err = users.Reload(r.Context(), acc.Name)
			}
			switch {
			case nba.ErrorCode(err) == nba.ENotFound:
				httpjson.Error(w, r, logger, fmt.Errorf("%w: token of unknown user %q", errBadCredentials, acc.Name))
				return
			case err != nil:
				httpjson.Error(w, r, logger, err)
				return
			case u.ID != acc.ID:
				httpjson.Error(w, r, logger, fmt.Errorf("%w: token of account %d, %q is now account %d", errBadCredentials, acc.ID, acc.Name, u.ID))
				return
			case u.TokenVersion != acc.Version:
				httpjson.Error(w, r, logger, fmt.Errorf("%w: token version %d of user %d, now %d (logged out or password changed)", errBadCredentials, acc.Version, u.ID, u.TokenVersion))
				return
			case u.Disabled:
				httpjson.Error(w, r, logger, errInactive)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
		})
	}
}

var errBadCredentials = &nba.Error{Code: nba.EUnauthorized, Message: "Could not validate credentials"}

// userFrom returns the user requireUser admitted.
func userFrom(ctx context.Context) (store.User, error) {
	u, ok := ctx.Value(userKey).(store.User)
	if !ok {
		return store.User{}, errors.New("no user in the request context: route lacks requireUser")
	}
	return u, nil
}
