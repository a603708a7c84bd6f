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
	"github.com/nba-mlops/nba-mlops/internal/envconf"
)

// envNames lists every environment variable apid reads (--check-config
// prints it, and deployment tests compare it with the compose files).
var envNames = []string{
	"HTTP_ADDR", "API_PORT", "METRICS_ADDR", "NBA_DATA_DIR",
	"DATABASE_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD", "DB_PASSWORD_FILE",
	"PREDICT_URL", "PREDICTION_SERVICE_HOST", "PREDICTION_SERVICE_PORT",
	"JWT_SECRET", "JWT_SECRET_FILE", "NBA_ADMIN_USER", "NBA_ADMIN_PASSWORD", "NBA_ADMIN_PASSWORD_FILE",
	"APID_DEV", "BCRYPT_COST", "TOKEN_TTL", "FEEDBACK_WINDOW", "CORS_ORIGINS",
	"LOGIN_RATE_USER", "LOGIN_RATE_ADDR", "LOGIN_RATE_USER_HOUR", "LOG_LEVEL", "LOG_FORMAT",
}

// config is apid's resolved configuration. Flags override environment
// variables, which override defaults; loadConfig validates all of it before
// anything starts.
type config struct {
	Addr           string
	MetricsAddr    string // the separate listener of /metrics
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
	LoginPerUser   int // failed logins per username and client address per minute
	LoginPerAddr   int // login and signup attempts per client address per minute
	LoginUserHour  int // failed logins per username from all addresses per hour
	AdminUser      string
	AdminPassword  auth.Secret
	LogLevel       slog.Level
	LogFormat      string
	DBWait         time.Duration
	RequestTimeout time.Duration
	PprofAddr      string // empty: no /debug/pprof listener
	CheckConfig    bool
}

// defaultMetricsAddr keeps /metrics on loopback unless told otherwise:
// Prometheus in a container or pod is given METRICS_ADDR=:8002.
const defaultMetricsAddr = "127.0.0.1:8002"

// SQLitePath is the database file used when no PostgreSQL is configured.
func (c *config) SQLitePath() string { return filepath.Join(c.DataDir, "apid.db") }

// envError names the variable whose value is wrong.
func envError(name, value, want string) error {
	return fmt.Errorf("%s=%q: %s", name, value, want)
}

// loadConfig parses flags (args without the program name) over the
// environment, and validates the result before anything starts.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	def, err := readEnvDefaults(getenv)
	if err != nil {
		return nil, err
	}
	c := &config{}
	fs, text := c.flagSet(def, getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := c.checkAddrs(); err != nil {
		return nil, err
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
	if err := c.checkLimits(); err != nil {
		return nil, err
	}
	if c.CORSOrigins, err = parseCORS(text.cors); err != nil {
		return nil, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(text.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q (env LOG_LEVEL): want debug, info, warn or error", text.logLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return nil, fmt.Errorf("--log-format %q (env LOG_FORMAT): want text or json", c.LogFormat)
	}
	return c, nil
}

// envDefaults are the flag defaults that come from the environment and
// must parse as something other than a string.
type envDefaults struct {
	addr, dataDir                       string
	cost, window                        int
	loginUser, loginAddr, loginUserHour int
	ttl                                 time.Duration
	dev                                 bool
}

// readEnvDefaults reads the typed environment variables; the error names
// the variable.
func readEnvDefaults(getenv func(string) string) (envDefaults, error) {
	d := envDefaults{addr: ":8000", dataDir: envconf.Or(getenv, "NBA_DATA_DIR", "./data"), ttl: auth.DefaultTTL}
	if p := getenv("API_PORT"); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return d, envError("API_PORT", p, "want a port number 1..65535")
		}
		d.addr = ":" + p
	}
	if a := getenv("HTTP_ADDR"); a != "" {
		d.addr = a
	}
	for _, v := range []struct {
		name string
		dst  *int
		def  int
	}{
		{"BCRYPT_COST", &d.cost, auth.DefaultCost},
		{"FEEDBACK_WINDOW", &d.window, 500},
		{"LOGIN_RATE_USER", &d.loginUser, 10},
		{"LOGIN_RATE_ADDR", &d.loginAddr, 60},
		{"LOGIN_RATE_USER_HOUR", &d.loginUserHour, 100},
	} {
		*v.dst = v.def
		if s := getenv(v.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return d, envError(v.name, s, "want an integer")
			}
			*v.dst = n
		}
	}
	if v := getenv("TOKEN_TTL"); v != "" {
		var err error
		if d.ttl, err = time.ParseDuration(v); err != nil {
			return d, envError("TOKEN_TTL", v, "want a duration such as 60m")
		}
	}
	if v := getenv("APID_DEV"); v != "" {
		var err error
		if d.dev, err = strconv.ParseBool(v); err != nil {
			return d, envError("APID_DEV", v, "want true or false")
		}
	}
	return d, nil
}

