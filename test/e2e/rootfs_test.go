package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rootfsWant is what testdata/rootfsprog prints with testdata/rootfs1 as
// its root file system.
const rootfsWant = `/etc/greeting: hello from the rootfs
/data:
  a.txt 6 bytes -rw-r--r--
  link -> a.txt
  sub/
/data/sub/b.txt: beta
/data/link: alpha
cwd: /
`

// TestRootfs boots an image built with --rootfs: the program reads a file,
// lists a directory and follows a symbolic link.
func TestRootfs(t *testing.T) {
	setup(t)
	img := filepath.Join(t.TempDir(), "rootfsprog.img")
	if r := unigo(t, "build", "-o", img, "--rootfs", "./testdata/rootfs1", "./testdata/rootfsprog"); r.status != 0 {
		t.Fatalf("unigo build --rootfs failed:\n%s", r.describe())
	}
	r := unigo(t, "run", timeoutFlag(), img)
	if r.status != 0 || !strings.Contains(r.stdout, rootfsWant) {
		t.Errorf("rootfsprog: want status 0 and output\n%s\ngot:\n%s", rootfsWant, r.describe())
	}
}

// TestRootfsRunPackage: unigo run builds with --rootfs too.
func TestRootfsRunPackage(t *testing.T) {
	setup(t)
	r := unigo(t, "run", timeoutFlag(), "--rootfs", "./testdata/rootfs1", "./testdata/rootfsprog")
	if r.status != 0 || !strings.Contains(r.stdout, rootfsWant) {
		t.Errorf("unigo run --rootfs <package>: want status 0 and output\n%s\ngot:\n%s", rootfsWant, r.describe())
	}
}

// TestRootfsTestPackage: unigo test packs the package directory, so a test
// reads testdata/ relative to its working directory, as under go test.
func TestRootfsTestPackage(t *testing.T) {
	setup(t)
	r := unigo(t, "test", timeoutFlag(), "./testdata/rootfspkg", "--", "-test.v")
	for _, want := range []string{"--- PASS: TestReadInput", "--- PASS: TestWorkingDirectory", "ok  \tunigo.dev/unigo/test/e2e/testdata/rootfspkg"} {
		if r.status != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("unigo test ./testdata/rootfspkg: want status 0 and %q\n%s", want, r.describe())
			break
		}
	}
}

// TestRootfsTestMerged: --rootfs files join the package directory.
func TestRootfsTestMerged(t *testing.T) {
	setup(t)
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "rootfs", "etc", "greeting"), "merged\n")
	pkg := filepath.Join(dir, "pkg")
	mustWrite(t, filepath.Join(pkg, "go.mod"), "module example.com/pkg\n\ngo 1.26\n")
	mustWrite(t, filepath.Join(pkg, "pkg.go"), "package pkg\n")
	mustWrite(t, filepath.Join(pkg, "testdata", "x.txt"), "x\n")
	mustWrite(t, filepath.Join(pkg, "pkg_test.go"), `package pkg

import (
	"os"
	"testing"
)

func TestFiles(t *testing.T) {
	for name, want := range map[string]string{"/etc/greeting": "merged\n", "testdata/x.txt": "x\n"} {
		if got, err := os.ReadFile(name); err != nil || string(got) != want {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
}
`)
	r := unigo(t, "test", timeoutFlag(), "--rootfs", filepath.Join(dir, "rootfs"), pkg, "--", "-test.v")
	if r.status != 0 || !strings.Contains(r.stdout, "--- PASS: TestFiles") {
		t.Errorf("unigo test --rootfs: want PASS\n%s", r.describe())
	}
}

// TestRootfsBadInput: --rootfs mistakes are one-line errors.
func TestRootfsBadInput(t *testing.T) {
	setup(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "-o", filepath.Join(dir, "x.img"), "--rootfs", "./nope", "./testdata/rootfsprog"}, "unigo: --rootfs ./nope: no such directory"},
		{[]string{"run", "--rootfs", file, "./testdata/rootfsprog"}, "unigo: --rootfs " + file + ": not a directory"},
	} {
		r := unigo(t, c.args...)
		if r.status != 1 || !strings.HasPrefix(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("want status 1 and one line starting %q\n%s", c.want, r.describe())
		}
	}
}
