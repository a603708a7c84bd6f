package league

import (
	"testing"
	"time"
)

func TestTeamsPerSeason(t *testing.T) {
	for season := FirstSeason; season <= LastSeason+5; season++ {
		got := TeamsIn(season)
		want := 30
		if season <= 2003 {
			want = 29 // a 29-team league until the Bobcats joined in 2004-05
		}
		if len(got) != want {
			t.Errorf("TeamsIn(%d) has %d teams, want %d", season, len(got), want)
		}
		seen := map[int32]bool{}
		for _, tm := range got {
			if seen[tm.ID] {
				t.Errorf("TeamsIn(%d): franchise %d twice", season, tm.ID)
			}
			seen[tm.ID] = true
		}
	}
	if n := len(idByName); n != 37 {
		t.Errorf("%d distinct team names, want 37", n)
	}
	if n := len(codeKnown); n != 36 {
		t.Errorf("%d distinct team codes, want 36", n)
	}
}

func TestSeasonAwareCodes(t *testing.T) {
	tests := []struct {
		name   string
		season int
		code   string
		ok     bool
	}{
		{"Charlotte Hornets", 1999, "CHH", true},
		{"Charlotte Hornets", 2016, "CHA", true},
		{"Charlotte Hornets", 2008, "", false},
		{"Charlotte Bobcats", 2004, "CHA", true},
		{"Brooklyn Nets", 2011, "", false},
		{"New Orleans/Oklahoma City Hornets", 2006, "NOK", true},
		{"LA Clippers", 2015, "LAC", true},
		{"Los Angeles Clippers", 2015, "", false},
	}
	for _, tt := range tests {
		tm, ok := TeamIn(tt.name, tt.season)
		if ok != tt.ok || tm.Code != tt.code {
			t.Errorf("TeamIn(%q, %d) = %q, %v; want %q, %v", tt.name, tt.season, tm.Code, ok, tt.code, tt.ok)
		}
	}
}

func TestSeasonOf(t *testing.T) {
	tests := []struct {
		date int32
		want int
	}{
		{19971101, 1997}, {19980420, 1997}, {19990502, 1998}, {20200311, 2019},
		{20200815, 2019}, {20201011, 2019}, {20201222, 2020}, {20210601, 2020}, {20190801, 2019},
	}
	for _, tt := range tests {
		d, err := ParseDate(tt.date)
		if err != nil {
			t.Fatal(err)
		}
		if got := SeasonOf(d); got != tt.want {
			t.Errorf("SeasonOf(%d) = %d, want %d", tt.date, got, tt.want)
		}
	}
	for _, bad := range []int32{20190230, 20191301, 2019010, 0, 20190100} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%d) = nil error, want one", bad)
		}
	}
	if !SeasonMonths(1998, false, time.May) || SeasonMonths(2005, false, time.June) {
		t.Error("SeasonMonths: lockout May 1999 must be allowed and June regular season refused")
	}
}

func TestGameID(t *testing.T) {
	tests := []struct {
		id      int32
		want    GameID
		wantErr bool
	}{
		{21100057, GameID{2, 2011, 57}, false},
		{29900683, GameID{2, 1999, 683}, false},
		{40000083, GameID{4, 2000, 83}, false},
		{41900406, GameID{4, 2019, 406}, false},
		{41900486, GameID{4, 2019, 486}, true}, // game 6 of a round-4 series 8
		{41900408, GameID{4, 2019, 408}, true}, // game 8
		{21901231, GameID{2, 2019, 1231}, true},
		{21900000, GameID{2, 2019, 0}, true},
		{31900001, GameID{3, 2019, 1}, true},
	}
	for _, tt := range tests {
		g, err := ParseGameID(tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if g != tt.want {
			t.Errorf("ParseGameID(%d) = %+v, want %+v", tt.id, g, tt.want)
		}
		if g.Int() != tt.id {
			t.Errorf("GameID.Int() = %d, want %d", g.Int(), tt.id)
		}
		if err := g.CheckNumber(); (err != nil) != tt.wantErr {
			t.Errorf("CheckNumber(%d) = %v, wantErr %v", tt.id, err, tt.wantErr)
		}
	}
	if _, err := ParseGameID(2110005); err == nil {
		t.Error("7-digit id accepted")
	}
}

// TestTeamsIsACopy: a caller that changes what Teams returns does not
// change the league.
func TestTeamsIsACopy(t *testing.T) {
	got := Teams()
	if len(got) == 0 {
		t.Fatal("Teams() is empty")
	}
	name := got[0].Name
	got[0].Name = "Changed"
	if Teams()[0].Name != name {
		t.Errorf("changing Teams()'s result changed the league: %q", Teams()[0].Name)
	}
}
