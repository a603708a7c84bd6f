package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/auth"
)

// envNames lists every environment variable apid reads (--check-config
// prints it, and deployment tests compare it with the compose files).
var envNames = []string{
	"HTTP_ADDR", "API_PORT", "NBA_DATA_DIR",
	"DATABASE_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD", "DB_PASSWORD_FILE",
	"PREDICT_URL", "PREDICTION_SERVICE_HOST", "PREDICTION_SERVICE_PORT",
	"JWT_SECRET", "JWT_SECRET_FILE", "NBA_ADMIN_USER", "NBA_ADMIN_PASSWORD", "NBA_ADMIN_PASSWORD_FILE",
	"APID_DEV", "BCRYPT_COST", "TOKEN_TTL", "FEEDBACK_WINDOW", "CORS_ORIGINS",
	"LOGIN_RATE_USER", "LOGIN_RATE_ADDR", "LOG_LEVEL", "LOG_FORMAT",
}

// config is apid's resolved configuration. Flags override environment
// variables, which override defaults; loadConfig validates all of it before
// anything starts.
type config struct {
	Addr           string
	DataDir        string
	DatabaseURL    auth.Secret // empty: SQLite in DataDir
	DatabaseFrom   string      // which variables gave DatabaseURL
	PredictURL     string
	Dev            bool
	JWTSecret      auth.Secret // empty in dev mode without a configured secret: run makes a random one
	BcryptCost     int
	TokenTTL       time.Duration
	FeedbackWindow int
	CORSOrigins    []string
	LoginPerUser   int // failed logins per username per minute
	LoginPerAddr   int // login and signup attempts per client address per minute
	AdminUser      string
	AdminPassword  auth.Secret
	LogLevel       slog.Level
	LogFormat      string
	DBWait         time.Duration
	RequestTimeout time.Duration
	PprofAddr      string // empty: no /debug/pprof listener
	CheckConfig    bool
}

// SQLitePath is the database file used when no PostgreSQL is configured.
func (c *config) SQLitePath() string { return filepath.Join(c.DataDir, "apid.db") }

// envError names the variable whose value is wrong.
func envError(name, value, want string) error {
	return fmt.Errorf("%s=%q: %s", name, value, want)
}

