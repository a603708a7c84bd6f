package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/nba-mlops/nba-mlops/internal/httpmetrics"
)

type metrics struct {
	http        *httpmetrics.Metrics
	inference   prometheus.Histogram
	predictions *prometheus.CounterVec
	probability prometheus.Histogram
	modelInfo   *prometheus.GaugeVec
	reloads     *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		http: httpmetrics.New(reg),
		inference: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "inference_time_seconds",
			Help:    "Time to score one request (all rows of a batch), excluding decoding and encoding.",
			Buckets: []float64{1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, .01, .05, .1},
		}),
		predictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nba_predictions_total",
			Help: "Predictions made, by model version and predicted class.",
		}, []string{"model_version", "prediction"}),
		probability: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "nba_prediction_probability",
			Help:    "Predicted probability that the shot goes in.",
			Buckets: prometheus.LinearBuckets(0.05, 0.05, 19),
		}),
		modelInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "nba_model_info",
			Help: "1 for the model version being served.",
		}, []string{"model_version"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nba_model_reloads_total",
			Help: "Model loads by result (ok, error). An error leaves the previous model serving.",
		}, []string{"result"}),
	}
	reg.MustRegister(m.inference, m.predictions, m.probability, m.modelInfo, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Both results exist from the start, so rate() and alerts see a zero.
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("error")
	return m
}

func (m *metrics) modelSwapped(old *champion, version string) {
	m.reloads.WithLabelValues("ok").Inc()
	if old != nil && old.version != version {
		m.modelInfo.DeleteLabelValues(old.version)
	}
	m.modelInfo.WithLabelValues(version).Set(1)
}

// observe records the predictions of one request.
func (m *metrics) observe(version string, probs []float64, labels []int64) {
	var ones, zeros float64
	for i, p := range probs {
		m.probability.Observe(p)
		if labels[i] == 1 {
			ones++
		} else {
			zeros++
		}
	}
	if ones > 0 {
		m.predictions.WithLabelValues(version, "1").Add(ones)
	}
	if zeros > 0 {
		m.predictions.WithLabelValues(version, "0").Add(zeros)
	}
}

// observeOne records a single prediction without building a slice.
func (m *metrics) observeOne(version string, p float64, pred int) {
	m.probability.Observe(p)
	label := "0"
	if pred == 1 {
		label = "1"
	}
	m.predictions.WithLabelValues(version, label).Inc()
}
