package vfs

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/internal/arena"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/buddy"
	"unigo.dev/unigo/kernel/mm/kmem"
)

var alloc buddy.Allocator

func setup(t *testing.T) {
	t.Helper()
	const base, size = 0x100000, 64 << 20
	arena.Setup(base, size)
	meta := mm.PageUp(buddy.MetaSize(base, base+size))
	alloc = buddy.Allocator{}
	alloc.Init(base, base+size, mm.PhysToVirt(base))
	alloc.AddRange(base+meta, base+size)
	kmem.Init(&alloc)
	clock := int64(0)
	Now = func() int64 { clock++; return clock }
	root, nextIno = 0, 1
	if e := Init(); e != 0 {
		t.Fatal(e)
	}
}

func mustResolve(t *testing.T, path string, flags int) Ino {
	t.Helper()
	i, e := Resolve(Root(), []byte(path), flags)
	if e != 0 {
		t.Fatalf("Resolve(%q) = %v", path, e)
	}
	return i
}

func mkdirp(t *testing.T, path string) Ino {
	t.Helper()
	d := Root()
	for _, c := range strings.Split(strings.Trim(path, "/"), "/") {
		n, e := Lookup(d, []byte(c))
		if e == linux.ENOENT {
			n, e = Create(d, []byte(c), linux.S_IFDIR|0o755, 0, 0, 0)
		}
		if e != 0 {
			t.Fatalf("mkdir %s: %v", c, e)
		}
		d = n
	}
	return d
}

func writeFile(t *testing.T, path, content string) Ino {
	t.Helper()
	dir, name, _, e := ResolveParent(Root(), []byte(path))
	if e != 0 {
		t.Fatalf("ResolveParent(%q): %v", path, e)
	}
	i, e := Create(dir, name, linux.S_IFREG|0o644, 0, 0, 0)
	if e != 0 {
		t.Fatalf("create %q: %v", path, e)
	}
	if _, e := Write(i, 0, []byte(content)); e != 0 {
		t.Fatal(e)
	}
	Unref(dir)
	Unref(i) // linked: stays
	return i
}

func readAll(t *testing.T, i Ino) string {
	t.Helper()
	b := make([]byte, Size(i)+10)
	n, e := Read(i, 0, b)
	if e != 0 {
		t.Fatal(e)
	}
	return string(b[:n])
}

func TestCreateReadWrite(t *testing.T) {
	setup(t)
	mkdirp(t, "/a/b")
	i := writeFile(t, "/a/b/f", "hello")
	if got := readAll(t, mustResolve(t, "/a/b/f", 0)); got != "hello" {
		t.Errorf("read = %q", got)
	}
	// Overwrite in the middle, extend across pages, sparse hole.
	big := bytes.Repeat([]byte("x"), 5000)
	if _, e := Write(i, 10000, big); e != 0 {
		t.Fatal(e)
	}
	if Size(i) != 15000 {
		t.Errorf("size = %d; want 15000", Size(i))
	}
	got := make([]byte, 15000)
	n, _ := Read(i, 0, got)
	if n != 15000 || string(got[:5]) != "hello" || got[5] != 0 || got[9999] != 0 || got[10000] != 'x' {
		t.Errorf("sparse read wrong: n=%d head=%q", n, got[:6])
	}
	if st := GetStat(i); st.Blocks != 3*8 { // pages 0, 2, 3 are backed
		t.Errorf("blocks = %d; want 24 (3 pages)", st.Blocks)
	}
	if e := Truncate(i, 3); e != 0 {
		t.Fatal(e)
	}
	if e := Truncate(i, 8); e != 0 {
		t.Fatal(e)
	}
	if got := readAll(t, i); got != "hel\x00\x00\x00\x00\x00" {
		t.Errorf("after truncate down and up: %q", got)
	}
}

