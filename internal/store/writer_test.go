package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// gate is a BatchInserter above the storage boundary (the adapters' own
// batches are tested on real databases by storetest): it holds every batch
// until released, records batch sizes, and fails with err while it is set.
type gate struct {
	release chan struct{}
	mu      sync.Mutex
	sizes   []int
	err     error
	next    atomic.Int64
}

func (g *gate) CreatePredictions(ctx context.Context, ps []*store.Prediction) error {
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sizes = append(g.sizes, len(ps))
	if g.err != nil {
		return g.err
	}
	for _, p := range ps {
		p.ID = g.next.Add(1)
	}
	return nil
}

func TestWriterOutageFailsWholeBatch(t *testing.T) {
	g := &gate{release: make(chan struct{}), err: fmt.Errorf("dial: %w", store.ErrUnavailable)}
	close(g.release)
	w := store.NewWriter(g, store.WriterConfig{MaxBatch: 8, MaxWait: 20 * time.Millisecond})
	defer w.Close()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = w.CreatePrediction(t.Context(), &store.Prediction{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if nba.ErrorCode(err) != nba.EUnavailable {
			t.Errorf("request %d: %v, want unavailable", i, err)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	total := 0
	for _, n := range g.sizes {
		total += n
	}
	if total != 8 {
		t.Errorf("batches %v hold %d rows, want 8: an outage must not be retried row by row", g.sizes, total)
	}
}

// TestWriterBackPressure: with the database stuck, the queue fills, and
// further requests wait on their own context instead of queueing without
// bound.
func TestWriterBackPressure(t *testing.T) {
	g := &gate{release: make(chan struct{})}
	w := store.NewWriter(g, store.WriterConfig{MaxBatch: 2, Queue: 4})
	var wg sync.WaitGroup
	// 2 rows in the stuck batch + 4 queued fill everything.
	for range 6 {
		wg.Go(func() {
			if err := w.CreatePrediction(context.Background(), &store.Prediction{}); err != nil {
				t.Errorf("queued request: %v", err)
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // let them reach the queue
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := w.CreatePrediction(ctx, &store.Prediction{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("request over a full queue = %v, want its deadline", err)
	}
	close(g.release)
	wg.Wait()
	w.Close()
	g.mu.Lock()
	defer g.mu.Unlock()
	total := 0
	for _, n := range g.sizes {
		total += n
		if n > 2 {
			t.Errorf("batch of %d over MaxBatch 2", n)
		}
	}
	if total != 6 {
		t.Errorf("%d rows inserted, want the 6 accepted (the refused one must not be)", total)
	}
}

// TestWriterMaxWait: a worker holding a partial batch waits up to MaxWait
// for more rows, then commits what it has.
func TestWriterMaxWait(t *testing.T) {
	g := &gate{release: make(chan struct{})}
	close(g.release)
	w := store.NewWriter(g, store.WriterConfig{MaxBatch: 100, MaxWait: 300 * time.Millisecond})
	defer w.Close()
	var wg sync.WaitGroup
	start := time.Now()
	for i := range 3 {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 50 * time.Millisecond)
			if err := w.CreatePrediction(t.Context(), &store.Prediction{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("answered after %s, before MaxWait", d)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.sizes) != 1 || g.sizes[0] != 3 {
		t.Errorf("batches %v, want one of 3 rows gathered within MaxWait", g.sizes)
	}
}

// TestWriterCallerGivesUp: a caller whose context ended while its row was
// queued gets its context's error and its row is not inserted.
func TestWriterCallerGivesUp(t *testing.T) {
	g := &gate{release: make(chan struct{})}
	w := store.NewWriter(g, store.WriterConfig{MaxBatch: 1})
	done := make(chan error)
	go func() { done <- w.CreatePrediction(context.Background(), &store.Prediction{}) }() // occupies the worker
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithCancel(t.Context())
	gaveUp := make(chan error)
	go func() { gaveUp <- w.CreatePrediction(ctx, &store.Prediction{}) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("gave up: %v, want context.Canceled", err)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Error(err)
	}
	w.Close()
	if g.next.Load() != 1 {
		t.Errorf("%d rows inserted, want 1: the abandoned row must be skipped", g.next.Load())
	}
}
