package main

import (
	"math"
	"sync"
	"time"
)

// limiter is a set of token buckets keyed by a string (a username or a
// client address): each key may spend burst tokens at once, refilled at
// perMinute. Memory is bounded: when the table grows past maxKeys, buckets
// that have refilled completely (and so carry no information) are dropped,
// and if that is not enough the table is reset, which errs toward letting
// clients in rather than locking everyone out.
type limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	buckets map[string]*bucket
	now     func() time.Time
	maxKeys int
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(perMinute int, now func() time.Time) *limiter {
	return &limiter{
		rate:    float64(perMinute) / 60,
		burst:   float64(perMinute),
		buckets: map[string]*bucket{},
		now:     now,
		maxKeys: 100_000,
	}
}

// refill returns the bucket of key brought up to date, creating it full.
func (l *limiter) refill(key string) *bucket {
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxKeys {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
		return b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	return b
}

func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.maxKeys {
		l.buckets = map[string]*bucket{}
	}
}

// wait returns how long key must wait for a token, 0 when one is there.
func (l *limiter) wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waitLocked(l.refill(key))
}

func (l *limiter) waitLocked(b *bucket) time.Duration {
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// take spends a token of key when there is one; otherwise it returns how
// long to wait.
func (l *limiter) take(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key)
	if w := l.waitLocked(b); w > 0 {
		return w
	}
	b.tokens--
	return 0
}
