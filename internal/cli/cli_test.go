package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// run calls Run and returns its status and outputs.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	status := Run(args, strings.NewReader(""), &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello\n"), 0o644)
	tests := []struct {
		args   []string
		status int
		msg    string
	}{
		{nil, ExitUsage, "Usage"},
		{[]string{"frob"}, ExitUsage, `unknown command "frob"`},
		{[]string{"build", "--bogus"}, ExitUsage, "flag provided but not defined: -bogus"},
		{[]string{"run", "--bogus", "x.img"}, ExitUsage, "flag provided but not defined: -bogus"},
		{[]string{"test", "--bogus"}, ExitUsage, "flag provided but not defined: -bogus"},
		{[]string{"run", "-m", "lots", "x.img"}, ExitUsage, `bad memory size "lots"`},
		{[]string{"run"}, ExitUsage, "no image or package given"},
		{[]string{"run", "x.img", "extra"}, ExitUsage, `unexpected argument "extra"`},
		{[]string{"build", ".", "--", "x"}, ExitUsage, "unexpected arguments after --"},
		{[]string{"run", filepath.Join(dir, "missing.img")}, ExitError, "no such image file"},
		{[]string{"run", text}, ExitError, "is not a unigo image"},
	}
	for _, tt := range tests {
		status, stdout, stderr := run(t, tt.args...)
		all := stdout + stderr
		if status != tt.status || !strings.Contains(all, tt.msg) {
			t.Errorf("unigo %q = %d, %q; want %d and %q", tt.args, status, all, tt.status, tt.msg)
		}
		if tt.status == ExitUsage && tt.args != nil && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("unigo %q: error is not one line: %q", tt.args, stderr)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"build", "-h"}, {"run", "-h"}, {"test", "-h"}, {"help", "run"}} {
		status, stdout, _ := run(t, args...)
		if status != 0 || !strings.Contains(stdout, "Usage") {
			t.Errorf("unigo %q = %d, %q; want 0 and usage", args, status, stdout)
		}
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		args   []string
		target string
		rest   []string
		mem    string
	}{
		{[]string{"h.img"}, "h.img", nil, "128M"},
		{[]string{"-m", "1G", "h.img", "--", "a", "-m"}, "h.img", []string{"a", "-m"}, "1024M"},
		{[]string{"h.img", "-m", "64M", "--", "a"}, "h.img", []string{"a"}, "64M"},
		{[]string{"h.img", "--"}, "h.img", []string{}, "128M"},
		{[]string{"--", "a"}, "", []string{"a"}, "128M"},
	}
	for _, tt := range tests {
		e := &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
		fs := newFlagSet(e, "run", "", "")
		var f vmFlags
		f.register(fs.FlagSet)
		target, rest, _, ok := splitArgs(e, fs, tt.args)
		if !ok || target != tt.target || strings.Join(rest, " ") != strings.Join(tt.rest, " ") || f.mem.String() != tt.mem {
			t.Errorf("splitArgs(%q) = %q, %q, mem %s, ok %v; want %q, %q, mem %s", tt.args, target, rest, f.mem.String(), ok, tt.target, tt.rest, tt.mem)
		}
	}
}

func TestTail(t *testing.T) {
	tl := newTail(3)
	tl.Write([]byte("one\ntwo\r\nthr"))
	tl.Write([]byte("ee\nfour\nfi"))
	if got, want := strings.Join(tl.Lines(), "|"), "three|four|fi"; got != want {
		t.Errorf("Lines() = %q; want %q", got, want)
	}
	if !tl.contains("four") || tl.contains("one") {
		t.Error("contains is wrong")
	}
}

func TestDefaultImageName(t *testing.T) {
	for in, want := range map[string]string{"./examples/hello": "hello.img", "example.com/x/cmd/tool": "tool.img", "prog/main.go": "main.img"} {
		if got := defaultImageName(in); got != want {
			t.Errorf("defaultImageName(%q) = %q; want %q", in, got, want)
		}
	}
}

