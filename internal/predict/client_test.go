package predict

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// fakePredictd implements predictd's contract above the network: it decodes
// with the shared decoders and answers like the real service would.
func fakePredictd(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathPredict, func(w http.ResponseWriter, r *http.Request) {
		f, err := httpjson.Decode[Features](r)
		if err != nil {
			httpjson.Error(w, r, discard, err)
			return
		}
		p := 0
		if f[features.SeedShotDistance] < 10 {
			p = 1
		}
		httpjson.Encode(w, 200, Prediction{Prediction: p, Probability: 0.6, ModelVersion: "v1"})
	})
	mux.HandleFunc("POST "+PathPredictRecord, func(w http.ResponseWriter, r *http.Request) {
		s, err := DecodeRecord(mustRead(t, r))
		if err != nil {
			httpjson.Error(w, r, discard, err)
			return
		}
		p := 0
		if s.ShotDistance < 10 {
			p = 1
		}
		httpjson.Encode(w, 200, Prediction{Prediction: p, Probability: 0.4, ModelVersion: "v1"})
	})
	mux.HandleFunc("GET "+PathReady, func(w http.ResponseWriter, r *http.Request) {
		httpjson.Encode(w, 200, map[string]string{"status": "ready"})
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func mustRead(t *testing.T, r *http.Request) []byte {
	b, err := httpjson.ReadJSON(r)
	if err != nil {
		t.Error(err)
	}
	return b
}

func newClient(t *testing.T, url string) *Client {
	t.Helper()
	c, err := NewClient(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientPredict(t *testing.T) {
	srv, _ := fakePredictd(t)
	c := newClient(t, srv.URL+"/")
	f, err := DecodeFeatures([]byte(readmeBody))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Predict(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Prediction{0, 0.6, "v1"}, got); diff != "" {
		t.Errorf("Predict (-want +got):\n%s", diff)
	}
	req, _ := DecodeShotRequest([]byte(shotBody))
	s, err := req.Shot()
	if err != nil {
		t.Fatal(err)
	}
	record, err := req.Record(s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.PredictRecord(t.Context(), record)
	if err != nil {
		t.Fatal(err)
	}
	want := ShotPrediction{Prediction{0, 0.4, "v1"}, 19, nba.ShotType2PT, nba.ZoneMidRange, nba.AreaLeftCenter, nba.Range16To24}
	if diff := cmp.Diff(want, ShotPredictionOf(&s, p)); diff != "" {
		t.Errorf("PredictRecord (-want +got):\n%s", diff)
	}
	if err := c.Ready(t.Context()); err != nil {
		t.Errorf("Ready = %v", err)
	}
}

func TestClientPassesValidationThrough(t *testing.T) {
	srv, _ := fakePredictd(t)
	c := newClient(t, srv.URL)
	req, _ := DecodeShotRequest([]byte(shotBody))
	s, err := req.Shot()
	if err != nil {
		t.Fatal(err)
	}
	req.Period = 0 // apid would refuse it itself; predictd must too
	record, err := req.Record(s)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PredictRecord(t.Context(), record)
	var ve *httpjson.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Loc[1] != "period" || ve.Fields[0].Type != "value_error" {
		t.Fatalf("PredictRecord(period 0) = %v, want predictd's 422 detail", err)
	}
}

func TestClientUnavailable(t *testing.T) {
	answer := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			io.WriteString(w, body)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(hang); slow.Close() })

	tests := []struct {
		name string
		url  string
		code string
	}{
		{"connection refused", closedURL, nba.EUnavailable},
		{"500", answer(500, `{"detail":"boom"}`), nba.EUnavailable},
		{"503", answer(503, `{"detail":"no model loaded"}`), nba.EUnavailable},
		{"garbage", answer(200, `<html>`), nba.EUnavailable},
		{"not a prediction", answer(200, `{"prediction": 3, "probability": 0.5, "model_version": "v1"}`), nba.EUnavailable},
		{"probability out of range", answer(200, `{"prediction": 1, "probability": 1.5, "model_version": "v1"}`), nba.EUnavailable},
		{"no version", answer(200, `{"prediction": 1, "probability": 0.5}`), nba.EUnavailable},
		{"422 without detail", answer(422, `{"detail":"bad"}`), nba.EUnavailable},
		{"other 4xx is our bug", answer(404, `{"detail":"Not Found"}`), nba.EInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.url)
			_, err := c.Predict(t.Context(), Features{})
			if got := nba.ErrorCode(err); got != tt.code {
				t.Errorf("Predict error %v has code %q, want %q", err, got, tt.code)
			}
			if tt.code == nba.EUnavailable && nba.ErrorMessage(err) != "prediction service unavailable" {
				t.Errorf("message %q", nba.ErrorMessage(err))
			}
		})
	}
	t.Run("readyz 503", func(t *testing.T) {
		if err := newClient(t, answer(503, "")).Ready(t.Context()); nba.ErrorCode(err) != nba.EUnavailable {
			t.Errorf("Ready = %v, want unavailable", err)
		}
	})
	t.Run("caller's deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := newClient(t, slow.URL).Predict(ctx, Features{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Predict past the deadline = %v, want the context's error", err)
		}
	})
}

// TestClientReusesConnections checks that concurrent calls share a small
// set of kept-alive connections instead of dialing per request.
func TestClientReusesConnections(t *testing.T) {
	srv, conns := fakePredictd(t)
	c := newClient(t, srv.URL)
	if tr := c.hc.Transport.(*http.Transport); tr.MaxIdleConnsPerHost < 64 {
		t.Errorf("MaxIdleConnsPerHost = %d, want at least 64", tr.MaxIdleConnsPerHost)
	}
	f, err := DecodeFeatures([]byte(ExampleBody))
	if err != nil {
		t.Fatal(err)
	}
	const workers, calls = 16, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range calls {
				if _, err := c.Predict(context.Background(), f); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// A worker that finds no idle connection starts a dial and may then take
	// a connection freed meanwhile; the dialed one joins the pool. So a few
	// more connections than workers are normal; one per call is not.
	if n := conns.Load(); n > 2*workers {
		t.Errorf("%d connections for %d calls from %d workers, want at most %d", n, workers*calls, workers, 2*workers)
	}
}

func TestNewClientRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8001", "ftp://x", "http://"} {
		if _, err := NewClient(u, nil); err == nil {
			t.Errorf("NewClient(%q) accepted", u)
		}
	}
}

func TestResponsesJSON(t *testing.T) {
	b, _ := json.Marshal(ShotPrediction{Prediction{1, 0.5, "v2"}, 3, "2PT Field Goal", "Restricted Area", "Center(C)", "Less Than 8 ft."})
	want := `{"prediction":1,"probability":0.5,"model_version":"v2","shot_distance":3,"shot_type":"2PT Field Goal","shot_zone_basic":"Restricted Area","shot_zone_area":"Center(C)","shot_zone_range":"Less Than 8 ft."}`
	if string(b) != want {
		t.Errorf("ShotPrediction JSON = %s, want %s", b, want)
	}
}
