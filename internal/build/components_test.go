package build

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
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
	dir := t.TempDir()
	src := "package main\n\nfunc main() { println(\"hi\") }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "prog")
	stripped := filepath.Join(dir, "stripped")
	for _, args := range [][]string{{"build", "-o", exe, "main.go"}, {"build", "-ldflags=-s", "-o", stripped, "main.go"}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GO111MODULE=off", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %q: %v\n%s", args, err, out)
		}
	}
	for _, tt := range []struct {
		exe   string
		names []string
		want  bool
	}{
		{exe, []string{"no.such.symbol", "runtime.main"}, true},
		{exe, []string{"no.such.symbol"}, false},
		{stripped, []string{"no.such.symbol"}, true}, // unknown: keep the drivers
	} {
		exe := tt.exe
		got, err := hasAnySymbol(exe, tt.names)
		if err != nil || got != tt.want {
			t.Errorf("hasAnySymbol(%q) = %v, %v; want %v", tt.names, got, err, tt.want)
		}
	}
	if _, err := hasAnySymbol(filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Errorf("hasAnySymbol on a missing file: no error")
	}
}