// textFlags are flags parsed after the flag set.
type textFlags struct{ cors, logLevel string }

// flagSet defines apid's flags on c, with defaults from the environment.
func (c *config) flagSet(d envDefaults, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *textFlags) {
	fs := flag.NewFlagSet("apid", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envconf.SetUsage(fs, stderr, []string{"apid [flags]", "apid export-feedback --out FILE [flags]", "apid labeler [--revoke] NAME"},
		"Serves the NBA shot prediction API: users and tokens, predictions through predictd, feedback, web UI.", envNames)
	text := &textFlags{}
	fs.StringVar(&c.Addr, "addr", d.addr, "listen address (env HTTP_ADDR, or API_PORT for \":PORT\")")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", envconf.Or(getenv, "METRICS_ADDR", defaultMetricsAddr),
		"listen address of /metrics, kept off the API port so that user and prediction counts are not public (env METRICS_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", d.dataDir, "data directory; holds apid.db when no PostgreSQL is configured (env NBA_DATA_DIR)")
	fs.StringVar(&c.PredictURL, "predict-url", "", "prediction service base URL (env PREDICT_URL, or PREDICTION_SERVICE_HOST/PREDICTION_SERVICE_PORT; default http://127.0.0.1:8001)")
	fs.BoolVar(&c.Dev, "dev", d.dev, "development mode: without JWT_SECRET, sign tokens with a random secret (env APID_DEV)")
	fs.IntVar(&c.BcryptCost, "bcrypt-cost", d.cost, "bcrypt cost of new password hashes, 4..31 (env BCRYPT_COST)")
	fs.DurationVar(&c.TokenTTL, "token-ttl", d.ttl, "access token lifetime (env TOKEN_TTL)")
	fs.IntVar(&c.FeedbackWindow, "feedback-window", d.window, "verifications nba_online_accuracy is computed over (env FEEDBACK_WINDOW)")
	fs.StringVar(&text.cors, "cors-origins", getenv("CORS_ORIGINS"), "comma-separated origins allowed by CORS, or *; none by default (env CORS_ORIGINS)")
	fs.IntVar(&c.LoginPerUser, "login-rate-user", d.loginUser, "failed logins allowed per username from one client address per minute (env LOGIN_RATE_USER)")
	fs.IntVar(&c.LoginUserHour, "login-rate-user-hour", d.loginUserHour, "failed logins allowed per username from all addresses per hour, a ceiling far above what a person needs (env LOGIN_RATE_USER_HOUR)")
	fs.IntVar(&c.LoginPerAddr, "login-rate-addr", d.loginAddr, "login and signup attempts allowed per client address per minute (env LOGIN_RATE_ADDR)")
	fs.StringVar(&text.logLevel, "log-level", envconf.Or(getenv, "LOG_LEVEL", "info"), "debug, info, warn or error (env LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", envconf.Or(getenv, "LOG_FORMAT", "text"), "text or json (env LOG_FORMAT)")
	fs.DurationVar(&c.DBWait, "db-wait", 60*time.Second, "how long to wait at start for PostgreSQL to accept connections")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", 10*time.Second, "deadline of each API request, database and prediction service calls included")
	fs.StringVar(&c.PprofAddr, "pprof-addr", "", "serve /debug/pprof on this address (host:port, loopback advised); off when empty")
	fs.BoolVar(&c.CheckConfig, "check-config", false, "print the resolved configuration as JSON (secrets redacted) and exit")
	return fs, text
}

// checkAddrs validates the listen addresses and the data directory.
func (c *config) checkAddrs() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q: want host:port or :port", c.Addr)
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
		return fmt.Errorf("--metrics-addr %q (env METRICS_ADDR): want host:port or :port", c.MetricsAddr)
	}
	if c.MetricsAddr == c.Addr {
		return fmt.Errorf("--metrics-addr %q (env METRICS_ADDR) is the API address: metrics need a listener of their own", c.MetricsAddr)
	}
	if _, _, err := net.SplitHostPort(c.PprofAddr); c.PprofAddr != "" && err != nil {
		return fmt.Errorf("--pprof-addr %q: want host:port or :port", c.PprofAddr)
	}
	if c.DataDir == "" {
		return errors.New("--data-dir must not be empty")
	}
	return nil
}

