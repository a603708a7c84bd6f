package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/store/sqlite"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// TestRunShutdownUnderLoad stops the whole program while 16 clients keep
// posting /predict: every answer of 200 must be a stored row (the group
// commit is drained before the store closes), and run must return cleanly.
func TestRunShutdownUnderLoad(t *testing.T) {
	fp := newFakePredictd(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &testenv.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"apid", "--addr", addr}, env(map[string]string{
			"JWT_SECRET": testSecret, "NBA_DATA_DIR": dir, "PREDICT_URL": fp.URL(), "BCRYPT_COST": "4",
		}), &bytes.Buffer{}, stderr)
	}()
	base := "http://" + addr
	eventually(t, 20*time.Second, "apid up", func() bool { c, err := httpGet(base + "/healthz"); return err == nil && c == 200 })
	tok := signupLogin(t, base, "pete", "petepass1")

	var (
		mu  sync.Mutex
		ids []int64
		wg  sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for range 16 {
		wg.Go(func() {
			for range 2000 { // bounded; the shutdown ends it long before
				req, _ := http.NewRequest("POST", base+"/predict", strings.NewReader(readmeBody))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				var r response
				r.status = resp.StatusCode
				var b bytes.Buffer
				_, _ = b.ReadFrom(resp.Body)
				resp.Body.Close()
				r.body = b.Bytes()
				if r.status != 200 {
					return // 503 while shutting down
				}
				id, _ := r.json(t)["prediction_id"].(float64)
				mu.Lock()
				ids = append(ids, int64(id))
				mu.Unlock()
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not stop within 20 s")
	}
	wg.Wait()
	if len(ids) == 0 {
		t.Fatal("no prediction answered before the shutdown")
	}

	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "apid.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("prediction_id %d answered twice", id)
		}
		seen[id] = true
		if _, err := db.Prediction(t.Context(), id); err != nil {
			t.Fatalf("prediction_id %d was answered 200 but is not stored after the shutdown: %v", id, err)
		}
	}
	st, err := db.Stats(t.Context())
	if err != nil || st.Predictions < int64(len(ids)) {
		t.Errorf("%d rows (%v) for %d answers of 200", st.Predictions, err, len(ids))
	}
	t.Logf("%d answers of 200 before the shutdown, all stored; %d rows", len(ids), st.Predictions)
}
