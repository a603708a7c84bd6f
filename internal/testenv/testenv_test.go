package testenv

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestSyncBufferConcurrentWrites(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("x"))
			}
		})
	}
	wg.Wait()
	if n := len(b.String()); n != 800 {
		t.Fatalf("len = %d, want 800", n)
	}
}

func TestRequired(t *testing.T) {
	t.Setenv(RequireVar, "1")
	if !Required() {
		t.Error("Required() = false with NBA_REQUIRE_INTEGRATION=1")
	}
	t.Setenv(RequireVar, "")
	if Required() {
		t.Error("Required() = true with NBA_REQUIRE_INTEGRATION unset")
	}
}

func TestModuleRoot(t *testing.T) {
	root := ModuleRoot(t)
	if _, err := os.Stat(filepath.Join(root, "internal", "testenv", "testenv.go")); err != nil {
		t.Fatalf("ModuleRoot() = %s, which does not hold this package: %v", root, err)
	}
}

func TestMain(m *testing.M) { Main(m) }

func TestBinariesBuildsOnce(t *testing.T) {
	a := Binaries(t, "./internal/deploytest/testdata/fakebin")
	b := Binaries(t, "./internal/deploytest/testdata/fakebin")
	if a != b {
		t.Errorf("second Binaries = %s, want the first build's %s", b, a)
	}
	if _, err := os.Stat(filepath.Join(a, "fakebin")); err != nil {
		t.Fatal(err)
	}
}
