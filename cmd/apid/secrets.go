package main

import (
	"fmt"
	"math"
	"strings"
)

// placeholderSecrets are the example values of secrets published in the
// repository's .env.example (and the docs). Anyone can read them, so a
// token signed with one, or a password equal to one, protects nothing: apid
// refuses to start on them. The binary cannot read .env.example at run
// time, so the values live here; a test checks that every secret-like value
// of .env.example is refused, which keeps the two in step.
var placeholderSecrets = []string{
	"change-me-jwt-signing-key-use-openssl-rand-hex-32",
	"change-me-admin-password",
	"change-me-postgres-password",
	"change-me-grafana-password",
	"change-me-smtp-password",
}

// placeholderMarkers are the words the repository's examples put in fake
// secrets; a value containing one is refused too, so a new example value
// in the same style is refused before anyone adds it to the list.
var placeholderMarkers = []string{"change-me", "changeme", "replace-me", "your-secret", "example-secret"}

// Entropy floors, in bits, of the estimate entropyBits makes. 128 bits is
// the strength of HS256 against brute force that a random 32-byte key
// gives with room to spare (`openssl rand -hex 32` scores about 250); the
// admin password is typed by a person, and bcrypt slows guessing, so its
// floor is lower, but "password1" or "aaaaaaaaaaaa" stay out.
const (
	minJWTSecretBits     = 128
	minAdminPasswordBits = 48
)

// isPlaceholder reports whether v is, or looks like, an example secret.
func isPlaceholder(v string) bool {
	lv := strings.ToLower(v)
	for _, p := range placeholderSecrets {
		if lv == p {
			return true
		}
	}
	for _, m := range placeholderMarkers {
		if strings.Contains(lv, m) {
			return true
		}
	}
	return false
}

// entropyBits estimates the entropy of s from its characters: the length
// times the Shannon entropy of the character frequencies. It cannot tell a
// random string from a clever pattern, so it is only a floor against the
// obvious (repeated characters, short values, few distinct symbols); the
// placeholder list catches the published examples.
func entropyBits(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]int{}
	n := 0
	for _, r := range s {
		counts[r]++
		n++
	}
	var h float64
	for _, c := range counts {
		p := float64(c) / float64(n)
		h -= p * math.Log2(p)
	}
	return h * float64(n)
}

// checkSecret refuses a placeholder or low-entropy value of the secret
// variable name, saying how to make a good one.
func checkSecret(name, value string, minBits float64, howTo string) error {
	if isPlaceholder(value) {
		return fmt.Errorf("%s is the example value from .env.example or the docs, which anyone can read: set a secret of your own (%s)", name, howTo)
	}
	if repeats(value) {
		return fmt.Errorf("%s is one short string repeated: make one with %s", name, howTo)
	}
	if bits := entropyBits(value); bits < minBits {
		return fmt.Errorf("%s has too little entropy (about %.0f bits, want %d or more): make one with %s", name, bits, int(minBits), howTo)
	}
	return nil
}

// repeats reports whether s is a shorter string repeated ("abcabcabc"),
// which the character-frequency estimate rates far above its worth.
func repeats(s string) bool {
	for k := 1; k <= len(s)/2; k++ {
		if len(s)%k == 0 && strings.Repeat(s[:k], len(s)/k) == s {
			return true
		}
	}
	return false
}

const (
	howToJWTSecret = "`openssl rand -hex 32`"
	howToPassword  = "`openssl rand -base64 18`, or a passphrase of several random words"
)
