package httpjson

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// FieldError is one entry of a FastAPI validation error: where (loc, e.g.
// ["body", "Period"]), what is wrong (msg) and a machine-readable type
// ("missing", "extra_forbidden", "float_parsing", ...).
type FieldError struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// ValidationError lists every problem found in a request. It is answered
// with status 422.
type ValidationError struct {
	Fields []FieldError
}

// Body returns a FieldError located in the request body at path.
func Body(msg, typ string, path ...any) FieldError {
	return FieldError{Loc: append([]any{"body"}, path...), Msg: msg, Type: typ}
}

// Add appends a field error.
func (e *ValidationError) Add(fe FieldError) { e.Fields = append(e.Fields, fe) }

// Err returns e, or nil when it holds no field error.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		loc := make([]string, len(f.Loc))
		for j, l := range f.Loc {
			loc[j] = fmt.Sprint(l)
		}
		parts[i] = fmt.Sprintf("%s: %s (%s)", strings.Join(loc, "."), f.Msg, f.Type)
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// Invalid returns a ValidationError with one field error.
func Invalid(fe FieldError) *ValidationError { return &ValidationError{Fields: []FieldError{fe}} }

// RateLimitError says a client must wait before trying again (HTTP 429 with
// Retry-After).
type RateLimitError struct {
	RetryAfter time.Duration
	Message    string
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited: %s (retry after %s)", e.Message, e.RetryAfter)
}

// Status returns the HTTP status for err. It is the only place that maps
// error codes to statuses.
func Status(err error) int {
	var (
		ve *ValidationError
		mb *http.MaxBytesError
		rl *RateLimitError
		mt *MediaTypeError
	)
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity
	case errors.As(err, &mt):
		return http.StatusUnsupportedMediaType
	case errors.As(err, &mb):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &rl):
		return http.StatusTooManyRequests
	}
	switch nba.ErrorCode(err) {
	case nba.EInvalid:
		return http.StatusBadRequest
	case nba.EUnauthorized:
		return http.StatusUnauthorized
	case nba.EForbidden:
		return http.StatusForbidden
	case nba.ENotFound:
		return http.StatusNotFound
	case nba.EConflict:
		return http.StatusConflict
	case nba.EUnavailable:
		return http.StatusServiceUnavailable
	}
	switch {
	case errors.Is(err, context.Canceled):
		return StatusClientClosed
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// StatusClientClosed is nginx's non-standard status for a request whose
// client went away before the answer; it keeps those out of the 5xx counts.
const StatusClientClosed = 499

type detail struct {
	Detail any `json:"detail"`
}

// Error answers the request with err: status from Status, a FastAPI-shaped
// body, and the headers the status needs (WWW-Authenticate on 401,
// Retry-After on 429). It logs err once, at a level that says who must act:
// Error for internal errors (the client only sees "internal error"), Warn
// for unavailable dependencies and refused credentials, Debug otherwise.
func Error(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	status := Status(err)
	ctx := r.Context()
	attrs := []any{"err", err, "status", status, "method", r.Method, "path", r.URL.Path}
	var body any
	switch status {
	case http.StatusUnprocessableEntity:
		var ve *ValidationError
		errors.As(err, &ve)
		body = detail{ve.Fields}
		logger.DebugContext(ctx, "invalid request", attrs...)
	case http.StatusRequestEntityTooLarge:
		var mb *http.MaxBytesError
		errors.As(err, &mb)
		body = detail{fmt.Sprintf("Request body too large: the limit is %d bytes", mb.Limit)}
		logger.WarnContext(ctx, "request body too large", attrs...)
	case http.StatusUnsupportedMediaType:
		var mt *MediaTypeError
		errors.As(err, &mt)
		body = detail{mt.message()}
		logger.DebugContext(ctx, "unsupported media type", attrs...)
	case http.StatusTooManyRequests:
		var rl *RateLimitError
		errors.As(err, &rl)
		secs := int(math.Ceil(rl.RetryAfter.Seconds()))
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		body = detail{rl.Message}
		logger.WarnContext(ctx, "rate limited", attrs...)
	case http.StatusInternalServerError:
		body = detail{"internal error"}
		logger.ErrorContext(ctx, "internal error", attrs...)
	case StatusClientClosed:
		body = detail{"client closed request"}
		logger.DebugContext(ctx, "client went away", attrs...)
	case http.StatusServiceUnavailable:
		msg := nba.ErrorMessage(err)
		if nba.ErrorCode(err) != nba.EUnavailable {
			msg = "request timed out"
		}
		body = detail{msg}
		logger.WarnContext(ctx, "dependency unavailable", attrs...)
	default:
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		body = detail{nba.ErrorMessage(err)}
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			logger.WarnContext(ctx, "access refused", attrs...)
		} else {
			logger.DebugContext(ctx, "request refused", attrs...)
		}
	}
	Encode(w, status, body)
}
