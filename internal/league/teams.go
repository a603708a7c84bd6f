package league

import "slices"

// Franchise names and codes change over time. A Team is one name of one
// franchise over a span of seasons, with the code its games carry then.
type Team struct {
	ID   int32
	Name string
	Code string
	From int // first season (start year) under this name
	To   int // last season; 0 means still in use
}

// In reports whether the team played under this name in the season.
func (t Team) In(season int) bool {
	return season >= t.From && (t.To == 0 || season <= t.To)
}

// teams lists every team name of the data, with its franchise ID and code.
// Facts from docs/data.md §3 and the league's history: the pre-2002 Charlotte
// Hornets carry the modern Charlotte ID and the code CHH; New Orleans played
// as New Orleans/Oklahoma City (NOK) in 2005-07.
var teams = []Team{
	{1610612737, "Atlanta Hawks", "ATL", 0, 0},
	{1610612738, "Boston Celtics", "BOS", 0, 0},
	{1610612739, "Cleveland Cavaliers", "CLE", 0, 0},
	{1610612740, "New Orleans Hornets", "NOH", 2002, 2004},
	{1610612740, "New Orleans/Oklahoma City Hornets", "NOK", 2005, 2006},
	{1610612740, "New Orleans Hornets", "NOH", 2007, 2012},
	{1610612740, "New Orleans Pelicans", "NOP", 2013, 0},
	{1610612741, "Chicago Bulls", "CHI", 0, 0},
	{1610612742, "Dallas Mavericks", "DAL", 0, 0},
	{1610612743, "Denver Nuggets", "DEN", 0, 0},
	{1610612744, "Golden State Warriors", "GSW", 0, 0},
	{1610612745, "Houston Rockets", "HOU", 0, 0},
	{1610612746, "Los Angeles Clippers", "LAC", 0, 2014},
	{1610612746, "LA Clippers", "LAC", 2015, 0},
	{1610612747, "Los Angeles Lakers", "LAL", 0, 0},
	{1610612748, "Miami Heat", "MIA", 0, 0},
	{1610612749, "Milwaukee Bucks", "MIL", 0, 0},
	{1610612750, "Minnesota Timberwolves", "MIN", 0, 0},
	{1610612751, "New Jersey Nets", "NJN", 0, 2011},
	{1610612751, "Brooklyn Nets", "BKN", 2012, 0},
	{1610612752, "New York Knicks", "NYK", 0, 0},
	{1610612753, "Orlando Magic", "ORL", 0, 0},
	{1610612754, "Indiana Pacers", "IND", 0, 0},
	{1610612755, "Philadelphia 76ers", "PHI", 0, 0},
	{1610612756, "Phoenix Suns", "PHX", 0, 0},
	{1610612757, "Portland Trail Blazers", "POR", 0, 0},
	{1610612758, "Sacramento Kings", "SAC", 0, 0},
	{1610612759, "San Antonio Spurs", "SAS", 0, 0},
	{1610612760, "Seattle SuperSonics", "SEA", 0, 2007},
	{1610612760, "Oklahoma City Thunder", "OKC", 2008, 0},
	{1610612761, "Toronto Raptors", "TOR", 0, 0},
	{1610612762, "Utah Jazz", "UTA", 0, 0},
	{1610612763, "Vancouver Grizzlies", "VAN", 0, 2000},
	{1610612763, "Memphis Grizzlies", "MEM", 2001, 0},
	{1610612764, "Washington Wizards", "WAS", 0, 0},
	{1610612765, "Detroit Pistons", "DET", 0, 0},
	{1610612766, "Charlotte Hornets", "CHH", 0, 2001},
	{1610612766, "Charlotte Bobcats", "CHA", 2004, 2013},
	{1610612766, "Charlotte Hornets", "CHA", 2014, 0},
}

// Team ID bounds: the 30 franchise ids are contiguous.
const (
	MinTeamID int32 = 1610612737
	MaxTeamID int32 = 1610612766
)

// Teams returns every team name of the data with its franchise ID, code and
// seasons: a copy, so no caller can change the league.
func Teams() []Team { return slices.Clone(teams) }

// Indexes of teams, built once; read-only.
var (
	idByName = func() map[string]int32 {
		m := make(map[string]int32, len(teams))
		for _, t := range teams {
			m[t.Name] = t.ID
		}
		return m
	}()
	codeKnown = func() map[string]bool {
		m := make(map[string]bool, len(teams))
		for _, t := range teams {
			m[t.Code] = true
		}
		return m
	}()
)

// TeamIDOf returns the franchise ID of a team name and whether the name is known.
func TeamIDOf(name string) (int32, bool) {
	id, ok := idByName[name]
	return id, ok
}

// KnownCode reports whether code is one of the data's 36 team codes.
func KnownCode(code string) bool { return codeKnown[code] }

// TeamIn returns the team that played under name in season.
func TeamIn(name string, season int) (Team, bool) {
	for _, t := range teams {
		if t.Name == name && t.In(season) {
			return t, true
		}
	}
	return Team{}, false
}

// CodeIn reports whether a team code was in use in season.
func CodeIn(code string, season int) bool {
	for _, t := range teams {
		if t.Code == code && t.In(season) {
			return true
		}
	}
	return false
}

// TeamsIn returns the teams of a season, one per franchise, ordered by ID.
// The league had 29 teams until the Bobcats joined in 2004-05.
func TeamsIn(season int) []Team {
	var out []Team
	for _, t := range teams {
		if t.In(season) {
			out = append(out, t)
		}
	}
	return out
}
