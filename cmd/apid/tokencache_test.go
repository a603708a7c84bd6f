package main

import (
	"errors"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/auth"
)

type countingVerifier struct {
	calls int
	bad   bool
}

func (v *countingVerifier) Verify(token string) (auth.Account, error) {
	v.calls++
	if v.bad {
		return auth.Account{}, errors.New("bad token")
	}
	return auth.Account{Name: "sub-of-" + token, ID: 7, Version: 3}, nil
}

func TestTokenCache(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	v := &countingVerifier{}
	c := newTokenCache(v, time.Second, func() time.Time { return now })
	for range 3 {
		if acc, err := c.Verify("a"); err != nil || acc != (auth.Account{Name: "sub-of-a", ID: 7, Version: 3}) {
			t.Fatalf("Verify(a) = %+v, %v", acc, err)
		}
	}
	if v.calls != 1 {
		t.Errorf("3 checks of one token within the ttl made %d full checks, want 1", v.calls)
	}
	if acc, _ := c.Verify("b"); acc.Name != "sub-of-b" || v.calls != 2 {
		t.Errorf("another token: %q after %d checks; want its own subject after 2", acc.Name, v.calls)
	}
	now = now.Add(time.Second)
	v.bad = true // say the token has expired meanwhile
	if _, err := c.Verify("a"); err == nil {
		t.Error("a token past the ttl was not checked again")
	}
	if _, err := c.Verify("a"); err == nil || v.calls != 4 {
		t.Errorf("a failed check was cached (%d checks)", v.calls)
	}
	if got := newTokenCache(v, 0, time.Now); got != tokenVerifier(v) {
		t.Error("ttl 0 must not cache")
	}
}
