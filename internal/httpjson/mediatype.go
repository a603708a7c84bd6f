package httpjson

import (
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// MediaTypeError says a request body came in a media type the route does
// not read (HTTP 415). A text/plain body is not JSON, even when its bytes
// happen to parse as JSON.
type MediaTypeError struct {
	Got  string   // the request's Content-Type, as sent
	Want []string // the media types the route reads
}

func (e *MediaTypeError) Error() string {
	return fmt.Sprintf("unsupported media type %q, want %s", e.Got, strings.Join(e.Want, " or "))
}

// message is the client-facing text of e.
func (e *MediaTypeError) message() string {
	return fmt.Sprintf("Unsupported Media Type: send the body as %s (got %q)", strings.Join(e.Want, " or "), e.Got)
}

// RequireContentType checks the request's Content-Type against the media
// types a route reads (parameters such as charset are allowed). An absent
// Content-Type passes, as FastAPI reads such a body; any other type, or a
// header that does not parse, is a *MediaTypeError.
func RequireContentType(r *http.Request, want ...string) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" || slices.Contains(want, ct) { // the usual exact header: no parsing, no allocation
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && slices.Contains(want, mt) {
		return nil
	}
	return &MediaTypeError{Got: ct, Want: want}
}
