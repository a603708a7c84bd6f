package main

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/predict"
	"github.com/nba-mlops/nba-mlops/internal/store"
	"github.com/nba-mlops/nba-mlops/internal/webui"
)

// validationLocs returns the loc of each entry of a 422 answer, joined by
// dots.
func validationLocs(t *testing.T, r response) []string {
	t.Helper()
	if r.status != 422 {
		t.Fatalf("status %d %s, want 422", r.status, r.body)
	}
	var v struct {
		Detail []struct {
			Loc []any `json:"loc"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range v.Detail {
		parts := make([]string, len(d.Loc))
		for i, l := range d.Loc {
			parts[i] = fmt.Sprint(l)
		}
		out = append(out, strings.Join(parts, "."))
	}
	return out
}

func TestCourtZones(t *testing.T) {
	s := newTestServer(t, openSQLite)
	for _, p := range [][2]int{{-120, 150}, {0, 0}, {0, 60}, {-230, 30}, {230, 92}, {0, 240}, {100, 500}, {-250, -47}, {80, 139}, {250, 890}} {
		r := s.do("GET", fmt.Sprintf("/court/zones?x=%d&y=%d", p[0], p[1]), "", "")
		if r.status != 200 {
			t.Fatalf("zones of %v = %d %s", p, r.status, r.body)
		}
		var got zonesResponse
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		z := court.Classify(p[0], p[1])
		want := zonesResponse{XLocation: p[0], YLocation: p[1], ShotDistance: z.Distance, ShotType: z.ShotType,
			ShotZoneBasic: z.Basic, ShotZoneArea: z.Area, ShotZoneRange: z.Range}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("zones of %v (-court.Classify +answer):\n%s", p, diff)
		}
	}
	bad := []struct {
		query string
		locs  []string
	}{
		{"", []string{"query.x", "query.y"}},
		{"?x=1", []string{"query.y"}},
		{"?x=abc&y=1", []string{"query.x"}},
		{"?x=1.5&y=1", []string{"query.x"}},
		{"?x=251&y=-61", []string{"query.x", "query.y"}},
		{"?x=0&y=891", []string{"query.y"}},
	}
	for _, b := range bad {
		if got := validationLocs(t, s.do("GET", "/court/zones"+b.query, "", "")); !slices.Equal(got, b.locs) {
			t.Errorf("/court/zones%s refused at %v, want %v", b.query, got, b.locs)
		}
	}
}

func TestLeague(t *testing.T) {
	s := newTestServer(t, openSQLite)
	tests := []struct {
		date       int
		season     string
		teams      int
		inDataSet  bool
		has, lacks []string // "name/code"
	}{
		{20191225, "2019-20", 30, true, []string{"LA Clippers/LAC", "Brooklyn Nets/BKN", "Charlotte Hornets/CHA"}, []string{"Seattle SuperSonics/SEA"}},
		{20030115, "2002-03", 29, true, []string{"New Orleans Hornets/NOH", "Seattle SuperSonics/SEA"}, []string{"Charlotte Bobcats/CHA"}},
		{20060301, "2005-06", 30, true, []string{"New Orleans/Oklahoma City Hornets/NOK", "Charlotte Bobcats/CHA"}, nil},
		{19980301, "1997-98", 29, true, []string{"Vancouver Grizzlies/VAN", "Charlotte Hornets/CHH"}, []string{"Memphis Grizzlies/MEM"}},
		{20200815, "2019-20", 30, true, nil, nil}, // the Orlando bubble
		{20221225, "2022-23", 30, false, []string{"LA Clippers/LAC"}, nil},
	}
	for _, tt := range tests {
		r := s.do("GET", fmt.Sprintf("/league?game_date=%d", tt.date), "", "")
		if r.status != 200 {
			t.Fatalf("league %d = %d %s", tt.date, r.status, r.body)
		}
		var lg leagueResponse
		if err := json.Unmarshal(r.body, &lg); err != nil {
			t.Fatal(err)
		}
		if lg.SeasonLabel != tt.season || len(lg.Teams) != tt.teams || lg.InDataSet != tt.inDataSet || lg.GameDate != tt.date {
			t.Errorf("league %d: season %s, %d teams, in data set %v; want %s, %d, %v", tt.date, lg.SeasonLabel, len(lg.Teams), lg.InDataSet, tt.season, tt.teams, tt.inDataSet)
		}
		names := map[string]bool{}
		for _, tm := range lg.Teams {
			names[tm.TeamName+"/"+tm.Code] = true
		}
		for _, h := range tt.has {
			if !names[h] {
				t.Errorf("league %d lacks %s", tt.date, h)
			}
		}
		for _, l := range tt.lacks {
			if names[l] {
				t.Errorf("league %d offers %s", tt.date, l)
			}
		}
		if !slices.IsSortedFunc(lg.Teams, func(a, b leagueTeam) int { return strings.Compare(a.TeamName, b.TeamName) }) {
			t.Errorf("league %d: teams not sorted by name", tt.date)
		}
		if len(lg.ActionTypes) != len(nba.ActionTypes()) || !slices.Contains(lg.ActionTypes, "Jump Shot") || !slices.IsSorted(lg.ActionTypes) {
			t.Errorf("league %d: %d action types, want the %d of nba.ActionTypes(), sorted", tt.date, len(lg.ActionTypes), len(nba.ActionTypes()))
		}
		if !cmp.Equal(lg.SeasonTypes, []string{nba.SeasonRegular, nba.SeasonPlayoffs}) {
			t.Errorf("season types %v", lg.SeasonTypes)
		}
		// What the page offers is what /predict/shot accepts: every team,
		// at home against any other team of the answer, on that date.
		for i, tm := range lg.Teams {
			opp := lg.Teams[(i+1)%len(lg.Teams)]
			req := predict.ShotRequest{PlayerID: 1, PlayerName: "P", TeamName: tm.TeamName, HomeTeam: tm.Code, AwayTeam: opp.Code,
				Period: 1, MinutesRemaining: 5, ActionType: "Jump Shot", XLocation: -120, YLocation: 150, GameDate: tt.date,
				SeasonType: nba.SeasonRegular}
			if _, err := req.Shot(); err != nil {
				t.Errorf("league %d offers %s (%s) vs %s, which /predict/shot refuses: %v", tt.date, tm.TeamName, tm.Code, opp.Code, err)
			}
		}
	}
	for query, locs := range map[string][]string{
		"":                      {"query.game_date"},
		"?game_date=20190230":   {"query.game_date"},
		"?game_date=2019-12-25": {"query.game_date"},
		"?game_date=123":        {"query.game_date"},
	} {
		if got := validationLocs(t, s.do("GET", "/league"+query, "", "")); !slices.Equal(got, locs) {
			t.Errorf("/league%s refused at %v, want %v", query, got, locs)
		}
	}
}

func TestUserPredictionsEndpoint(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newTestServer(t, b.open)
			ann := s.signupLogin("ann", "annpass12")
			bob := s.signupLogin("bob", "bobpass12")
			if r := s.do("GET", "/predictions", ann, ""); r.status != 200 || strings.TrimSpace(string(r.body)) != `{"limit":50,"predictions":[]}` {
				t.Errorf("no predictions yet = %d %s", r.status, r.body)
			}
			var ids []int64
			for i, body := range []string{shotBody, readmeBody, jsonWith(jsonWith(shotBody, "x_location", "5"), "y_location", "5")} {
				path := "/predict/shot"
				if i == 1 {
					path = "/predict"
				}
				r := s.do("POST", path, ann, body)
				if r.status != 200 {
					t.Fatalf("%s = %d %s", path, r.status, r.body)
				}
				ids = append(ids, int64(r.json(t)["prediction_id"].(float64)))
				if r := s.do("POST", "/predict/shot", bob, shotBody); r.status != 200 { // someone else's
					t.Fatal(r.status)
				}
			}
			// Bob verifies Ann's first shot: she sees the outcome.
			if r := s.do("POST", "/verify_random_prediction", bob, fmt.Sprintf(`{"prediction_id": %d, "true_value": 1}`, ids[0])); r.status != 200 {
				t.Fatal(r.status)
			}

			r := s.do("GET", "/predictions", ann, "")
			var list predictionList
			if err := json.Unmarshal(r.body, &list); err != nil || r.status != 200 {
				t.Fatalf("GET /predictions = %d %s", r.status, r.body)
			}
			var got []int64
			for _, p := range list.Predictions {
				got = append(got, p.PredictionID)
			}
			if want := []int64{ids[2], ids[1], ids[0]}; !slices.Equal(got, want) {
				t.Fatalf("ann's predictions %v, want hers newest first %v", got, want)
			}
			shot, features, verified := list.Predictions[2], list.Predictions[1], list.Predictions[0]
			var raw map[string]any
			if err := json.Unmarshal(shot.Shot, &raw); err != nil {
				t.Fatal(err)
			}
			if shot.Kind != "shot" || raw["shot_zone_basic"] != "Mid-Range" || raw["x_location"] != -120.0 || shot.TrueValue == nil ||
				*shot.TrueValue != 1 || shot.VerifiedAt == nil || shot.ModelVersion != "v1" || shot.Probability != 0.25 {
				t.Errorf("the verified shot reads %+v, shot %s", shot, shot.Shot)
			}
			if features.Kind != "features" || string(features.Shot) != "null" || features.TrueValue != nil || features.VerifiedAt != nil {
				t.Errorf("the 39-feature prediction reads %+v", features)
			}
			if _, err := time.Parse(time.RFC3339Nano, verified.CreatedAt); err != nil || verified.Prediction != 1 {
				t.Errorf("newest: created_at %q (%v), prediction %d; want a time and a make (5 ft)", verified.CreatedAt, err, verified.Prediction)
			}
			if !strings.Contains(string(r.body), `"true_value":null`) {
				t.Errorf("an unverified prediction must say true_value null: %s", r.body)
			}

			r = s.do("GET", "/predictions?limit=1", ann, "")
			if err := json.Unmarshal(r.body, &list); err != nil || len(list.Predictions) != 1 || list.Limit != 1 || list.Predictions[0].PredictionID != ids[2] {
				t.Errorf("limit=1 = %s", r.body)
			}
			for _, q := range []string{"?limit=0", "?limit=501", "?limit=x", "?limit=-1"} {
				if got := validationLocs(t, s.do("GET", "/predictions"+q, ann, "")); !slices.Equal(got, []string{"query.limit"}) {
					t.Errorf("/predictions%s refused at %v", q, got)
				}
			}
			if r := s.do("GET", "/predictions", "", ""); r.status != 401 {
				t.Errorf("without a token = %d", r.status)
			}
		})
	}
}

func TestAccuracyEndpoint(t *testing.T) {
	s := newTestServer(t, openSQLite)
	tok := s.signupLogin("cara", "carapass1")
	if r := s.do("GET", "/accuracy", tok, ""); r.status != 200 || strings.TrimSpace(string(r.body)) != `{"window":500,"verifications":0,"correct":0,"accuracy":null,"by_model_version":[]}` {
		t.Errorf("accuracy with no verifications = %d %s", r.status, r.body)
	}
	// The fake predictd predicts a make under 10 ft: (5, 5) → 1, the
	// mid-range shot → 0. Version v1 then v2.
	plan := []struct {
		version, body string
		truth         int
	}{
		{"v1", jsonWith(jsonWith(shotBody, "x_location", "5"), "y_location", "5"), 1}, // right
		{"v1", shotBody, 1}, // wrong
		{"v2", shotBody, 0}, // right
	}
	for _, p := range plan {
		s.predict.version.Store(p.version)
		r := s.do("POST", "/predict/shot", tok, p.body)
		if r.status != 200 {
			t.Fatal(r.status)
		}
		id := int64(r.json(t)["prediction_id"].(float64))
		if r := s.do("POST", "/verify_random_prediction", tok, fmt.Sprintf(`{"prediction_id": %d, "true_value": %d}`, id, p.truth)); r.status != 200 {
			t.Fatal(r.status)
		}
		time.Sleep(2 * time.Millisecond) // distinct verification times
	}
	r := s.do("GET", "/accuracy", tok, "")
	var got accuracyResponse
	if err := json.Unmarshal(r.body, &got); err != nil || r.status != 200 {
		t.Fatalf("/accuracy = %d %s", r.status, r.body)
	}
	third, half, one := 2.0/3, 0.5, 1.0
	want := accuracyResponse{Window: 500, accuracy: accuracy{Verifications: 3, Correct: 2, Accuracy: &third},
		ByModelVersion: []versionAccuracy{{ModelVersion: "v1", accuracy: accuracy{Verifications: 2, Correct: 1, Accuracy: &half}},
			{ModelVersion: "v2", accuracy: accuracy{Verifications: 1, Correct: 1, Accuracy: &one}}}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(accuracyResponse{}, versionAccuracy{})); diff != "" {
		t.Errorf("/accuracy (-want +got):\n%s", diff)
	}
	// The page and the gauge read the same computation.
	m := string(s.metrics().body)
	for _, a := range got.ByModelVersion {
		line := fmt.Sprintf(`nba_online_accuracy{model_version=%q} %v`, a.ModelVersion, *a.Accuracy)
		if !strings.Contains(m, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	// The last verification only: v2's, right.
	r = s.do("GET", "/accuracy?window=1", tok, "")
	if err := json.Unmarshal(r.body, &got); err != nil || got.Window != 1 || got.Verifications != 1 || got.Correct != 1 ||
		len(got.ByModelVersion) != 1 || got.ByModelVersion[0].ModelVersion != "v2" {
		t.Errorf("window=1 = %s", r.body)
	}
	for _, q := range []string{"?window=0", "?window=100001", "?window=ten"} {
		if got := validationLocs(t, s.do("GET", "/accuracy"+q, tok, "")); !slices.Equal(got, []string{"query.window"}) {
			t.Errorf("/accuracy%s refused at %v", q, got)
		}
	}
	if r := s.do("GET", "/accuracy", "", ""); r.status != 401 {
		t.Errorf("without a token = %d", r.status)
	}
}

func TestOnlineAccuracy(t *testing.T) {
	all, by := onlineAccuracy(nil)
	if all.Accuracy != nil || all.Verifications != 0 || by != nil {
		t.Errorf("no feedback: %+v %+v", all, by)
	}
	all, by = onlineAccuracy([]store.Feedback{{ModelVersion: "b", Correct: true}, {ModelVersion: "a"}, {ModelVersion: "b"}, {ModelVersion: "b", Correct: true}})
	if all.Verifications != 4 || all.Correct != 2 || math.Abs(*all.Accuracy-0.5) > 1e-12 {
		t.Errorf("overall %+v", all)
	}
	if len(by) != 2 || by[0].ModelVersion != "a" || *by[0].Accuracy != 0 || by[1].ModelVersion != "b" || by[1].Correct != 2 || by[1].Verifications != 3 {
		t.Errorf("by version %+v, want a (0/1) then b (2/3)", by)
	}
}

// TestUIMounted checks that apid serves the page at /ui with its own
// headers, and that the API routes keep theirs.
func TestUIMounted(t *testing.T) {
	ui, err := webui.New("/ui")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, openSQLite, func(d *deps) { d.ui = ui })
	r := s.do("GET", "/ui", "", "")
	if r.status != 200 || !strings.Contains(string(r.body), `id="predict-court"`) { // the client followed the redirect
		t.Fatalf("GET /ui = %d %.200s", r.status, r.body)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("page CSP %q", csp)
	}
	if r := s.do("GET", "/ui/app.js", "", ""); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") {
		t.Errorf("GET /ui/app.js = %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r := s.do("GET", "/ui/missing.js", "", ""); r.status != 404 {
		t.Errorf("GET /ui/missing.js = %d", r.status)
	}
	if m := string(s.metrics().body); !strings.Contains(m, `handler="/ui/*"`) || strings.Contains(m, `handler="/ui/app.js"`) {
		t.Error("UI requests must be counted under the route pattern /ui/*, never the raw path")
	}
}
