package mlflow

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of MLflow's server (mlflow/utils/validation.py). Keys longer than
// maxKeyLen are rejected; values longer than their limit are truncated here,
// as recent servers do themselves, so that an older server does not reject
// the whole batch.
const (
	maxKeyLen            = 250
	maxTagValueLen       = 5000
	maxExperimentNameLen = 500
	// MLflow 2.0–2.7 store at most 500 characters per param value, 2.8 and
	// later 6000; 500 works with every 2.x server.
	defaultParamValueLen = 500
)

// limits are MLflow's per-request limits on runs/log-batch.
type limits struct {
	metrics       int // MAX_METRICS_PER_BATCH
	paramsTags    int // MAX_PARAMS_TAGS_PER_BATCH, for each of params and tags
	entities      int // MAX_ENTITIES_PER_BATCH, metrics + params + tags
	bytes         int // MAX_BATCH_LOG_REQUEST_SIZE, the JSON body
	paramValueLen int
}

var defaultLimits = limits{metrics: 1000, paramsTags: 100, entities: 1000, bytes: 1_000_000, paramValueLen: defaultParamValueLen}

// kv is MLflow's Param, RunTag and ExperimentTag.
type kv struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// metric is MLflow's Metric; Timestamp is in Unix milliseconds.
type metric struct {
	Key       string  `json:"key"`
	Value     float64 `json:"value"`
	Timestamp int64   `json:"timestamp"`
	Step      int64   `json:"step"`
}

// logBatchRequest is the body of runs/log-batch. The arrays are always
// present, empty or not, as MLflow's own client sends them.
type logBatchRequest struct {
	RunID   string   `json:"run_id"`
	Metrics []metric `json:"metrics"`
	Params  []kv     `json:"params"`
	Tags    []kv     `json:"tags"`
}

// batch is the content of one log-batch request.
type batch struct {
	metrics []metric
	params  []kv
	tags    []kv
}

// maxRunIDLen is the longest run ID MLflow allows; the batch size budget
// reserves room for it because the ID is not known when batches are cut.
const maxRunIDLen = 256

// split cuts params, tags and metrics into as few batches as the limits
// allow: each batch takes up to the limit of params, then of tags, then fills
// up with metrics, within the entity and byte limits.
func (l limits) split(params, tags []kv, metrics []metric) []batch {
	empty, _ := json.Marshal(logBatchRequest{Metrics: []metric{}, Params: []kv{}, Tags: []kv{}})
	base := len(empty) + maxRunIDLen
	var out []batch
	for len(params)+len(tags)+len(metrics) > 0 {
		b := batch{metrics: []metric{}, params: []kv{}, tags: []kv{}}
		size, n := base, 0
		// fits reports whether one more item of the given encoded size
		// may join the batch; a batch always takes its first item, so an
		// oversized one is sent (and refused by the server) rather than
		// looping forever.
		fits := func(itemSize int) bool {
			return n < l.entities && (n == 0 || size+itemSize+1 <= l.bytes)
		}
		for len(params) > 0 && len(b.params) < l.paramsTags {
			s := encodedLen(params[0])
			if !fits(s) {
				break
			}
			b.params, params, size, n = append(b.params, params[0]), params[1:], size+s+1, n+1
		}
		for len(tags) > 0 && len(b.tags) < l.paramsTags {
			s := encodedLen(tags[0])
			if !fits(s) {
				break
			}
			b.tags, tags, size, n = append(b.tags, tags[0]), tags[1:], size+s+1, n+1
		}
		for len(metrics) > 0 && len(b.metrics) < l.metrics {
			s := encodedLen(metrics[0])
			if !fits(s) {
				break
			}
			b.metrics, metrics, size, n = append(b.metrics, metrics[0]), metrics[1:], size+s+1, n+1
		}
		out = append(out, b)
	}
	return out
}

func encodedLen(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0 // kv and finite metrics always encode
	}
	return len(b)
}

// validateKey applies MLflow's rules for metric, param and tag names: 1 to
// 250 characters, letters, digits, "_", "-", ".", "/" and spaces, and a
// path that does not normalise to another name.
func validateKey(kind, k string) error {
	const allowed = "MLflow allows letters, digits, '_', '-', '.', '/' and spaces"
	switch {
	case k == "":
		return fmt.Errorf("mlflow %s key is empty", kind)
	case utf8.RuneCountInString(k) > maxKeyLen:
		return fmt.Errorf("mlflow %s %q: key has %d characters, more than MLflow's %d", kind, clip(k, 40), utf8.RuneCountInString(k), maxKeyLen)
	}
	for _, r := range k {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !strings.ContainsRune("_-./ ", r) {
			return fmt.Errorf("mlflow %s %q: character %q not allowed: %s", kind, k, r, allowed)
		}
	}
	// MLflow may store names as file paths: "a/../b" or "a/" would alias
	// another name.
	if path.Clean(k) != k || k == "." || strings.HasPrefix(k, "..") || strings.HasPrefix(k, "/") {
		return fmt.Errorf("mlflow %s %q: key is not a normalised relative path (it would resolve to %q)", kind, k, path.Clean(k))
	}
	return nil
}

func validateExperimentName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("mlflow run: Experiment is empty")
	case utf8.RuneCountInString(name) > maxExperimentNameLen:
		return fmt.Errorf("mlflow run: Experiment has %d characters, more than MLflow's %d", utf8.RuneCountInString(name), maxExperimentNameLen)
	}
	return nil
}

// truncate cuts s to n characters (MLflow counts characters, not bytes).
func truncate(s string, n int) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j], true
		}
		i++
	}
	return s, false
}
