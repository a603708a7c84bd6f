package parallel

import (
	"sync/atomic"
	"testing"
)

func TestForCoversEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 100, 1001} {
		for _, workers := range []int{0, 1, 2, 3, 8, 32} {
			seen := make([]atomic.Int32, n)
			var calls atomic.Int32
			maxK := workers
			if maxK < 1 {
				maxK = 1
			}
			For(n, workers, func(k, lo, hi int) {
				calls.Add(1)
				if k < 0 || k >= maxK {
					t.Errorf("n=%d workers=%d: k=%d out of range", n, workers, k)
				}
				if lo >= hi {
					t.Errorf("n=%d workers=%d: empty chunk [%d,%d)", n, workers, lo, hi)
				}
				for i := lo; i < hi; i++ {
					seen[i].Add(1)
				}
			})
			for i := range seen {
				if got := seen[i].Load(); got != 1 {
					t.Fatalf("n=%d workers=%d: index %d visited %d times, want 1", n, workers, i, got)
				}
			}
			if want := int32(min(max(workers, 1), n)); calls.Load() != want {
				t.Errorf("n=%d workers=%d: %d calls, want %d", n, workers, calls.Load(), want)
			}
		}
	}
}

func TestWorkersIsPositive(t *testing.T) {
	if Workers() < 1 {
		t.Fatalf("Workers() = %d, want >= 1", Workers())
	}
}
