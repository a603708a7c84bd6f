package store

import (
	"math"
	"time"
)

// Bucket is one token bucket of the login limits: Burst tokens at most,
// refilled at PerSecond. Each key (an address, a user, a user and address
// pair) has its own row in the store; a missing row is a full bucket.
type Bucket struct {
	Key       string
	Burst     float64
	PerSecond float64
}

// BucketState is a bucket's row: the tokens left at Updated (Unix seconds).
type BucketState struct {
	Tokens  float64
	Updated float64
}

// UnixSeconds is how bucket rows store times: a float is the same in both
// SQL dialects and compares without parsing.
func UnixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// Refill returns the tokens of st at now. A clock that went backwards (two
// replicas a little apart) adds nothing rather than taking tokens away.
func (b Bucket) Refill(st BucketState, now float64) float64 {
	return math.Min(b.Burst, st.Tokens+math.Max(0, now-st.Updated)*b.PerSecond)
}

// FullAt is when a bucket holding tokens at now will be full again, the
// time after which its row may be deleted.
func (b Bucket) FullAt(tokens, now float64) float64 {
	return now + (b.Burst-tokens)/b.PerSecond
}

// Charge is the decision of TakeLogin on the buckets' current tokens (their
// states refilled to now): when every bucket holds a whole token, each gives
// one and wait is 0; otherwise nothing is charged and wait is how long until
// the emptiest has one. It returns the tokens to store.
func Charge(buckets []Bucket, tokens []float64) (after []float64, wait time.Duration) {
	after = make([]float64, len(tokens))
	copy(after, tokens)
	var worst float64
	for i, b := range buckets {
		if tokens[i] < 1 {
			worst = math.Max(worst, (1-tokens[i])/b.PerSecond)
		}
	}
	if worst > 0 {
		return after, time.Duration(math.Ceil(worst * float64(time.Second)))
	}
	for i := range after {
		after[i]--
	}
	return after, 0
}
