package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nba-mlops/nba-mlops/internal/model/modeltest"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
)

func benchServer(b *testing.B) http.Handler {
	b.Helper()
	m := modeltest.Train(b, 1, 3000)
	reg := prometheus.NewRegistry()
	met := newMetrics(reg)
	h := &holder{}
	h.current.Store(&champion{model: m, version: m.Version()})
	return NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), reg, met, h)
}

// BenchmarkHandlePredict is the whole server-side cost of one POST /predict:
// routing, metrics, strict decoding of the 39 fields, scoring, encoding.
func BenchmarkHandlePredict(b *testing.B) {
	srv := benchServer(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/predict", strings.NewReader(originalBody))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}

// BenchmarkHandlePredictShot is the same for a raw shot, which adds the
// geometry checks and the model's own Seed transform.
func BenchmarkHandlePredictShot(b *testing.B) {
	srv := benchServer(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/predict/shot", strings.NewReader(shotBody))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}

// BenchmarkHandlePredictRecord is the same for apid's forwarded record
// (POST /predict/record): decoded and bounds-checked, not validated again.
func BenchmarkHandlePredictRecord(b *testing.B) {
	srv := benchServer(b)
	req, err := predict.DecodeShotRequest([]byte(shotBody))
	if err != nil {
		b.Fatal(err)
	}
	s, err := req.Shot()
	if err != nil {
		b.Fatal(err)
	}
	record := string(req.AppendRecord(nil, &s))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/predict/record", strings.NewReader(record))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}

// BenchmarkV2Infer1000 scores a batch of 1,000 rows through the V2 endpoint.
func BenchmarkV2Infer1000(b *testing.B) {
	srv := benchServer(b)
	var body map[string]float64
	json.Unmarshal([]byte(originalBody), &body)
	data := make([]float64, 0, 1000*nba.NumSeedFeatures)
	for range 1000 {
		for _, n := range nba.FeatureNames() {
			data = append(data, body[n])
		}
	}
	req, _ := json.Marshal(map[string]any{"inputs": []any{map[string]any{
		"name": "input-0", "shape": []int{1000, 39}, "datatype": "FP64", "data": data}}})
	b.SetBytes(int64(len(req)))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v2/models/nba-shot/infer", strings.NewReader(string(req))))
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}
