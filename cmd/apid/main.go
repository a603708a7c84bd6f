// Command apid is the NBA shot prediction API: users and JWT access tokens,
// /predict and /predict/shot forwarded to the prediction service (predictd)
// and stored, verification of stored predictions by users, metrics, an
// OpenAPI document with Swagger UI at /docs, and a web page at /ui
// (internal/webui) to predict, chart and verify shots. It stores in
// PostgreSQL when one is configured and in an embedded SQLite file otherwise.
//
// `apid export-feedback --out FILE` writes the verified raw-shot predictions
// as Kaggle-schema rows for ingest (labelers' verifications only);
// `apid labeler NAME` makes an account a labeler.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/nba-mlops/nba-mlops/internal/auth"
	"github.com/nba-mlops/nba-mlops/internal/command"
	"github.com/nba-mlops/nba-mlops/internal/daemon"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/store"
	"github.com/nba-mlops/nba-mlops/internal/store/postgres"
	"github.com/nba-mlops/nba-mlops/internal/store/sqlite"
	"github.com/nba-mlops/nba-mlops/internal/webui"
)

func main() { command.Main("apid", run) }

// run is the whole program with its environment passed in; tests call it
// directly. args includes the program name.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) > 1 && args[1] == "export-feedback" {
		return runExport(ctx, args[2:], getenv, stdout, stderr)
	}
	if len(args) > 1 && args[1] == "labeler" {
		return runLabeler(ctx, args[2:], getenv, stdout, stderr)
	}
	cfg, err := loadConfig(args[1:], getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return command.Usage(err)
	}
	if cfg.CheckConfig {
		return printConfig(stdout, cfg)
	}
	// Log lines go out from a goroutine of their own, so that no request
	// waits on stderr; Close (deferred, so last) writes out what is left.
	logw := newAsyncWriter(stderr, logBufferBytes)
	defer logw.Close()
	logger := newLogger(logw, cfg.LogLevel, cfg.LogFormat)
	if cfg.PprofAddr != "" {
		stopPprof, err := servePprof(logger, cfg.PprofAddr)
		if err != nil {
			return err
		}
		defer stopPprof()
	}

	// The hasher first: it computes its dummy hash, which takes as long as
	// a login, and the bootstrap user needs it too.
	hasher, err := auth.NewHasher(cfg.BcryptCost)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, logger, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := bootstrapAdmin(ctx, logger, db, hasher, cfg.AdminUser, cfg.AdminPassword); err != nil {
		return err
	}

	secret := cfg.JWTSecret
	if secret.IsZero() {
		if secret, err = randomSecret(); err != nil {
			return fmt.Errorf("dev mode: %w", err)
		}
		logger.Warn("dev mode: tokens are signed with a random secret and die with this process; set JWT_SECRET outside development")
	}
	tokens, err := auth.NewTokens(secret, cfg.TokenTTL)
	if err != nil {
		return err
	}
	predictor, err := predict.NewClient(cfg.PredictURL, nil)
	if err != nil {
		return err
	}

	ui, err := webui.New("/ui")
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "nba_log_lines_dropped_total",
			Help: "Log lines dropped because the log output fell behind by more than the buffer holds.",
		}, func() float64 { return float64(logw.Dropped()) }))
	// Predictions are inserted through the group commit. Deferred after
	// db.Close, so it runs before it: serve has let every in-flight request
	// finish, then Close drains whatever is still queued, then the store
	// closes.
	writer := store.NewWriter(db, writerConfig(cfg, reg))
	defer writer.Close()
	h := NewServer(deps{
		logger:         logger,
		reg:            reg,
		users:          db,
		predictions:    groupCommitted{db, writer},
		feedback:       db,
		stats:          db,
		db:             db,
		predictor:      predictor,
		tokens:         tokens,
		hasher:         hasher,
		accounts:       db,
		logins:         db,
		corsOrigins:    cfg.CORSOrigins,
		feedbackWindow: cfg.FeedbackWindow,
		loginPerUser:   cfg.LoginPerUser,
		loginPerAddr:   cfg.LoginPerAddr,
		loginUserHour:  cfg.LoginUserHour,
		requestTimeout: cfg.RequestTimeout,
		statsTTL:       10 * time.Second,
		userCacheTTL:   2 * time.Second,
		tokenCacheTTL:  time.Second,
		ui:             ui,
	})
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 20*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	metricsSrv := &http.Server{
		Addr:              cfg.MetricsAddr,
		Handler:           newMetricsHandler(logger, reg),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("starting apid", "addr", cfg.Addr, "metrics_addr", cfg.MetricsAddr, "database", dbKind(cfg),
		"predict_url", cfg.PredictURL, "dev", cfg.Dev, "token_ttl", cfg.TokenTTL.String(), "bcrypt_cost", cfg.BcryptCost)
	return daemon.Serve(ctx, logger, srv, metricsSrv)
}

