package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/store"
)

type predictResponse struct {
	PredictionID int64 `json:"prediction_id"`
	predict.Prediction
}

type shotPredictResponse struct {
	PredictionID int64 `json:"prediction_id"`
	predict.ShotPrediction
}

// handlePredict is POST /predict: the original's 39-feature body, checked
// with the decoder predictd uses, scored by predictd and stored before the
// answer goes out, so a 200 always means a stored row.
//
// It is the path every client hits, so it does the least it can: the body
// is read into a pooled buffer and decoded once, in one pass; the body
// itself, which that pass proved to be exactly the 39 numbers, is what is
// stored (no second encoding of what was just decoded); the answer is
// appended to a pooled buffer around pre-encoded constant parts.
func handlePredict(logger *slog.Logger, p predictor, preds predictionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := bodyPool.Get().(*bytes.Buffer)
		body, err := readBody(r, buf)
		if err != nil {
			bodyPool.Put(buf)
			httpjson.Error(w, r, logger, err)
			return
		}
		f, err := decodeFeatures(body)
		if err != nil {
			bodyPool.Put(buf)
			httpjson.Error(w, r, logger, err)
			return
		}
		u, err := userFrom(r.Context())
		if err != nil {
			bodyPool.Put(buf)
			httpjson.Error(w, r, logger, err)
			return
		}
		res, err := p.Predict(r.Context(), f)
		if err != nil {
			bodyPool.Put(buf)
			httpjson.Error(w, r, logger, err)
			return
		}
		rec := store.Prediction{UserID: u.ID, Prediction: res.Prediction, Probability: res.Probability,
			ModelVersion: res.ModelVersion, Input: body}
		if err := preds.CreatePrediction(r.Context(), &rec); err != nil {
			// Not back to the pool: after a failure (a deadline while the row
			// waited in the group commit's queue) the row may still be
			// written from this buffer.
			httpjson.Error(w, r, logger, err)
			return
		}
		out := appendPredictResponse(buf.Bytes()[:0], rec.ID, res)
		writeJSON(w, out)
		buf.Reset()
		bodyPool.Put(buf)
	})
}

// decodeFeatures is httpjson.Decode[predict.Features] on a body already
// read, without json.Unmarshal's extra validating pass over it: the
// decoder's own scan validates as it goes.
func decodeFeatures(body []byte) (predict.Features, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return predict.Features{}, httpjson.Invalid(httpjson.Body("Field required", "missing"))
	}
	return predict.DecodeFeatures(body)
}

// bodyPool holds the buffers /predict reads bodies into and writes answers
// from: a 39-feature body is under 2 KiB.
var bodyPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 4<<10)) }}

// readBody checks that the request carries JSON and reads its body into
// buf (httpjson.ReadJSONInto), so /predict allocates no buffer of its own.
func readBody(r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	return httpjson.ReadJSONInto(r, buf)
}

// jsonContentType is the Content-Type header value, shared rather than
// allocated per answer (net/http only reads it).
var jsonContentType = []string{"application/json"}

// writeJSON sends a 200 with an encoded JSON body.
func writeJSON(w http.ResponseWriter, body []byte) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // a failed write means the client went away
}

// appendPredictResponse appends /predict's answer, byte for byte what
// encoding/json makes of predictResponse (a test holds it to that).
func appendPredictResponse(b []byte, id int64, p predict.Prediction) []byte {
	b = append(b, `{"prediction_id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"prediction":`...)
	b = strconv.AppendInt(b, int64(p.Prediction), 10)
	b = append(b, `,"probability":`...)
	b = httpjson.AppendFloat(b, p.Probability)
	b = append(b, `,"model_version":`...)
	b = httpjson.AppendString(b, p.ModelVersion)
	return append(b, "}\n"...)
}

// handlePredictShot is POST /predict/shot: a raw shot, decoded once,
// validated and completed (zones, distance, shot type, team id) once, here;
// predictd scores the completed record without validating it again
// (predict.PathPredictRecord). The row stores the body as the caller sent it
// (compacted) and the record, so that, once verified, the shot can go back
// into the training data (apid export-feedback).
//
// It does the least it can, as handlePredict does: one pooled buffer holds
// the body, then, after it, the record (predictd's body and the stored raw
// shot, encoded once, by hand) and the compacted body (the stored input);
// the answer is appended to it once the row is stored.
func handlePredictShot(logger *slog.Logger, p predictor, preds predictionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := bodyPool.Get().(*bytes.Buffer)
		body, err := readBody(r, buf)
		if err != nil {
			bodyPool.Put(buf)
			httpjson.Error(w, r, logger, err)
			return
		}
		req, err := predict.DecodeShotRequest(body)
		if err != nil {
			bodyPool.Put(buf)
			httpjson.Error(w, r, logger, err)
			return
		}
		shot, err := req.Shot()
		if err != nil {
			bodyPool.Put(buf)
			httpjson.Error(w, r, logger, err)
			return
		}
		u, err := userFrom(r.Context())
		if err != nil {
			bodyPool.Put(buf)
			httpjson.Error(w, r, logger, err)
			return
		}
		// Both after the body in buf's array (or in a larger one when it is
		// full), neither overlapping it.
		record := req.AppendRecord(buf.AvailableBuffer(), &shot)
		input := httpjson.AppendCompact(record[len(record):], body) // valid JSON: DecodeShotRequest accepted it
		res, err := p.PredictRecord(r.Context(), record)
		if err != nil {
			// Not back to the pool: on a failed call the transport may
			// still hold the record it was sending.
			httpjson.Error(w, r, logger, err)
			return
		}
		rec := store.Prediction{UserID: u.ID, Prediction: res.Prediction, Probability: res.Probability,
			ModelVersion: res.ModelVersion, Input: input, RawShot: record}
		if err := preds.CreatePrediction(r.Context(), &rec); err != nil {
			// Not back to the pool: the row may still be written from it
			// (see handlePredict).
			httpjson.Error(w, r, logger, err)
			return
		}
		out := appendShotPredictResponse(buf.Bytes()[:0], rec.ID, res, &shot)
		writeJSON(w, out)
		buf.Reset()
		bodyPool.Put(buf)
	})
}

// appendShotPredictResponse appends /predict/shot's answer, byte for byte
// what encoding/json makes of shotPredictResponse (a test holds it to that).
func appendShotPredictResponse(b []byte, id int64, p predict.Prediction, s *nba.Shot) []byte {
	b = appendPredictResponse(b, id, p)
	b = b[:len(b)-2] // the "}\n"
	b = append(b, `,"shot_distance":`...)
	b = strconv.AppendInt(b, int64(s.ShotDistance), 10)
	b = append(b, `,"shot_type":`...)
	b = httpjson.AppendString(b, s.ShotType)
	b = append(b, `,"shot_zone_basic":`...)
	b = httpjson.AppendString(b, s.ShotZoneBasic)
	b = append(b, `,"shot_zone_area":`...)
	b = httpjson.AppendString(b, s.ShotZoneArea)
	b = append(b, `,"shot_zone_range":`...)
	b = httpjson.AppendString(b, s.ShotZoneRange)
	return append(b, "}\n"...)
}
