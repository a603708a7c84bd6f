package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/nba-mlops/nba-mlops/internal/store"
)

type flakyStats struct {
	fail  bool
	calls int
}

func (f *flakyStats) Stats(context.Context) (store.Stats, error) {
	f.calls++
	if f.fail {
		return store.Stats{}, errors.New("database away")
	}
	return store.Stats{Users: 3, Predictions: 10, Unverified: 4}, nil
}

func (f *flakyStats) RecentFeedback(context.Context, int) ([]store.Feedback, error) {
	if f.fail {
		return nil, errors.New("database away")
	}
	return []store.Feedback{{ModelVersion: "v2", Correct: true}, {ModelVersion: "v2", Correct: false}, {ModelVersion: "v2", Correct: true},
		{ModelVersion: "v1", Correct: false}}, nil
}

func TestStoreCollector(t *testing.T) {
	st := &flakyStats{}
	c := newStoreCollector(discard, st, 500, time.Hour)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	want := `
# HELP nba_online_accuracy Share of correct predictions among the last verifications (the feedback window), by model version.
# TYPE nba_online_accuracy gauge
nba_online_accuracy{model_version="v1"} 0
nba_online_accuracy{model_version="v2"} 0.6666666666666666
# HELP nba_predictions_stored Predictions stored.
# TYPE nba_predictions_stored gauge
nba_predictions_stored 10
# HELP nba_users Registered users.
# TYPE nba_users gauge
nba_users 3
`
	names := []string{"nba_online_accuracy", "nba_predictions_stored", "nba_users"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	// Cached: a second scrape does not query; a failing store keeps the
	// last values; invalidate forces a read.
	testutil.GatherAndCount(reg)
	if st.calls != 1 {
		t.Errorf("%d store reads for two scrapes within the cache time, want 1", st.calls)
	}
	st.fail = true
	c.invalidate()
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Errorf("values lost while the store fails: %v", err)
	}
	if st.calls != 2 {
		t.Errorf("invalidate did not force a read (%d reads)", st.calls)
	}
}

type countingUsers struct {
	users map[string]store.User
	calls int
}

func (c *countingUsers) UserByName(_ context.Context, name string) (store.User, error) {
	c.calls++
	u, ok := c.users[name]
	if !ok {
		return u, errNotFoundUser
	}
	return u, nil
}

func (c *countingUsers) CreateUser(_ context.Context, u *store.User) error {
	c.users[u.Username] = *u
	return nil
}

var errNotFoundUser = errors.New("not found")

func TestUserCache(t *testing.T) {
	now := time.Unix(0, 0)
	src := &countingUsers{users: map[string]store.User{"a": {ID: 1, Username: "a"}}}
	c := newUserCache(src, 2*time.Second, func() time.Time { return now })
	ctx := context.Background()
	for range 3 {
		if u, err := c.UserByName(ctx, "a"); err != nil || u.ID != 1 {
			t.Fatalf("UserByName = %+v, %v", u, err)
		}
	}
	if src.calls != 1 {
		t.Errorf("%d store reads within the TTL, want 1", src.calls)
	}
	src.users["a"] = store.User{ID: 1, Username: "a", Disabled: true}
	now = now.Add(2 * time.Second)
	if u, _ := c.UserByName(ctx, "a"); !u.Disabled || src.calls != 2 {
		t.Errorf("after the TTL: disabled=%v, %d reads; want the change seen", u.Disabled, src.calls)
	}
	for range 2 {
		if _, err := c.UserByName(ctx, "nobody"); err == nil {
			t.Error("unknown user found")
		}
	}
	if src.calls != 4 {
		t.Errorf("failed lookups were cached (%d reads, want 4)", src.calls)
	}
	uncached := newUserCache(src, 0, time.Now)
	uncached.UserByName(ctx, "a")
	uncached.UserByName(ctx, "a")
	if src.calls != 6 {
		t.Errorf("TTL 0 still caches (%d reads, want 6)", src.calls)
	}
}
