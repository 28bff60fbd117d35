package build

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestComponentsFile(t *testing.T) {
	src := componentsFile([]string{"fs/ext2", "fs/p9"})
	f, err := parser.ParseFile(token.NewFileSet(), "components.go", src, 0)
	if err != nil {
		t.Fatalf("generated file does not parse: %v\n%s", err, src)
	}
	var got []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		got = append(got, p)
	}
	want := []string{kernelModule + "/vfs", kernelModule + "/fs/ext2", kernelModule + "/fs/p9"}
	if len(got) != len(want) {
		t.Fatalf("imports = %q; want %q", got, want)
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("import %d = %q; want %q", k, got[k], want[k])
		}
	}
}

func TestAvailableDrivers(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "fs", "p9"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := availableDrivers(dir); len(got) != 1 || got[0] != "fs/p9" {
		t.Errorf("availableDrivers = %q; want [fs/p9]", got)
	}
}

func TestHasAnySymbol(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		names []string
		want  bool
	}{
		{[]string{"no.such.symbol", "runtime.main"}, true},
		{[]string{"no.such.symbol"}, false},
	} {
		got, err := hasAnySymbol(exe, tt.names)
		if err != nil || got != tt.want {
			t.Errorf("hasAnySymbol(%q) = %v, %v; want %v", tt.names, got, err, tt.want)
		}
	}
	if _, err := hasAnySymbol(filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Errorf("hasAnySymbol on a missing file: no error")
	}
}
