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
	src := componentsFile([]component{{dir: "fs/ext2", fs: true}, {dir: "fs/p9", fs: true, virtio: true}})
	f, err := parser.ParseFile(token.NewFileSet(), "components.go", src, 0)
	if err != nil {
		t.Fatalf("generated file does not parse: %v\n%s", err, src)
	}
	var got []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		got = append(got, p)
	}
	want := []string{kernelModule + "/drivers/virtio", kernelModule + "/vfs", kernelModule + "/fs/ext2", kernelModule + "/fs/p9"}
	if len(got) != len(want) {
		t.Fatalf("imports = %q; want %q", got, want)
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("import %d = %q; want %q", k, got[k], want[k])
		}
	}
}

func TestAvailableComponents(t *testing.T) {
	dir := t.TempDir()
	for _, f := range [][2]string{
		{"fs/p9/fs.go", "package p9\n\nvar FS = 1\n"},
		{"fs/p9/device.go", "package p9\n\nvar (\n\tx      = 2\n\tDriver = 3\n)\n"},
		{"fs/ext2/msg.go", "package ext2\n\nvar notYet = 1\n"}, // no FS yet: left out
	} {
		p := filepath.Join(dir, f[0])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f[1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := availableComponents(dir)
	if err != nil || len(got) != 1 || got[0] != (component{dir: "fs/p9", fs: true, virtio: true}) {
		t.Errorf("availableComponents = %+v, %v; want [{fs/p9 true true}]", got, err)
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
