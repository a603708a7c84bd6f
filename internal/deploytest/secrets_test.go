package deploytest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// interpolationRE matches a compose ${VAR} reference (not the escaped $${VAR}).
var interpolationRE = regexp.MustCompile(`(?:^|[^$])\$\{([A-Za-z_][A-Za-z0-9_]*)`)

// secretKeyRE matches names of settings that hold secrets.
var secretKeyRE = regexp.MustCompile(`(?i)password|passwd|secret|token|api[_-]?key|apikey|private[_-]?key|credential|webhook`)

// looksSecretKey reports whether a setting named k holds a secret value (and
// is not a reference to one, like JWT_SECRET_FILE or the compose secrets: key).
func looksSecretKey(k string) bool {
	lk := strings.ToLower(k)
	if strings.HasSuffix(lk, "_file") || lk == "secrets" {
		return false
	}
	return secretKeyRE.MatchString(k)
}

// assignmentRE finds KEY: value and KEY=value pairs (YAML, env files, flags,
// JSON, query strings) whose key looks like a secret.
var assignmentRE = regexp.MustCompile(`(?i)([A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|apikey|private[_-]?key|credential|webhook)[A-Za-z0-9_.-]*)["']?\s*[:=]\s*("[^"]*"|'[^']*'|[^\s,}#\]]*)`)

// secretShapes are values that are credentials whatever they are assigned to.
var secretShapes = []struct {
	name string
	re   *regexp.Regexp
}{
	{"private key", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
	{"AWS access key", regexp.MustCompile(`\bAKIA[0-9A-Z]{16}\b`)},
	{"GitHub token", regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,})`)},
	{"Slack token", regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`)},
	{"Slack webhook", regexp.MustCompile(`hooks\.slack\.com/services/T[A-Za-z0-9]+/`)},
	{"Docker Hub token", regexp.MustCompile(`\bdckr_pat_[A-Za-z0-9_-]{10,}`)},
	{"API key", regexp.MustCompile(`\bsk-[A-Za-z0-9]{20,}`)},
	{"JWT", regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}`)},
	{"password in URL", regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^/\s:@]+:([^/\s@$]|\$[^{(])[^/\s@]*@`)},
}

// safeSecretValue reports whether v is not a literal: empty, an
// interpolation (${VAR}, ${{ secrets.X }}, Grafana's $__file{} / $__env{}),
// a shell substitution, an alias, or a path to a secret file.
func safeSecretValue(v string) bool {
	v = strings.Trim(v, `"'`)
	switch {
	case v == "", v == "|", v == ">", v == ">-", v == "[":
		return true
	case v == "true", v == "false": // a switch (automountServiceAccountToken), never a credential
		return true
	case strings.HasPrefix(v, "${"), strings.HasPrefix(v, "$${"), strings.HasPrefix(v, "$("), strings.HasPrefix(v, "$$("):
		return true
	case strings.HasPrefix(v, "$__file{"), strings.HasPrefix(v, "$__env{"):
		return true
	case strings.HasPrefix(v, "*"), strings.HasPrefix(v, "&"):
		return true
	case strings.Contains(v, "/run/secrets/"):
		return true
	}
	return false
}

// scanSecrets returns the secret literals in content, one message per find.
// placeholders allows values containing "change-me" (for .env.example).
func scanSecrets(content string, placeholders bool) []string {
	var finds []string
	for i, line := range strings.Split(content, "\n") {
		for _, sh := range secretShapes {
			if sh.re.MatchString(line) {
				finds = append(finds, fmt.Sprintf("line %d: %s", i+1, sh.name))
			}
		}
		// Comments are prose ("access tokens: 32 bytes"): only the
		// credential shapes above apply to them.
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") || strings.HasPrefix(t, "//") {
			continue
		}
		for _, m := range assignmentRE.FindAllStringSubmatch(line, -1) {
			key, val := m[1], m[2]
			if !looksSecretKey(key) || safeSecretValue(val) {
				continue
			}
			if placeholders && strings.Contains(val, "change-me") {
				continue
			}
			finds = append(finds, fmt.Sprintf("line %d: %s has a literal value", i+1, key))
		}
	}
	return finds
}

func TestScanSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		in           string
		placeholders bool
		wantFinds    int
	}{
		{"compose literal", "      POSTGRES_PASSWORD: hunter2", false, 1},
		{"env literal", "JWT_SECRET=abc", false, 1},
		{"flag literal", "  - --db-password=abc", false, 1},
		{"json literal", `{"password": "abc"}`, false, 1},
		{"query string", "http://h/x?token=abc", false, 1},
		{"placeholder outside .env.example", "JWT_SECRET=change-me", false, 1},
		{"placeholder in .env.example", "JWT_SECRET=change-me-key", true, 0},
		{"file reference", "      JWT_SECRET_FILE: /run/secrets/jwt_secret", false, 0},
		{"grafana double underscore file", "GF_SECURITY_ADMIN_PASSWORD__FILE: /run/secrets/x", false, 0},
		{"alertmanager file", "  smtp_auth_password_file: /run/secrets/smtp_password", false, 0},
		{"interpolation", "      DB_PASSWORD: ${DB_PASSWORD}", false, 0},
		{"actions secret", "          password: ${{ secrets.DOCKERHUB_TOKEN }}", false, 0},
		{"grafana file", "      password: $__file{/run/secrets/db_password}", false, 0},
		{"shell from secret file", `PGPASSWORD="$$(cat /run/secrets/db_password)" && export PGPASSWORD`, false, 0},
		{"secret definition", "  jwt_secret:", false, 0},
		{"secrets list", "    secrets: [db_password, jwt_secret]", false, 0},
		{"empty value", "MLFLOW_TRACKING_TOKEN=", false, 0},
		{"boolean switch", "      automountServiceAccountToken: false", false, 0},
		{"private key", "-----BEGIN RSA PRIVATE KEY-----", false, 1},
		{"aws key", "key AKIAABCDEFGHIJKLMNOP here", false, 1},
		{"github token", "ghp_" + strings.Repeat("a", 36), false, 1},
		{"slack webhook", "url: https://hooks.slack.com/services/T000/B000/XXXX", false, 1},
		{"fake slack webhook", "https://hooks.slack.invalid/services/change-me", false, 0},
		{"docker hub token", "dckr_pat_abcdefghijklmnop", false, 1},
		{"password in URL", "postgres://nba:hunter2@db:5432/nba", false, 1},
		{"variable in URL", "postgres://nba:${POSTGRES_PASSWORD}@db/nba", false, 0},
		{"user only URL", "postgresql://nba@db:5432/mlflow", false, 0},
		{"jwt", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.sig", false, 1},
		{"prose", "# the token expires after 60 minutes", false, 0},
		{"prose with a colon", "# signing key for access tokens: 32+ random bytes", false, 0},
		{"key shape in a comment", "# AKIAABCDEFGHIJKLMNOP", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := scanSecrets(tt.in, tt.placeholders)
			if len(got) != tt.wantFinds {
				t.Errorf("scanSecrets(%q) = %q, want %d finds", tt.in, got, tt.wantFinds)
			}
		})
	}
}

// deploymentFiles lists the files the secret scan covers, relative to the
// repository root.
func deploymentFiles(tb testing.TB) []string {
	tb.Helper()
	root := repoRoot(tb)
	files := []string{pipelineCompose, apiCompose, ".env.example"}
	for _, dir := range []string{"deploy", "prometheus", "grafana", ".github/workflows"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			rel, err := filepath.Rel(root, path)
			files = append(files, filepath.ToSlash(rel))
			return err
		})
		if err != nil {
			tb.Fatalf("walk %s: %v", dir, err)
		}
	}
	return files
}

// TestNoSecretLiterals scans compose files, configs, Dockerfiles and
// workflows for anything that looks like a real credential.
func TestNoSecretLiterals(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	files := deploymentFiles(t)
	if len(files) < 10 {
		t.Fatalf("only %d deployment files found: %v", len(files), files)
	}
	for _, rel := range files {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range scanSecrets(string(b), rel == ".env.example") {
			t.Errorf("%s: %s", rel, f)
		}
	}
	// In .env.example every secret must be an obvious placeholder.
	for k, v := range parseEnvFile(t, readRepoFile(t, ".env.example")) {
		if looksSecretKey(k) && !strings.Contains(v, "change-me") {
			t.Errorf(".env.example: %s=%q is not an obvious placeholder (want change-me)", k, v)
		}
	}
}
