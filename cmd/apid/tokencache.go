package main

import (
	"sync"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/auth"
)

// tokenCache remembers verified access tokens for a short time. Checking a
// JWT (base64, JSON, HMAC-SHA256) was the largest share of apid's own
// allocations per /predict request, and a client sends the same token for
// an hour. A token is verified again once its entry is ttl old, so the
// price is that a token stays accepted up to ttl past its expiry (within
// the 5 s leeway auth.Tokens already grants for clock skew). Only successful
// checks are cached: a bad token costs a full check every time.
type tokenCache struct {
	tokens tokenVerifier
	ttl    time.Duration
	now    func() time.Time

	mu sync.RWMutex
	m  map[string]cachedToken
}

type cachedToken struct {
	acc auth.Account
	at  time.Time
}

// maxCachedTokens bounds the cache; past it the cache starts over.
const maxCachedTokens = 10_000

func newTokenCache(tokens tokenVerifier, ttl time.Duration, now func() time.Time) tokenVerifier {
	if ttl <= 0 {
		return tokens
	}
	return &tokenCache{tokens: tokens, ttl: ttl, now: now, m: map[string]cachedToken{}}
}

// Verify returns the token's account from the cache when fresh, else from
// a full check. Errors: those of the wrapped Verify. The account's token
// version is still compared with the user's by requireUser on every
// request, so a logout is not delayed by this cache.
func (c *tokenCache) Verify(token string) (auth.Account, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.m[token]
	c.mu.RUnlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.acc, nil
	}
	acc, err := c.tokens.Verify(token)
	if err != nil {
		return acc, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedTokens {
		c.m = map[string]cachedToken{}
	}
	c.m[token] = cachedToken{acc: acc, at: now}
	c.mu.Unlock()
	return acc, nil
}
