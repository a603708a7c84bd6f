package mlflow

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	kvs := func(prefix string, n, valueLen int) []kv {
		out := make([]kv, n)
		for i := range out {
			out[i] = kv{Key: fmt.Sprintf("%s%04d", prefix, i), Value: strings.Repeat("v", valueLen)}
		}
		return out
	}
	metrics := func(n int) []metric {
		out := make([]metric, n)
		for i := range out {
			out[i] = metric{Key: fmt.Sprintf("m%05d", i), Value: float64(i) * 0.1, Timestamp: 1764324042000}
		}
		return out
	}
	tests := []struct {
		name        string
		l           limits
		params      []kv
		tags        []kv
		metrics     []metric
		wantBatches int
	}{
		{"nothing", defaultLimits, nil, nil, nil, 0},
		{"one small batch", defaultLimits, kvs("p", 3, 5), kvs("t", 2, 5), metrics(4), 1},
		{"exactly at the limits", defaultLimits, kvs("p", 100, 5), kvs("t", 100, 5), metrics(800), 1},
		{"metrics over 1000", defaultLimits, nil, nil, metrics(2001), 3},
		{"params over 100", defaultLimits, kvs("p", 250, 5), nil, nil, 3},
		{"all over", defaultLimits, kvs("p", 250, 5), kvs("t", 250, 5), metrics(2500), 3},
		// 100 params of 6000 characters and 100 tags of 5000 would be
		// 1.1 MB: the byte limit splits them although the counts fit.
		{"byte limit", limits{metrics: 1000, paramsTags: 100, entities: 1000, bytes: 1_000_000, paramValueLen: 6000},
			kvs("p", 100, 6000), kvs("t", 100, 5000), nil, 2},
		{"tiny limits", limits{metrics: 3, paramsTags: 2, entities: 4, bytes: 1 << 20}, kvs("p", 5, 1), kvs("t", 5, 1), metrics(7), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.l.split(tt.params, tt.tags, tt.metrics)
			if len(got) != tt.wantBatches {
				t.Errorf("split made %d batches, want %d", len(got), tt.wantBatches)
			}
			checkBatches(t, tt.l, got, tt.params, tt.tags, tt.metrics)
		})
	}
}

// checkBatches asserts the properties every split must have: each batch
// within every limit (counted on the real JSON body with the longest run
// ID), no batch empty, and the batches together carrying every item once,
// in order.
func checkBatches(t *testing.T, l limits, got []batch, params, tags []kv, metrics []metric) {
	t.Helper()
	var allP, allT []kv
	var allM []metric
	for i, b := range got {
		n := len(b.params) + len(b.tags) + len(b.metrics)
		body, err := json.Marshal(logBatchRequest{RunID: strings.Repeat("r", maxRunIDLen), Metrics: b.metrics, Params: b.params, Tags: b.tags})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case n == 0:
			t.Errorf("batch %d is empty", i)
		case len(b.params) > l.paramsTags, len(b.tags) > l.paramsTags, len(b.metrics) > l.metrics, n > l.entities:
			t.Errorf("batch %d has %d params, %d tags, %d metrics: over the limits %+v", i, len(b.params), len(b.tags), len(b.metrics), l)
		case len(body) > l.bytes:
			t.Errorf("batch %d is %d bytes, over the limit of %d", i, len(body), l.bytes)
		case b.params == nil || b.tags == nil || b.metrics == nil:
			t.Errorf("batch %d has a nil slice, which encodes as null instead of []", i)
		}
		allP, allT, allM = append(allP, b.params...), append(allT, b.tags...), append(allM, b.metrics...)
	}
	if diff := cmp.Diff(params, allP, cmp.Comparer(func(a, b []kv) bool { return slices.Equal(a, b) })); diff != "" {
		t.Errorf("params across batches (-want +got):\n%s", diff)
	}
	if !slices.Equal(tags, allT) || !slices.Equal(metrics, allM) {
		t.Errorf("tags or metrics lost, duplicated or reordered across batches")
	}
}

func TestSplitRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 200 {
		l := limits{metrics: 1 + rng.IntN(20), paramsTags: 1 + rng.IntN(10), entities: 1 + rng.IntN(30), bytes: 400 + rng.IntN(2000)}
		params := make([]kv, rng.IntN(40))
		for j := range params {
			params[j] = kv{Key: fmt.Sprintf("p%d", j), Value: strings.Repeat("x", rng.IntN(60))}
		}
		tags := make([]kv, rng.IntN(40))
		for j := range tags {
			tags[j] = kv{Key: fmt.Sprintf("t%d", j), Value: strings.Repeat("y", rng.IntN(60))}
		}
		metrics := make([]metric, rng.IntN(80))
		for j := range metrics {
			metrics[j] = metric{Key: fmt.Sprintf("m%d", j), Value: rng.NormFloat64(), Timestamp: 1764324042000, Step: int64(j)}
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			checkBatches(t, l, l.split(params, tags, metrics), params, tags, metrics)
		})
	}
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key     string
		wantErr string // "" for valid
	}{
		{"roc_auc", ""},
		{"cv/fold 1/log-loss.mean", ""},
		{"mlflow.runName", ""},
		{"précision_été", ""},
		{strings.Repeat("k", 250), ""},
		{"", "key is empty"},
		{strings.Repeat("k", 251), "more than MLflow's 250"},
		{"auc@0.5", "character '@' not allowed"},
		{"a:b", "character ':' not allowed"},
		{"/abs", "not a normalised relative path"},
		{"a//b", "not a normalised relative path"},
		{"a/./b", "not a normalised relative path"},
		{"a/", "not a normalised relative path"},
		{".", "not a normalised relative path"},
		{"..", "not a normalised relative path"},
		{"../x", "not a normalised relative path"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			err := validateKey("param", tt.key)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("validateKey(%q) = %v, want nil", tt.key, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("validateKey(%q) = %v, want an error containing %q", tt.key, err, tt.wantErr)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		n       int
		want    string
		wantCut bool
	}{
		{"abc", 3, "abc", false},
		{"abcd", 3, "abc", true},
		{"", 0, "", false},
		{"éèê", 2, "éè", true},
		{"日本語テキスト", 3, "日本語", true},
	}
	for _, tt := range tests {
		got, cut := truncate(tt.in, tt.n)
		if got != tt.want || cut != tt.wantCut {
			t.Errorf("truncate(%q, %d) = %q, %v; want %q, %v", tt.in, tt.n, got, cut, tt.want, tt.wantCut)
		}
	}
}

func BenchmarkSplit(b *testing.B) {
	params := make([]kv, 250)
	for i := range params {
		params[i] = kv{Key: fmt.Sprintf("p%03d", i), Value: "value"}
	}
	metrics := make([]metric, 2500)
	for i := range metrics {
		metrics[i] = metric{Key: fmt.Sprintf("m%04d", i), Value: float64(i), Timestamp: 1764324042000}
	}
	b.ReportAllocs()
	for b.Loop() {
		defaultLimits.split(params, params, metrics)
	}
}
