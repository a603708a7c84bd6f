package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
)

// FuzzParseV2Request checks the V2 decoder's properties: it never panics;
// an error speaks the caller's terms (no Go type or package names); an
// accepted request has N×39 finite values, each in range, each of them a
// JSON number of the body (a null or a string never becomes 0).
func FuzzParseV2Request(f *testing.F) {
	f1, _ := predict.DecodeFeatures([]byte(predict.ExampleBody))
	row, _ := json.Marshal(f1[:])
	for _, s := range []string{
		`{"inputs":[{"name":"input-0","shape":[1,39],"datatype":"FP64","data":` + string(row) + `}]}`,
		`{"inputs":[{"name":"input-0","shape":[1,39],"datatype":"FP64","data":[` + string(row) + `]}]}`,
		`{"id":"x","inputs":[{"name":"input-0","shape":[2,39],"datatype":"FP32","data":[` + string(row) + `,` + string(row) + `]}],"outputs":[{"name":"label"}]}`,
		`{"inputs":[{"name":"input-0","shape":[1,39],"datatype":"FP64","data":[null` + strings.Repeat(",null", 38) + `]}]}`,
		`{"inputs":[{"shape":"x"}]}`, `{"inputs":[{"shape":[1.5]}]}`, `{"inputs":{}}`, `[]`, `{`, `{"id":1}`,
		`{"inputs":[],"inputs":[]}`, `{"inputs":[{"name":"a","shape":[1,39],"datatype":"FP64","data":[[1],2]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, data, n, err := parseV2Request(body)
		if err != nil {
			for _, goName := range []string{"main.", "v2InferRequest", "v2Input", "Go struct", "float64", "[]int"} {
				if strings.Contains(err.Error(), goName) {
					t.Fatalf("error %q shows Go's %q", err, goName)
				}
			}
			return
		}
		if n < 1 || len(data) != n*nba.NumSeedFeatures {
			t.Fatalf("accepted %d values for %d rows", len(data), n)
		}
		var raw any
		if err := json.Unmarshal(req.Inputs[0].Data, &raw); err != nil {
			t.Fatalf("accepted data that is not JSON: %v", err)
		}
		var flat []any
		for _, v := range raw.([]any) {
			if r, ok := v.([]any); ok {
				flat = append(flat, r...)
			} else {
				flat = append(flat, v)
			}
		}
		if len(flat) != len(data) {
			t.Fatalf("%d JSON values, %d decoded", len(flat), len(data))
		}
		for i, x := range data {
			if v, ok := flat[i].(float64); !ok || v != x || math.IsInf(x, 0) || math.IsNaN(x) {
				t.Fatalf("value %d decoded as %v from %#v", i, x, flat[i])
			}
		}
		for r := range n {
			if err := (*predict.Features)(data[r*nba.NumSeedFeatures:]).Check(); err != nil {
				t.Fatalf("row %d accepted out of range: %v", r, err)
			}
		}
	})
}
