package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readEnvExample returns the KEY=VALUE pairs of the repository's
// .env.example, read at test time: the docker files may change it, and
// the placeholders apid refuses must follow.
func readEnvExample(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", ".env.example"))
	if err != nil {
		t.Fatalf(".env.example: %v", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf(".env.example: %q is not KEY=VALUE", line)
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var secretLike = regexp.MustCompile(`PASSWORD|SECRET|TOKEN|_KEY$|WEBHOOK`)

// TestPlaceholderSecretsRefused: every secret-like value in .env.example is
// recognised as a placeholder, and apid refuses to start on those it reads
// (JWT_SECRET, NBA_ADMIN_PASSWORD, DB_PASSWORD), saying how to make one.
func TestPlaceholderSecretsRefused(t *testing.T) {
	example := readEnvExample(t)
	n := 0
	for k, v := range example {
		if !secretLike.MatchString(k) || v == "" {
			continue
		}
		n++
		if !isPlaceholder(v) {
			t.Errorf(".env.example %s=%q is not a placeholder apid refuses: add it to placeholderSecrets", k, v)
		}
	}
	if n < 3 {
		t.Fatalf("only %d secret-like values in .env.example: the test reads the wrong file?", n)
	}
	good := map[string]string{"JWT_SECRET": testSecret, "NBA_ADMIN_USER": "admin", "NBA_ADMIN_PASSWORD": "admin-password-17"}
	for _, tt := range []struct {
		name, value, from string // from: the .env.example key holding the value
	}{
		{"JWT_SECRET", "", "JWT_SECRET"},
		{"NBA_ADMIN_PASSWORD", "", "NBA_ADMIN_PASSWORD"},
		{"DB_PASSWORD", "", "POSTGRES_PASSWORD"},
	} {
		v, ok := example[tt.from]
		if !ok {
			t.Errorf(".env.example has no %s", tt.from)
			continue
		}
		environ := map[string]string{}
		for k, gv := range good {
			environ[k] = gv
		}
		environ[tt.name] = v
		if tt.name == "DB_PASSWORD" {
			environ["DB_HOST"], environ["DB_NAME"], environ["DB_USER"] = "db", "nba", "nba"
		}
		_, err := loadConfig(nil, env(environ), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.name) || !strings.Contains(err.Error(), "openssl rand") {
			t.Errorf("%s=%q (.env.example's %s): %v; want a refusal naming %s and saying how to make one", tt.name, v, tt.from, err, tt.name)
		}
		if err != nil && strings.Contains(err.Error(), v) {
			t.Errorf("the error quotes the secret: %v", err)
		}
	}
	// The example's password inside a DATABASE_URL is refused as well.
	url := "postgres://nba:" + example["POSTGRES_PASSWORD"] + "@db:5432/nba"
	if _, err := loadConfig(nil, env(map[string]string{"JWT_SECRET": testSecret, "DATABASE_URL": url}), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("DATABASE_URL with the example password: %v, want a refusal", err)
	}
}

// TestLowEntropySecretsRefused: secrets that are long enough but guessable
// are refused; random ones pass.
func TestLowEntropySecretsRefused(t *testing.T) {
	for _, tt := range []struct {
		name, value string
		ok          bool
	}{
		{"JWT_SECRET", strings.Repeat("a", 64), false},
		{"JWT_SECRET", strings.Repeat("0123456789abcdef", 2), false},
		{"JWT_SECRET", "secretsecretsecretsecretsecret123", false},
		{"JWT_SECRET", "passwordpasswordpasswordpassword", false},
		{"JWT_SECRET", "3f6c0a8e1b9d4c7a2e5f8b1d0c3a6e9f4b7d2a5c8e1f0b3d6a9c2e5f8b1d4a7c", true}, // openssl rand -hex 32
		{"JWT_SECRET", "q8V0rJm3Xb2Lw9Tz1Ck5Hn7Gs4Pd6Fy0Aa2Ee4Uu8Ii=", true},                     // openssl rand -base64 32
		{"NBA_ADMIN_PASSWORD", "password", false},
		{"NBA_ADMIN_PASSWORD", "password1234", false},
		{"NBA_ADMIN_PASSWORD", "aaaaaaaaaaaaaaaa", false},
		{"NBA_ADMIN_PASSWORD", "12345678", false},
		{"NBA_ADMIN_PASSWORD", "abcabcabcabcabcabc", false},
		{"NBA_ADMIN_PASSWORD", "tL3/x9QeR+2mVb7ZkP0a", true}, // openssl rand -base64 15
		{"NBA_ADMIN_PASSWORD", "correct horse battery staple", true},
	} {
		environ := map[string]string{"JWT_SECRET": testSecret, "NBA_ADMIN_USER": "admin", "NBA_ADMIN_PASSWORD": "admin-password-17"}
		environ[tt.name] = tt.value
		_, err := loadConfig(nil, env(environ), &bytes.Buffer{})
		switch {
		case tt.ok && err != nil:
			t.Errorf("%s=%q refused: %v", tt.name, tt.value, err)
		case !tt.ok && (err == nil || !strings.Contains(err.Error(), tt.name) || !strings.Contains(err.Error(), "openssl rand")):
			t.Errorf("%s=%q: %v; want a refusal naming %s and saying how to make one", tt.name, tt.value, err, tt.name)
		}
	}
}
