package build

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"unigo.dev/unigo/internal/cpio"
	"unigo.dev/unigo/internal/image"
	"unigo.dev/unigo/internal/pvh"
)

// fakeKernel is a stand-in kernel module whose PVH entry prints a line and
// exits with status 3; it lets the build pipeline be tested without the
// real kernel.
func fakeKernel(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("testdata", "fakekernel"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func snapshot(t *testing.T, root string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			m[p], _ = os.ReadFile(p)
		}
		return nil
	})
	return m
}

func TestBuildModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"app/go.mod": "module example.com/app\n\ngo 1.26\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n",
		// A go.sum with an unrelated line: it must survive untouched.
		"app/go.sum":            "example.com/unused v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"app/cmd/hi/main.go":    "package main\n\nimport \"example.com/lib\"\n\nfunc main() { println(lib.Greeting) }\n",
		"app/notmain/x.go":      "package notmain\n",
		"app/notmain/x_test.go": "package notmain\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n",
		"app/broken/main.go":    "package main\n\nfunc main() { undefined() }\n",
		"lib/go.mod":            "module example.com/lib\n\ngo 1.26\n",
		"lib/lib.go":            "package lib\n\nconst Greeting = \"hi\"\n",
	})
	before := snapshot(t, root)
	app := filepath.Join(root, "app")
	out := t.TempDir()
	opts := func(target string, test bool) Options {
		return Options{Target: target, Test: test, Output: filepath.Join(out, "img"), Dir: app, KernelDir: fakeKernel(t), Stderr: &bytes.Buffer{}}
	}

	for _, target := range []string{"./cmd/hi", "example.com/app/cmd/hi", filepath.Join(app, "cmd/hi"), "./cmd/hi/main.go"} {
		res, err := Build(context.Background(), opts(target, false))
		if err != nil {
			t.Fatalf("Build(%s): %v", target, err)
		}
		entry, err := pvh.Check(res.Image)
		if err != nil || entry != res.Entry {
			t.Errorf("Build(%s): Check = %#x, %v; want %#x", target, entry, err, res.Entry)
		}
	}
	res, err := Build(context.Background(), opts("./notmain", true))
	if err != nil {
		t.Fatalf("Build(test ./notmain): %v", err)
	}
	if res.ImportPath != "example.com/app/notmain" || res.Name != "notmain" {
		t.Errorf("Build(test ./notmain) = %+v", res)
	}

	var be *Error
	if _, err := Build(context.Background(), opts("./notmain", false)); !errors.As(err, &be) || !strings.Contains(be.Msg, "not a command") {
		t.Errorf("Build(non-main) error = %v; want 'not a command'", err)
	}
	o := opts("./broken", false)
	if _, err := Build(context.Background(), o); !errors.Is(err, ErrCompile) || !strings.Contains(o.Stderr.(*bytes.Buffer).String(), "undefined") {
		t.Errorf("Build(broken) error = %v, output %q; want ErrCompile with the compiler's message", err, o.Stderr)
	}
	if _, err := Build(context.Background(), opts("./missing", false)); !errors.As(err, &be) {
		t.Errorf("Build(missing) error = %v; want a user-facing error", err)
	}

	after := snapshot(t, root)
	if len(after) != len(before) {
		t.Errorf("files in the user's tree changed: %d before, %d after", len(before), len(after))
	}
	for p, data := range before {
		if !bytes.Equal(after[p], data) {
			t.Errorf("%s changed", p)
		}
	}
}

func TestBuildNoModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"prog/main.go": "package main\n\nfunc main() {}\n"})
	for _, target := range []string{"./prog", "prog/main.go"} {
		o := Options{Target: target, Output: filepath.Join(dir, "img"), Dir: dir, KernelDir: fakeKernel(t), Stderr: &bytes.Buffer{}}
		if _, err := Build(context.Background(), o); err != nil {
			t.Fatalf("Build(%s): %v\n%s", target, err, o.Stderr)
		}
		if _, err := pvh.Check(o.Output); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "prog", "go.mod")); err == nil {
		t.Error("Build wrote a go.mod into the user's directory")
	}
}

func TestBuildStd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	out := filepath.Join(t.TempDir(), "sort.test")
	var stderr bytes.Buffer
	res, err := Build(context.Background(), Options{Target: "sort", Test: true, Output: out, KernelDir: fakeKernel(t), Stderr: &stderr, PackPackage: true})
	if err != nil {
		t.Fatalf("Build(test sort): %v\n%s", err, &stderr)
	}
	if _, err := pvh.Check(out); err != nil || res.ImportPath != "sort" {
		t.Errorf("Build(test sort) = %+v; Check: %v", res, err)
	}
	// The package directory is the real GOROOT's, not the shadow's.
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	wantDir := filepath.Join(strings.TrimSpace(string(goroot)), "src", "sort")
	if res.Dir != wantDir {
		t.Errorf("Build(test sort).Dir = %q; want %q", res.Dir, wantDir)
	}
	files := archive(t, out)
	if _, ok := files[strings.TrimPrefix(wantDir, "/")+"/sort_test.go"]; !ok {
		t.Errorf("the root file system lacks %s/sort_test.go; it has %d entries", wantDir, len(files))
	}
	var be *Error
	if _, err := Build(context.Background(), Options{Target: "sort", Output: out, KernelDir: fakeKernel(t)}); !errors.As(err, &be) {
		t.Errorf("Build(sort) (not a test) error = %v; want a user-facing error", err)
	}
}

