package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFSDiff runs test/programs/fsdiff as a Linux process on a copy of
// testdata/fstree and as a unikernel on the same tree packed with --rootfs
// (at /fstree in the guest's ramfs): it walks, reads, creates, renames,
// links, truncates, chmods and removes files there, and the two outputs
// must be equal byte for byte.
func TestFSDiff(t *testing.T) {
	setup(t)
	dir := t.TempDir()
	nativeRoot := filepath.Join(dir, "native", "fstree")
	copyTree(t, "testdata/fstree", nativeRoot)
	rootfs := filepath.Join(dir, "rootfs")
	copyTree(t, "testdata/fstree", filepath.Join(rootfs, "fstree"))

	img := filepath.Join(dir, "fsdiff.img")
	build := unigo(t, "build", "-o", img, "--rootfs", rootfs, "../programs/fsdiff")
	if build.status != 0 {
		t.Fatalf("unigo build --rootfs failed:\n%s", build.describe())
	}
	native := exec.Command("go", "run", "../programs/fsdiff", nativeRoot)
	want, err := native.Output()
	if err != nil {
		t.Fatalf("go run ../programs/fsdiff %s: %v\n%s", nativeRoot, err, want)
	}
	r := unigo(t, "run", timeoutFlag(), img, "--", "/fstree")
	if r.status != 0 || r.stdout != string(want) {
		t.Errorf("unikernel output differs from the Linux process's%s\n--- want (go run ../programs/fsdiff %s)\n%s\nimage: %s %s\n%s",
			firstDiff(string(want), r.stdout), nativeRoot, want, unigoBin, shellJoin(build.args), r.describe())
	}
	if !strings.HasSuffix(r.stdout, "fsdiff: ok\n") {
		t.Errorf("fsdiff did not finish:\n%s", r.describe())
	}
}

// copyTree copies the directories, regular files and symbolic links of src
// to dst with normalized modes (0755 for directories and executables, 0644
// for other files), whatever the umask of the checkout was.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if err := os.MkdirAll(to, 0o755); err != nil {
				return err
			}
			return os.Chmod(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			mode := fs.FileMode(0o644)
			if info.Mode()&0o111 != 0 {
				mode = 0o755
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(to, data, mode); err != nil {
				return err
			}
			return os.Chmod(to, mode)
		}
		return fmt.Errorf("%s: unexpected file type %v", p, d.Type())
	})
	if err != nil {
		t.Fatalf("copying %s to %s: %v", src, dst, err)
	}
}

// firstDiff describes the first line where got differs from want.
func firstDiff(want, got string) string {
	w, g := strings.SplitAfter(want, "\n"), strings.SplitAfter(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("\nfirst difference at line %d:\n  want %q\n  got  %q", i+1, wl, gl)
		}
	}
	return ""
}