func TestResolveDotsAndSymlinks(t *testing.T) {
	setup(t)
	mkdirp(t, "/usr/lib")
	writeFile(t, "/usr/lib/data", "D")
	etc := mkdirp(t, "/etc")
	if _, e := Symlink(etc, []byte("abs"), []byte("/usr/lib/data"), 0, 0); e != 0 {
		t.Fatal(e)
	}
	if _, e := Symlink(etc, []byte("rel"), []byte("../usr/lib"), 0, 0); e != 0 {
		t.Fatal(e)
	}
	if _, e := Symlink(etc, []byte("loop"), []byte("loop"), 0, 0); e != 0 {
		t.Fatal(e)
	}
	tests := []struct {
		path  string
		flags int
		want  string // content of the file, "dir", "link" or an errno
	}{
		{"/etc/abs", Follow, "D"},
		{"/etc/abs", 0, "link"},
		{"/etc/rel/data", 0, "D"},
		{"/etc/rel/../lib/./data", 0, "D"},
		{"//usr///lib//data", 0, "D"},
		{"/../../usr/lib/data", 0, "D"},
		{"/etc/rel/", 0, "dir"},
		{"/etc/loop", Follow, linux.ELOOP.Error()},
		{"/etc/nope", 0, linux.ENOENT.Error()},
		{"/usr/lib/data/x", 0, linux.ENOTDIR.Error()},
		{"/usr/lib/data", Directory, linux.ENOTDIR.Error()},
		{"", 0, linux.ENOENT.Error()},
		{"/" + strings.Repeat("n", 256), 0, linux.ENAMETOOLONG.Error()},
	}
	for _, tt := range tests {
		i, e := Resolve(Root(), []byte(tt.path), tt.flags)
		var got string
		switch {
		case e != 0:
			got = e.Error()
		case IsDir(i):
			got = "dir"
		case Mode(i)&linux.S_IFMT == linux.S_IFLNK:
			got = "link"
		default:
			got = readAll(t, i)
		}
		if got != tt.want {
			t.Errorf("Resolve(%q, %d) = %q; want %q", tt.path, tt.flags, got, tt.want)
		}
	}
}

func names(t *testing.T, dir Ino) []string {
	var out []string
	for c, ok := int64(0), true; ; {
		var e linux.Errno
		var ent Dirent
		ent, c, ok, e = ReadDir(dir, c)
		if e != 0 {
			t.Fatal(e)
		}
		if !ok {
			break
		}
		out = append(out, string(ent.Name()))
	}
	return out
}

func TestDirectoriesAndRename(t *testing.T) {
	setup(t)
	d := mkdirp(t, "/d")
	writeFile(t, "/d/one", "1")
	writeFile(t, "/d/two", "2")
	mkdirp(t, "/d/sub")
	if got := fmt.Sprint(names(t, d)); got != "[. .. one two sub]" {
		t.Errorf("ReadDir = %s", got)
	}
	if e := Rmdir(Root(), []byte("d")); e != linux.ENOTEMPTY {
		t.Errorf("rmdir non-empty = %v; want ENOTEMPTY", e)
	}
	if e := Unlink(d, []byte("sub")); e != linux.EISDIR {
		t.Errorf("unlink dir = %v; want EISDIR", e)
	}
	// rename over an existing file replaces it.
	if e := Rename(d, []byte("one"), d, []byte("two"), 0); e != 0 {
		t.Fatal(e)
	}
	if got := readAll(t, mustResolve(t, "/d/two", 0)); got != "1" {
		t.Errorf("after rename over: %q", got)
	}
	if _, e := Lookup(d, []byte("one")); e != linux.ENOENT {
		t.Errorf("old name still there: %v", e)
	}
	// NOREPLACE, EXCHANGE, a directory into its own subtree.
	writeFile(t, "/d/three", "3")
	if e := Rename(d, []byte("two"), d, []byte("three"), linux.RENAME_NOREPLACE); e != linux.EEXIST {
		t.Errorf("RENAME_NOREPLACE = %v; want EEXIST", e)
	}
	if e := Rename(d, []byte("two"), d, []byte("three"), linux.RENAME_EXCHANGE); e != 0 {
		t.Fatal(e)
	}
	if got := readAll(t, mustResolve(t, "/d/three", 0)); got != "1" {
		t.Errorf("after exchange: %q", got)
	}
	if e := Rename(Root(), []byte("d"), mustResolve(t, "/d/sub", 0), []byte("x"), 0); e != linux.EINVAL {
		t.Errorf("rename into own subtree = %v; want EINVAL", e)
	}
	// Moving a directory updates "..".
	other := mkdirp(t, "/other")
	if e := Rename(d, []byte("sub"), other, []byte("moved"), 0); e != 0 {
		t.Fatal(e)
	}
	if p := mustResolve(t, "/other/moved/..", 0); p != other {
		t.Errorf(".. of a moved directory is not its new parent")
	}
	buf := make([]byte, 64)
	if p, ok := PathOf(mustResolve(t, "/other/moved", 0), buf); !ok || string(p) != "/other/moved" {
		t.Errorf("PathOf = %q, %v", p, ok)
	}
}

func TestUnlinkWhileOpenAndLinks(t *testing.T) {
	setup(t)
	before := kmem.InUse()
	i := writeFile(t, "/f", strings.Repeat("z", 9000))
	Ref(i) // an open file
	if e := Link(Root(), []byte("g"), i); e != 0 {
		t.Fatal(e)
	}
	Unlink(Root(), []byte("f"))
	Unlink(Root(), []byte("g"))
	if got := readAll(t, i); len(got) != 9000 {
		t.Errorf("open file lost its data after unlink: %d bytes", len(got))
	}
	Unref(i)
	if after := kmem.InUse(); after != before {
		t.Errorf("kmem in use %d -> %d: the unlinked inode was not freed", before, after)
	}
}

