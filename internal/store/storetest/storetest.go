// Package storetest is the contract test suite of apid's stores: Run drives
// any adapter through the same cases, so the PostgreSQL and SQLite adapters
// behave alike. It also provides PostgresDSN, which gives a test its own
// throwaway schema in the database named by TEST_DATABASE_URL.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/store"
	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// Store is everything an adapter provides.
type Store interface {
	Ping(ctx context.Context) error
	CreateUser(ctx context.Context, u *store.User) error
	UserByName(ctx context.Context, name string) (store.User, error)
	CreatePrediction(ctx context.Context, p *store.Prediction) error
	CreatePredictions(ctx context.Context, ps []*store.Prediction) error
	Prediction(ctx context.Context, id int64) (store.Prediction, error)
	RandomUnverified(ctx context.Context) (store.Prediction, error)
	UserPredictions(ctx context.Context, userID int64, n int) ([]store.Prediction, error)
	Verify(ctx context.Context, v store.Verify) (store.Verification, error)
	RecentFeedback(ctx context.Context, n int) ([]store.Feedback, error)
	Stats(ctx context.Context) (store.Stats, error)
	VerifiedShots(ctx context.Context) ([]store.VerifiedShot, error)
	SetExportKeys(ctx context.Context, keys []store.ExportKey) error
	RevokeTokens(ctx context.Context, id int64) error
	SetPassword(ctx context.Context, id int64, hash string) error
	DeleteUser(ctx context.Context, id int64) error
	SetLabeler(ctx context.Context, name string, labeler bool) error
	TakeLogin(ctx context.Context, at time.Time, buckets []store.Bucket) (time.Duration, error)
	RefundLogin(ctx context.Context, at time.Time, buckets []store.Bucket) error
	PruneLogin(ctx context.Context, at time.Time) (int64, error)
}

// SQLMeta are strings full of SQL metacharacters; stores must keep them
// verbatim (they only ever travel as query parameters).
var SQLMeta = []string{
	`'; DROP TABLE users; --`,
	`" OR 1=1 --`,
	`Robert'); DELETE FROM predictions WHERE ('1'='1`,
	`\'; SELECT pg_sleep(10); --`,
	"percent % underscore _ backslash \\ semicolon ; nul-free",
	`$1 ? :name @p1`,
}

