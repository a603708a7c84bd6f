package league

import "fmt"

// Game types, the first digit of a Game ID.
const (
	GameTypeRegular  = 2
	GameTypePlayoffs = 4
)

// GameID is the data's 8-digit game id TYYNNNNN: the NBA's 10-character id
// with its leading "00" dropped.
type GameID struct {
	Type   int // 2 regular season, 4 playoffs
	Season int // the year the season starts, from YY
	Number int // NNNNN
}

// ParseGameID splits an 8-digit Game ID. YY is read as a year from 1946 to
// 2045, the span of NBA seasons an id can name.
func ParseGameID(id int32) (GameID, error) {
	if id < 10_000_000 || id > 99_999_999 {
		return GameID{}, fmt.Errorf("%d is not an 8-digit TYYNNNNN game id", id)
	}
	g := GameID{Type: int(id / 10_000_000), Number: int(id % 100_000)}
	yy := int(id / 100_000 % 100)
	if yy >= 46 {
		g.Season = 1900 + yy
	} else {
		g.Season = 2000 + yy
	}
	return g, nil
}

// Int returns the 8-digit integer form of g.
func (g GameID) Int() int32 {
	return int32(g.Type*10_000_000 + g.Season%100*100_000 + g.Number)
}

// MaxRegularGame is the largest regular-season game number: 30 teams × 41
// home games.
const MaxRegularGame = 1230

// CheckNumber reports whether the game number fits the game type and season:
// regular-season games are numbered 1..1230; playoff games from 2001-02 on
// are 00RSG (round 1-4, series 0-7, game 1-7), and before that a sequential
// number below 100.
func (g GameID) CheckNumber() error {
	switch g.Type {
	case GameTypeRegular:
		if g.Number < 1 || g.Number > MaxRegularGame {
			return fmt.Errorf("regular-season game number %d is outside 1..%d", g.Number, MaxRegularGame)
		}
	case GameTypePlayoffs:
		if g.Season < 2001 {
			if g.Number < 1 || g.Number > 99 {
				return fmt.Errorf("playoff game number %d before 2001-02 is outside 1..99", g.Number)
			}
			return nil
		}
		r, s, n := g.Number/100, g.Number/10%10, g.Number%10
		if g.Number >= 1000 || r < 1 || r > 4 || s > 7 || n < 1 || n > 7 {
			return fmt.Errorf("playoff game number %05d is not 00RSG (round 1-4, series 0-7, game 1-7)", g.Number)
		}
	default:
		return fmt.Errorf("game type %d is neither 2 (regular season) nor 4 (playoffs)", g.Type)
	}
	return nil
}

// PlayoffNumber builds the 00RSG number of a playoff game from 2001-02 on.
func PlayoffNumber(round, series, game int) int { return round*100 + series*10 + game }
