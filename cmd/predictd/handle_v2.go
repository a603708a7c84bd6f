package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/version"
)

// The Open Inference Protocol v2 (KServe) surface. The model takes one FP64
// tensor of shape [N, 39], columns in nba.FeatureNames order.
const (
	v2ModelName = "nba-shot"
	v2MaxRows   = 10_000
	// v2MaxBody fits 10,000 rows of 39 numbers written at full precision.
	v2MaxBody = 16 << 20
)

func v2Error(w http.ResponseWriter, status int, msg string) {
	httpjson.Encode(w, status, map[string]string{"error": msg})
}

func handleV2Server() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Encode(w, http.StatusOK, map[string]any{
			"name": "nba-mlops predictd", "version": version.Version, "extensions": []string{},
		})
	})
}

func handleV2Live() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Encode(w, http.StatusOK, map[string]bool{"live": true})
	})
}

func handleV2Ready(h *holder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.get() == nil {
			httpjson.Encode(w, http.StatusServiceUnavailable, map[string]bool{"ready": false})
			return
		}
		httpjson.Encode(w, http.StatusOK, map[string]bool{"ready": true})
	})
}

type v2Tensor struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

func handleV2Metadata(h *holder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := h.get()
		if c == nil {
			v2Error(w, http.StatusServiceUnavailable, "model nba-shot is not loaded yet")
			return
		}
		httpjson.Encode(w, http.StatusOK, map[string]any{
			"name":     v2ModelName,
			"versions": []string{c.version},
			"platform": "nba-mlops",
			"inputs":   []v2Tensor{{Name: "input-0", Datatype: "FP64", Shape: []int{-1, nba.NumSeedFeatures}}},
			"outputs": []v2Tensor{
				{Name: "label", Datatype: "INT64", Shape: []int{-1}},
				{Name: "probability", Datatype: "FP64", Shape: []int{-1}},
			},
			"parameters": map[string]any{"feature_names": nba.FeatureNames()},
		})
	})
}

func handleV2ModelReady(h *holder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := h.get()
		if c == nil {
			httpjson.Encode(w, http.StatusServiceUnavailable, map[string]any{"name": v2ModelName, "ready": false})
			return
		}
		httpjson.Encode(w, http.StatusOK, map[string]any{"name": v2ModelName, "ready": true})
	})
}

type v2Input struct {
	Name     string          `json:"name"`
	Shape    []int           `json:"shape"`
	Datatype string          `json:"datatype"`
	Data     json.RawMessage `json:"data"`
}

type v2InferRequest struct {
	ID      string    `json:"id,omitempty"`
	Inputs  []v2Input `json:"inputs"`
	Outputs []struct {
		Name string `json:"name"`
	} `json:"outputs,omitempty"`
}

type v2Output struct {
	Name     string `json:"name"`
	Shape    []int  `json:"shape"`
	Datatype string `json:"datatype"`
	Data     any    `json:"data"`
}

// parseV2Request decodes and checks an inference request, returning the rows
// flattened row-major. The envelope is read by the one JSON decoder of the
// services (httpjson: no key given twice); errors say what is wrong in the
// protocol's terms, never in Go's.
func parseV2Request(body []byte) (*v2InferRequest, []float64, int, error) {
	var req v2InferRequest
	if err := httpjson.Unmarshal(body, &req); err != nil {
		return nil, nil, 0, v2BodyError(err)
	}
	if len(req.Inputs) != 1 {
		return nil, nil, 0, fmt.Errorf("want exactly 1 input tensor of shape [N,%d], got %d", nba.NumSeedFeatures, len(req.Inputs))
	}
	in := req.Inputs[0]
	if in.Datatype != "FP64" && in.Datatype != "FP32" {
		return nil, nil, 0, fmt.Errorf("input %q: datatype %q, want FP64", in.Name, in.Datatype)
	}
	if len(in.Shape) != 2 || in.Shape[1] != nba.NumSeedFeatures || in.Shape[0] < 1 {
		return nil, nil, 0, fmt.Errorf("input %q: shape %v, want [N,%d] with N ≥ 1", in.Name, in.Shape, nba.NumSeedFeatures)
	}
	n := in.Shape[0]
	if n > v2MaxRows {
		return nil, nil, 0, fmt.Errorf("input %q: %d rows, at most %d per request", in.Name, n, v2MaxRows)
	}
	data, err := v2Data(in.Data, n*nba.NumSeedFeatures)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("input %q: %w", in.Name, err)
	}
	if len(data) != n*nba.NumSeedFeatures {
		return nil, nil, 0, fmt.Errorf("input %q: %d values, shape %v needs %d", in.Name, len(data), in.Shape, n*nba.NumSeedFeatures)
	}
	// The same ranges as /predict: a row the data cannot produce is refused,
	// not scored.
	for row := range n {
		f := (*predict.Features)(data[row*nba.NumSeedFeatures:])
		var problem error
		f.Problems(func(i int, msg, _ string) {
			if problem == nil {
				problem = fmt.Errorf("input %q: row %d, %s: %s", in.Name, row, nba.FeatureName(i), msg)
			}
		})
		if problem != nil {
			return nil, nil, 0, problem
		}
	}
	for _, o := range req.Outputs {
		if o.Name != "label" && o.Name != "probability" {
			return nil, nil, 0, fmt.Errorf("unknown output %q: the model has label and probability", o.Name)
		}
	}
	return &req, data, n, nil
}

