package main

import (
	"strings"
	"testing"
)

// TestPprofFlag: /debug/pprof is served on --pprof-addr only, never on the
// API's port.
func TestPprofFlag(t *testing.T) {
	fp := newFakePredictd(t)
	pprofAddr := freeAddr(t)
	base, _ := startRun(t, []string{"--pprof-addr", pprofAddr}, map[string]string{
		"JWT_SECRET": testSecret, "NBA_DATA_DIR": t.TempDir(), "PREDICT_URL": fp.URL(), "BCRYPT_COST": "4",
	})
	r := do(t, "http://"+pprofAddr, "GET", "/debug/pprof/", "", "")
	if r.status != 200 || !strings.Contains(string(r.body), "goroutine") {
		t.Errorf("GET /debug/pprof/ on --pprof-addr = %d %.200s", r.status, r.body)
	}
	if r := do(t, "http://"+pprofAddr, "GET", "/debug/pprof/goroutine?debug=1", "", ""); r.status != 200 {
		t.Errorf("goroutine profile = %d", r.status)
	}
	if r := do(t, base, "GET", "/debug/pprof/", "", ""); r.status != 404 {
		t.Errorf("GET /debug/pprof/ on the API port = %d, want 404", r.status)
	}
	if _, err := loadConfig([]string{"--pprof-addr", "nonsense"}, env(map[string]string{"JWT_SECRET": testSecret}), &strings.Builder{}); err == nil ||
		!strings.Contains(err.Error(), "--pprof-addr") {
		t.Errorf("a bad --pprof-addr gave %v, want an error naming the flag", err)
	}
	cfg, err := loadConfig(nil, env(map[string]string{"JWT_SECRET": testSecret}), &strings.Builder{})
	if err != nil || cfg.PprofAddr != "" {
		t.Errorf("default PprofAddr = %q (%v), want empty: profiles are off unless asked for", cfg.PprofAddr, err)
	}
}