// loadConfig parses flags (args without the program name) over the
// environment.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("apid", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: apid [flags]\n       apid export-feedback --out FILE [flags]\n\nThe NBA shot prediction API.\n\nFlags:\n")
		fs.PrintDefaults()
	}

	defAddr := ":8000"
	if p := getenv("API_PORT"); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, envError("API_PORT", p, "want a port number 1..65535")
		}
		defAddr = ":" + p
	}
	if a := getenv("HTTP_ADDR"); a != "" {
		defAddr = a
	}
	defInt := func(name string, def int) (int, error) {
		v := getenv(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, envError(name, v, "want an integer")
		}
		return n, nil
	}
	cost, err := defInt("BCRYPT_COST", auth.DefaultCost)
	if err != nil {
		return nil, err
	}
	window, err := defInt("FEEDBACK_WINDOW", 500)
	if err != nil {
		return nil, err
	}
	perUser, err := defInt("LOGIN_RATE_USER", 10)
	if err != nil {
		return nil, err
	}
	perAddr, err := defInt("LOGIN_RATE_ADDR", 60)
	if err != nil {
		return nil, err
	}
	ttl := auth.DefaultTTL
	if v := getenv("TOKEN_TTL"); v != "" {
		if ttl, err = time.ParseDuration(v); err != nil {
			return nil, envError("TOKEN_TTL", v, "want a duration such as 60m")
		}
	}
	dev := false
	if v := getenv("APID_DEV"); v != "" {
		if dev, err = strconv.ParseBool(v); err != nil {
			return nil, envError("APID_DEV", v, "want true or false")
		}
	}
	dataDir := getenv("NBA_DATA_DIR")
	if dataDir == "" {
		dataDir = "./data"
	}
	var cors, logLevel string
	fs.StringVar(&c.Addr, "addr", defAddr, "listen address (env HTTP_ADDR, or API_PORT for \":PORT\")")
	fs.StringVar(&c.DataDir, "data-dir", dataDir, "data directory; holds apid.db when no PostgreSQL is configured (env NBA_DATA_DIR)")
	fs.StringVar(&c.PredictURL, "predict-url", "", "prediction service base URL (env PREDICT_URL, or PREDICTION_SERVICE_HOST/PREDICTION_SERVICE_PORT; default http://127.0.0.1:8001)")
	fs.BoolVar(&c.Dev, "dev", dev, "development mode: without JWT_SECRET, sign tokens with a random secret (env APID_DEV)")
	fs.IntVar(&c.BcryptCost, "bcrypt-cost", cost, "bcrypt cost of new password hashes, 4..31 (env BCRYPT_COST)")
	fs.DurationVar(&c.TokenTTL, "token-ttl", ttl, "access token lifetime (env TOKEN_TTL)")
	fs.IntVar(&c.FeedbackWindow, "feedback-window", window, "verifications nba_online_accuracy is computed over (env FEEDBACK_WINDOW)")
	fs.StringVar(&cors, "cors-origins", getenv("CORS_ORIGINS"), "comma-separated origins allowed by CORS, or *; none by default (env CORS_ORIGINS)")
	fs.IntVar(&c.LoginPerUser, "login-rate-user", perUser, "failed logins allowed per username per minute (env LOGIN_RATE_USER)")
	fs.IntVar(&c.LoginPerAddr, "login-rate-addr", perAddr, "login and signup attempts allowed per client address per minute (env LOGIN_RATE_ADDR)")
	fs.StringVar(&logLevel, "log-level", or(getenv("LOG_LEVEL"), "info"), "debug, info, warn or error (env LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", or(getenv("LOG_FORMAT"), "text"), "text or json (env LOG_FORMAT)")
	fs.DurationVar(&c.DBWait, "db-wait", 60*time.Second, "how long to wait at start for PostgreSQL to accept connections")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", 10*time.Second, "deadline of each API request, database and prediction service calls included")
	fs.StringVar(&c.PprofAddr, "pprof-addr", "", "serve /debug/pprof on this address (host:port, loopback advised); off when empty")
	fs.BoolVar(&c.CheckConfig, "check-config", false, "print the resolved configuration as JSON (secrets redacted) and exit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return nil, fmt.Errorf("--addr %q: want host:port or :port", c.Addr)
	}
	if _, _, err := net.SplitHostPort(c.PprofAddr); c.PprofAddr != "" && err != nil {
		return nil, fmt.Errorf("--pprof-addr %q: want host:port or :port", c.PprofAddr)
	}
	if c.DataDir == "" {
		return nil, errors.New("--data-dir must not be empty")
	}
	if err := c.loadDatabase(getenv); err != nil {
		return nil, err
	}
	if err := c.loadPredictURL(getenv); err != nil {
		return nil, err
	}
	if err := c.loadSecrets(getenv); err != nil {
		return nil, err
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		return nil, fmt.Errorf("--bcrypt-cost %d (env BCRYPT_COST): want 4..31", c.BcryptCost)
	}
	if c.TokenTTL < time.Minute || c.TokenTTL > 7*24*time.Hour {
		return nil, fmt.Errorf("--token-ttl %s (env TOKEN_TTL): want 1m..168h", c.TokenTTL)
	}
	if c.FeedbackWindow < 1 || c.FeedbackWindow > 100000 {
		return nil, fmt.Errorf("--feedback-window %d (env FEEDBACK_WINDOW): want 1..100000", c.FeedbackWindow)
	}
	if c.LoginPerUser < 1 || c.LoginPerAddr < 1 {
		return nil, fmt.Errorf("--login-rate-user %d / --login-rate-addr %d (env LOGIN_RATE_USER / LOGIN_RATE_ADDR): want at least 1", c.LoginPerUser, c.LoginPerAddr)
	}
	if c.DBWait < 0 || c.RequestTimeout <= 0 {
		return nil, errors.New("--db-wait must not be negative and --request-timeout must be positive")
	}
	for _, o := range strings.Split(cors, ",") {
		o = strings.TrimSpace(o)
		switch {
		case o == "":
		case o == "*":
			c.CORSOrigins = append(c.CORSOrigins, o)
		default:
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
				return nil, fmt.Errorf("--cors-origins (env CORS_ORIGINS): %q is not an origin like https://example.org", o)
			}
			c.CORSOrigins = append(c.CORSOrigins, strings.TrimSuffix(o, "/"))
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q (env LOG_LEVEL): want debug, info, warn or error", logLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return nil, fmt.Errorf("--log-format %q (env LOG_FORMAT): want text or json", c.LogFormat)
	}
	return c, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// secretFrom reads a secret from NAME or NAME_FILE (not both). Files may end
// in a newline, which is dropped.
func secretFrom(getenv func(string) string, name string) (auth.Secret, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return auth.Secret{}, fmt.Errorf("both %s and %s_FILE are set: use one", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return auth.Secret{}, fmt.Errorf("%s_FILE: %w", name, err)
		}
		return auth.NewSecret(strings.TrimRight(string(b), "\r\n")), nil
	}
	return auth.NewSecret(v), nil
}

func (c *config) loadDatabase(getenv func(string) string) error {
	if v := getenv("DATABASE_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return errors.New("DATABASE_URL: want a postgres:// URL") // the value may hold a password: not quoted
		}
		c.DatabaseURL, c.DatabaseFrom = auth.NewSecret(v), "DATABASE_URL"
		return nil
	}
	host := getenv("DB_HOST")
	if host == "" {
		return nil
	}
	name, user := getenv("DB_NAME"), getenv("DB_USER")
	if name == "" || user == "" {
		return errors.New("DB_HOST is set: DB_NAME and DB_USER are required too")
	}
	port := or(getenv("DB_PORT"), "5432")
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return envError("DB_PORT", port, "want a port number 1..65535")
	}
	pw, err := secretFrom(getenv, "DB_PASSWORD")
	if err != nil {
		return err
	}
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(host, port), Path: "/" + name}
	if pw.IsZero() {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, pw.Reveal())
	}
	c.DatabaseURL, c.DatabaseFrom = auth.NewSecret(u.String()), "DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD"
	return nil
}

