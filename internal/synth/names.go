package synth

import "strings"

// Name parts for synthetic players. The combinations are invented; any
// resemblance to a real player is a coincidence of common names. The rare
// forms reproduce what makes real names awkward for parsers and SQL (docs/data.md
// §5): apostrophes, initials with periods, "Jr." suffixes, hyphens, a
// lowercase particle, and single-token names.
var (
	firstNames = []string{
		"Aaron", "Adrian", "Alan", "Alec", "Alonzo", "Andre", "Andrew", "Anthony", "Antoine", "Austin",
		"Avery", "Bennett", "Blake", "Bobby", "Brandon", "Brent", "Brian", "Bruce", "Bryce", "Caleb",
		"Calvin", "Cameron", "Carl", "Carlos", "Casey", "Cedric", "Chad", "Chris", "Clint", "Cody",
		"Cole", "Corey", "Curtis", "Dale", "Damian", "Damon", "Dana", "Daniel", "Darius", "Darnell",
		"Darren", "Dwayne", "Dean", "Derek", "Desmond", "Devin", "Dion", "Dominic", "Donovan", "Doug",
		"Drew", "Dylan", "Eddie", "Elijah", "Elliot", "Emmett", "Eric", "Evan", "Felix", "Frank",
		"Gabriel", "Garrett", "Gary", "Gerald", "Gordon", "Grant", "Greg", "Harold", "Hector", "Ian",
		"Isaac", "Isaiah", "Ivan", "Jalen", "Jamal", "Jarrett", "Jason", "Javier", "Jeff", "Jerome",
		"Joel", "Jonah", "Jordan", "Julian", "Justin", "Kareem", "Keith", "Kelvin", "Kendall", "Kenny",
		"Kevin", "Kyle", "Lamar", "Lance", "Larry", "Lionel", "Logan", "Lonnie", "Lucas", "Malik",
		"Marcus", "Mario", "Mark", "Marlon", "Martin", "Mason", "Maurice", "Micah", "Miles", "Mitchell",
		"Nate", "Neil", "Nolan", "Omar", "Oscar", "Owen", "Patrick", "Paul", "Quentin", "Quincy",
		"Ralph", "Randy", "Raymond", "Reggie", "Ricky", "Robert", "Rodney", "Roland", "Ron", "Russell",
		"Ryan", "Samuel", "Scott", "Sean", "Seth", "Shane", "Shawn", "Simon", "Stanley", "Stefan",
		"Terrell", "Terry", "Theo", "Tobias", "Todd", "Tony", "Travis", "Trevor", "Tyler", "Tyrone",
		"Victor", "Vince", "Wade", "Walter", "Warren", "Wesley", "Willie", "Xavier", "Zach", "Zane",
	}
	lastNames = []string{
		"Abbott", "Ainsworth", "Alston", "Ambrose", "Archer", "Ashby", "Atkins", "Baines", "Barlow", "Barrett",
		"Beasley", "Bishop", "Blackwell", "Booker", "Bowen", "Bradford", "Brennan", "Briggs", "Bristow", "Buckner",
		"Burrell", "Calloway", "Carver", "Chandler", "Clayton", "Cobb", "Colvin", "Conley", "Crandall", "Crowder",
		"Dalton", "Darby", "Dawkins", "Delaney", "Dixon", "Donnelly", "Dorsey", "Drummond", "Duffy", "Eaton",
		"Ellison", "Emery", "Fairley", "Farrell", "Fenwick", "Finch", "Fleming", "Forbes", "Fowler", "Frazier",
		"Gaines", "Galloway", "Garner", "Gentry", "Gilmore", "Goodwin", "Granger", "Greer", "Gunter", "Hadley",
		"Haines", "Halsey", "Harlow", "Hargrove", "Haskins", "Hawley", "Hendrix", "Hester", "Hobbs", "Holloway",
		"Horton", "Huffman", "Ingram", "Jarvis", "Jeffers", "Kearney", "Keller", "Kendrick", "Kimble", "Kirkland",
		"Lacey", "Langford", "Larkin", "Lawson", "Ledford", "Lindsey", "Lockhart", "Lowery", "Lyman", "Maddox",
		"Malone", "Manning", "Marston", "Maxwell", "McAdoo", "McBride", "McCrary", "McGhee", "McKinley", "Merritt",
		"Mims", "Monroe", "Morrow", "Mosley", "Nash", "Newsome", "Norwood", "Oakley", "Ogden", "Osborne",
		"Overton", "Pace", "Palmer", "Parrish", "Peebles", "Pendleton", "Pettis", "Pickett", "Poole", "Prescott",
		"Quarles", "Ransom", "Redd", "Renfro", "Rhodes", "Rigby", "Roper", "Rowland", "Rucker", "Sampson",
		"Sawyer", "Scales", "Sewell", "Shelton", "Shipp", "Sims", "Slater", "Spears", "Stallworth", "Strickland",
		"Sutton", "Talbot", "Tatum", "Thornton", "Tillman", "Toliver", "Truitt", "Tubbs", "Upshaw", "Vance",
		"Varner", "Vaughn", "Waddell", "Walton", "Warrick", "Weathers", "Whitfield", "Wilburn", "Winslow", "Wooten",
		"Yancey", "Yates", "Yeager", "Zeller", "Kovac", "Petrovic", "Novak", "Lindqvist", "Moreau", "Ferreira",
	}
	apostropheFirst = []string{"De'Andre", "Ja'Marcus", "D'Marco", "Tre'Von", "La'Keith", "Ke'Shaun", "DeAndre'", "Tavare'"}
	apostropheLast  = []string{"O'Bannon", "O'Dowd", "O'Malley", "O'Rourke", "O'Hare", "D'Amato"}
	initials        = []string{"A.J.", "C.J.", "D.J.", "J.J.", "P.J.", "R.J.", "T.J.", "J.R."}
	particleLast    = []string{"Van Buren", "Van Dorn", "De La Rosa", "da Costa Neto", "van der Meer", "Mbaye a Ndong"}
	singleNames     = []string{"Tiago", "Nenad", "Didi", "Leandro", "Marquinho", "Rafa"}
	suffixes        = []string{" Jr.", " Jr.", " Jr.", " II", " III", " Sr."}
)

// newName draws a player name. About one name in ten has one of the rare
// forms, so a few thousand players carry dozens of each.
func newName(r *rng) string {
	pick := func(list []string) string { return list[r.intn(len(list))] }
	first, last := pick(firstNames), pick(lastNames)
	switch x := r.float(); {
	case x < 0.004:
		return pick(singleNames)
	case x < 0.020:
		first = pick(apostropheFirst)
	case x < 0.032:
		last = pick(apostropheLast)
	case x < 0.050:
		first = pick(initials)
	case x < 0.068:
		last = last + "-" + pick(lastNames)
	case x < 0.074:
		last = pick(particleLast)
	}
	if r.float() < 0.035 {
		last += pick(suffixes)
	}
	return strings.Join([]string{first, last}, " ")
}
