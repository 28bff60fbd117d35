package build

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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

// TestOpensFilesCoversSyscall checks opensFiles against the Go release:
// every linux/amd64 function of package syscall with a path parameter
// must be there, or a program using it would get a kernel without a file
// system.
func TestOpensFilesCoversSyscall(t *testing.T) {
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "linux", "amd64", false
	dir := filepath.Join(ctx.GOROOT, "src", "syscall")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, n := range opensFiles {
		listed[n] = true
	}
	pathParams := map[string]bool{"path": true, "oldpath": true, "newpath": true, "linkpath": true,
		"source": true, "target": true, "dir": true}
	found := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		if ok, err := ctx.MatchFile(dir, name); err != nil || !ok {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil {
				continue
			}
			for _, p := range fn.Type.Params.List {
				if id, ok := p.Type.(*ast.Ident); !ok || id.Name != "string" {
					continue
				}
				for _, n := range p.Names {
					if pathParams[n.Name] {
						found++
						if !listed["syscall."+fn.Name.Name] {
							t.Errorf("syscall.%s (%s) takes a path but is not in opensFiles", fn.Name.Name, name)
						}
					}
				}
			}
		}
	}
	if found < 40 {
		t.Fatalf("found only %d path functions in %s: parser out of date?", found, dir)
	}
}

// TestOpensFilesPrograms links small programs and checks which of them
// count as naming files: the kernel without a file system must never be
// chosen for a program that can open, stat, create, remove or mount a
// path or change directory, and must be for one that only prints, reads
// its arguments and environment, and uses pipes.
func TestOpensFilesPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("links programs")
	}
	progs := []struct {
		name, imports, body string
		names               bool
	}{
		{"hello", `"fmt"; "os"`, `fmt.Println("hi", os.Args, os.Getenv("X"))`, false},
		{"pipe", `"io"; "os"`, `r, w, _ := os.Pipe(); w.Write([]byte("x")); w.Close(); io.ReadAll(r); os.Stdin.Read(make([]byte, 1))`, false},
		{"open", `"os"`, `os.Open("/etc/hosts")`, true},
		{"readfile", `"os"`, `os.ReadFile("/x")`, true},
		{"create", `"os"`, `os.Create("/tmp/x")`, true},
		{"stat", `"os"`, `os.Stat("/")`, true},
		{"lstat", `"os"`, `os.Lstat("/")`, true},
		{"mkdir", `"os"`, `os.Mkdir("/d", 0o755)`, true},
		{"remove", `"os"`, `os.Remove("/d")`, true},
		{"rename", `"os"`, `os.Rename("/a", "/b")`, true},
		{"symlink", `"os"`, `os.Symlink("/a", "/b")`, true},
		{"readlink", `"os"`, `os.Readlink("/a")`, true},
		{"link", `"os"`, `os.Link("/a", "/b")`, true},
		{"chdir", `"os"`, `os.Chdir("/tmp")`, true},
		{"getwd", `"os"`, `os.Getwd()`, true},
		{"chmod", `"os"`, `os.Chmod("/a", 0o600)`, true},
		{"truncate", `"os"`, `os.Truncate("/a", 0)`, true},
		{"chtimes", `"os"; "time"`, `os.Chtimes("/a", time.Time{}, time.Time{})`, true},
		{"mount", `"syscall"`, `syscall.Mount("share", "/mnt", "9p", 0, "")`, true},
		{"rawmkdir", `"syscall"`, `syscall.Mkdir("/d", 0o755)`, true},
		{"access", `"syscall"`, `syscall.Access("/a", 0)`, true},
		{"statfs", `"syscall"`, `var s syscall.Statfs_t; syscall.Statfs("/", &s)`, true},
		{"dirfs", `"io/fs"; "os"`, `fs.ReadFile(os.DirFS("/"), "etc/hosts")`, true},
	}
	dir := t.TempDir()
	for _, p := range progs {
		src := "package main\n\nimport (" + p.imports + ")\n\nfunc main() { " + p.body + " }\n"
		if err := os.MkdirAll(filepath.Join(dir, p.name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p.name, "main.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module progs\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	cmd := exec.Command("go", "build", "-o", bin+"/", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, p := range progs {
		got, err := hasAnySymbol(filepath.Join(bin, p.name), opensFiles)
		if err != nil || got != p.names {
			t.Errorf("program %s (%s): names files = %v, %v; want %v", p.name, p.body, got, err, p.names)
		}
	}
}
