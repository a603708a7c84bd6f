package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nba-mlops/nba-mlops/internal/auth"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// instantPredictor answers at once: a fake above the network boundary, so
// the benchmark measures apid (auth, decoding, storage), not predictd.
type instantPredictor struct{}

func (instantPredictor) Predict(context.Context, predict.Features) (predict.Prediction, error) {
	return predict.Prediction{Prediction: 1, Probability: 0.7, ModelVersion: "v1"}, nil
}

func (instantPredictor) PredictRecord(context.Context, []byte) (predict.Prediction, error) {
	return predict.Prediction{Prediction: 1, Probability: 0.7, ModelVersion: "v1"}, nil
}

func (instantPredictor) Ready(context.Context) error { return nil }

// BenchmarkHandlePredict measures POST /predict through the whole handler
// stack (request id, metrics, access log, auth with a user lookup, strict
// decoding, the insert through the group commit) on each store, in-process,
// sequentially (one row per commit) and with parallel clients (rows
// grouped).
func BenchmarkHandlePredict(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			db := be.open(b)
			tokens, _ := auth.NewTokens(auth.NewSecret(testSecret), time.Hour)
			hasher, _ := auth.NewHasher(4)
			u := store.User{Username: "bench", PasswordHash: "x"}
			if err := db.CreateUser(context.Background(), &u); err != nil {
				b.Fatal(err)
			}
			tok, _, _ := tokens.Issue(auth.Account{Name: u.Username, ID: u.ID})
			// Inserts go through the group commit, as in run.
			writer := store.NewWriter(db, store.WriterConfig{Workers: 2})
			b.Cleanup(writer.Close)
			h := NewServer(deps{
				logger: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
				reg:    prometheus.NewRegistry(), users: db, predictions: groupCommitted{db, writer}, feedback: db, stats: db, db: db,
				predictor: instantPredictor{}, tokens: tokens, hasher: hasher, accounts: db, logins: db, feedbackWindow: 500,
				loginPerUser: 10, loginPerAddr: 10, requestTimeout: 10 * time.Second, userCacheTTL: 2 * time.Second,
			})
			serve := func() {
				req := httptest.NewRequest(http.MethodPost, "/predict", strings.NewReader(readmeBody))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
			b.Run("serial", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					serve()
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						serve()
					}
				})
			})
		})
	}
}

// memPredictions stores nothing: a fake above the store boundary, so that
// BenchmarkPredictHandler measures apid's own per-request work alone.
type memPredictions struct {
	predictionStore
	next atomic.Int64
}

func (m *memPredictions) CreatePrediction(_ context.Context, p *store.Prediction) error {
	p.ID = m.next.Add(1)
	return nil
}

// BenchmarkPredictHandler is POST /predict through the whole handler stack
// (request id, metrics, access log, auth, decoding, encoding) with instant
// fakes of predictd and the store: the CPU and allocations apid itself
// spends per request.
func BenchmarkPredictHandler(b *testing.B) { benchHandler(b, "/predict", readmeBody) }

// BenchmarkPredictShotHandler is POST /predict/shot as BenchmarkPredictHandler
// measures POST /predict: the whole handler stack with instant fakes of
// predictd and the store, so the CPU and allocations are apid's own
// (decoding, validation and derivation, the record, the answer).
func BenchmarkPredictShotHandler(b *testing.B) { benchHandler(b, "/predict/shot", shotBody) }

// benchHandler posts body to path through apid's whole handler stack with
// instant fakes of predictd and the store, as an authenticated user.
func benchHandler(b *testing.B, path, body string) {
	db := openSQLite(b)
	tokens, _ := auth.NewTokens(auth.NewSecret(testSecret), time.Hour)
	hasher, _ := auth.NewHasher(4)
	u := store.User{Username: "bench", PasswordHash: "x"}
	if err := db.CreateUser(context.Background(), &u); err != nil {
		b.Fatal(err)
	}
	tok, _, _ := tokens.Issue(auth.Account{Name: u.Username, ID: u.ID})
	h := NewServer(deps{
		logger: newLogger(io.Discard, slog.LevelInfo, "text"),
		reg:    prometheus.NewRegistry(), users: db, predictions: &memPredictions{predictionStore: db}, feedback: db, stats: db, db: db,
		predictor: instantPredictor{}, tokens: tokens, hasher: hasher, accounts: db, logins: db, feedbackWindow: 500,
		loginPerUser: 10, loginPerAddr: 10, requestTimeout: 10 * time.Second, userCacheTTL: 2 * time.Second,
		tokenCacheTTL: time.Second,
	})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
