// Package parallel splits CPU-bound loops over the cores Go may use.
// Every goroutine it starts belongs to an errgroup that the call waits for,
// so none outlives the call that started it.
package parallel

import (
	"runtime"

	"golang.org/x/sync/errgroup"
)

// Workers is how many goroutines a CPU-bound loop should use: GOMAXPROCS,
// so that a 32-core server uses its cores and a container limited to two
// CPUs (Go reads the cgroup limit) does not oversubscribe them.
func Workers() int { return runtime.GOMAXPROCS(0) }

// For splits 0..n into min(parts, n) contiguous chunks of nearly equal
// size and runs f on each, k being the chunk's index, at most Workers()
// chunks at a time, and returns when all have finished. parts < 1 means 1.
//
// The split depends on n and parts alone, never on the machine: a caller
// that sums floats per chunk and merges them in k order gets the same
// result on two cores and on thirty-two. Such a caller passes a fixed
// parts; a loop whose chunks are independent passes Workers().
func For(n, parts int, f func(k, lo, hi int)) {
	parts = min(max(parts, 1), n)
	if parts <= 1 {
		if n > 0 {
			f(0, 0, n)
		}
		return
	}
	var g errgroup.Group
	g.SetLimit(Workers())
	for k := range parts {
		lo, hi := k*n/parts, (k+1)*n/parts
		g.Go(func() error {
			f(k, lo, hi)
			return nil
		})
	}
	_ = g.Wait() // the chunks return no errors
}
