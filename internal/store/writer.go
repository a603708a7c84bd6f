package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// BatchInserter stores many predictions at once: all of them in one
// transaction, or none. Both adapters implement it (CreatePredictions).
type BatchInserter interface {
	// CreatePredictions inserts ps and sets each one's ID and CreatedAt.
	CreatePredictions(ctx context.Context, ps []*Prediction) error
}

// WriterConfig bounds a Writer. Zero fields take the defaults below.
type WriterConfig struct {
	// MaxBatch is the most rows one transaction holds (default 128).
	MaxBatch int
	// MaxWait is how long a worker holding a partial batch waits for more
	// rows before it commits (default 0: it commits what is queued at once;
	// rows that arrive meanwhile form the next batch, so the batching window
	// is the time the previous commit takes, and an idle server adds no
	// delay).
	MaxWait time.Duration
	// Queue is how many rows may wait for a worker (default 4×MaxBatch).
	// When it is full, CreatePrediction waits, up to its context's deadline:
	// back-pressure instead of unbounded memory when the database is slow.
	Queue int
	// Workers is how many batches may be in flight at once (default 1).
	// Two let one batch fill while the other commits; SQLite, which has one
	// writer at a time, gains nothing from more than one.
	Workers int
	// Observe, when set, is called after every batch with its size, how long
	// the insert took and its error (for metrics).
	Observe func(rows int, took time.Duration, err error)
}

// ErrWriterClosed is returned for rows handed to a Writer after Close began:
// the process is shutting down (HTTP 503).
var ErrWriterClosed = &nba.Error{Code: nba.EUnavailable, Message: "shutting down"}

// Writer is the group commit of predictions: CreatePrediction hands a row to
// a worker goroutine, which inserts every row waiting at that moment (up to
// MaxBatch) with one statement in one transaction, and returns only after
// the transaction holding the row committed, with the row's own ID. So a
// caller that gets nil knows the row is durable, as with a direct insert,
// while the database does one commit (one WAL flush) per batch instead of
// one per row.
//
// When a batch fails because the database is unavailable, every row in it
// gets that error. When it fails for another reason (a row the database
// refuses, such as one naming an unknown user), each of its rows is retried
// alone, so one bad row cannot fail its neighbours.
//
// A Writer owns its goroutines: Close stops taking rows, drains the queue
// (every row already accepted is inserted or gets an error, none is dropped
// or written twice) and waits for the workers. Close the Writer before the
// store it writes to. It is safe for concurrent use.
type Writer struct {
	ins BatchInserter
	cfg WriterConfig
	q   chan *pending

	mu     sync.RWMutex // held for reading while sending on q; Close takes it to close q
	closed bool
	wg     sync.WaitGroup
}

type pending struct {
	ctx  context.Context
	p    *Prediction
	done chan error // buffered: a worker never blocks on a caller that gave up
}

// NewWriter starts a Writer's workers on ins.
func NewWriter(ins BatchInserter, cfg WriterConfig) *Writer {
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 128
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 4 * cfg.MaxBatch
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	w := &Writer{ins: ins, cfg: cfg, q: make(chan *pending, cfg.Queue)}
	for range cfg.Workers {
		w.wg.Go(w.work)
	}
	return w
}

// CreatePrediction stores p through the group commit and sets its ID and
// CreatedAt. It returns when the transaction holding p committed, or failed,
// or ctx ended; in the last case p may still be stored later, but the
// caller was not told so (a row without an answer, never an answer without
// a row).
// Errors: those of the adapter's CreatePredictions; unavailable
// (ErrWriterClosed) after Close; ctx's error.
func (w *Writer) CreatePrediction(ctx context.Context, p *Prediction) error {
	it := &pending{ctx: ctx, p: p, done: make(chan error, 1)}
	if err := w.enqueue(ctx, it); err != nil {
		return err
	}
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("store: waiting for the commit: %w", ctx.Err())
	}
}

func (w *Writer) enqueue(ctx context.Context, it *pending) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return fmt.Errorf("store: %w", ErrWriterClosed)
	}
	select {
	case w.q <- it:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("store: waiting for room in the write queue: %w", ctx.Err())
	}
}

// Close stops taking rows, inserts every row already queued and waits for
// the workers to finish. It is idempotent.
func (w *Writer) Close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.q) // no sender holds the read lock now, and none will send again
	}
	w.mu.Unlock()
	w.wg.Wait()
}

// work takes batches off the queue until it is closed and empty.
func (w *Writer) work() {
	batch := make([]*pending, 0, w.cfg.MaxBatch)
	rows := make([]*Prediction, 0, w.cfg.MaxBatch)
	for {
		first, ok := <-w.q
		if !ok {
			return
		}
		b, open := w.fill(append(batch[:0], first))
		w.commit(b, rows[:0])
		clear(b) // drop references to answered requests
		clear(rows[:cap(rows)])
		if !open {
			return
		}
	}
}

// fill adds queued rows to batch up to MaxBatch: those waiting now, then, with
// MaxWait, those arriving until it passes. open is false when the queue was
// closed and is empty.
func (w *Writer) fill(batch []*pending) (_ []*pending, open bool) {
queued:
	for len(batch) < w.cfg.MaxBatch {
		select {
		case it, ok := <-w.q:
			if !ok {
				return batch, false
			}
			batch = append(batch, it)
		default:
			break queued
		}
	}
	if w.cfg.MaxWait <= 0 || len(batch) >= w.cfg.MaxBatch {
		return batch, true
	}
	timer := time.NewTimer(w.cfg.MaxWait)
	defer timer.Stop()
	for len(batch) < w.cfg.MaxBatch {
		select {
		case it, ok := <-w.q:
			if !ok {
				return batch, false
			}
			batch = append(batch, it)
		case <-timer.C:
			return batch, true
		}
	}
	return batch, true
}

// commit inserts the rows of batch whose callers are still waiting and
// answers every caller.
func (w *Writer) commit(batch []*pending, rows []*Prediction) {
	live := batch[:0] // filters in place: batch is not read again
	for _, it := range batch {
		if err := it.ctx.Err(); err != nil {
			it.done <- err // gave up before its turn: not inserted
			continue
		}
		live = append(live, it)
		rows = append(rows, it.p)
	}
	if len(live) == 0 {
		return
	}
	err := w.insert(rows)
	if err != nil && len(live) > 1 && nba.ErrorCode(err) != nba.EUnavailable {
		// Not an outage: find the row(s) at fault, one transaction each.
		for _, it := range live {
			it.done <- w.insert([]*Prediction{it.p})
		}
		return
	}
	for _, it := range live {
		it.done <- err
	}
}

// insert runs one batch. Its context is not any caller's: a caller that
// gives up must not abort the transaction of the others. The deadline keeps
// a hung database from holding the queue forever.
func (w *Writer) insert(rows []*Prediction) error {
	ctx, cancel := context.WithTimeout(context.Background(), insertTimeout)
	defer cancel()
	start := time.Now()
	err := w.ins.CreatePredictions(ctx, rows)
	if errors.Is(err, context.DeadlineExceeded) && nba.ErrorCode(err) != nba.EUnavailable {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if w.cfg.Observe != nil {
		w.cfg.Observe(len(rows), time.Since(start), err)
	}
	return err
}

// insertTimeout bounds one batch insert.
const insertTimeout = 10 * time.Second