func (c *config) loadPredictURL(getenv func(string) string) error {
	src := "--predict-url"
	if c.PredictURL == "" {
		src = "PREDICT_URL"
		c.PredictURL = getenv("PREDICT_URL")
	}
	if c.PredictURL == "" {
		src = "PREDICTION_SERVICE_HOST/PREDICTION_SERVICE_PORT"
		host, port := or(getenv("PREDICTION_SERVICE_HOST"), "127.0.0.1"), or(getenv("PREDICTION_SERVICE_PORT"), "8001")
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return envError("PREDICTION_SERVICE_PORT", port, "want a port number 1..65535")
		}
		c.PredictURL = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(c.PredictURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: %q is not an http(s) URL", src, c.PredictURL)
	}
	return nil
}

func (c *config) loadSecrets(getenv func(string) string) error {
	var err error
	if c.JWTSecret, err = secretFrom(getenv, "JWT_SECRET"); err != nil {
		return err
	}
	switch {
	case c.JWTSecret.IsZero() && !c.Dev:
		return fmt.Errorf("JWT_SECRET or JWT_SECRET_FILE is required (at least %d bytes, e.g. from `openssl rand -hex 32`); --dev uses a random one", auth.MinSecretBytes)
	case !c.JWTSecret.IsZero() && c.JWTSecret.Len() < auth.MinSecretBytes:
		return fmt.Errorf("JWT_SECRET is %d bytes: want at least %d", c.JWTSecret.Len(), auth.MinSecretBytes)
	}
	c.AdminUser = getenv("NBA_ADMIN_USER")
	if c.AdminPassword, err = secretFrom(getenv, "NBA_ADMIN_PASSWORD"); err != nil {
		return err
	}
	switch {
	case c.AdminUser == "" && !c.AdminPassword.IsZero():
		return errors.New("NBA_ADMIN_PASSWORD is set without NBA_ADMIN_USER")
	case c.AdminUser == "":
	case c.AdminPassword.IsZero():
		return errors.New("NBA_ADMIN_USER is set: NBA_ADMIN_PASSWORD or NBA_ADMIN_PASSWORD_FILE is required (there is no default password)")
	default:
		if err := auth.CheckUsername(c.AdminUser); err != nil {
			return fmt.Errorf("NBA_ADMIN_USER: %w", err)
		}
		if err := auth.CheckPassword(c.AdminPassword.Reveal()); err != nil {
			return fmt.Errorf("NBA_ADMIN_PASSWORD: %w", err)
		}
	}
	return nil
}

// randomSecret returns a fresh 32-byte secret, hex-encoded, for dev mode.
func randomSecret() (auth.Secret, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return auth.Secret{}, err
	}
	return auth.NewSecret(hex.EncodeToString(b[:])), nil
}

// redactedURL returns a database URL with its password replaced.
func redactedURL(s auth.Secret) string {
	if s.IsZero() {
		return ""
	}
	u, err := url.Parse(s.Reveal())
	if err != nil {
		return "[redacted]"
	}
	return u.Redacted()
}

// printConfig writes the resolved configuration as one JSON object.
func printConfig(w io.Writer, c *config) error {
	db := map[string]string{"driver": "sqlite", "path": c.SQLitePath()}
	if !c.DatabaseURL.IsZero() {
		db = map[string]string{"driver": "postgres", "url": redactedURL(c.DatabaseURL), "from": c.DatabaseFrom}
	}
	jwt := "[redacted]"
	if c.JWTSecret.IsZero() {
		jwt = "random (dev mode)"
	}
	cors := c.CORSOrigins
	if cors == nil {
		cors = []string{}
	}
	var adminPW any = ""
	if !c.AdminPassword.IsZero() {
		adminPW = c.AdminPassword
	}
	env := slices.Clone(envNames)
	slices.Sort(env)
	out := map[string]any{
		"addr":            c.Addr,
		"data_dir":        c.DataDir,
		"database":        db,
		"predict_url":     c.PredictURL,
		"dev":             c.Dev,
		"jwt_secret":      jwt,
		"bcrypt_cost":     c.BcryptCost,
		"token_ttl":       c.TokenTTL.String(),
		"feedback_window": c.FeedbackWindow,
		"cors_origins":    cors,
		"login_rate_user": c.LoginPerUser,
		"login_rate_addr": c.LoginPerAddr,
		"admin_user":      c.AdminUser,
		"admin_password":  adminPW,
		"log_level":       strings.ToLower(c.LogLevel.String()),
		"log_format":      c.LogFormat,
		"db_wait":         c.DBWait.String(),
		"request_timeout": c.RequestTimeout.String(),
		"pprof_addr":      c.PprofAddr,
		"env":             env,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