var (
	imageOnce sync.Once
	imagePath string
	imageErr  string
)

// fakeImage builds (once) a program with the fake kernel of
// internal/build/testdata: it prints "unigo fake kernel" and exits 3.
func fakeImage(t *testing.T) string {
	t.Helper()
	kdir, _ := filepath.Abs("../build/testdata/fakekernel")
	t.Setenv("UNIGO_KERNEL_DIR", kdir)
	imageOnce.Do(func() {
		dir, _ := os.MkdirTemp("", "unigo-cli-test")
		os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
		imagePath = filepath.Join(dir, "prog.img")
		var stdout, stderr bytes.Buffer
		if Run([]string{"build", "-o", imagePath, filepath.Join(dir, "main.go")}, nil, &stdout, &stderr) != 0 {
			imageErr = stderr.String()
		}
	})
	if imageErr != "" {
		t.Fatalf("building the fake image: %s", imageErr)
	}
	return imagePath
}

func TestDryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	img := fakeImage(t)
	t.Setenv("UNIGO_TEST_HOST_VAR", "from host")
	status, stdout, stderr := run(t, "run", "--dry-run", "--accel", "tcg", "--machine", "q35", "-m", "1G", "--smp", "2",
		"-e", "A=1", "-e", "UNIGO_TEST_HOST_VAR", "-e", "UNSET_VAR_XYZ", img, "--", "alice", "bob smith")
	if status != 0 {
		t.Fatalf("dry run = %d: %s", status, stderr)
	}
	for _, want := range []string{
		"-M q35 -accel tcg -cpu max -m 1024M -smp 2",
		"-kernel " + img,
		"-append 'argv0=prog unigo.log=warn env=A=1 env=UNIGO_TEST_HOST_VAR=from%20host -- a:alice a:bob%20smith'",
		"-device isa-debug-exit,iobase=0xf4,iosize=0x04",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestRunFakeKernel(t *testing.T) {
	if testing.Short() {
		t.Skip("boots QEMU")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed (apt-get install qemu-system-x86)")
	}
	img := fakeImage(t)
	status, stdout, stderr := run(t, "run", "--timeout", "60s", img)
	if status != 3 || !strings.Contains(stdout, "unigo fake kernel") || !strings.Contains(stderr, "exited with status 3") {
		t.Errorf("unigo run %s = %d\nstdout: %s\nstderr: %s\nwant status 3", img, status, stdout, stderr)
	}
	status, _, stderr = run(t, "run", "--qemu", "/nonexistent/qemu", img)
	if status != ExitNoQEMU || !strings.Contains(stderr, "apt-get install qemu-system-x86") {
		t.Errorf("unigo run --qemu /nonexistent = %d, %q; want %d", status, stderr, ExitNoQEMU)
	}
}

// TestMalformedKraftfile: build, run and pkg refuse a malformed Kraftfile
// with one line naming the file, line and key, before building anything.
func TestMalformedKraftfile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\nfunc main() {}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "Kraftfile"), []byte("spec: v0.6\nname: app\ncmd:\n  flag: x\n"), 0o644)
	state := t.TempDir()
	t.Setenv("UNIGO_STATE_DIR", state)
	for _, verb := range []string{"build", "run", "pkg"} {
		var stdout, stderr bytes.Buffer
		status := Run([]string{verb, dir}, strings.NewReader(""), &stdout, &stderr)
		want := "unigo: Kraftfile:4: cmd: want a list, got a mapping"
		if status != ExitUsage || !strings.HasPrefix(stderr.String(), want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("unigo %s with a malformed Kraftfile: status %d, stderr %q; want %d and a line starting %q", verb, status, stderr.String(), ExitUsage, want)
		}
	}
	if ents, _ := os.ReadDir(state); len(ents) != 0 {
		t.Errorf("a refused command left %d entries in the state directory", len(ents))
	}
	if _, err := os.Stat(filepath.Join(dir, "app.img")); err == nil {
		t.Error("an image was built despite the malformed Kraftfile")
	}
}
