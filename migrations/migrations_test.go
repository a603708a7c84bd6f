package migrations

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadEmbedded(t *testing.T) {
	for _, d := range []string{Postgres, SQLite} {
		ms, err := Load(d)
		if err != nil {
			t.Fatalf("Load(%q): %v", d, err)
		}
		if ms[0].Name != "0001_init.sql" || ms[0].Version != 1 || len(ms[0].Checksum) != 64 {
			t.Errorf("Load(%q)[0] = %s v%d %q", d, ms[0].Name, ms[0].Version, ms[0].Checksum)
		}
	}
	pg, _ := Load(Postgres)
	lite, _ := Load(SQLite)
	if len(pg) != len(lite) {
		t.Errorf("postgres has %d migrations, sqlite %d: the dialects must stay in step", len(pg), len(lite))
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"bad name", fstest.MapFS{"d/1_init.sql": {Data: []byte("x")}}, "not named"},
		{"gap", fstest.MapFS{"d/0001_a.sql": {}, "d/0003_c.sql": {}}, "want 2"},
		{"repeat", fstest.MapFS{"d/0001_a.sql": {}, "d/0001_b.sql": {}}, "want 2"},
		{"start at 2", fstest.MapFS{"d/0002_a.sql": {}}, "want 1"},
		{"empty", fstest.MapFS{"d/README": {}}, "not named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(tt.files, "d")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("load = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestPending(t *testing.T) {
	all, err := load(fstest.MapFS{"d/0001_a.sql": {Data: []byte("A")}, "d/0002_b.sql": {Data: []byte("B")}}, "d")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Pending(all, []Applied{{1, "0001_a.sql", all[0].Checksum}})
	if err != nil || len(got) != 1 || got[0].Version != 2 {
		t.Errorf("Pending after 1 = %v, %v; want [2]", got, err)
	}
	got, err = Pending(all, nil)
	if err != nil || len(got) != 2 {
		t.Errorf("Pending on empty = %v, %v; want both", got, err)
	}
	if _, err := Pending(all, []Applied{{1, "0001_a.sql", "edited"}}); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("Pending with a changed checksum = %v, want an append-only error", err)
	}
	if _, err := Pending(all, []Applied{{3, "0003_c.sql", "x"}}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Pending with an unknown version = %v, want a newer-schema error", err)
	}
}
