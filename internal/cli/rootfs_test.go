package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"unigo.dev/unigo/internal/cmdline"
	"unigo.dev/unigo/internal/image"
)

func TestRootfsErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("file", []byte("x"), 0o644)
	os.WriteFile("main.go", []byte("package main\n\nfunc main() {}\n"), 0o644)
	img := "x.img"
	os.WriteFile(img, []byte("\x7fELF"), 0o644)
	tests := []struct {
		args   []string
		status int
		msg    string
	}{
		{[]string{"build", "--rootfs", "./nope", "."}, ExitError, "unigo: --rootfs ./nope: no such directory"},
		{[]string{"build", "--rootfs", "./file", "."}, ExitError, "unigo: --rootfs ./file: not a directory"},
		{[]string{"run", "--rootfs", "./nope", "."}, ExitError, "unigo: --rootfs ./nope: no such directory"},
		{[]string{"test", "--rootfs", "./nope", "."}, ExitError, "unigo: --rootfs ./nope: no such directory"},
		{[]string{"run", "--rootfs", ".", img}, ExitUsage, "unigo: --rootfs .: x.img is already an image"},
	}
	for _, tt := range tests {
		status, stdout, stderr := run(t, tt.args...)
		if status != tt.status || !strings.HasPrefix(stderr, tt.msg) {
			t.Errorf("unigo %q = %d, %q; want %d and %q", tt.args, status, stderr, tt.status, tt.msg)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("unigo %q: error is not one line: %q", tt.args, stderr)
		}
		if tt.args[0] == "test" && !strings.Contains(stdout, "FAIL") {
			t.Errorf("unigo %q: stdout %q; want FAIL", tt.args, stdout)
		}
	}
	if _, err := os.Stat("main.img"); err == nil {
		t.Error("a failed build wrote an image")
	}
}

func TestRootfsUnreadable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	if os.Geteuid() == 0 {
		t.Skip("root reads any file (internal/rootfs tests this case by hand)")
	}
	kdir, _ := filepath.Abs("../build/testdata/fakekernel")
	t.Setenv("UNIGO_KERNEL_DIR", kdir)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	secret := filepath.Join(dir, "r", "secret")
	os.MkdirAll(filepath.Dir(secret), 0o755)
	os.WriteFile(secret, []byte("x"), 0)
	status, _, stderr := run(t, "build", "-o", filepath.Join(dir, "x.img"), "--rootfs", filepath.Join(dir, "r"), filepath.Join(dir, "main.go"))
	if status != ExitError || !strings.Contains(stderr, "cannot read "+secret) {
		t.Errorf("build with an unreadable file = %d, %q; want it named", status, stderr)
	}
}

// TestRootfsBuild builds with the fake kernel: --rootfs lands in the
// image, UNIGO_DEBUG logs its size, and unigo test sets cwd= to the
// package directory.
func TestRootfsBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	kdir, _ := filepath.Abs("../build/testdata/fakekernel")
	t.Setenv("UNIGO_KERNEL_DIR", kdir)
	t.Setenv("UNIGO_DEBUG", "1")
	dir := t.TempDir()
	files := map[string]string{
		"prog/main.go":                  "package main\n\nfunc main() {}\n",
		"r/etc/greeting":                "hi\n",
		"my pkg/go.mod":                 "module example.com/mypkg\n\ngo 1.26\n",
		"my pkg/p.go":                   "package p\n",
		"my pkg/p_test.go":              "package p\n\nimport \"testing\"\n\nfunc TestP(t *testing.T) {}\n",
		"my pkg/testdata/input.txt":     "input\n",
		"my pkg/testdata/more/x.golden": "x\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	img := filepath.Join(dir, "prog.img")
	status, _, stderr := run(t, "build", "-o", img, "--rootfs", filepath.Join(dir, "r"), filepath.Join(dir, "prog"))
	if status != 0 {
		t.Fatalf("unigo build --rootfs = %d: %s", status, stderr)
	}
	seg, ok, err := image.Rootfs(img)
	if err != nil || !ok {
		t.Fatalf("image.Rootfs = %+v, %v, %v", seg, ok, err)
	}
	if !strings.Contains(stderr, "msg=\"root file system\"") || !strings.Contains(stderr, "entries=2") {
		t.Errorf("UNIGO_DEBUG=1 output lacks the archive's size and entries:\n%s", stderr)
	}

	pkg := filepath.Join(dir, "my pkg")
	status, stdout, stderr := run(t, "test", "--dry-run", pkg, "--", "-test.v")
	if status != 0 {
		t.Fatalf("unigo test --dry-run = %d: %s", status, stderr)
	}
	want := "argv0=/unigo/bin/my%20pkg.test cwd=" + cmdline.Escape(pkg) + " unigo.log=warn -- a:-test.paniconexit0 a:-test.v"
	if !strings.Contains(stdout, want) {
		t.Errorf("unigo test --dry-run: want -append with %q, got:\n%s", want, stdout)
	}
}
