package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/dataset"
	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/features/featuretest"
	"github.com/nba-mlops/nba-mlops/internal/model"
	"github.com/nba-mlops/nba-mlops/internal/model/modeltest"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// TestScorersAgree scores the same shots with every scorer of the system
// (infer on a CSV, predictd directly, apid through predictd, and the model
// in this process) with a model that carries a calibration and shooter
// effects, and checks they give the same calibrated probability: the
// calibration and the effects live in the one scoring function, so none
// of them can serve the raw probability.
func TestScorersAgree(t *testing.T) {
	bin := testenv.Binaries(t, "./cmd/predictd", "./cmd/infer")
	// A model trained by the real procedure, its calibration then set to a
	// map far from the identity so that a raw probability cannot pass for
	// a calibrated one.
	trained := modeltest.TrainCalibrated(t, 5, 6000)
	b, w := trained.Weights()
	served, err := model.New(model.Spec{Algorithm: trained.Algorithm(), Transform: trained.Transform(), Intercept: b, Weights: w,
		Effects: trained.Effects(), Calibration: model.Calibration{Method: model.CalibrationPlatt, A: 0.8, B: 0.25}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := model.New(model.Spec{Algorithm: trained.Algorithm(), Transform: trained.Transform(), Intercept: b, Weights: w,
		Effects: trained.Effects()})
	if err != nil {
		t.Fatal(err)
	}
	if served.Effects().Len(model.GroupPlayer) == 0 {
		t.Fatalf("the trained model has no player effects (chosen %+v): the test would not see them", trained.Lineage().CV.Effects)
	}
	models := t.TempDir()
	modelPath, err := model.NewRegistry(models).Promote(served, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	addr := freeAddr(t)
	pd := exec.Command(filepath.Join(bin, "predictd"), "--addr", addr, "--models-dir", models, "--log-level", "warn")
	logs := &testenv.SyncBuffer{}
	pd.Stdout, pd.Stderr = logs, logs
	if err := pd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { pd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			pd.Process.Kill()
			<-done
		}
	})
	predictdURL := "http://" + addr
	eventually(t, 30*time.Second, "predictd ready", func() bool {
		code, err := httpGet(predictdURL + "/readyz")
		return err == nil && code == http.StatusOK
	})
	base, _ := startRun(t, nil, map[string]string{"JWT_SECRET": testSecret, "NBA_DATA_DIR": t.TempDir(),
		"PREDICT_URL": predictdURL, "BCRYPT_COST": "4"})
	tok := signupLogin(t, base, "scorer", "scorerpass")

	shots := featuretest.Shots(77, 40)
	var in bytes.Buffer
	cw := dataset.NewWriter(&in)
	cw.WriteHeader()
	for i := range shots {
		cw.Write(&shots[i])
	}
	cw.Flush()
	dir := t.TempDir()
	inPath, outPath := filepath.Join(dir, "shots.csv"), filepath.Join(dir, "predictions.csv")
	if err := os.WriteFile(inPath, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	inf := exec.Command(filepath.Join(bin, "infer"), "--data-dir", dir, "--in", inPath, "--out", outPath, "--model", modelPath)
	if out, err := inf.CombinedOutput(); err != nil {
		t.Fatalf("infer: %v\n%s", err, out)
	}
	f, err := os.Open(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != len(shots)+1 {
		t.Fatalf("predictions: %d rows, %v; want %d", len(rows), err, len(shots)+1)
	}

	tr := served.Transform()
	moved := 0
	for i := range shots {
		s := &shots[i]
		want := served.ScoreShot(s)
		fromInfer, _ := strconv.ParseFloat(rows[i+1][2], 64)
		shotBody := shotRequest(t, s)
		fromPredictd := probability(t, do(t, predictdURL, "POST", "/predict/shot", "", shotBody))
		fromAPI := probability(t, do(t, base, "POST", "/predict/shot", tok, shotBody))
		if math.Abs(fromInfer-want) > 5e-7 || math.Abs(fromPredictd-want) > 1e-12 || math.Abs(fromAPI-want) > 1e-12 {
			t.Errorf("shot %d: infer %v, predictd %v, apid %v; want the model's calibrated %v", i, fromInfer, fromPredictd, fromAPI, want)
		}
		// The 39-field body names no shooter: the league average, still
		// calibrated.
		seed := features.Seed(tr, s)
		body := seedBody(t, &seed)
		wantSeed := served.ScoreSeed(&seed)
		if got := probability(t, do(t, base, "POST", "/predict", tok, body)); math.Abs(got-wantSeed) > 1e-12 {
			t.Errorf("shot %d as a /predict body: apid %v, want %v", i, got, wantSeed)
		}
		if math.Abs(want-raw.ScoreShot(s)) > 1e-3 {
			moved++
		}
	}
	if moved < len(shots)*3/4 {
		t.Errorf("only %d of %d shots moved by the calibration: the check cannot tell raw from calibrated", moved, len(shots))
	}
}

// shotRequest is the /predict/shot body of a shot: everything a caller
// knows before the shot, ids included.
func shotRequest(t *testing.T, s *nba.Shot) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"player_id": s.PlayerID, "player_name": s.PlayerName, "team_id": s.TeamID, "team_name": s.TeamName,
		"home_team": s.HomeTeam, "away_team": s.AwayTeam, "period": s.Period, "minutes_remaining": s.MinutesRemaining,
		"seconds_remaining": s.SecondsRemaining, "action_type": s.ActionType, "x_location": s.XLocation,
		"y_location": s.YLocation, "game_date": s.GameDate, "season_type": s.SeasonType, "game_id": s.GameID,
		"game_event_id": s.GameEventID, "shot_type": s.ShotType, "shot_zone_basic": s.ShotZoneBasic,
		"shot_zone_area": s.ShotZoneArea, "shot_zone_range": s.ShotZoneRange, "shot_distance": s.ShotDistance,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// seedBody is the original /predict body of 39 named values.
func seedBody(t *testing.T, seed *[nba.NumSeedFeatures]float64) string {
	t.Helper()
	m := map[string]float64{}
	for i, name := range nba.FeatureNames() {
		m[name] = seed[i]
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func probability(t *testing.T, r response) float64 {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	p, ok := r.json(t)["probability"].(float64)
	if !ok {
		t.Fatalf("no probability in %s", r.body)
	}
	return p
}
