package rootfspkg

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestReadInput(t *testing.T) {
	got, err := Lines("testdata/input.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := "first line|second line"; strings.Join(got, "|") != want {
		t.Errorf("Lines(testdata/input.txt) = %q; want %q", got, want)
	}
}

// TestWorkingDirectory: as under go test, the working directory is the
// package directory, at the same path as on the host.
func TestWorkingDirectory(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	_, file, _, _ := runtime.Caller(0)
	if dir := filepath.Dir(file); wd != dir {
		t.Errorf("Getwd() = %q; want the package directory %q", wd, dir)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the test's own source is not in the guest: %v", err)
	}
}
