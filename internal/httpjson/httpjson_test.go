package httpjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

type signup struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
	Disabled bool    `json:"disabled"`
	Age      int     `json:"age"`
}

func (s *signup) Valid(context.Context) error {
	var ve ValidationError
	if s.Username == nil {
		ve.Add(Body("Field required", "missing", "username"))
	}
	if s.Password == nil {
		ve.Add(Body("Field required", "missing", "password"))
	}
	return ve.Err()
}

func request(body string) *http.Request {
	return httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []FieldError // nil: success
		wantErr int          // status of a non-validation error
	}{
		{"ok", `{"username":"a","password":"b","extra":1}`, nil, 0},
		{"empty", ``, []FieldError{Body("Field required", "missing")}, 0},
		{"syntax", `{"username":`, []FieldError{Body("JSON decode error", "json_invalid", int64(12))}, 0},
		{"trailing garbage", `{"username":"a","password":"b"} x`, []FieldError{Body("JSON decode error", "json_invalid", int64(33))}, 0},
		{"wrong type", `{"username":5,"password":"b"}`, []FieldError{Body("Input should be a valid string", "string_type", "username")}, 0},
		{"bool type", `{"username":"a","password":"b","disabled":"yes"}`, []FieldError{Body("Input should be a valid boolean", "bool_type", "disabled")}, 0},
		{"int type", `{"username":"a","password":"b","age":1.5}`, []FieldError{Body("Input should be a valid integer", "int_type", "age")}, 0},
		{"not an object", `[1,2]`, []FieldError{Body("Input should be a valid dictionary or object to extract fields from", "model_attributes_type")}, 0},
		{"missing fields", `{}`, []FieldError{Body("Field required", "missing", "username"), Body("Field required", "missing", "password")}, 0},
		{"oversized", `{"username":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, nil, http.StatusRequestEntityTooLarge},
		// encoding/json keeps the last of two values; Decode refuses the body.
		{"duplicate key", `{"username":"a","password":"b","username":"root"}`, []FieldError{Body("Duplicate key in JSON object", "duplicate_key", "username")}, 0},
		{"duplicate escaped key", `{"username":"a","password":"b","user\u006eame":"root"}`, []FieldError{Body("Duplicate key in JSON object", "duplicate_key", "username")}, 0},
		{"duplicate key in another case", `{"username":"a","password":"b","USERNAME":"root"}`, []FieldError{Body("Duplicate key in JSON object", "duplicate_key", "USERNAME")}, 0},
		{"many keys, one repeated in another case", `{"username":"a","password":"b"` + manyKeys(100, false) + `,"K99":1}`, []FieldError{Body("Duplicate key in JSON object", "duplicate_key", "K99")}, 0},
		{"duplicate nested key", `{"username":"a","password":"b","x":[{},{"k":1,"k":2}]}`, []FieldError{Body("Duplicate key in JSON object", "duplicate_key", "x", 1, "k")}, 0},
		{"same key in two objects", `{"username":"a","password":"b","x":[{"k":1},{"k":2}],"y":{"k":3}}`, nil, 0},
		{"many keys", `{"username":"a","password":"b"` + manyKeys(100, false) + `}`, nil, 0},
		{"many keys, one repeated", `{"username":"a","password":"b"` + manyKeys(100, true) + `}`, []FieldError{Body("Duplicate key in JSON object", "duplicate_key", "k0")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode[signup](request(tt.body))
			if tt.wantErr != 0 {
				if got := Status(err); got != tt.wantErr {
					t.Fatalf("Decode error %v has status %d, want %d", err, got, tt.wantErr)
				}
				return
			}
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Decode error = %v, want a *ValidationError", err)
			}
			if diff := cmp.Diff(tt.want, ve.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

// manyKeys returns ,"k0":0,"k1":1,... and, with again, "k0" once more at
// the end.
func manyKeys(n int, again bool) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `,"k%d":%d`, i, i)
	}
	if again {
		b.WriteString(`,"k0":0`)
	}
	return b.String()
}

// TestDecodeContentType: a JSON route reads application/json (with or
// without parameters, or no Content-Type at all, as FastAPI does) and
// answers 415 for anything else, even when the bytes parse as JSON.
func TestDecodeContentType(t *testing.T) {
	body := `{"username":"a","password":"b"}`
	for _, tt := range []struct {
		ct   string
		want int
	}{
		{"application/json", 200},
		{"application/json; charset=utf-8", 200},
		{"Application/JSON", 200},
		{"", 200},
		{"text/plain", 415},
		{"text/plain; charset=utf-8", 415},
		{"application/x-www-form-urlencoded", 415},
		{"multipart/form-data; boundary=x", 415},
		{"application/jsonx", 415},
		{"application/json; charset", 415}, // does not parse
	} {
		r := request(body)
		if tt.ct != "" {
			r.Header.Set("Content-Type", tt.ct)
		}
		_, err := Decode[signup](r)
		if got := Status(err); got != tt.want {
			t.Errorf("Decode with Content-Type %q: status %d (%v), want %d", tt.ct, got, err, tt.want)
		}
		if tt.want == 415 {
			w := httptest.NewRecorder()
			Error(w, r, slog.New(slog.DiscardHandler), err)
			if w.Code != 415 || !strings.Contains(w.Body.String(), "application/json") {
				t.Errorf("415 answer = %d %s, want it to name application/json", w.Code, w.Body)
			}
		}
	}
}

func TestReadBodyStreamedOversize(t *testing.T) {
	// No Content-Length: the limit must hold while reading.
	r := httptest.NewRequest(http.MethodPost, "/x", io.MultiReader(strings.NewReader("{"), bytes.NewReader(make([]byte, MaxBodyBytes))))
	r.ContentLength = -1
	if _, err := ReadBody(r); Status(err) != http.StatusRequestEntityTooLarge {
		t.Errorf("ReadBody of %d streamed bytes = %v, want 413", MaxBodyBytes+1, err)
	}
	r = httptest.NewRequest(http.MethodPost, "/x", bytes.NewReader(make([]byte, MaxBodyBytes)))
	if b, err := ReadBody(r); err != nil || len(b) != MaxBodyBytes {
		t.Errorf("ReadBody of exactly the limit = %d bytes, %v", len(b), err)
	}
}

func TestError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		body       string
		header     string // "Name: value" expected
		logLevel   string
		logMissing string // text that must not be in the body
	}{
		{"validation", Invalid(Body("Field required", "missing", "Period")), 422,
			`{"detail":[{"loc":["body","Period"],"msg":"Field required","type":"missing"}]}`, "", "DEBUG", ""},
		{"invalid", nba.Errorf(nba.EInvalid, "Username already registered"), 400, `{"detail":"Username already registered"}`, "", "DEBUG", ""},
		{"unauthorized", nba.Errorf(nba.EUnauthorized, "Not authenticated"), 401, `{"detail":"Not authenticated"}`, "WWW-Authenticate: Bearer", "WARN", ""},
		{"forbidden", nba.Errorf(nba.EForbidden, "Inactive user"), 403, `{"detail":"Inactive user"}`, "", "WARN", ""},
		{"not found", fmt.Errorf("lookup: %w", nba.Errorf(nba.ENotFound, "Prediction_id:9 not found")), 404, `{"detail":"Prediction_id:9 not found"}`, "", "DEBUG", ""},
		{"conflict", nba.Errorf(nba.EConflict, "already verified"), 409, `{"detail":"already verified"}`, "", "DEBUG", ""},
		{"too large", &http.MaxBytesError{Limit: 65536}, 413, `{"detail":"Request body too large: the limit is 65536 bytes"}`, "", "WARN", ""},
		{"rate limited", &RateLimitError{RetryAfter: 1500 * time.Millisecond, Message: "Too many login attempts"}, 429,
			`{"detail":"Too many login attempts"}`, "Retry-After: 2", "WARN", ""},
		{"unavailable", fmt.Errorf("dial tcp: %w", nba.Errorf(nba.EUnavailable, "prediction service unavailable")), 503,
			`{"detail":"prediction service unavailable"}`, "", "WARN", ""},
		{"internal", errors.New("pq: password=hunter2 leaked"), 500, `{"detail":"internal error"}`, "", "ERROR", "hunter2"},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), 503, `{"detail":"request timed out"}`, "", "WARN", ""},
		{"client gone", fmt.Errorf("query: %w", context.Canceled), 499, `{"detail":"client closed request"}`, "", "DEBUG", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			w := httptest.NewRecorder()
			Error(w, httptest.NewRequest(http.MethodGet, "/p", nil), logger, tt.err)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if got := strings.TrimSpace(w.Body.String()); got != tt.body {
				t.Errorf("body = %s, want %s", got, tt.body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tt.header != "" {
				name, value, _ := strings.Cut(tt.header, ": ")
				if got := w.Header().Get(name); got != value {
					t.Errorf("%s = %q, want %q", name, got, value)
				}
			}
			if !strings.Contains(logs.String(), "level="+tt.logLevel) || strings.Count(logs.String(), "\n") != 1 {
				t.Errorf("log = %q, want one line at %s", logs.String(), tt.logLevel)
			}
			if tt.logMissing != "" && strings.Contains(w.Body.String(), tt.logMissing) {
				t.Errorf("body leaks %q", tt.logMissing)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	w := httptest.NewRecorder()
	Encode(w, http.StatusCreated, map[string]string{"message": "ok"})
	if w.Code != 201 || strings.TrimSpace(w.Body.String()) != `{"message":"ok"}` {
		t.Errorf("Encode = %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	Encode(w, http.StatusOK, func() {})
	var got map[string]string
	if w.Code != 500 || json.Unmarshal(w.Body.Bytes(), &got) != nil || got["detail"] != "internal error" {
		t.Errorf("Encode(unencodable) = %d %s, want a 500 with a detail", w.Code, w.Body)
	}
}
