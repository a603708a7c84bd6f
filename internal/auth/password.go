package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// DefaultCost is the bcrypt cost apid uses unless told otherwise: about a
// quarter of a second per hash on this kind of machine.
const DefaultCost = 12

// Hasher hashes and checks passwords with bcrypt at a fixed cost.
type Hasher struct {
	cost  int
	dummy []byte
}

// NewHasher returns a Hasher for the bcrypt cost (4..31).
func NewHasher(cost int) (*Hasher, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d is outside %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	// Compare checks unknown users against this hash, so that they take as
	// long as a wrong password and response times do not reveal which
	// usernames exist.
	dummy, err := bcrypt.GenerateFromPassword([]byte("no user has this password"), cost)
	if err != nil {
		return nil, fmt.Errorf("bcrypt: %w", err)
	}
	return &Hasher{cost: cost, dummy: dummy}, nil
}

// Cost returns the bcrypt cost.
func (h *Hasher) Cost() int { return h.cost }

// Hash returns the bcrypt hash of password.
func (h *Hasher) Hash(password string) (string, error) {
	b, err := bcrypt.GenerateFromPassword(prehash(password), h.cost)
	if err != nil {
		return "", fmt.Errorf("bcrypt: %w", err)
	}
	return string(b), nil
}

// Compare reports whether password matches hash. An empty hash (an unknown
// user) is compared against a dummy hash of the same cost and never matches.
func (h *Hasher) Compare(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(h.dummy, prehash(password)) // for the time it takes
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), prehash(password)) == nil
}

// prehash makes every byte of a long password count: bcrypt reads at most
// 72 bytes (x/crypto refuses more), and passwords may be 128 characters of
// up to 4 bytes each. Passwords of 72 bytes or fewer are hashed as they are,
// so their hashes are plain bcrypt.
func prehash(password string) []byte {
	if len(password) <= 72 {
		return []byte(password)
	}
	sum := sha256.Sum256([]byte(password))
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

// Account rules.
const (
	MinUsername = 3
	MaxUsername = 64
	MinPassword = 8
	MaxPassword = 128
)

// CheckUsername returns an invalid error when name is not 3-64 characters of
// [A-Za-z0-9_.-].
func CheckUsername(name string) error {
	if len(name) < MinUsername || len(name) > MaxUsername {
		return nba.Errorf(nba.EInvalid, "username must be %d to %d characters long", MinUsername, MaxUsername)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return nba.Errorf(nba.EInvalid, "username may only contain letters, digits, '_', '.' and '-'")
		}
	}
	return nil
}

// CheckPassword returns an invalid error when password is not 8-128
// characters of valid UTF-8.
func CheckPassword(password string) error {
	if !utf8.ValidString(password) {
		return nba.Errorf(nba.EInvalid, "password must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(password); n < MinPassword || n > MaxPassword {
		return nba.Errorf(nba.EInvalid, "password must be %d to %d characters long", MinPassword, MaxPassword)
	}
	return nil
}
