package main

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/nba-mlops/nba-mlops/internal/store"
)

// metrics are apid's own series; the HTTP request metrics come from
// internal/httpmetrics, shared with predictd.
type metrics struct {
	feedback *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	return &metrics{
		feedback: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: "nba_feedback_total",
			Help: "Predictions verified by users, by model version and whether the prediction was correct.",
		}, []string{"model_version", "correct"}),
	}
}

// newBatchMetrics returns the group commit's observer: the rows per batch
// and the time each batch insert took, failed batches included (label
// result ok|error), so a dashboard shows how well requests are grouped and
// what a commit costs.
func newBatchMetrics(reg prometheus.Registerer) func(rows int, took time.Duration, err error) {
	f := promauto.With(reg)
	rows := f.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "nba_prediction_batch_rows",
		Help:    "Predictions per group-commit transaction.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
	}, []string{"result"})
	secs := f.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "nba_prediction_batch_duration_seconds",
		Help:    "Time to insert and commit one group-commit batch of predictions.",
		Buckets: prometheus.ExponentialBuckets(0.00025, 2, 14),
	}, []string{"result"})
	okRows, okSecs := rows.WithLabelValues("ok"), secs.WithLabelValues("ok")
	errRows, errSecs := rows.WithLabelValues("error"), secs.WithLabelValues("error")
	return func(n int, took time.Duration, err error) {
		if err != nil {
			errRows.Observe(float64(n))
			errSecs.Observe(took.Seconds())
			return
		}
		okRows.Observe(float64(n))
		okSecs.Observe(took.Seconds())
	}
}

// storeCollector reports gauges read from the store at scrape time: the
// online accuracy of each model version over the last window
// verifications, and row counts. Results are cached for ttl so that
// frequent scrapes cost the database little; a verification invalidates the
// cache. When the store cannot be read the last values are kept.
type storeCollector struct {
	logger *slog.Logger
	stats  statsStore
	window int
	ttl    time.Duration

	accuracy, samples, users, stored, unverified *prometheus.Desc

	mu      sync.Mutex
	at      time.Time
	metrics []prometheus.Metric
}

func newStoreCollector(logger *slog.Logger, stats statsStore, window int, ttl time.Duration) *storeCollector {
	return &storeCollector{
		logger: logger, stats: stats, window: window, ttl: ttl,
		accuracy: prometheus.NewDesc("nba_online_accuracy",
			"Share of correct predictions among the last verifications (the feedback window), by model version.",
			[]string{"model_version"}, nil),
		samples: prometheus.NewDesc("nba_online_accuracy_samples",
			"Verifications of each model version within the feedback window: how much nba_online_accuracy rests on.",
			[]string{"model_version"}, nil),
		users:      prometheus.NewDesc("nba_users", "Registered users.", nil, nil),
		stored:     prometheus.NewDesc("nba_predictions_stored", "Predictions stored.", nil, nil),
		unverified: prometheus.NewDesc("nba_predictions_unverified", "Stored predictions not verified yet.", nil, nil),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.accuracy, c.samples, c.users, c.stored, c.unverified} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.metrics == nil || time.Since(c.at) >= c.ttl {
		if ms, err := c.read(); err != nil {
			c.logger.Warn("metrics: cannot read the store; keeping the last values", "err", err)
		} else {
			c.metrics, c.at = ms, time.Now()
		}
	}
	for _, m := range c.metrics {
		ch <- m
	}
}

// invalidate makes the next scrape read the store.
func (c *storeCollector) invalidate() {
	c.mu.Lock()
	c.at = time.Time{}
	c.mu.Unlock()
}

func (c *storeCollector) read() ([]prometheus.Metric, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	st, err := c.stats.Stats(ctx)
	if err != nil {
		return nil, err
	}
	fb, err := c.stats.RecentFeedback(ctx, c.window)
	if err != nil {
		return nil, err
	}
	_, by := onlineAccuracy(fb)
	ms := []prometheus.Metric{
		prometheus.MustNewConstMetric(c.users, prometheus.GaugeValue, float64(st.Users)),
		prometheus.MustNewConstMetric(c.stored, prometheus.GaugeValue, float64(st.Predictions)),
		prometheus.MustNewConstMetric(c.unverified, prometheus.GaugeValue, float64(st.Unverified)),
	}
	for _, a := range by {
		ms = append(ms,
			prometheus.MustNewConstMetric(c.accuracy, prometheus.GaugeValue, *a.Accuracy, a.ModelVersion),
			prometheus.MustNewConstMetric(c.samples, prometheus.GaugeValue, float64(a.Verifications), a.ModelVersion))
	}
	return ms, nil
}

// accuracy is the online accuracy of a set of verifications: the share of
// them whose prediction was right.
type accuracy struct {
	Verifications int      `json:"verifications"`
	Correct       int      `json:"correct"`
	Accuracy      *float64 `json:"accuracy"` // nil (JSON null) without verifications
}

// versionAccuracy is the online accuracy of one model version.
type versionAccuracy struct {
	ModelVersion string `json:"model_version"`
	accuracy
}

func (a *accuracy) add(correct bool) {
	a.Verifications++
	if correct {
		a.Correct++
	}
	v := float64(a.Correct) / float64(a.Verifications)
	a.Accuracy = &v
}

// onlineAccuracy tallies verifications (store.RecentFeedback's window)
// overall and per model version, versions sorted by name. It is the one
// computation behind both the nba_online_accuracy gauge and GET /accuracy,
// so the page and the dashboard cannot disagree.
func onlineAccuracy(fb []store.Feedback) (all accuracy, byVersion []versionAccuracy) {
	index := map[string]int{}
	for _, f := range fb {
		i, ok := index[f.ModelVersion]
		if !ok {
			i = len(byVersion)
			index[f.ModelVersion] = i
			byVersion = append(byVersion, versionAccuracy{ModelVersion: f.ModelVersion})
		}
		byVersion[i].add(f.Correct)
		all.add(f.Correct)
	}
	slices.SortFunc(byVersion, func(a, b versionAccuracy) int { return strings.Compare(a.ModelVersion, b.ModelVersion) })
	return all, byVersion
}
