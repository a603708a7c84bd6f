package main

import (
	"sync"
	"time"
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
	subject string
	at      time.Time
}

// maxCachedTokens bounds the cache; past it the cache starts over.
const maxCachedTokens = 10_000

func newTokenCache(tokens tokenVerifier, ttl time.Duration, now func() time.Time) tokenVerifier {
	if ttl <= 0 {
		return tokens
	}
	return &tokenCache{tokens: tokens, ttl: ttl, now: now, m: map[string]cachedToken{}}
}

// Verify returns the token's subject from the cache when fresh, else from
// a full check. Errors: those of the wrapped Verify.
func (c *tokenCache) Verify(token string) (string, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.m[token]
	c.mu.RUnlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.subject, nil
	}
	sub, err := c.tokens.Verify(token)
	if err != nil {
		return sub, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedTokens {
		c.m = map[string]cachedToken{}
	}
	c.m[token] = cachedToken{subject: sub, at: now}
	c.mu.Unlock()
	return sub, nil
}
