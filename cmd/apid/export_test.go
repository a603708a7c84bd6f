package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/store"
	"github.com/nba-mlops/nba-mlops/internal/store/sqlite"
)

// row builds an export row from a shot body with fields replaced.
func row(t *testing.T, id int64, mods ...string) exportRow {
	t.Helper()
	body := shotBody
	for i := 0; i+1 < len(mods); i += 2 {
		body = jsonWith(body, mods[i], mods[i+1])
	}
	req, err := predict.DecodeShotRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	s, err := req.Shot()
	if err != nil {
		t.Fatalf("row %d: %v", id, err)
	}
	r := exportRow{id: id, shot: s, given: req.GameID != nil}
	if r.given {
		r.givenGame = int32(*req.GameID)
		if req.GameEventID != nil {
			r.givenEvt = int32(*req.GameEventID)
		}
	}
	return r
}

func keyed(r exportRow, game, event int32) exportRow {
	r.keyed, r.shot.GameID, r.shot.GameEventID = true, game, event
	return r
}

func TestAssignKeys(t *testing.T) {
	playoffs := []string{"season_type", `"Playoffs"`, "game_date", "20200815", "away_team", `"MIA"`}
	tests := []struct {
		name    string
		rows    []exportRow
		want    []store.ExportKey
		skipped int
	}{
		{"one game, two shots", []exportRow{row(t, 1), row(t, 2, "x_location", "5")},
			[]store.ExportKey{{PredictionID: 1, GameID: 21901230, EventID: 9000}, {PredictionID: 2, GameID: 21901230, EventID: 9001}}, 0},
		{"another date is another game", []exportRow{row(t, 1), row(t, 2, "game_date", "20191106")},
			[]store.ExportKey{{PredictionID: 1, GameID: 21901230, EventID: 9000}, {PredictionID: 2, GameID: 21901229, EventID: 9000}}, 0},
		{"playoffs use round 4 series 7", []exportRow{row(t, 1, playoffs...)},
			[]store.ExportKey{{PredictionID: 1, GameID: 41900477, EventID: 9000}}, 0},
		{"old playoffs count down from 99", []exportRow{row(t, 1, "season_type", `"Playoffs"`, "game_date", "19990520", "team_name", `"Miami Heat"`, "home_team", `"MIA"`, "away_team", `"NYK"`)},
			[]store.ExportKey{{PredictionID: 1, GameID: 49800099, EventID: 9000}}, 0},
		{"caller's game and event kept", []exportRow{row(t, 1, "game_id", "21900123", "game_event_id", "77")},
			[]store.ExportKey{{PredictionID: 1, GameID: 21900123, EventID: 77}}, 0},
		{"caller's game, event numbered", []exportRow{row(t, 1, "game_id", "21900123")},
			[]store.ExportKey{{PredictionID: 1, GameID: 21900123, EventID: 9000}}, 0},
		{"same caller key twice", []exportRow{row(t, 1, "game_id", "21900123", "game_event_id", "77"), row(t, 2, "game_id", "21900123", "game_event_id", "77")},
			[]store.ExportKey{{PredictionID: 1, GameID: 21900123, EventID: 77}, {PredictionID: 2, GameID: 21900123, EventID: 9000}}, 0},
		{"caller's game taken by another date", []exportRow{
			row(t, 1, "game_id", "21900123"), row(t, 2, "game_id", "21900123", "game_date", "20191106")},
			[]store.ExportKey{{PredictionID: 1, GameID: 21900123, EventID: 9000}, {PredictionID: 2, GameID: 21901230, EventID: 9000}}, 0},
		{"synthetic ids avoid callers' ids", []exportRow{row(t, 1), row(t, 2, "game_id", "21901230", "game_date", "20191106")},
			[]store.ExportKey{{PredictionID: 1, GameID: 21901229, EventID: 9000}, {PredictionID: 2, GameID: 21901230, EventID: 9000}}, 0},
		{"earlier keys stand and are extended", []exportRow{keyed(row(t, 1), 21901230, 9000), keyed(row(t, 2, "x_location", "5"), 21901230, 9001), row(t, 3, "y_location", "10")},
			[]store.ExportKey{{PredictionID: 3, GameID: 21901230, EventID: 9002}}, 0},
		{"a caller's id that an earlier export made synthetic", []exportRow{keyed(row(t, 1, "game_date", "20191106"), 21901230, 9000), row(t, 2, "game_id", "21901230")},
			[]store.ExportKey{{PredictionID: 2, GameID: 21901229, EventID: 9000}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skipped := assignKeys(tt.rows)
			if diff := cmp.Diff(tt.want, got); diff != "" || skipped != tt.skipped {
				t.Errorf("assignKeys (-want +got):\n%s\nskipped %d, want %d", diff, skipped, tt.skipped)
			}
		})
	}
}

func TestAssignKeysFullGame(t *testing.T) {
	// 1000 synthetic events fill a game: the 1001st shot opens another game
	// for the same date and teams.
	var rows []exportRow
	base := row(t, 0)
	for i := range 1001 {
		r := base
		r.id = int64(i + 1)
		rows = append(rows, r)
	}
	keys, skipped := assignKeys(rows)
	if skipped != 0 || len(keys) != 1001 {
		t.Fatalf("%d keys, %d skipped", len(keys), skipped)
	}
	if keys[999] != (store.ExportKey{PredictionID: 1000, GameID: 21901230, EventID: 9999}) ||
		keys[1000] != (store.ExportKey{PredictionID: 1001, GameID: 21901229, EventID: 9000}) {
		t.Errorf("keys 1000 and 1001 = %+v %+v", keys[999], keys[1000])
	}
}

