package main

import (
	_ "embed" // openapi.json
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/nba-mlops/nba-mlops/internal/version"
)

// openAPISource is the OpenAPI 3.1 document of apid. It is kept as JSON,
// not built in code, so it reads as what clients see. Tests hold it to the
// code: every route documented and every documented operation served, the
// 39 feature names, the value sets of the shot fields, the account rules and
// the examples accepted by the real decoders.
//
//go:embed openapi.json
var openAPISource []byte

// openAPIJSON is the served document: openapi.json with this build's version.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(openAPISource, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	info, ok := doc["info"].(map[string]any)
	if !ok {
		return nil, errors.New("openapi.json: no info object")
	}
	info["version"] = version.Version
	return json.Marshal(doc)
})

func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := openAPIJSON()
		if err != nil {
			http.Error(w, `{"detail":"internal error"}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
}