// Run runs the contract suite; open returns a fresh, migrated, empty store
// for each subtest.
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, Store)
	}{
		{"Users", testUsers},
		{"SQLMetacharacters", testSQLMeta},
		{"Predictions", testPredictions},
		{"UnknownUser", testUnknownUser},
		{"Verify", testVerify},
		{"ConcurrentVerify", testConcurrentVerify},
		{"RandomUnverified", testRandomUnverified},
		{"RecentFeedback", testRecentFeedback},
		{"UserPredictions", testUserPredictions},
		{"Stats", testStats},
		{"ExportKeys", testExportKeys},
		{"Accounts", testAccounts},
		{"ExportLabelers", testExportLabelers},
		{"LoginBuckets", testLoginBuckets},
		{"ConcurrentLogin", testConcurrentLogin},
		{"BatchInsert", testBatchInsert},
		{"BatchAllOrNothing", testBatchAllOrNothing},
		{"GroupCommit", testGroupCommit},
		{"GroupCommitBadRow", testGroupCommitBadRow},
		{"WriterClose", testWriterClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

func mustUser(t *testing.T, s Store, name string) store.User {
	t.Helper()
	u := store.User{Username: name, PasswordHash: "$2a$04$hash-of-" + name}
	if err := s.CreateUser(t.Context(), &u); err != nil {
		t.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u
}

func mustPredict(t *testing.T, s Store, userID int64, pred int, version string, raw json.RawMessage) store.Prediction {
	t.Helper()
	p := store.Prediction{UserID: userID, Prediction: pred, Probability: 0.25 + 0.5*float64(pred),
		ModelVersion: version, Input: json.RawMessage(`{"Period": 1, "X_Location": -5.5}`), RawShot: raw}
	if err := s.CreatePrediction(t.Context(), &p); err != nil {
		t.Fatalf("CreatePrediction: %v", err)
	}
	return p
}

func wantCode(t *testing.T, op string, err error, code string) {
	t.Helper()
	if got := nba.ErrorCode(err); got != code {
		t.Errorf("%s: error %v has code %q, want %q", op, err, got, code)
	}
}

func testUsers(t *testing.T, s Store) {
	ctx := t.Context()
	before := time.Now().Add(-time.Second)
	u := store.User{Username: "alice", PasswordHash: "$2a$04$abc", Disabled: true}
	if err := s.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 || u.CreatedAt.Before(before) || u.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreateUser set ID=%d CreatedAt=%v", u.ID, u.CreatedAt)
	}
	got, err := s.UserByName(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(u, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("UserByName mismatch (-created +read):\n%s", diff)
	}
	dup := store.User{Username: "alice", PasswordHash: "x"}
	wantCode(t, "CreateUser(duplicate)", s.CreateUser(ctx, &dup), nba.EConflict)
	_, err = s.UserByName(ctx, "Alice") // names are case-sensitive
	wantCode(t, "UserByName(unknown)", err, nba.ENotFound)
	bob := mustUser(t, s, "bob")
	if bob.ID == u.ID {
		t.Errorf("two users share ID %d", bob.ID)
	}
}

func testSQLMeta(t *testing.T, s Store) {
	ctx := t.Context()
	for _, m := range SQLMeta {
		u := mustUser(t, s, m)
		got, err := s.UserByName(ctx, m)
		if err != nil || got.ID != u.ID || got.Username != m {
			t.Errorf("UserByName(%q) = %+v, %v", m, got, err)
		}
		input, _ := json.Marshal(map[string]string{"player_name": m})
		p := store.Prediction{UserID: u.ID, Prediction: 1, Probability: 0.5, ModelVersion: m, Input: input, RawShot: input}
		if err := s.CreatePrediction(ctx, &p); err != nil {
			t.Fatalf("CreatePrediction with %q: %v", m, err)
		}
		back, err := s.Prediction(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var in map[string]string
		if err := json.Unmarshal(back.Input, &in); err != nil || in["player_name"] != m || back.ModelVersion != m {
			t.Errorf("prediction with %q read back as %s / %q (%v)", m, back.Input, back.ModelVersion, err)
		}
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Users != int64(len(SQLMeta)) || st.Predictions != int64(len(SQLMeta)) {
		t.Errorf("Stats after metacharacter rows = %+v, %v; want %d users and predictions", st, err, len(SQLMeta))
	}
}

// jsonEqual compares JSON documents by value: PostgreSQL's jsonb reorders
// keys and drops whitespace.
func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("bad JSON %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("bad JSON %s: %v", b, err)
	}
	return cmp.Equal(x, y)
}

func testPredictions(t *testing.T, s Store) {
	ctx := t.Context()
	u := mustUser(t, s, "carol")
	before := time.Now().Add(-time.Second)
	raw := json.RawMessage(`{"player_name": "Jo \"Q\" Lé", "x_location": 10}`)
	a := mustPredict(t, s, u.ID, 1, "v3", raw)
	b := mustPredict(t, s, u.ID, 0, "v3", nil)
	if a.ID == 0 || b.ID <= a.ID {
		t.Errorf("ids %d then %d, want increasing", a.ID, b.ID)
	}
	if a.CreatedAt.Before(before) || a.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", a.CreatedAt)
	}
	for _, want := range []store.Prediction{a, b} {
		got, err := s.Prediction(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !jsonEqual(t, want.Input, got.Input) || !jsonEqual(t, want.RawShot, got.RawShot) {
			t.Errorf("prediction %d JSON read back as %s / %s, want %s / %s", want.ID, got.Input, got.RawShot, want.Input, want.RawShot)
		}
		got.Input, got.RawShot, want.Input, want.RawShot = nil, nil, nil, nil
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("Prediction(%d) mismatch (-created +read):\n%s", want.ID, diff)
		}
	}
	_, err := s.Prediction(ctx, b.ID+1000)
	wantCode(t, "Prediction(unknown)", err, nba.ENotFound)
}

func testUnknownUser(t *testing.T, s Store) {
	p := store.Prediction{UserID: 424242, Prediction: 1, Probability: 0.5, ModelVersion: "v1", Input: json.RawMessage(`{}`)}
	if err := s.CreatePrediction(t.Context(), &p); err == nil {
		t.Error("CreatePrediction for a user that does not exist succeeded; want a foreign-key error")
	}
}

func testVerify(t *testing.T, s Store) {
	ctx := t.Context()
	u := mustUser(t, s, "dave")
	v := mustUser(t, s, "erin")
	p := mustPredict(t, s, u.ID, 1, "v7", nil)
	at := time.Date(2026, 3, 1, 12, 0, 0, 123000, time.UTC)

	_, err := s.Verify(ctx, store.Verify{PredictionID: p.ID + 99, Value: 1, UserID: v.ID, At: at})
	wantCode(t, "Verify(unknown id)", err, nba.ENotFound)

	got, err := s.Verify(ctx, store.Verify{PredictionID: p.ID, Value: 0, UserID: v.ID, At: at})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.Verification{Prediction: 1, ModelVersion: "v7", Changed: true}, got); diff != "" {
		t.Errorf("first Verify (-want +got):\n%s", diff)
	}
	got, err = s.Verify(ctx, store.Verify{PredictionID: p.ID, Value: 0, UserID: u.ID, At: at.Add(time.Hour)})
	if err != nil || got.Changed {
		t.Errorf("repeated Verify with the same value = %+v, %v; want unchanged success", got, err)
	}
	_, err = s.Verify(ctx, store.Verify{PredictionID: p.ID, Value: 1, UserID: u.ID, At: at})
	wantCode(t, "Verify(other value)", err, nba.EConflict)

	back, err := s.Prediction(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if back.Verification == nil || *back.Verification != 0 || back.VerifiedBy == nil || *back.VerifiedBy != v.ID ||
		back.VerifiedAt == nil || !back.VerifiedAt.Equal(at) {
		t.Errorf("after Verify: verification=%v by=%v at=%v; want 0 by %d at %v (first wins)",
			deref(back.Verification), deref(back.VerifiedBy), back.VerifiedAt, v.ID, at)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func testConcurrentVerify(t *testing.T, s Store) {
	u := mustUser(t, s, "frank")
	p := mustPredict(t, s, u.ID, 0, "v1", nil)
	const n = 12
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []int
	)
	for i := range n {
		wg.Go(func() {
			res, err := s.Verify(context.Background(), store.Verify{PredictionID: p.ID, Value: i % 2, UserID: u.ID, At: time.Now()})
			if err != nil && nba.ErrorCode(err) != nba.EConflict {
				t.Errorf("concurrent Verify: %v", err)
				return
			}
			if err == nil && res.Changed {
				mu.Lock()
				winners = append(winners, i%2)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d verifications won, want exactly 1", len(winners))
	}
	back, err := s.Prediction(t.Context(), p.ID)
	if err != nil || back.Verification == nil || *back.Verification != winners[0] {
		t.Errorf("stored verification %v (%v), want the winner's %d", deref(back.Verification), err, winners[0])
	}
}

func testRandomUnverified(t *testing.T, s Store) {
	ctx := t.Context()
	_, err := s.RandomUnverified(ctx)
	wantCode(t, "RandomUnverified(empty)", err, nba.ENotFound)
	u := mustUser(t, s, "gina")
	var ids []int64
	for i := range 6 {
		ids = append(ids, mustPredict(t, s, u.ID, i%2, "v1", nil).ID)
	}
	for _, id := range []int64{ids[0], ids[2], ids[3]} {
		if _, err := s.Verify(ctx, store.Verify{PredictionID: id, Value: 1, UserID: u.ID, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[int64]bool{ids[1]: true, ids[4]: true, ids[5]: true}
	seen := map[int64]int{}
	for range 300 {
		p, err := s.RandomUnverified(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !want[p.ID] || p.Verification != nil {
			t.Fatalf("RandomUnverified returned %d (verification %v), want one of the unverified %v", p.ID, deref(p.Verification), want)
		}
		seen[p.ID]++
	}
	if len(seen) != len(want) {
		t.Errorf("300 draws saw %v, want every unverified id", seen)
	}
	for id := range want {
		if _, err := s.Verify(ctx, store.Verify{PredictionID: id, Value: 0, UserID: u.ID, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.RandomUnverified(ctx)
	wantCode(t, "RandomUnverified(all verified)", err, nba.ENotFound)
}

func testRecentFeedback(t *testing.T, s Store) {
	ctx := t.Context()
	u := mustUser(t, s, "hank")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Verified out of id order: recency is by verification time.
	plan := []struct {
		pred, truth int
		version     string
		at          time.Duration
	}{
		{1, 1, "v1", 3 * time.Minute}, {1, 0, "v1", 1 * time.Minute}, {0, 0, "v2", 4 * time.Minute}, {0, 1, "v2", 2 * time.Minute},
	}
	for _, pl := range plan {
		p := mustPredict(t, s, u.ID, pl.pred, pl.version, nil)
		if _, err := s.Verify(ctx, store.Verify{PredictionID: p.ID, Value: pl.truth, UserID: u.ID, At: t0.Add(pl.at)}); err != nil {
			t.Fatal(err)
		}
	}
	mustPredict(t, s, u.ID, 1, "v9", nil) // unverified: not feedback
	got, err := s.RecentFeedback(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Feedback{{ModelVersion: "v2", Correct: true}, {ModelVersion: "v1", Correct: true}, {ModelVersion: "v2", Correct: false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RecentFeedback(3) (-want +got):\n%s", diff)
	}
	all, err := s.RecentFeedback(ctx, 100)
	if err != nil || len(all) != 4 {
		t.Errorf("RecentFeedback(100) = %d rows, %v; want 4", len(all), err)
	}
}

func testUserPredictions(t *testing.T, s Store) {
	ctx := t.Context()
	u := mustUser(t, s, "lena")
	v := mustUser(t, s, "milo")
	raw := json.RawMessage(`{"x_location": -120, "y_location": 150, "shot_zone_basic": "Mid-Range"}`)
	var mine []store.Prediction
	for i := range 5 {
		mine = append(mine, mustPredict(t, s, u.ID, i%2, "v1", raw))
		mustPredict(t, s, v.ID, 1, "v2", nil) // interleaved: someone else's
	}
	at := time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)
	// Verified by the other user: the owner still sees the outcome.
	if _, err := s.Verify(ctx, store.Verify{PredictionID: mine[3].ID, Value: 1, UserID: v.ID, At: at}); err != nil {
		t.Fatal(err)
	}
	mine[3].Verification, mine[3].VerifiedBy, mine[3].VerifiedAt = new(1), &v.ID, &at

	got, err := s.UserPredictions(ctx, u.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Prediction{mine[4], mine[3], mine[2]} // newest first
	if len(got) != len(want) {
		t.Fatalf("UserPredictions(3) returned %d predictions, want %d", len(got), len(want))
	}
	for i := range want {
		if !jsonEqual(t, want[i].Input, got[i].Input) || !jsonEqual(t, want[i].RawShot, got[i].RawShot) {
			t.Errorf("prediction %d JSON read back as %s / %s", want[i].ID, got[i].Input, got[i].RawShot)
		}
		w, g := want[i], got[i]
		w.Input, w.RawShot, g.Input, g.RawShot = nil, nil, nil, nil
		if diff := cmp.Diff(w, g, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("UserPredictions(3)[%d] mismatch (-want +got):\n%s", i, diff)
		}
	}
	all, err := s.UserPredictions(ctx, u.ID, 100)
	if err != nil || len(all) != 5 {
		t.Fatalf("UserPredictions(100) = %d predictions, %v; want the user's 5", len(all), err)
	}
	for i, p := range all {
		if p.UserID != u.ID || (i > 0 && p.ID >= all[i-1].ID) {
			t.Errorf("UserPredictions(100)[%d] = id %d of user %d: want only user %d's, newest first", i, p.ID, p.UserID, u.ID)
		}
	}
	none, err := s.UserPredictions(ctx, v.ID+1000, 10)
	if err != nil || len(none) != 0 {
		t.Errorf("UserPredictions(unknown user) = %d predictions, %v; want none and no error", len(none), err)
	}
}

func testStats(t *testing.T, s Store) {
	ctx := t.Context()
	st, err := s.Stats(ctx)
	if err != nil || st != (store.Stats{}) {
		t.Errorf("Stats on an empty store = %+v, %v", st, err)
	}
	u := mustUser(t, s, "ivy")
	mustUser(t, s, "jack")
	p := mustPredict(t, s, u.ID, 1, "v1", nil)
	mustPredict(t, s, u.ID, 1, "v1", nil)
	mustPredict(t, s, u.ID, 1, "v1", nil)
	if _, err := s.Verify(ctx, store.Verify{PredictionID: p.ID, Value: 1, UserID: u.ID, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st, err = s.Stats(ctx)
	if want := (store.Stats{Users: 2, Predictions: 3, Unverified: 2}); err != nil || st != want {
		t.Errorf("Stats = %+v, %v; want %+v", st, err, want)
	}
}

func testExportKeys(t *testing.T, s Store) {
	ctx := t.Context()
	u := mustUser(t, s, "kim")
	raw := json.RawMessage(`{"player_name": "K"}`)
	a := mustPredict(t, s, u.ID, 1, "v1", raw)
	b := mustPredict(t, s, u.ID, 0, "v1", raw)
	c := mustPredict(t, s, u.ID, 0, "v1", raw)
	mustPredict(t, s, u.ID, 0, "v1", raw)          // unverified: not exported
	plain := mustPredict(t, s, u.ID, 0, "v1", nil) // no raw shot: not exported
	for _, p := range []store.Prediction{c, b, a, plain} {
		if _, err := s.Verify(ctx, store.Verify{PredictionID: p.ID, Value: 1, UserID: u.ID, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.VerifiedShots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != a.ID || got[1].ID != b.ID || got[2].ID != c.ID || got[0].Value != 1 ||
		got[0].GameID != 0 || !jsonEqual(t, got[0].RawShot, raw) {
		t.Fatalf("VerifiedShots = %+v, want a, b, c by id, unkeyed", got)
	}
	if err := s.SetExportKeys(ctx, []store.ExportKey{{PredictionID: a.ID, GameID: 21901230, EventID: 9000}}); err != nil {
		t.Fatal(err)
	}
	// c's key collides with a's: nothing of the batch may be written.
	err = s.SetExportKeys(ctx, []store.ExportKey{{PredictionID: b.ID, GameID: 21901230, EventID: 9001}, {PredictionID: c.ID, GameID: 21901230, EventID: 9000}})
	wantCode(t, "SetExportKeys(colliding)", err, nba.EConflict)
	err = s.SetExportKeys(ctx, []store.ExportKey{{PredictionID: a.ID, GameID: 21901229, EventID: 9000}})
	wantCode(t, "SetExportKeys(already keyed)", err, nba.EConflict)
	got, err = s.VerifiedShots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].GameID != 21901230 || got[0].EventID != 9000 || got[1].GameID != 0 || got[1].EventID != 0 {
		t.Errorf("keys after the failed batch: a=(%d,%d) b=(%d,%d); want a=(21901230,9000), b unkeyed",
			got[0].GameID, got[0].EventID, got[1].GameID, got[1].EventID)
	}
}

// testAccounts covers what kills old tokens: RevokeTokens and SetPassword
// increment the token version; DeleteUser frees the name, so a new account
// with it gets a new id (tokens carry the id), and stops counting as a user.
func testAccounts(t *testing.T, s Store) {
	ctx := t.Context()
	u := mustUser(t, s, "lena")
	if u.TokenVersion != 0 || u.Labeler {
		t.Errorf("new user: version %d, labeler %v; want 0, false", u.TokenVersion, u.Labeler)
	}
	version := func(name string) int64 {
		t.Helper()
		got, err := s.UserByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return got.TokenVersion
	}
	if err := s.RevokeTokens(ctx, u.ID); err != nil || version("lena") != 1 {
		t.Errorf("RevokeTokens: %v, version %d, want 1", err, version("lena"))
	}
	if err := s.SetPassword(ctx, u.ID, "$2a$04$new"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.UserByName(ctx, "lena")
	if got.PasswordHash != "$2a$04$new" || got.TokenVersion != 2 {
		t.Errorf("after SetPassword: hash %q, version %d; want the new hash, 2", got.PasswordHash, got.TokenVersion)
	}
	if err := s.SetLabeler(ctx, "lena", true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByName(ctx, "lena"); !got.Labeler {
		t.Error("SetLabeler(true) did not stick")
	}
	wantCode(t, "SetLabeler(unknown)", s.SetLabeler(ctx, "nobody", true), nba.ENotFound)
	p := mustPredict(t, s, u.ID, 1, "v1", nil)

	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.UserByName(ctx, "lena")
	wantCode(t, "UserByName(deleted)", err, nba.ENotFound)
	_, err = s.UserByName(ctx, store.DeletedName(u.ID))
	wantCode(t, "UserByName(tombstone)", err, nba.ENotFound)
	for name, err := range map[string]error{
		"DeleteUser": s.DeleteUser(ctx, u.ID), "RevokeTokens": s.RevokeTokens(ctx, u.ID),
		"SetPassword": s.SetPassword(ctx, u.ID, "x"), "RevokeTokens(unknown)": s.RevokeTokens(ctx, u.ID+1000),
	} {
		wantCode(t, name+" after deletion", err, nba.ENotFound)
	}
	if got, err := s.Prediction(ctx, p.ID); err != nil || got.UserID != u.ID {
		t.Errorf("the deleted account's prediction: %+v, %v; want it kept", got, err)
	}
	again := mustUser(t, s, "lena")
	if again.ID == u.ID {
		t.Errorf("a new account with a deleted account's name reuses id %d", u.ID)
	}
	if st, err := s.Stats(ctx); err != nil || st.Users != 1 {
		t.Errorf("Stats.Users = %d (%v), want 1: deleted accounts do not count", st.Users, err)
	}
}

// testExportLabelers checks that VerifiedShots says whose verification is a
// labeler's.
func testExportLabelers(t *testing.T, s Store) {
	ctx := t.Context()
	user, labeler := mustUser(t, s, "self-registered"), mustUser(t, s, "labeler")
	if err := s.SetLabeler(ctx, "labeler", true); err != nil {
		t.Fatal(err)
	}
	raw := json.RawMessage(`{"player_name": "K"}`)
	a, b := mustPredict(t, s, user.ID, 1, "v1", raw), mustPredict(t, s, user.ID, 1, "v1", raw)
	for _, v := range []store.Verify{{PredictionID: a.ID, Value: 0, UserID: user.ID}, {PredictionID: b.ID, Value: 1, UserID: labeler.ID}} {
		v.At = time.Now()
		if _, err := s.Verify(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.VerifiedShots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ByLabeler || !got[1].ByLabeler {
		t.Errorf("VerifiedShots = %+v, want a by a non-labeler, b by a labeler", got)
	}
}

// testLoginBuckets drives the login token buckets through a simulated clock.
func testLoginBuckets(t *testing.T, s Store) {
	ctx := t.Context()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pair := store.Bucket{Key: "pair:" + SQLMeta[0], Burst: 3, PerSecond: 3.0 / 60} // a token every 20 s
	user := store.Bucket{Key: "user:lena", Burst: 5, PerSecond: 5.0 / 3600}
	take := func(at time.Time, bs ...store.Bucket) time.Duration {
		t.Helper()
		w, err := s.TakeLogin(ctx, at, bs)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	for i := range 3 {
		if w := take(t0, pair, user); w != 0 {
			t.Fatalf("take %d: wait %s, want a token", i, w)
		}
	}
	if w := take(t0, pair, user); w != 20*time.Second {
		t.Errorf("4th take: wait %s, want 20s", w)
	}
	// The refused take charged nothing: user still has 2 tokens.
	other := store.Bucket{Key: "pair:other", Burst: 3, PerSecond: 3.0 / 60}
	for i := range 2 {
		if w := take(t0, other, user); w != 0 {
			t.Fatalf("user bucket after a refused take, take %d: wait %s; a refused take must charge no bucket", i, w)
		}
	}
	if w := take(t0, other, user); w != 720*time.Second { // one token of 5 an hour
		t.Errorf("user bucket empty: wait %s, want 12m0s", w)
	}
	// Refunds give back a token, never beyond the burst.
	if err := s.RefundLogin(ctx, t0, []store.Bucket{pair, user}); err != nil {
		t.Fatal(err)
	}
	if w := take(t0, pair, user); w != 0 {
		t.Errorf("after a refund: wait %s, want a token", w)
	}
	fresh := store.Bucket{Key: "fresh", Burst: 2, PerSecond: 1}
	for range 3 {
		if err := s.RefundLogin(ctx, t0, []store.Bucket{fresh}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if w := take(t0, fresh); (w == 0) != (i < 2) {
			t.Errorf("take %d of a refunded fresh bucket: wait %s; refunds must not pass the burst of 2", i, w)
		}
	}
	// Refill: 20 s give pair one token; a clock 1 h back gives nothing.
	if w := take(t0.Add(20*time.Second), pair); w != 0 {
		t.Errorf("after 20 s: wait %s, want a token", w)
	}
	if w := take(t0.Add(-time.Hour), pair); w == 0 {
		t.Error("a clock that went back refilled the bucket")
	}
	// Prune: a row goes once its bucket has refilled, and only then. At
	// t0+20s only "fresh" (2 tokens at 1/s) is full again.
	n, err := s.PruneLogin(ctx, t0.Add(20*time.Second))
	if err != nil || n != 1 {
		t.Errorf("PruneLogin(t0+20s) = %d, %v; want 1: only fresh is full again", n, err)
	}
	n, err = s.PruneLogin(ctx, t0.Add(2*time.Hour))
	if err != nil || n != 3 {
		t.Errorf("PruneLogin(t0+2h) = %d, %v; want 3 (pair, user, other)", n, err)
	}
	if n, err = s.PruneLogin(ctx, t0.Add(3*time.Hour)); err != nil || n != 0 {
		t.Errorf("second PruneLogin = %d, %v; want 0", n, err)
	}
	// A pruned bucket comes back full.
	for i := range 3 {
		if w := take(t0.Add(2*time.Hour), pair); w != 0 {
			t.Fatalf("pruned bucket, take %d: wait %s", i, w)
		}
	}
}

// testConcurrentLogin sends 50 takes at once at a bucket of 10: check and
// charge are one step, so exactly 10 pass.
func testConcurrentLogin(t *testing.T, s Store) {
	ctx := t.Context()
	at := time.Now()
	b := []store.Bucket{{Key: "pair:victim|198.51.100.7", Burst: 10, PerSecond: 10.0 / 60}, {Key: "user:victim", Burst: 100, PerSecond: 100.0 / 3600}}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		granted int
		errs    []error
	)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := s.TakeLogin(ctx, at, b)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if w == 0 {
				granted++
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d concurrent takes failed, first: %v", len(errs), errs[0])
	}
	if granted != 10 {
		t.Errorf("%d of 50 concurrent takes passed a bucket of 10", granted)
	}
}

// PostgresDSN returns a DSN for a fresh schema in the database named by
// TEST_DATABASE_URL, dropped when the test ends. It skips the test when the
// variable is unset, unless NBA_REQUIRE_INTEGRATION=1.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		testenv.Missing(tb, "TEST_DATABASE_URL is unset; set it to a PostgreSQL URL to run")
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	schema := "test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(tb, base, schema)
}

// WithSearchPath returns dsn with its search_path set to schema.
func WithSearchPath(tb testing.TB, dsn, schema string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		tb.Fatalf("TEST_DATABASE_URL must be a postgres:// URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
