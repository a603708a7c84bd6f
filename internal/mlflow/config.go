package mlflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Environment variables. EnvTrackingURI is read by the caller (train passes
// the URI in, so a flag can override it); the package reads the others
// through the getenv given to NewClient, Enabled and LoadConfig. The
// MLFLOW_HTTP_REQUEST_* names are MLflow's own, so a setting meant for the
// Python client means the same here.
const (
	EnvTrackingURI    = "MLFLOW_TRACKING_URI"
	EnvLogToMLflow    = "LOG_TO_MLFLOW"            // "false", "0", "no" or "off" turns tracking off
	EnvUsername       = "MLFLOW_TRACKING_USERNAME" // Basic auth, with EnvPassword
	EnvPassword       = "MLFLOW_TRACKING_PASSWORD"
	EnvToken          = "MLFLOW_TRACKING_TOKEN"           // Bearer auth, used when no username is set
	EnvRequestTimeout = "MLFLOW_HTTP_REQUEST_TIMEOUT"     // seconds per HTTP attempt
	EnvMaxRetries     = "MLFLOW_HTTP_REQUEST_MAX_RETRIES" // retries after the first attempt
	EnvMaxRetryTime   = "MLFLOW_MAX_RETRY_TIME"           // bound on one call's attempts and waits ("8s" or seconds)
)

// Defaults. They keep a dead tracking server's cost to training under ten
// seconds: a refused connection fails four times within about two seconds,
// and a server that accepts but never answers is cut off by DefaultMaxRetryTime.
const (
	DefaultRequestTimeout = 5 * time.Second
	DefaultMaxRetries     = 3
	DefaultMaxRetryTime   = 8 * time.Second
)

// Env returns the names of the environment variables the package reads
// through getenv, for a binary's --check-config output. EnvTrackingURI is not
// among them: the caller reads it.
func Env() []string {
	return []string{EnvLogToMLflow, EnvUsername, EnvPassword, EnvToken, EnvRequestTimeout, EnvMaxRetries, EnvMaxRetryTime}
}

// Secret is a credential. It prints, logs and marshals as "[redacted]" so a
// configuration dump or a log line never shows it; Reveal returns the value.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value, for the Authorization header only.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", or "" for an unset secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue keeps slog from printing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON keeps a JSON configuration dump from printing the value.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Config is the client's resolved configuration. LoadConfig builds it.
type Config struct {
	// TrackingURI is the server's base URL without credentials, query or
	// trailing slash; "" when tracking is off for want of an http(s) URI.
	TrackingURI string
	// Enabled is false when the URI is not http(s) or LOG_TO_MLFLOW is off;
	// Reason then says which.
	Enabled bool
	Reason  string
	// Auth is "none", "basic" or "bearer".
	Auth     string
	Username string
	Password Secret
	Token    Secret
	// RequestTimeout bounds one HTTP attempt.
	RequestTimeout time.Duration
	// MaxRetries is the number of retries after the first attempt.
	MaxRetries int
	// MaxRetryTime bounds one call: no retry starts after it has elapsed
	// since the call began, and a retry is cut off when it is reached. The
	// first attempt always gets its full RequestTimeout.
	MaxRetryTime time.Duration
}

// MarshalJSON writes the configuration for --check-config: durations as
// strings, secrets redacted.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		TrackingURI    string `json:"tracking_uri"`
		Enabled        bool   `json:"enabled"`
		Reason         string `json:"reason,omitempty"`
		Auth           string `json:"auth"`
		Username       string `json:"username,omitempty"`
		Password       Secret `json:"password,omitempty"`
		Token          Secret `json:"token,omitempty"`
		RequestTimeout string `json:"request_timeout"`
		MaxRetries     int    `json:"max_retries"`
		MaxRetryTime   string `json:"max_retry_time"`
	}{c.TrackingURI, c.Enabled, c.Reason, c.Auth, c.Username, c.Password, c.Token,
		c.RequestTimeout.String(), c.MaxRetries, c.MaxRetryTime.String()})
}

// Enabled reports whether tracking is on: trackingURI is an http(s) URL with
// a host and LOG_TO_MLFLOW is not "false"/"0" (nor "no"/"off", any case).
func Enabled(trackingURI string, getenv func(string) string) bool {
	_, reason := parseTrackingURI(trackingURI)
	return reason == "" && !logOff(getenv(EnvLogToMLflow))
}

