package rootfs

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"unigo.dev/unigo/internal/cpio"
)

// member is an archive entry as the tests compare it.
type member struct {
	name  string
	mode  uint32
	nlink uint32
	data  string
}

func (m member) String() string {
	return fmt.Sprintf("%s %06o n%d %q", m.name, m.mode, m.nlink, m.data)
}

// unpack reads an archive and checks the properties every entry must have.
func unpack(t *testing.T, archive []byte) []member {
	t.Helper()
	if len(archive)%4 != 0 {
		t.Errorf("archive size %d is not a multiple of 4", len(archive))
	}
	var out []member
	inos := map[uint32]bool{}
	r := cpio.NewReader(bytes.NewReader(archive))
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the archive: %v", err)
		}
		data, _ := io.ReadAll(r)
		if h.UID != 0 || h.GID != 0 {
			t.Errorf("%s: uid/gid %d/%d; want 0/0", h.Name, h.UID, h.GID)
		}
		if inos[h.Ino] {
			t.Errorf("%s: inode %d used twice", h.Name, h.Ino)
		}
		inos[h.Ino] = true
		if strings.HasPrefix(h.Name, "/") || strings.HasPrefix(h.Name, "./") {
			t.Errorf("name %q is not relative", h.Name)
		}
		if h.Mode&cpio.TypeMask != cpio.TypeLink && h.Mtime == 0 {
			t.Errorf("%s: mtime 0; want the host's", h.Name)
		}
		out = append(out, member{h.Name, h.Mode, h.Nlink, string(data)})
	}
	return out
}

func writeTree(t *testing.T, root string, files map[string]string) {
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

func pack(t *testing.T, srcs ...Source) ([]byte, Stats, string, error) {
	t.Helper()
	var archive, warn bytes.Buffer
	st, err := Pack(&archive, srcs, &warn)
	return archive.Bytes(), st, warn.String(), err
}

func TestPack(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"etc/greeting":   "hello\n",
		"data/a.txt":     "A",
		"data/sub/b.txt": "BB",
		"data-x":         "sorts between data and data/…",
	})
	os.Chmod(filepath.Join(root, "data/sub/b.txt"), fs.ModeSetuid|0o750)
	os.Symlink("a.txt", filepath.Join(root, "data/link"))
	os.Symlink("../../outside/tree", filepath.Join(root, "data/out"))
	os.Link(filepath.Join(root, "data/a.txt"), filepath.Join(root, "data/hard"))
	if err := syscall.Mkfifo(filepath.Join(root, "data/fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(root, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	archive, st, warn, err := pack(t, Source{Dir: root, Name: "--rootfs r"})
	if err != nil {
		t.Fatal(err)
	}
	got := unpack(t, archive)
	want := []member{
		{"data", cpio.TypeDir | 0o755, 2, ""},
		{"data-x", cpio.TypeReg | 0o644, 1, "sorts between data and data/…"},
		{"data/a.txt", cpio.TypeReg | 0o644, 1, "A"},
		{"data/hard", cpio.TypeReg | 0o644, 1, "A"},
		{"data/link", cpio.TypeLink | 0o777, 1, "a.txt"},
		{"data/out", cpio.TypeLink | 0o777, 1, "../../outside/tree"},
		{"data/sub", cpio.TypeDir | 0o755, 2, ""},
		{"data/sub/b.txt", cpio.TypeReg | 0o4750, 1, "BB"},
		{"etc", cpio.TypeDir | 0o755, 2, ""},
		{"etc/greeting", cpio.TypeReg | 0o644, 1, "hello\n"},
	}
	compare(t, got, want)
	if st.Entries != len(want) || st.Size != int64(len(archive)) {
		t.Errorf("Stats = %+v; want %d entries, %d bytes", st, len(want), len(archive))
	}
	for _, skipped := range []string{"data/fifo: a named pipe", "sock: a socket"} {
		if !strings.Contains(warn, filepath.Join(root, skipped)) {
			t.Errorf("warnings lack %q:\n%s", skipped, warn)
		}
	}
	if n := strings.Count(warn, "\n"); n != 2 {
		t.Errorf("%d warning lines; want 2:\n%s", n, warn)
	}

	// Reproducible: the same tree packs to the same bytes.
	again, _, _, _ := pack(t, Source{Dir: root, Name: "--rootfs r"})
	if !bytes.Equal(again, archive) {
		t.Error("packing the same tree twice gave different archives")
	}
}

func compare(t *testing.T, got, want []member) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d entries; want %d", len(got), len(want))
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w member
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("entry %d = %v; want %v", i, g, w)
		}
	}
}

