package migrations

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Dialect directories inside the embedded file system.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Table is the name of the table that records applied migrations. Each
// adapter creates it in its own dialect before reading it.
const Table = "schema_migrations"

// Migration is one SQL file.
type Migration struct {
	Version  int    // from the NNNN prefix
	Name     string // file name, e.g. 0001_init.sql
	SQL      string
	Checksum string // hex SHA-256 of SQL: an applied file must never change
}

// Applied is a row of schema_migrations.
type Applied struct {
	Version  int
	Name     string
	Checksum string
}

var fileName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// Load returns the embedded migrations of a dialect in order.
func Load(dialect string) ([]Migration, error) {
	return load(files, dialect)
}

func load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations %s: %w", dir, err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migrations %s: file %q is not named NNNN_name.sql", dir, e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migrations %s: %w", dir, err)
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations %s: %s has version %d, want %d (versions start at 1 without gaps or repeats)", dir, m.Name, m.Version, i+1)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("migrations %s: no migration files", dir)
	}
	return out, nil
}

// Pending checks the applied migrations against the known ones and returns
// those still to apply. It refuses a database that records a migration this
// binary does not know (a newer schema: running old code on it could corrupt
// data) and one whose recorded checksum differs from the file (a migration was
// edited after it was applied, which breaks the append-only rule).
func Pending(all []Migration, applied []Applied) ([]Migration, error) {
	known := make(map[int]Migration, len(all))
	for _, m := range all {
		known[m.Version] = m
	}
	done := make(map[int]bool, len(applied))
	for _, a := range applied {
		m, ok := known[a.Version]
		switch {
		case !ok:
			return nil, fmt.Errorf("database has migration %d (%s) that this binary does not know: the schema is newer than the code", a.Version, a.Name)
		case m.Checksum != a.Checksum:
			return nil, fmt.Errorf("migration %s changed after it was applied (checksum %.12s, recorded %.12s): migrations are append-only, add a new file instead", m.Name, m.Checksum, a.Checksum)
		}
		done[a.Version] = true
	}
	var out []Migration
	for _, m := range all {
		if !done[m.Version] {
			out = append(out, m)
		}
	}
	return out, nil
}