// newc builds a cpio newc archive for tests.
func newc(entries ...[3]string) []byte { // name, mode (octal), data
	var b bytes.Buffer
	ino := 1
	add := func(name string, mode uint32, data string) {
		fmt.Fprintf(&b, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
			ino, mode, 0, 0, 1, 1700000000, len(data), 0, 0, 0, 0, len(name)+1, 0)
		ino++
		b.WriteString(name)
		b.WriteByte(0)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
		b.WriteString(data)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	for _, e := range entries {
		var mode uint32
		fmt.Sscanf(e[1], "%o", &mode)
		add(e[0], mode, e[2])
	}
	add("TRAILER!!!", 0, "")
	return b.Bytes()
}

func TestUnpackCpio(t *testing.T) {
	setup(t)
	a := newc(
		[3]string{"etc", "40755", ""},
		[3]string{"etc/hosts", "100644", "127.0.0.1 localhost\n"},
		[3]string{"./deep/a/b/c.txt", "100600", "c"}, // parents created on the fly
		[3]string{"etc/link", "120777", "hosts"},
	)
	n, err := UnpackCpio(Root(), a)
	if err.Errno != 0 || n != 4 {
		t.Fatalf("UnpackCpio = %d, %+v", n, err)
	}
	if got := readAll(t, mustResolve(t, "/etc/link", Follow)); got != "127.0.0.1 localhost\n" {
		t.Errorf("/etc/link -> %q", got)
	}
	if st := GetStat(mustResolve(t, "/deep/a/b/c.txt", 0)); st.Mode != linux.S_IFREG|0o600 || st.Mtime != 1700000000e9 {
		t.Errorf("stat = %+v", st)
	}
	var listed []string
	for _, n := range names(t, mustResolve(t, "/etc", 0)) {
		listed = append(listed, n)
	}
	sort.Strings(listed)
	if fmt.Sprint(listed) != "[. .. hosts link]" {
		t.Errorf("/etc = %v", listed)
	}
	// A damaged archive is an error, not a crash.
	bad := a[:len(a)-200]
	if _, err := UnpackCpio(Root(), bad); err.Errno == 0 {
		t.Error("truncated archive accepted")
	}
	if _, err := UnpackCpio(Root(), []byte("garbage")); err.Errno != linux.EINVAL {
		t.Errorf("garbage: %+v", err)
	}
}

func TestNoGoAllocs(t *testing.T) {
	setup(t)
	mkdirp(t, "/x/y")
	buf := make([]byte, 100)
	path := []byte("/x/y/f")
	if n := testing.AllocsPerRun(200, func() {
		dir, name, _, _ := ResolveParent(Root(), path)
		i, _ := Create(dir, name, linux.S_IFREG|0o644, 0, 0, 0)
		Write(i, 0, buf)
		Read(i, 0, buf)
		Unlink(dir, name)
	}); n != 0 {
		t.Errorf("VFS operations allocate %v times on the Go heap", n)
	}
}

func TestTrailingSlash(t *testing.T) {
	setup(t)
	mkdirp(t, "/d")
	writeFile(t, "/f", "x")
	Symlink(Root(), []byte("ld"), []byte("d"), 0, 0)
	for _, tt := range []struct {
		path  string
		flags int
		want  linux.Errno
	}{
		{"/d/", 0, 0},
		{"/f/", 0, linux.ENOTDIR},
		{"/ld/", 0, 0}, // a trailing slash follows the link even without Follow
		{"/f//", Follow, linux.ENOTDIR},
	} {
		if _, e := Resolve(Root(), []byte(tt.path), tt.flags); e != tt.want {
			t.Errorf("Resolve(%q) = %v; want %v", tt.path, e, tt.want)
		}
	}
}

func TestDataPageLimit(t *testing.T) {
	setup(t)
	DataPages, DataPageLimit = 0, 4
	defer func() { DataPageLimit = 0 }()
	i := writeFile(t, "/f", "")
	buf := make([]byte, 3*mm.PageSize)
	if n, e := Write(i, 0, buf); e != 0 || n != len(buf) {
		t.Fatalf("first write = %d, %v", n, e)
	}
	n, e := Write(i, int64(len(buf)), buf)
	if n != mm.PageSize || e != 0 {
		t.Errorf("write at the limit = %d, %v; want one page written", n, e)
	}
	if _, e := Write(i, int64(len(buf)+mm.PageSize), buf); e != linux.ENOSPC {
		t.Errorf("write past the limit = %v; want ENOSPC", e)
	}
	Truncate(i, 0)
	if DataPages != 0 {
		t.Errorf("DataPages = %d after truncating to 0", DataPages)
	}
	if _, e := Write(i, 0, buf); e != 0 {
		t.Errorf("write after freeing = %v", e)
	}
}
