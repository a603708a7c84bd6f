package main

import (
	"bytes"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
)

// errNotReady answers prediction requests before any model is loaded.
var errNotReady = nba.Errorf(nba.EUnavailable, "no model is loaded yet: train one (make pipeline) and predictd picks it up within seconds")

// handlePredict scores the original system's 39-feature body: decoded into
// the one feature type and scored as it is.
func handlePredict(h *holder, m *metrics, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := h.get() // this request finishes on this model whatever reloads meanwhile
		if c == nil {
			httpjson.Error(w, r, logger, errNotReady)
			return
		}
		body, err := httpjson.ReadJSON(r)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		f, err := predict.DecodeFeatures(body)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		start := time.Now()
		p := c.model.ScoreSeed(f.Array())
		m.inference.Observe(time.Since(start).Seconds())
		resp := predict.Prediction{Prediction: c.model.Predict(p), Probability: p, ModelVersion: c.version}
		m.observeOne(c.version, p, resp.Prediction)
		httpjson.Encode(w, http.StatusOK, resp)
	})
}

// handlePredictShot scores a raw shot from a caller that talks to predictd
// directly: the request is validated and completed (ShotRequest.Shot), the
// model's own transform turns it into features, and the answer carries the
// fields derived from x/y.
func handlePredictShot(h *holder, m *metrics, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := h.get()
		if c == nil {
			httpjson.Error(w, r, logger, errNotReady)
			return
		}
		body, err := httpjson.ReadJSON(r)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		req, err := predict.DecodeShotRequest(body)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		s, err := req.Shot()
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		httpjson.Encode(w, http.StatusOK, predict.ShotPredictionOf(&s, scoreShot(c, m, &s)))
	})
}

// handlePredictRecord scores a shot that apid has already validated and
// completed from a /predict/shot body (predict.PathPredictRecord): only its
// bounds are checked, so the request is validated once, in apid. It is on
// the path of every apid /predict/shot, so the body is read into a pooled
// buffer and the answer appended to it.
func handlePredictRecord(h *holder, m *metrics, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := h.get()
		if c == nil {
			httpjson.Error(w, r, logger, errNotReady)
			return
		}
		buf := bodyPool.Get().(*bytes.Buffer)
		defer bodyPool.Put(buf) // nothing holds on to the body or the answer once written
		body, err := httpjson.ReadJSONInto(r, buf)
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		s, err := predict.DecodeRecord(body) // the shot's text is its own copy
		if err != nil {
			httpjson.Error(w, r, logger, err)
			return
		}
		p := scoreShot(c, m, &s)
		if math.IsNaN(p.Probability) || math.IsInf(p.Probability, 0) {
			httpjson.Encode(w, http.StatusOK, p) // encoding/json's answer to that: a 500
			return
		}
		out := appendPrediction(buf.Bytes()[:0], p)
		w.Header()["Content-Type"] = jsonContentType
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(out) // a failed write means the client went away
	})
}

// bodyPool holds the buffers /predict/record reads bodies into and writes
// answers from: a record is under 1 KiB.
var bodyPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 2<<10)) }}

// jsonContentType is the Content-Type header value, shared rather than
// allocated per answer (net/http only reads it).
var jsonContentType = []string{"application/json"}

// appendPrediction appends the answer p, byte for byte what httpjson.Encode
// writes for it (a test holds it to that).
func appendPrediction(b []byte, p predict.Prediction) []byte {
	b = append(b, `{"prediction":`...)
	b = strconv.AppendInt(b, int64(p.Prediction), 10)
	b = append(b, `,"probability":`...)
	b = httpjson.AppendFloat(b, p.Probability)
	b = append(b, `,"model_version":`...)
	b = httpjson.AppendString(b, p.ModelVersion)
	return append(b, "}\n"...)
}

// scoreShot scores a complete shot with c's model and records the metrics.
func scoreShot(c *champion, m *metrics, s *nba.Shot) predict.Prediction {
	start := time.Now()
	p := c.model.ScoreShot(s)
	m.inference.Observe(time.Since(start).Seconds())
	pred := c.model.Predict(p)
	m.observeOne(c.version, p, pred)
	return predict.Prediction{Prediction: pred, Probability: p, ModelVersion: c.version}
}