// TestPackMerge packs a root tree and a package directory at its host path,
// as unigo test does.
func TestPackMerge(t *testing.T) {
	tmp := t.TempDir()
	rootDir := filepath.Join(tmp, "root")
	writeTree(t, rootDir, map[string]string{"etc/hosts": "h", "tmp/x": "from root"})
	pkg := filepath.Join(tmp, "src", "pkg")
	writeTree(t, pkg, map[string]string{
		"p.go": "package p", "testdata/input.txt": "in",
		".git/HEAD": "ref", "big.bin": strings.Repeat("b", 2<<20),
	})
	image := filepath.Join(pkg, "p.test")
	writeTree(t, pkg, map[string]string{"p.test": "the image being built"})
	archive, _, warn, err := pack(t,
		Source{Dir: rootDir, Name: "--rootfs root"},
		Source{Dir: pkg, At: pkg, Name: "package directory", SkipVCS: true, MaxFileSize: 1 << 20, Exclude: []string{image}})
	if err != nil {
		t.Fatal(err)
	}
	got := unpack(t, archive)
	rel := strings.TrimPrefix(pkg, "/")
	var names []string
	for _, m := range got {
		names = append(names, m.name)
	}
	var want []string
	parts := strings.Split(rel, "/")
	for i := 1; i <= len(parts); i++ {
		want = append(want, strings.Join(parts[:i], "/"))
	}
	want = append(want, rel+"/p.go", rel+"/testdata", rel+"/testdata/input.txt")
	want = append(want, "etc", "etc/hosts")
	// tmp comes from the root tree (and is a parent of the package when
	// TMPDIR is /tmp).
	if !slices.Contains(want, "tmp") {
		want = append(want, "tmp")
	}
	want = append(want, "tmp/x")
	slices.Sort(want)
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(warn, "leaving out "+filepath.Join(pkg, "big.bin")+": 2 MiB is more than the 1 MiB limit") {
		t.Errorf("no warning about big.bin:\n%s", warn)
	}
}

func TestPackErrors(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	writeTree(t, tmp, map[string]string{"file": "x", "r/etc": "etc is a file here", "ok/a": "a"})
	tests := []struct {
		srcs []Source
		want string
	}{
		{[]Source{{Dir: filepath.Join(tmp, "nope"), Name: "--rootfs ./nope"}}, "unigo: --rootfs ./nope: no such directory"},
		{[]Source{{Dir: file, Name: "--rootfs ./file"}}, "unigo: --rootfs ./file: not a directory"},
		{[]Source{{Dir: filepath.Join(tmp, "r"), Name: "--rootfs r"}, {Dir: filepath.Join(tmp, "ok"), At: "/etc", Name: "package directory"}},
			"unigo: /etc is not a directory in --rootfs r but a directory in package directory"},
	}
	for _, tt := range tests {
		_, _, _, err := pack(t, tt.srcs...)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Pack(%+v) error = %v; want %q", tt.srcs, err, tt.want)
		}
	}

	// An unreadable file is named. (Tests often run as root, which reads
	// anything, so the open fails by hand.)
	defer func() { openFile = os.Open }()
	openFile = func(name string) (*os.File, error) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	_, _, _, err := pack(t, Source{Dir: filepath.Join(tmp, "ok"), Name: "--rootfs ok"})
	want := "unigo: --rootfs ok: cannot read " + filepath.Join(tmp, "ok", "a") + ": permission denied"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Pack(unreadable file) error = %v; want %q", err, want)
	}
}

func TestPackUnreadableDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any directory")
	}
	tmp := t.TempDir()
	writeTree(t, tmp, map[string]string{"secret/x": "x"})
	os.Chmod(filepath.Join(tmp, "secret"), 0)
	defer os.Chmod(filepath.Join(tmp, "secret"), 0o755)
	_, _, _, err := pack(t, Source{Dir: tmp, Name: "--rootfs t"})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(tmp, "secret")) {
		t.Errorf("Pack(unreadable dir) error = %v; want it named", err)
	}
}

func TestMtime(t *testing.T) {
	tmp := t.TempDir()
	writeTree(t, tmp, map[string]string{"f": "x"})
	when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	os.Chtimes(filepath.Join(tmp, "f"), when, when)
	archive, _, _, err := pack(t, Source{Dir: tmp, Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := cpio.NewReader(bytes.NewReader(archive)).Next()
	if err != nil || h.Mtime != uint32(when.Unix()) {
		t.Errorf("mtime = %d, %v; want %d", h.Mtime, err, when.Unix())
	}
}
