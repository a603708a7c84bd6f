package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/model/modeltest"
	"github.com/nba-mlops/nba-mlops/internal/predict"
)

// TestContentTypes: every JSON route reads application/json (with or
// without parameters) and answers 415 for any other type, even when the
// bytes are JSON.
func TestContentTypes(t *testing.T) {
	dir := t.TempDir()
	modeltest.Promote(t, dir, 1, 2000)
	s := start(t, dir)
	req, err := predict.DecodeShotRequest([]byte(shotBody))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := req.Shot()
	if err != nil {
		t.Fatal(err)
	}
	record, _ := req.Record(shot)
	v2, _ := json.Marshal(map[string]any{"inputs": []any{map[string]any{"name": "input-0", "shape": []int{1, 39},
		"datatype": "FP64", "data": mustFeatures(t)}}})
	for path, body := range map[string]string{
		"/predict": originalBody, "/predict/shot": shotBody, "/predict/record": string(record),
		"/v2/models/nba-shot/infer": string(v2),
	} {
		for ct, want := range map[string]int{
			"application/json": 200, "application/json; charset=utf-8": 200,
			"text/plain": 415, "application/x-www-form-urlencoded": 415, "multipart/form-data; boundary=b": 415,
		} {
			r, _ := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(body))
			r.Header.Set("Content-Type", ct)
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("POST %s as %s = %d %s, want %d", path, ct, resp.StatusCode, b, want)
			}
			if want == 415 && !strings.Contains(string(b), "application/json") {
				t.Errorf("POST %s as %s: 415 body %s does not say what to send", path, ct, b)
			}
		}
	}
}

func mustFeatures(t *testing.T) []float64 {
	t.Helper()
	f, err := predict.DecodeFeatures([]byte(originalBody))
	if err != nil {
		t.Fatal(err)
	}
	return f[:]
}

// TestPredictRecord: the record apid forwards scores like the raw shot it
// came from, and a record out of bounds is refused, naming the field.
func TestPredictRecord(t *testing.T) {
	dir := t.TempDir()
	modeltest.Promote(t, dir, 1, 2000)
	s := start(t, dir)
	req, _ := predict.DecodeShotRequest([]byte(shotBody))
	shot, err := req.Shot()
	if err != nil {
		t.Fatal(err)
	}
	record, _ := req.Record(shot)
	code, viaRecord := s.do(t, "POST", "/predict/record", string(record))
	if code != 200 {
		t.Fatalf("POST /predict/record = %d %v", code, viaRecord)
	}
	_, viaShot := s.do(t, "POST", "/predict/shot", shotBody)
	if viaRecord["probability"] != viaShot["probability"] || viaRecord["model_version"] != "v1" {
		t.Errorf("record scored %v, the raw shot %v", viaRecord, viaShot)
	}
	bad := strings.Replace(string(record), `"period":4`, `"period":11`, 1)
	if code, out := s.do(t, "POST", "/predict/record", bad); code != 422 || !strings.Contains(fmt.Sprint(out["detail"]), "period") {
		t.Errorf("period 11: %d %v, want 422 naming period", code, out)
	}
}
