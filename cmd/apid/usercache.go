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
// effect within ttl instead of at once, and so does a logout, password
// change or deletion made through another replica (through this one, the
// entry is dropped at once: Forget). Only successful lookups are cached,
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
	c.mu.Lock()
	e, ok := c.m[name]
	c.mu.Unlock()
	if ok && c.now().Sub(e.at) < c.ttl {
		return e.u, nil
	}
	return c.Reload(ctx, name)
}

// Reload reads the user from the store and caches it. requireUser calls it
// when a token names another account id or version than the cached user:
// the account may have changed through another replica since.
// Errors: those of the store's UserByName.
func (c *userCache) Reload(ctx context.Context, name string) (store.User, error) {
	now := c.now()
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

// forgetID drops the cached user with account id, after a change to it.
// Changes are rare and the cache small, so a scan will do.
func (c *userCache) forgetID(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, e := range c.m {
		if e.u.ID == id {
			delete(c.m, name)
		}
	}
}

// cachedAccounts changes accounts in the store and drops the changed user
// from this process's cache, so that the change holds here at once.
type cachedAccounts struct {
	accounts accountStore
	cache    *userCache
}

func (a cachedAccounts) RevokeTokens(ctx context.Context, id int64) error {
	defer a.cache.forgetID(id)
	return a.accounts.RevokeTokens(ctx, id)
}

func (a cachedAccounts) SetPassword(ctx context.Context, id int64, hash string) error {
	defer a.cache.forgetID(id)
	return a.accounts.SetPassword(ctx, id, hash)
}

func (a cachedAccounts) DeleteUser(ctx context.Context, id int64) error {
	defer a.cache.forgetID(id)
	return a.accounts.DeleteUser(ctx, id)
}

// CreateUser passes through: the cache only serves lookups.
func (c *userCache) CreateUser(ctx context.Context, u *store.User) error {
	return c.users.CreateUser(ctx, u)
}
