package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// The cases of the batch insert and of the group commit (store.Writer) on a
// real adapter.

// rowFor is a prediction whose every field says which request made it, so a
// row read back by the id one request got proves it holds that request's
// content.
func rowFor(userID int64, req int) store.Prediction {
	p := store.Prediction{UserID: userID, Prediction: req % 2, Probability: float64(req%1000) / 1000,
		ModelVersion: fmt.Sprintf("v-req-%d", req),
		Input:        json.RawMessage(fmt.Sprintf(`{"request": %d, "name": "O'Neal \"Shaq\" %d"}`, req, req))}
	if req%3 == 0 {
		p.RawShot = json.RawMessage(fmt.Sprintf(`{"player_name": "req %d"}`, req))
	}
	return p
}

// checkStored reads every prediction back by its id and compares it with
// what its request sent; ids must be unique.
func checkStored(t *testing.T, s Store, ps []*store.Prediction) {
	t.Helper()
	seen := make(map[int64]int, len(ps))
	for i, p := range ps {
		if p.ID == 0 {
			t.Errorf("row %d got no id", i)
			continue
		}
		if j, dup := seen[p.ID]; dup {
			t.Errorf("rows %d and %d both got id %d", j, i, p.ID)
		}
		seen[p.ID] = i
		if p.CreatedAt.IsZero() || time.Since(p.CreatedAt) > time.Minute {
			t.Errorf("row %d: CreatedAt = %v, want about now", i, p.CreatedAt)
		}
		got, err := s.Prediction(t.Context(), p.ID)
		if err != nil {
			t.Errorf("Prediction(%d): %v", p.ID, err)
			continue
		}
		if !jsonEqual(t, p.Input, got.Input) || !jsonEqual(t, p.RawShot, got.RawShot) {
			t.Errorf("id %d holds %s / %s, want request %d's %s / %s", p.ID, got.Input, got.RawShot, i, p.Input, p.RawShot)
		}
		want := *p
		want.Input, want.RawShot, got.Input, got.RawShot = nil, nil, nil, nil
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("Prediction(%d) mismatch (-sent +read):\n%s", p.ID, diff)
		}
	}
}

func wantStoredCount(t *testing.T, s Store, want int64) {
	t.Helper()
	st, err := s.Stats(t.Context())
	if err != nil || st.Predictions != want {
		t.Errorf("%d predictions stored (%v), want %d", st.Predictions, err, want)
	}
}

func testBatchInsert(t *testing.T, s Store) {
	u := mustUser(t, s, "batcher")
	if err := s.CreatePredictions(t.Context(), nil); err != nil {
		t.Errorf("CreatePredictions(empty) = %v", err)
	}
	var ps []*store.Prediction
	for i := range 50 {
		p := rowFor(u.ID, i)
		ps = append(ps, &p)
	}
	if err := s.CreatePredictions(t.Context(), ps); err != nil {
		t.Fatalf("CreatePredictions(50): %v", err)
	}
	checkStored(t, s, ps)
	wantStoredCount(t, s, 50)
}

// testBatchAllOrNothing: one bad row fails its whole batch, and none of the
// batch's rows is stored.
func testBatchAllOrNothing(t *testing.T, s Store) {
	u := mustUser(t, s, "atomic")
	var ps []*store.Prediction
	for i := range 10 {
		p := rowFor(u.ID, i)
		if i == 7 {
			p.UserID = 424242 // no such user: a foreign-key violation
		}
		ps = append(ps, &p)
	}
	if err := s.CreatePredictions(t.Context(), ps); err == nil {
		t.Fatal("CreatePredictions with a row of an unknown user succeeded")
	}
	wantStoredCount(t, s, 0)
}