// TestExportFeedback runs the export on a store with verified, unverified
// and /predict-only predictions.
func TestExportFeedback(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	u := store.User{Username: "exp", PasswordHash: "x", Labeler: true}
	if err := db.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	// A self-registered account's verifications stay out of training.
	anyone := store.User{Username: "anyone", PasswordHash: "x"}
	if err := db.CreateUser(ctx, &anyone); err != nil {
		t.Fatal(err)
	}
	add := func(raw string, verify int, by ...store.User) int64 {
		var rawShot json.RawMessage
		if raw != "" {
			req, err := predict.DecodeShotRequest([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			s, err := req.Shot()
			if err != nil {
				t.Fatal(err)
			}
			rawShot, _ = json.Marshal(req.WithDerived(s))
		}
		p := store.Prediction{UserID: u.ID, Prediction: 1, Probability: 0.6, ModelVersion: "v1", Input: json.RawMessage(`{}`), RawShot: rawShot}
		if err := db.CreatePrediction(ctx, &p); err != nil {
			t.Fatal(err)
		}
		verifier := u
		if len(by) > 0 {
			verifier = by[0]
		}
		if verify >= 0 {
			if _, err := db.Verify(ctx, store.Verify{PredictionID: p.ID, Value: verify, UserID: verifier.ID, At: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		return p.ID
	}
	add(shotBody, 1)
	add(jsonWith(shotBody, "player_name", `"Shaquille O'Neal, \"Shaq\""`), 0)
	add(shotBody, -1) // unverified
	add("", 1)        // a /predict prediction: no raw shot
	poisoned := add(jsonWith(shotBody, "x_location", "5"), 0, anyone)
	out := filepath.Join(t.TempDir(), "sub", "feedback.csv")
	sum, err := exportFeedback(ctx, discard, db, out, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := (exportSummary{Out: out, Rows: 2, NewKeys: 2, SyntheticIDs: 2, NotByLabeler: 1}); sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows := checkExport(t, data)
	if len(rows) != 2 || rows[1].PlayerName != `Shaquille O'Neal, "Shaq"` || rows[0].ShotMadeFlag != 1 || rows[1].ShotMadeFlag != 0 {
		t.Errorf("rows %+v", rows)
	}
	want := nba.Shot{GameID: 21901230, GameEventID: 9000, PlayerID: 2544, PlayerName: "LeBron James", TeamID: 1610612747,
		TeamName: "Los Angeles Lakers", Period: 1, MinutesRemaining: 10, SecondsRemaining: 30, ActionType: "Jump Shot",
		ShotType: "2PT Field Goal", ShotZoneBasic: "Mid-Range", ShotZoneArea: "Left Side Center(LC)", ShotZoneRange: "16-24 ft.",
		ShotDistance: 19, XLocation: -120, YLocation: 150, ShotMadeFlag: 1, GameDate: 20191105, HomeTeam: "LAL", AwayTeam: "BOS",
		SeasonType: "Regular Season"}
	if diff := cmp.Diff(want, rows[0]); diff != "" {
		t.Errorf("first row (-want +got):\n%s", diff)
	}
	if !bytes.HasPrefix(data, []byte("Game ID,Game Event ID,Player ID,")) {
		t.Errorf("no Kaggle header: %.60s", data)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("temp files left beside the export: %v", entries)
	}
	// --all-verifiers takes every verification.
	all := filepath.Join(t.TempDir(), "all.csv")
	sum, err = exportFeedback(ctx, discard, db, all, true)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 3 || sum.NotByLabeler != 0 {
		t.Errorf("--all-verifiers: summary %+v, want 3 rows (prediction %d included)", sum, poisoned)
	}
}

func TestLabelerCommand(t *testing.T) {
	dir := t.TempDir()
	environ := env(map[string]string{"NBA_DATA_DIR": dir})
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "apid.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateUser(t.Context(), &store.User{Username: "lab", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	labeler := func() bool {
		t.Helper()
		u, err := db.UserByName(t.Context(), "lab")
		if err != nil {
			t.Fatal(err)
		}
		return u.Labeler
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"apid", "labeler", "lab"}, environ, &out, &bytes.Buffer{}); err != nil || !labeler() || out.String() != "lab is a labeler\n" {
		t.Errorf("apid labeler lab: %v, labeler=%v, output %q", err, labeler(), out.String())
	}
	if err := run(t.Context(), []string{"apid", "labeler", "--revoke", "lab"}, environ, &out, &bytes.Buffer{}); err != nil || labeler() {
		t.Errorf("apid labeler --revoke lab: %v, labeler=%v", err, labeler())
	}
	for _, args := range [][]string{{"nobody"}, {}, {"a", "b"}, {"bad name"}} {
		if err := run(t.Context(), append([]string{"apid", "labeler"}, args...), environ, &out, &bytes.Buffer{}); err == nil {
			t.Errorf("apid labeler %q succeeded", args)
		}
	}
}
