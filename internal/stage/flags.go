package stage

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/envconf"
)

// Signal file names. Each stage creates its own on success; the next waits for it.
const (
	// SignalNewData is created by generate-data when a new batch is ready.
	SignalNewData    = "signal_new_data_ready"
	SignalIngestion  = "signal_data_ingestion_done"
	SignalProcessing = "signal_data_processing_done"
	SignalFeatures   = "signal_feature_engineering_done"
	SignalTraining   = "signal_model_training_done"
	SignalInference  = "signal_inference_done"
	// SignalNewModel is created by train when it promotes a model; infer
	// runs only when it exists and removes it.
	SignalNewModel = "signal_new_model_version"
)

// Environment variables read by Register.
const (
	EnvDataDir     = "NBA_DATA_DIR"
	EnvModelsDir   = "NBA_MODELS_DIR"
	EnvSignalDir   = "NBA_SIGNAL_DIR"
	EnvWaitFor     = "WAIT_FOR_PREV_FILE" // the original entrypoint's name for the file to wait for
	EnvSignal      = "WAIT_FOR_FILE"      // the original entrypoint's name for the file to create
	EnvChain       = "NBA_CHAIN"
	EnvWaitTimeout = "NBA_WAIT_TIMEOUT"
	EnvLogFile     = "NBA_LOG_FILE"
	EnvLogLevel    = "LOG_LEVEL"
	EnvLogFormat   = "LOG_FORMAT"
)

// Defaults are a stage's place in the chain: the signal it waits for and the
// one it creates when run with --chain.
type Defaults struct {
	WaitFor string
	Signal  string
	Models  bool // the stage reads or writes models: register --models-dir
}

// Flags are the options every batch stage shares. Register fills them.
type Flags struct {
	DataDir     string
	ModelsDir   string
	SignalDir   string
	WaitFor     string
	Signal      string
	Chain       bool
	WaitTimeout time.Duration
	LogFile     string
	LogLevel    string
	LogFormat   string
	CheckConfig bool

	defaults Defaults
	models   bool
	envErr   error
}

// Register adds the common flags to fs, with defaults taken from getenv.
// Flags given on the command line win over the environment.
func Register(fs *flag.FlagSet, getenv func(string) string, d Defaults) *Flags {
	f := &Flags{defaults: d, models: d.Models}
	fs.StringVar(&f.DataDir, "data-dir", envconf.Or(getenv, EnvDataDir, "./data"), "data directory (env "+EnvDataDir+")")
	if d.Models {
		fs.StringVar(&f.ModelsDir, "models-dir", envconf.Or(getenv, EnvModelsDir, "./trained_models"), "models directory (env "+EnvModelsDir+")")
	}
	fs.StringVar(&f.SignalDir, "signal-dir", getenv(EnvSignalDir), "directory of the signal files (env "+EnvSignalDir+"; default the data dir)")
	fs.StringVar(&f.WaitFor, "wait-for", getenv(EnvWaitFor), "wait for this signal file before running; a bare name is looked up in --signal-dir (env "+EnvWaitFor+")")
	fs.StringVar(&f.Signal, "signal", getenv(EnvSignal), "create this signal file on success (env "+EnvSignal+")")
	chainHelp := "run as a pipeline stage with the default signal names"
	if d.WaitFor != "" || d.Signal != "" {
		chainHelp += fmt.Sprintf(" (wait for %q, create %q)", d.WaitFor, d.Signal)
	}
	fs.BoolVar(&f.Chain, "chain", isTrue(getenv(EnvChain)), chainHelp+" (env "+EnvChain+")")
	timeout := 30 * time.Minute
	if v := getenv(EnvWaitTimeout); v != "" {
		if t, err := time.ParseDuration(v); err == nil {
			timeout = t
		} else {
			f.envErr = fmt.Errorf("%s=%q: %w", EnvWaitTimeout, v, err)
		}
	}
	fs.DurationVar(&f.WaitTimeout, "wait-timeout", timeout, "give up waiting for --wait-for after this long (env "+EnvWaitTimeout+")")
	fs.StringVar(&f.LogFile, "log-file", getenv(EnvLogFile), "append logs to this file (env "+EnvLogFile+"; default logs/logs.log beside the data dir)")
	fs.StringVar(&f.LogLevel, "log-level", envconf.Or(getenv, EnvLogLevel, "info"), "debug, info, warn or error (env "+EnvLogLevel+")")
	fs.StringVar(&f.LogFormat, "log-format", envconf.Or(getenv, EnvLogFormat, "text"), "text or json (env "+EnvLogFormat+")")
	fs.BoolVar(&f.CheckConfig, "check-config", false, "validate flags and environment, print the configuration as JSON and exit")
	return f
}

// Env lists the environment variables Register reads.
func (f *Flags) Env() []string {
	env := []string{EnvDataDir, EnvSignalDir, EnvWaitFor, EnvSignal, EnvChain, EnvWaitTimeout, EnvLogFile, EnvLogLevel, EnvLogFormat}
	if f.models {
		env = append(env, EnvModelsDir)
	}
	return env
}

// Validate checks the flags and resolves the defaults that depend on other
// flags. Call it after fs.Parse.
func (f *Flags) Validate() error {
	if f.envErr != nil {
		return f.envErr
	}
	if f.DataDir == "" {
		return errors.New("--data-dir: must not be empty")
	}
	if f.models && f.ModelsDir == "" {
		return errors.New("--models-dir: must not be empty")
	}
	if f.WaitTimeout <= 0 {
		return fmt.Errorf("--wait-timeout: %v must be positive", f.WaitTimeout)
	}
	switch f.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format: %q must be text or json", f.LogFormat)
	}
	if _, err := parseLevel(f.LogLevel); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	if f.SignalDir == "" {
		f.SignalDir = f.DataDir
	}
	if f.Chain {
		if f.WaitFor == "" {
			f.WaitFor = f.defaults.WaitFor
		}
		if f.Signal == "" {
			f.Signal = f.defaults.Signal
		}
	}
	if f.LogFile == "" {
		abs, err := filepath.Abs(f.DataDir)
		if err != nil {
			return fmt.Errorf("--data-dir: %w", err)
		}
		f.LogFile = filepath.Join(filepath.Dir(abs), "logs", "logs.log")
	}
	return nil
}

// SignalPath resolves a signal name: a bare name lives in the signal dir,
// anything with a directory part is used as given.
func (f *Flags) SignalPath(name string) string {
	if name == "" || filepath.Base(name) != name {
		return name
	}
	return filepath.Join(f.SignalDir, name)
}

func isTrue(v string) bool {
	switch v {
	case "1", "true", "TRUE", "True", "yes":
		return true
	}
	return false
}

// SetUsage gives fs the common --help layout (see envconf.SetUsage), listing
// the stage's environment variables and the binary's own, extraEnv.
func (f *Flags) SetUsage(fs *flag.FlagSet, w io.Writer, synopsis []string, summary string, extraEnv ...string) {
	envconf.SetUsage(fs, w, synopsis, summary, append(f.Env(), extraEnv...))
}
