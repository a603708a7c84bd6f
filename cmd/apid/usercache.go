package main

import (
	"context"
	"sync"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/store"
)

// userCache remembers users read by requireUser for a short time. Every
// authenticated request needs its user (to refuse disabled accounts); at
// thousands of requests a second that lookup was half of the statements
// PostgreSQL ran. The price is that disabling an account (which only a
// database administrator can do: the API has no endpoint for it) takes
// effect within ttl instead of at once. Only successful lookups are cached,
// so an outage is never hidden and a new account is seen at once.
type userCache struct {
	users userStore
	ttl   time.Duration
	now   func() time.Time

	mu sync.Mutex
	m  map[string]cachedUser
}

type cachedUser struct {
	u  store.User
	at time.Time
}

// maxCachedUsers bounds the cache; past it the cache starts over.
const maxCachedUsers = 10_000

func newUserCache(users userStore, ttl time.Duration, now func() time.Time) *userCache {
	return &userCache{users: users, ttl: ttl, now: now, m: map[string]cachedUser{}}
}

// UserByName returns the user from the cache when fresh, else from the
// store. Errors: those of the store's UserByName.
func (c *userCache) UserByName(ctx context.Context, name string) (store.User, error) {
	if c.ttl <= 0 {
		return c.users.UserByName(ctx, name)
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[name]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.u, nil
	}
	u, err := c.users.UserByName(ctx, name)
	if err != nil {
		return u, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedUsers {
		c.m = map[string]cachedUser{}
	}
	c.m[name] = cachedUser{u: u, at: now}
	c.mu.Unlock()
	return u, nil
}

// CreateUser passes through: the cache only serves lookups.
func (c *userCache) CreateUser(ctx context.Context, u *store.User) error {
	return c.users.CreateUser(ctx, u)
}
