// Package httpjson is the one place where the HTTP services encode JSON,
// decode request bodies and turn errors into responses. Its error bodies take
// FastAPI's shapes, which the original system's clients parse:
// {"detail": "..."} and, for invalid input, HTTP 422 with
// {"detail": [{"loc": [...], "msg": "...", "type": "..."}]}.
//
// Status maps nba.Error codes (and the few transport errors below) to HTTP
// statuses; no other code in the project does.
package httpjson
