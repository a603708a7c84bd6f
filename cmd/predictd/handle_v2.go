package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/version"
)

// The Open Inference Protocol v2 (KServe) surface. The model takes one FP64
// tensor of shape [N, 39], columns in nba.SeedFeatures order.
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
			"parameters": map[string]any{"feature_names": nba.SeedFeatures},
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

type v2InferRequest struct {
	ID     string `json:"id,omitempty"`
	Inputs []struct {
		Name     string          `json:"name"`
		Shape    []int           `json:"shape"`
		Datatype string          `json:"datatype"`
		Data     json.RawMessage `json:"data"`
	} `json:"inputs"`
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
// flattened row-major.
func parseV2Request(body []byte) (*v2InferRequest, []float64, int, error) {
	var req v2InferRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return nil, nil, 0, fmt.Errorf("invalid JSON: %v", err)
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
	data, err := flatten(in.Data, n*nba.NumSeedFeatures)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("input %q: %v", in.Name, err)
	}
	if len(data) != n*nba.NumSeedFeatures {
		return nil, nil, 0, fmt.Errorf("input %q: %d values, shape %v needs %d", in.Name, len(data), in.Shape, n*nba.NumSeedFeatures)
	}
	for i, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, 0, fmt.Errorf("input %q: row %d, %s: not a finite number", in.Name, i/nba.NumSeedFeatures, nba.SeedFeatures[i%nba.NumSeedFeatures])
		}
	}
	for _, o := range req.Outputs {
		if o.Name != "label" && o.Name != "probability" {
			return nil, nil, 0, fmt.Errorf("unknown output %q: the model has label and probability", o.Name)
		}
	}
	return &req, data, n, nil
}

// flatten accepts the tensor data flat ([1,2,...]) or nested ([[1,2],[3,4]]),
// as the protocol allows both.
func flatten(raw json.RawMessage, capHint int) ([]float64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("data is missing")
	}
	if raw[0] != '[' {
		return nil, errors.New("data: want an array of numbers")
	}
	if inner := bytes.TrimSpace(raw[1:]); len(inner) > 0 && inner[0] == '[' {
		var rows [][]float64
		if err := json.Unmarshal(raw, &rows); err != nil {
			return nil, fmt.Errorf("data: %v", err)
		}
		out := make([]float64, 0, capHint)
		for i, row := range rows {
			if len(row) != nba.NumSeedFeatures {
				return nil, fmt.Errorf("data: row %d has %d values, want %d", i, len(row), nba.NumSeedFeatures)
			}
			out = append(out, row...)
		}
		return out, nil
	}
	out := make([]float64, 0, capHint)
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("data: %v", err)
	}
	return out, nil
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