// testGroupCommit: many concurrent requests through a Writer; each gets its
// own id, and the row behind it holds that request's content.
func testGroupCommit(t *testing.T, s Store) {
	u := mustUser(t, s, "grouped")
	var batches sync.Map // sizes seen, to show rows were grouped
	w := store.NewWriter(s, store.WriterConfig{MaxBatch: 16, Workers: 2, Observe: func(n int, _ time.Duration, err error) {
		if err == nil {
			batches.Store(n, true)
		}
	}})
	const clients, each = 32, 10
	ps := make([]*store.Prediction, clients*each)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for k := range each {
				i := c*each + k
				p := rowFor(u.ID, i)
				if err := w.CreatePrediction(t.Context(), &p); err != nil {
					t.Errorf("request %d: %v", i, err)
					return
				}
				ps[i] = &p
			}
		})
	}
	wg.Wait()
	w.Close()
	if t.Failed() {
		return
	}
	checkStored(t, s, ps)
	wantStoredCount(t, s, clients*each)
	grouped := false
	batches.Range(func(k, _ any) bool {
		if k.(int) > 16 {
			t.Errorf("a batch of %d rows, over MaxBatch 16", k)
		}
		grouped = grouped || k.(int) > 1
		return true
	})
	if !grouped {
		t.Error("every batch held one row: 32 concurrent clients were never grouped")
	}
}

// testGroupCommitBadRow: a row the database refuses fails alone; the
// requests batched with it are stored.
func testGroupCommitBadRow(t *testing.T, s Store) {
	u := mustUser(t, s, "neighbour")
	w := store.NewWriter(s, store.WriterConfig{MaxBatch: 64, MaxWait: 50 * time.Millisecond})
	defer w.Close()
	const n = 20
	ps := make([]*store.Prediction, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p := rowFor(u.ID, i)
			if i == 5 {
				p.UserID = 424242
			}
			ps[i], errs[i] = &p, w.CreatePrediction(t.Context(), &p)
		})
	}
	wg.Wait()
	var good []*store.Prediction
	for i, err := range errs {
		switch {
		case i == 5 && err == nil:
			t.Error("the row of an unknown user was stored")
		case i == 5:
			if nba.ErrorCode(err) == nba.EUnavailable {
				t.Errorf("a refused row reported as an outage: %v", err)
			}
		case err != nil:
			t.Errorf("request %d failed with its bad neighbour: %v", i, err)
		default:
			good = append(good, ps[i])
		}
	}
	checkStored(t, s, good)
	wantStoredCount(t, s, n-1)
}

// testWriterClose: Close while requests keep coming. Every request that got
// nil has its row, every other got an error and has none: nothing lost,
// nothing written twice.
func testWriterClose(t *testing.T, s Store) {
	u := mustUser(t, s, "closer")
	w := store.NewWriter(s, store.WriterConfig{MaxBatch: 8, Queue: 16, Workers: 2})
	const clients = 16
	var (
		mu     sync.Mutex
		stored []*store.Prediction
		failed int
		wg     sync.WaitGroup
	)
	started := make(chan struct{}, clients)
	for c := range clients {
		wg.Go(func() {
			for k := 0; k < 1000; k++ { // bounded: Close ends it long before
				p := rowFor(u.ID, c*1000+k)
				err := w.CreatePrediction(context.Background(), &p)
				if k == 0 {
					started <- struct{}{}
				}
				mu.Lock()
				if err == nil {
					stored = append(stored, &p)
				} else {
					failed++
				}
				mu.Unlock()
				if err != nil {
					if nba.ErrorCode(err) != nba.EUnavailable {
						t.Errorf("after Close: %v, want unavailable", err)
					}
					return
				}
			}
		})
	}
	for range clients {
		<-started
	}
	w.Close()
	wg.Wait()
	if failed == 0 {
		t.Log("every client finished before Close; nothing was refused")
	}
	checkStored(t, s, stored)
	wantStoredCount(t, s, int64(len(stored)))
	p := rowFor(u.ID, 999999)
	if err := w.CreatePrediction(t.Context(), &p); nba.ErrorCode(err) != nba.EUnavailable {
		t.Errorf("CreatePrediction after Close = %v, want unavailable", err)
	}
}