// archive returns the root file system of an image: name → data ("/" for
// directories, "-> target" for links).
func archive(t *testing.T, img string) map[string]string {
	t.Helper()
	data, err := image.ReadRootfs(img)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	r := cpio.NewReader(bytes.NewReader(data))
	for {
		h, err := r.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", img, err)
		}
		b, _ := io.ReadAll(r)
		switch h.Mode & cpio.TypeMask {
		case cpio.TypeDir:
			files[h.Name] = "/"
		case cpio.TypeLink:
			files[h.Name] = "-> " + string(b)
		default:
			files[h.Name] = string(b)
		}
	}
}

func TestBuildRootfs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"app/go.mod":                 "module example.com/app\n\ngo 1.26\n",
		"app/cmd/hi/main.go":         "package main\n\nfunc main() {}\n",
		"app/lib/lib.go":             "package lib\n",
		"app/lib/lib_test.go":        "package lib\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n",
		"app/lib/testdata/input.txt": "input\n",
		"app/lib/.git/config":        "not packed",
		"rootfs/etc/greeting":        "hello\n",
		"rootfs/data/a.txt":          "A",
	})
	os.Symlink("a.txt", filepath.Join(root, "rootfs/data/link"))
	app := filepath.Join(root, "app")
	out := filepath.Join(t.TempDir(), "img")
	var stderr bytes.Buffer
	res, err := Build(context.Background(), Options{Target: "./cmd/hi", Output: out, Dir: app, KernelDir: fakeKernel(t), Stderr: &stderr, Rootfs: "../rootfs"})
	if err != nil {
		t.Fatalf("Build(--rootfs): %v\n%s", err, &stderr)
	}
	if _, err := pvh.Check(out); err != nil {
		t.Error(err)
	}
	want := map[string]string{"data": "/", "data/a.txt": "A", "data/link": "-> a.txt", "etc": "/", "etc/greeting": "hello\n"}
	if got := archive(t, out); !maps.Equal(got, want) {
		t.Errorf("root file system = %q; want %q", got, want)
	}
	if res.Rootfs.Size == 0 || stderr.Len() != 0 {
		t.Errorf("Result.Rootfs = %+v, stderr %q", res.Rootfs, &stderr)
	}

	// unigo test: --rootfs at /, the package directory at its host path.
	res, err = Build(context.Background(), Options{Target: "./lib", Test: true, Output: out, Dir: app, KernelDir: fakeKernel(t), Stderr: &stderr,
		Rootfs: filepath.Join(root, "rootfs"), PackPackage: true})
	if err != nil {
		t.Fatalf("Build(test, PackPackage): %v\n%s", err, &stderr)
	}
	lib := filepath.Join(app, "lib")
	if res.Dir != lib {
		t.Errorf("Result.Dir = %q; want %q", res.Dir, lib)
	}
	got := archive(t, out)
	rel := strings.TrimPrefix(lib, "/")
	for name, data := range map[string]string{"etc/greeting": "hello\n", rel: "/", rel + "/lib_test.go": "package lib\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n", rel + "/testdata/input.txt": "input\n"} {
		if got[name] != data {
			t.Errorf("root file system: %s = %q; want %q", name, got[name], data)
		}
	}
	for name := range got {
		if strings.Contains(name, ".git") || strings.HasPrefix(name, rel+"/") && strings.HasSuffix(name, "go.mod") {
			t.Errorf("root file system has %s", name)
		}
	}

	// A missing directory fails before anything is built.
	os.Remove(out)
	_, err = Build(context.Background(), Options{Target: "./cmd/hi", Output: out, Dir: app, KernelDir: fakeKernel(t), Stderr: &stderr, Rootfs: "./nope"})
	if err == nil || err.Error() != "unigo: --rootfs ./nope: no such directory: pass the directory to pack as the guest's file system" {
		t.Errorf("Build(--rootfs ./nope) error = %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("Build(--rootfs ./nope) wrote an image")
	}
}

func TestNeutralizePragmas(t *testing.T) {
	tests := []struct {
		in, want string
		changed  bool
	}{
		{"package p\n\n//go:inline\nfunc F() {}\n", "package p\n\n// go:inline\nfunc F() {}\n", true},
		{"package p\n\t//go:checklocks mu\n", "package p\n\t// go:checklocks mu\n", true},
		{"//go:build linux\n\npackage p\n//go:nosplit\n//go:linkname x y\n//go:cgo_import_dynamic a b\n", "", false},
		{"package p // no directives\n", "", false},
	}
	for _, tt := range tests {
		got, changed := neutralizePragmas([]byte(tt.in))
		if changed != tt.changed || (changed && string(got) != tt.want) {
			t.Errorf("neutralizePragmas(%q) = %q, %v; want %q, %v", tt.in, got, changed, tt.want, tt.changed)
		}
		if !changed && string(got) != tt.in {
			t.Errorf("neutralizePragmas(%q) changed the text without saying so", tt.in)
		}
	}
}