// logBufferBytes is how much log output may wait for stderr before lines
// are dropped: about 4,000 access-log lines.
const logBufferBytes = 1 << 20

// appStore is what run needs from a store adapter.
type appStore interface {
	userStore
	predictionStore
	feedbackStore
	statsStore
	pinger
	exportStore
	labelerStore
	accountStore
	loginStore
	store.BatchInserter
	Close() error
}

// groupCommitted is the prediction store with its inserts going through the
// group commit (store.Writer): one transaction for many requests' rows, each
// request still answered only once its row committed.
type groupCommitted struct {
	predictionStore
	w *store.Writer
}

func (g groupCommitted) CreatePrediction(ctx context.Context, p *store.Prediction) error {
	return g.w.CreatePrediction(ctx, p)
}

// writerConfig sizes the group commit. PostgreSQL gets two workers, so that
// one batch fills while the other commits (its WAL flush is the wait that
// batching amortises); SQLite has one writer at a time, so more would only
// queue on its lock.
func writerConfig(cfg *config, reg prometheus.Registerer) store.WriterConfig {
	workers := 2
	if cfg.DatabaseURL.IsZero() {
		workers = 1
	}
	return store.WriterConfig{MaxBatch: 128, Workers: workers, Observe: newBatchMetrics(reg)}
}

// pgStore adapts *postgres.DB, whose Close returns nothing.
type pgStore struct{ *postgres.DB }

func (s pgStore) Close() error { s.DB.Close(); return nil }

func dbKind(cfg *config) string {
	if cfg.DatabaseURL.IsZero() {
		return "sqlite:" + cfg.SQLitePath()
	}
	return "postgres:" + redactedURL(cfg.DatabaseURL)
}

// openStore opens PostgreSQL when configured, waiting up to cfg.DBWait for
// it to accept connections (compose starts the database and apid together),
// or the SQLite file in the data directory.
func openStore(ctx context.Context, logger *slog.Logger, cfg *config) (appStore, error) {
	if cfg.DatabaseURL.IsZero() {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		db, err := sqlite.Open(ctx, cfg.SQLitePath())
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	deadline := time.Now().Add(cfg.DBWait)
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		db, err := postgres.Open(ctx, cfg.DatabaseURL.Reveal())
		if err == nil {
			return pgStore{db}, nil
		}
		if nba.ErrorCode(err) != nba.EUnavailable || time.Now().Add(wait).After(deadline) {
			return nil, err
		}
		logger.Warn("waiting for PostgreSQL", "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// bootstrapAdmin creates the account named by NBA_ADMIN_USER when it does
// not exist. An existing account is left as it is: the variable is for the
// first start, not a way to reset a password.
func bootstrapAdmin(ctx context.Context, logger *slog.Logger, users userStore, hasher *auth.Hasher, name string, password auth.Secret) error {
	if name == "" {
		return nil
	}
	_, err := users.UserByName(ctx, name)
	switch {
	case err == nil:
		logger.Info("bootstrap user exists; left unchanged", "username", name)
		return nil
	case nba.ErrorCode(err) != nba.ENotFound:
		return fmt.Errorf("bootstrap user: %w", err)
	}
	hash, err := hasher.Hash(password.Reveal())
	if err != nil {
		return err
	}
	// The bootstrap account is a labeler: its verifications go into
	// training (export-feedback), unlike those of self-registered accounts.
	u := store.User{Username: name, PasswordHash: hash, Labeler: true}
	if err := users.CreateUser(ctx, &u); err != nil && nba.ErrorCode(err) != nba.EConflict {
		return fmt.Errorf("bootstrap user: %w", err)
	}
	logger.Info("bootstrap user created", "username", name)
	return nil
}