// checkLimits validates the numeric settings.
func (c *config) checkLimits() error {
	switch {
	case c.BcryptCost < 4 || c.BcryptCost > 31:
		return fmt.Errorf("--bcrypt-cost %d (env BCRYPT_COST): want 4..31", c.BcryptCost)
	case c.TokenTTL < time.Minute || c.TokenTTL > 7*24*time.Hour:
		return fmt.Errorf("--token-ttl %s (env TOKEN_TTL): want 1m..168h", c.TokenTTL)
	case c.FeedbackWindow < 1 || c.FeedbackWindow > 100000:
		return fmt.Errorf("--feedback-window %d (env FEEDBACK_WINDOW): want 1..100000", c.FeedbackWindow)
	case c.LoginPerUser < 1 || c.LoginPerAddr < 1 || c.LoginUserHour < 1:
		return fmt.Errorf("--login-rate-user %d / --login-rate-addr %d / --login-rate-user-hour %d (env LOGIN_RATE_USER / LOGIN_RATE_ADDR / LOGIN_RATE_USER_HOUR): want at least 1",
			c.LoginPerUser, c.LoginPerAddr, c.LoginUserHour)
	case c.DBWait < 0 || c.RequestTimeout <= 0:
		return errors.New("--db-wait must not be negative and --request-timeout must be positive")
	}
	return nil
}

// parseCORS reads --cors-origins: origins like https://example.org, or *.
func parseCORS(list string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(list, ",") {
		o = strings.TrimSpace(o)
		switch {
		case o == "":
		case o == "*":
			out = append(out, o)
		default:
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
				return nil, fmt.Errorf("--cors-origins (env CORS_ORIGINS): %q is not an origin like https://example.org", o)
			}
			out = append(out, strings.TrimSuffix(o, "/"))
		}
	}
	return out, nil
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
		if pw, ok := u.User.Password(); ok && isPlaceholder(pw) {
			return fmt.Errorf("DATABASE_URL: its password is the example value from .env.example, which anyone can read: set a secret of your own (%s)", howToPassword)
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
	port := envconf.Or(getenv, "DB_PORT", "5432")
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return envError("DB_PORT", port, "want a port number 1..65535")
	}
	pw, err := secretFrom(getenv, "DB_PASSWORD")
	if err != nil {
		return err
	}
	if isPlaceholder(pw.Reveal()) {
		return fmt.Errorf("DB_PASSWORD is the example value from .env.example, which anyone can read: set the database's password to a secret of your own (%s)", howToPassword)
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
		host, port := envconf.Or(getenv, "PREDICTION_SERVICE_HOST", "127.0.0.1"), envconf.Or(getenv, "PREDICTION_SERVICE_PORT", "8001")
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
		return fmt.Errorf("JWT_SECRET is %d bytes: want at least %d, e.g. from %s", c.JWTSecret.Len(), auth.MinSecretBytes, howToJWTSecret)
	case !c.JWTSecret.IsZero():
		if err := checkSecret("JWT_SECRET", c.JWTSecret.Reveal(), minJWTSecretBits, howToJWTSecret); err != nil {
			return err
		}
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
		if err := checkSecret("NBA_ADMIN_PASSWORD", c.AdminPassword.Reveal(), minAdminPasswordBits, howToPassword); err != nil {
			return err
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
		"addr":                 c.Addr,
		"metrics_addr":         c.MetricsAddr,
		"data_dir":             c.DataDir,
		"database":             db,
		"predict_url":          c.PredictURL,
		"dev":                  c.Dev,
		"jwt_secret":           jwt,
		"bcrypt_cost":          c.BcryptCost,
		"token_ttl":            c.TokenTTL.String(),
		"feedback_window":      c.FeedbackWindow,
		"cors_origins":         cors,
		"login_rate_user":      c.LoginPerUser,
		"login_rate_addr":      c.LoginPerAddr,
		"login_rate_user_hour": c.LoginUserHour,
		"admin_user":           c.AdminUser,
		"admin_password":       adminPW,
		"log_level":            strings.ToLower(c.LogLevel.String()),
		"log_format":           c.LogFormat,
		"db_wait":              c.DBWait.String(),
		"request_timeout":      c.RequestTimeout.String(),
		"pprof_addr":           c.PprofAddr,
		"env":                  env,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