// v2BodyError words a decoding error of the envelope for the caller: the
// member (inputs.shape) and what it should be.
func v2BodyError(err error) error {
	var ve *httpjson.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) == 0 {
		return errors.New("the body is not an inference request")
	}
	f := ve.Fields[0]
	var path []string
	for _, l := range f.Loc[1:] { // Loc[0] is "body"
		path = append(path, fmt.Sprint(l))
	}
	switch {
	case f.Type == "json_invalid" && len(path) == 1:
		return fmt.Errorf("the body is not valid JSON (at byte %s)", path[0])
	case f.Type == "json_invalid":
		return errors.New("the body is not valid JSON")
	case f.Type == "missing":
		return errors.New("the body is empty")
	case f.Type == "model_attributes_type" && len(path) == 0:
		return errors.New("the body must be a JSON object with \"inputs\"")
	case len(path) == 0:
		return errors.New(f.Msg)
	}
	return fmt.Errorf("%s: %s", strings.Join(path, "."), f.Msg)
}

// v2Data reads the tensor data, flat ([1,2,...]) or one array per row
// ([[1,2,...],[...]]), as the protocol allows both. Every element must be a
// number: a null is not 0. Errors name the position and its feature.
func v2Data(raw json.RawMessage, capHint int) ([]float64, error) {
	if k := httpjson.Kind(bytes.TrimSpace(raw)); k == 0 || k == 'n' {
		return nil, errors.New("data is missing")
	} else if k != '[' {
		return nil, errors.New("data: want an array of numbers")
	}
	out := make([]float64, 0, min(capHint, v2MaxRows*nba.NumSeedFeatures))
	nested := -1 // unknown until the first element: 1 rows of numbers, 0 numbers
	row := 0
	err := httpjson.EachElement(raw, func(el json.RawMessage) error {
		isRow := httpjson.Kind(el) == '['
		switch {
		case nested == -1 && isRow:
			nested = 1
		case nested == -1:
			nested = 0
		case (nested == 1) != isRow:
			return fmt.Errorf("data[%d]: mixes rows and numbers; send all rows as arrays or all values flat", row)
		}
		if !isRow {
			x, err := v2Number(el, len(out))
			out = append(out, x)
			row++
			return err
		}
		start := len(out)
		err := httpjson.EachElement(el, func(v json.RawMessage) error {
			x, err := v2Number(v, len(out))
			out = append(out, x)
			return err
		})
		if err == nil && len(out)-start != nba.NumSeedFeatures {
			err = fmt.Errorf("data[%d]: row has %d values, want %d", row, len(out)-start, nba.NumSeedFeatures)
		}
		row++
		return err
	})
	return out, err
}

// v2Number reads the value at flat position k of the tensor.
func v2Number(raw json.RawMessage, k int) (float64, error) {
	where := func() string {
		return fmt.Sprintf("data, row %d, %s (value %d)", k/nba.NumSeedFeatures, nba.FeatureName(k%nba.NumSeedFeatures), k)
	}
	switch httpjson.Kind(raw) {
	case '0':
	case 'n':
		return 0, fmt.Errorf("%s: null is not a number", where())
	default:
		return 0, fmt.Errorf("%s: %.20s is not a number", where(), raw)
	}
	x, err := strconv.ParseFloat(string(raw), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, fmt.Errorf("%s: %.30s is not a finite number", where(), raw)
	}
	return x, nil
}

func handleV2Infer(h *holder, m *metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := h.get() // this request finishes on this model whatever reloads meanwhile
		if c == nil {
			v2Error(w, http.StatusServiceUnavailable, "model nba-shot is not loaded yet")
			return
		}
		if v := chi.URLParam(r, "version"); v != "" && v != c.version {
			v2Error(w, http.StatusNotFound, fmt.Sprintf("model nba-shot version %q is not served; serving %q", v, c.version))
			return
		}
		if err := httpjson.RequireContentType(r, "application/json"); err != nil {
			v2Error(w, http.StatusUnsupportedMediaType, "send the body as application/json")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, v2MaxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				v2Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", v2MaxBody))
				return
			}
			v2Error(w, http.StatusBadRequest, "cannot read body")
			return
		}
		req, data, n, err := parseV2Request(body)
		if err != nil {
			v2Error(w, http.StatusBadRequest, err.Error())
			return
		}
		start := time.Now()
		probs := make([]float64, n)
		labels := make([]int64, n)
		for i := range n {
			seed := (*[nba.NumSeedFeatures]float64)(data[i*nba.NumSeedFeatures:])
			probs[i] = c.model.ScoreSeed(seed)
			labels[i] = int64(c.model.Predict(probs[i]))
		}
		m.inference.Observe(time.Since(start).Seconds())
		m.observe(c.version, probs, labels)
		want := map[string]bool{"label": true, "probability": true}
		if len(req.Outputs) > 0 {
			want = map[string]bool{}
			for _, o := range req.Outputs {
				want[o.Name] = true
			}
		}
		var outs []v2Output
		if want["label"] {
			outs = append(outs, v2Output{Name: "label", Shape: []int{n}, Datatype: "INT64", Data: labels})
		}
		if want["probability"] {
			outs = append(outs, v2Output{Name: "probability", Shape: []int{n}, Datatype: "FP64", Data: probs})
		}
		resp := map[string]any{"model_name": v2ModelName, "model_version": c.version, "outputs": outs}
		if req.ID != "" {
			resp["id"] = req.ID
		}
		httpjson.Encode(w, http.StatusOK, resp)
	})
}
