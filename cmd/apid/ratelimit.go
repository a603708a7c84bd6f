package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

// loginStore keeps the login limits' token buckets (both store adapters).
// Keeping them in the database makes N apid replicas allow what one does,
// and TakeLogin checks and charges in one transaction, so concurrent wrong
// guesses cannot slip past the limit between the check and the charge.
type loginStore interface {
	TakeLogin(ctx context.Context, at time.Time, buckets []store.Bucket) (time.Duration, error)
	RefundLogin(ctx context.Context, at time.Time, buckets []store.Bucket) error
	PruneLogin(ctx context.Context, at time.Time) (int64, error)
}

// loginLimits rate-limits the endpoints that run bcrypt, with three kinds of
// token bucket:
//
//   - per client address, every login, signup and password check
//     (perAddr a minute): guessing across accounts, and bcrypt's CPU;
//   - per username and address pair, failed password checks (perPair a
//     minute): guessing one account from one place. Keying by the pair,
//     not the username alone, is what keeps a third party from locking a
//     user out: its failures spend its own bucket, not the user's;
//   - per username from all addresses, failed password checks (perUser an
//     hour): a ceiling far above what a person needs, against guessing one
//     account from many addresses.
//
// An attempt is charged before bcrypt runs and refunded when the password
// was right, so successful logins never count against a user.
type loginLimits struct {
	store   loginStore
	logger  *slog.Logger
	now     func() time.Time
	perAddr int // a minute
	perPair int // a minute
	perUser int // an hour

	nextPrune atomic.Int64 // Unix seconds
}

const errTooManyLogins = "Too many login attempts; retry later"

// pruneEvery is how often a process deletes buckets that have refilled
// (rows that say nothing a missing row does not).
const pruneEvery = time.Minute

func perMinute(key string, n int) store.Bucket {
	return store.Bucket{Key: key, Burst: float64(n), PerSecond: float64(n) / 60}
}

// addrBucket is the bucket of the request's address.
func (l *loginLimits) addrBucket(r *http.Request) store.Bucket {
	return perMinute("addr:"+limitAddr(r), l.perAddr)
}

// userBuckets are the buckets of failed password checks for name from the
// request's address. name must have passed auth.CheckUsername: keys stay
// short and contain no '|'.
func (l *loginLimits) userBuckets(r *http.Request, name string) []store.Bucket {
	return []store.Bucket{
		perMinute("pair:"+name+"|"+limitAddr(r), l.perPair),
		{Key: "user:" + name, Burst: float64(l.perUser), PerSecond: float64(l.perUser) / 3600},
	}
}

// take charges one attempt to every bucket, or to none; the error is a 429
// with Retry-After when one is empty, or the store's.
func (l *loginLimits) take(r *http.Request, buckets ...store.Bucket) error {
	now := l.now()
	l.prune(r.Context(), now)
	wait, err := l.store.TakeLogin(r.Context(), now, buckets)
	if err != nil {
		return err
	}
	if wait > 0 {
		return &httpjson.RateLimitError{RetryAfter: wait, Message: errTooManyLogins}
	}
	return nil
}

// refund gives back what take charged to buckets after a right password. A
// failure only costs the user one attempt of their allowance: it is logged,
// and the login goes on.
func (l *loginLimits) refund(r *http.Request, buckets []store.Bucket) {
	if err := l.store.RefundLogin(r.Context(), l.now(), buckets); err != nil {
		l.logger.WarnContext(r.Context(), "login limits: refund after a good password", "err", err)
	}
}

// prune deletes refilled buckets, at most once per pruneEvery per process,
// in the request that finds it due. Without it the table would keep a row
// for every name and address ever tried.
func (l *loginLimits) prune(ctx context.Context, now time.Time) {
	next := l.nextPrune.Load()
	if now.Unix() < next || !l.nextPrune.CompareAndSwap(next, now.Add(pruneEvery).Unix()) {
		return
	}
	n, err := l.store.PruneLogin(ctx, now)
	if err != nil {
		l.logger.WarnContext(ctx, "login limits: prune", "err", err)
		return
	}
	if n > 0 {
		l.logger.DebugContext(ctx, "login limits: pruned refilled buckets", "rows", n)
	}
}

// limitAddr is the address limits key on: the TCP peer (clientAddr), with
// IPv6 addresses cut to their /64, the block one host usually holds: else
// one host would have 2^64 addresses to spread its attempts over.
func limitAddr(r *http.Request) string {
	host := clientAddr(r)
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return host
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