func logOff(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "false", "0", "no", "off":
		return true
	}
	return false
}

func logOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "true", "1", "yes", "on":
		return true
	}
	return false
}

// parseTrackingURI returns the URI as a URL, or why it is not one the client
// can talk to.
func parseTrackingURI(s string) (*url.URL, string) {
	if s == "" {
		return nil, EnvTrackingURI + " is not set"
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, EnvTrackingURI + " is not a URL"
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		// file:, sqlite:, databricks and the like are stores the REST
		// client cannot reach; the caller records the run locally instead.
		return nil, fmt.Sprintf("%s scheme %q is not http or https", EnvTrackingURI, u.Scheme)
	}
	if u.Host == "" {
		return nil, EnvTrackingURI + " has no host"
	}
	u.Scheme = scheme
	return u, ""
}

// LoadConfig resolves the configuration from the tracking URI and the
// environment. A URI that is not http(s) is not an error: the result is
// disabled, with the reason. Bad values are errors naming the variable.
func LoadConfig(trackingURI string, getenv func(string) string) (Config, error) {
	c := Config{
		Auth:           "none",
		RequestTimeout: DefaultRequestTimeout,
		MaxRetries:     DefaultMaxRetries,
		MaxRetryTime:   DefaultMaxRetryTime,
	}
	var errs []error
	if v := getenv(EnvLogToMLflow); !logOn(v) && !logOff(v) {
		errs = append(errs, fmt.Errorf("%s=%q: want true or false (1/0, yes/no, on/off)", EnvLogToMLflow, v))
	}
	u, reason := parseTrackingURI(trackingURI)
	var userinfo *url.Userinfo
	if u != nil {
		// Credentials in the URI would end up in every error message that
		// quotes a URL; move them out and strip them.
		userinfo = u.User
		u.User, u.RawQuery, u.Fragment, u.RawFragment = nil, "", "", ""
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = ""
		c.TrackingURI = u.String()
	}
	switch {
	case reason != "":
		c.Reason = reason
	case logOff(getenv(EnvLogToMLflow)):
		c.Reason = EnvLogToMLflow + " is off"
	default:
		c.Enabled = true
	}

	user, pass, token := getenv(EnvUsername), getenv(EnvPassword), getenv(EnvToken)
	switch {
	case user != "" && pass == "":
		errs = append(errs, fmt.Errorf("%s is set but %s is empty: Basic auth needs both", EnvUsername, EnvPassword))
	case user == "" && pass != "":
		errs = append(errs, fmt.Errorf("%s is set but %s is empty: Basic auth needs both", EnvPassword, EnvUsername))
	case user != "":
		// MLflow's Python client prefers Basic to a token when both are set.
		c.Auth, c.Username, c.Password = "basic", user, Secret(pass)
	case token != "":
		c.Auth, c.Token = "bearer", Secret(token)
	case userinfo != nil:
		p, _ := userinfo.Password()
		c.Auth, c.Username, c.Password = "basic", userinfo.Username(), Secret(p)
	}

	if v := getenv(EnvRequestTimeout); v != "" {
		d, err := parseSeconds(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive number of seconds or a duration like 5s", EnvRequestTimeout, v))
		} else {
			c.RequestTimeout = d
		}
	}
	if v := getenv(EnvMaxRetries); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > 100 {
			errs = append(errs, fmt.Errorf("%s=%q: want an integer from 0 to 100", EnvMaxRetries, v))
		} else {
			c.MaxRetries = n
		}
	}
	if v := getenv(EnvMaxRetryTime); v != "" {
		d, err := parseSeconds(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a non-negative number of seconds or a duration like 8s", EnvMaxRetryTime, v))
		} else {
			c.MaxRetryTime = d
		}
	}
	return c, errors.Join(errs...)
}

// parseSeconds accepts MLflow's style (a number of seconds) and Go's ("5s").
func parseSeconds(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f != f || f > 1e6 || f < -1e6 { // NaN or absurd
			return 0, errors.New("out of range")
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	return time.ParseDuration(v)
}
