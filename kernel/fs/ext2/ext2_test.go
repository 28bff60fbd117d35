package ext2

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/drivers/block"
	"unigo.dev/unigo/kernel/drivers/block/blockfile"
	"unigo.dev/unigo/kernel/internal/arena"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/buddy"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/vfs"
)

// The tests run the driver on the host over image files that mke2fs makes
// and e2fsck and debugfs check.

var alloc buddy.Allocator

func needTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"mke2fs", "e2fsck", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err := os.Stat("/usr/sbin/" + tool); err != nil {
				t.Skipf("%s not found: install e2fsprogs", tool)
			}
		}
	}
}

func tool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return "/usr/sbin/" + name
}

func setupMem(t *testing.T) {
	t.Helper()
	const base, size = 0x100000, 32 << 20
	arena.Setup(base, size)
	meta := mm.PageUp(buddy.MetaSize(base, base+size))
	alloc = buddy.Allocator{}
	alloc.Init(base, base+size, mm.PhysToVirt(base))
	alloc.AddRange(base+meta, base+size)
	kmem.Init(&alloc)
	block.Reset()
	clock := int64(1_700_000_000) * 1e9
	vfs.Now = func() int64 { clock += 1e6; return clock }
	CacheBytes = 0
}

// mkfs makes an ext2 image of size bytes with extra mke2fs arguments.
func mkfs(t *testing.T, size string, args ...string) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "vol.img")
	cmd := exec.Command(tool("mke2fs"), append(append([]string{"-q", "-F", "-t", "ext2"}, args...), img, size)...)
	cmd.Env = append(os.Environ(), "MKE2FS_CONFIG=/etc/mke2fs.conf", "E2FSPROGS_FAKE_TIME=1700000000")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, out)
	}
	return img
}

// fsck runs e2fsck -fn and fails the test on any finding.
func fsck(t *testing.T, img string) {
	t.Helper()
	out, err := exec.Command(tool("e2fsck"), "-fn", img).CombinedOutput()
	if err != nil {
		t.Fatalf("e2fsck -fn %s: %v\n%s", img, err, out)
	}
}

func debugfs(t *testing.T, img, req string) string {
	t.Helper()
	out, err := exec.Command(tool("debugfs"), "-R", req, img).Output()
	if err != nil {
		t.Fatalf("debugfs -R %q: %v", req, err)
	}
	return string(out)
}

// rdump copies the image's tree to a host directory with debugfs.
func rdump(t *testing.T, img string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command(tool("debugfs"), "-R", "rdump / "+dir, img).CombinedOutput(); err != nil {
		t.Fatalf("debugfs rdump: %v\n%s", err, out)
	}
	return dir
}

// vol is a mounted test volume: the driver behind the real vfs, mounted
// on /mnt of a fresh ramfs root.
type vol struct {
	t    *testing.T
	img  string
	file *blockfile.File
}

func mountImg(t *testing.T, img string, ro bool) (*vol, linux.Errno) {
	t.Helper()
	if e := vfs.ResetForTests(); e != 0 {
		t.Fatal(e)
	}
	vfs.WaitOn = func(uintptr) { panic("vfs would sleep in a single-threaded test") }
	vfs.WakeAll = func(uintptr) {}
	vfs.Register(&FS)
	block.Reset()
	bf, err := blockfile.Open(img, "vdb", ro, 16)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bf.Close() })
	dir, e := vfs.Create(vfs.Root(), []byte("mnt"), linux.S_IFDIR|0o755, 0, 0, 0)
	if e != 0 {
		t.Fatal(e)
	}
	defer vfs.Unref(dir)
	if e := vfs.Mount([]byte("vdb"), dir, []byte("ext2"), ro); e != 0 {
		return nil, e
	}
	return &vol{t: t, img: img, file: bf}, 0
}

func mustMount(t *testing.T, img string, ro bool) *vol {
	t.Helper()
	v, e := mountImg(t, img, ro)
	if e != 0 {
		t.Fatalf("mount %s: %v (%s)", img, e, LastError())
	}
	return v
}

func (v *vol) unmount() {
	v.t.Helper()
	var failed linux.Errno
	vfs.UnmountAll(func(m *vfs.MountPoint, e linux.Errno) { failed = e })
	if failed != 0 {
		v.t.Fatalf("unmount: %v", failed)
	}
}

func full(path string) []byte { return []byte("/mnt/" + strings.TrimPrefix(path, "/")) }

func (v *vol) walk(path string) (vfs.Ino, linux.Errno) {
	return vfs.Resolve(vfs.Root(), full(path), 0)
}

func (v *vol) must(path string) vfs.Ino {
	v.t.Helper()
	i, e := v.walk(path)
	if e != 0 {
		v.t.Fatalf("walk %s: %v", path, e)
	}
	return i
}

func (v *vol) parent(path string) (vfs.Ino, []byte) {
	v.t.Helper()
	dir, name, _, e := vfs.ResolveParent(vfs.Root(), full(path))
	if e != 0 {
		v.t.Fatalf("parent of %s: %v", path, e)
	}
	return dir, name
}

func (v *vol) create(path string, mode uint32) vfs.Ino {
	v.t.Helper()
	dir, name := v.parent(path)
	defer vfs.Unref(dir)
	i, e := vfs.Create(dir, name, mode, 0, 1000, 1000)
	if e != 0 {
		v.t.Fatalf("create %s: %v", path, e)
	}
	return i
}

func (v *vol) mkdir(path string) { vfs.Unref(v.create(path, linux.S_IFDIR|0o755)) }

func (v *vol) writeFile(path string, data []byte) {
	v.t.Helper()
	i, e := v.walk(path)
	if e == linux.ENOENT {
		i = v.create(path, linux.S_IFREG|0o644)
	} else if e != 0 {
		v.t.Fatal(e)
	} else if e := vfs.Truncate(i, 0); e != 0 {
		v.t.Fatalf("truncate %s: %v", path, e)
	}
	defer vfs.Unref(i)
	v.pwrite(i, 0, data)
}

func (v *vol) pwrite(i vfs.Ino, off int64, data []byte) {
	v.t.Helper()
	for len(data) > 0 {
		chunk := len(data)
		if chunk > 100000 {
			chunk = 100000
		}
		n, e := vfs.Write(i, off, data[:chunk])
		if e != 0 || n != chunk {
			v.t.Fatalf("write at %d: %d, %v", off, n, e)
		}
		off += int64(n)
		data = data[n:]
	}
}

func (v *vol) readFile(path string) []byte {
	v.t.Helper()
	i := v.must(path)
	defer vfs.Unref(i)
	size := vfs.Size(i)
	b := make([]byte, size+100)
	got := 0
	for got < len(b) {
		chunk := len(b) - got
		if chunk > 50000 {
			chunk = 50000
		}
		n, e := vfs.Read(i, int64(got), b[got:got+chunk])
		if e != 0 {
			v.t.Fatalf("read %s: %v", path, e)
		}
		if n == 0 {
			break
		}
		got += n
	}
	if int64(got) != size {
		v.t.Fatalf("read %s: %d bytes; size %d", path, got, size)
	}
	return b[:got]
}

func (v *vol) stat(path string) vfs.Stat {
	v.t.Helper()
	i := v.must(path)
	defer vfs.Unref(i)
	return vfs.GetStat(i)
}

func (v *vol) readlink(path string) string {
	v.t.Helper()
	i := v.must(path)
	defer vfs.Unref(i)
	buf := make([]byte, 5000)
	n, e := vfs.Readlink(i, buf)
	if e != 0 {
		v.t.Fatalf("readlink %s: %v", path, e)
	}
	return string(buf[:n])
}

func (v *vol) list(path string) []string {
	v.t.Helper()
	i := v.must(path)
	defer vfs.Unref(i)
	var names []string
	for cookie := int64(2); ; {
		ent, next, ok, e := vfs.ReadDir(i, cookie)
		if e != 0 {
			v.t.Fatalf("readdir %s: %v", path, e)
		}
		if !ok {
			break
		}
		names = append(names, fmt.Sprintf("%s:%d", ent.Name(), ent.Type))
		cookie = next
	}
	sort.Strings(names)
	return names
}

func (v *vol) symlink(path, target string) {
	v.t.Helper()
	dir, name := v.parent(path)
	defer vfs.Unref(dir)
	i, e := vfs.Symlink(dir, name, []byte(target), 0, 0)
	if e != 0 {
		v.t.Fatalf("symlink %s: %v", path, e)
	}
	vfs.Unref(i)
}

func (v *vol) link(oldPath, newPath string) linux.Errno {
	v.t.Helper()
	i := v.must(oldPath)
	defer vfs.Unref(i)
	dir, name := v.parent(newPath)
	defer vfs.Unref(dir)
	return vfs.Link(dir, name, i)
}

func (v *vol) remove(path string) linux.Errno {
	v.t.Helper()
	dir, name := v.parent(path)
	defer vfs.Unref(dir)
	if st := v.stat(path); st.Mode&linux.S_IFMT == linux.S_IFDIR {
		return vfs.Rmdir(dir, name)
	}
	return vfs.Unlink(dir, name)
}

func (v *vol) rename(from, to string, flags uint32) linux.Errno {
	v.t.Helper()
	od, on := v.parent(from)
	defer vfs.Unref(od)
	nd, nn := v.parent(to)
	defer vfs.Unref(nd)
	return vfs.Rename(od, on, nd, nn, flags)
}

func (v *vol) sync() {
	v.t.Helper()
	if e := vfs.SyncAll(); e != 0 {
		v.t.Fatalf("sync: %v", e)
	}
}

func pattern(seed, n int) []byte {
	r := rand.New(rand.NewSource(int64(seed)))
	b := make([]byte, n)
	r.Read(b)
	return b
}

// geometries are the layouts the tests cover.
var geometries = []struct {
	name string
	args []string
}{
	{"1k-128", []string{"-b", "1024", "-I", "128"}},
	{"4k-256", []string{"-b", "4096", "-I", "256"}},
	{"2k-256-rev0ish", []string{"-b", "2048", "-I", "256", "-O", "^dir_index,^resize_inode,^ext_attr"}},
}

func TestReadLinuxTree(t *testing.T) {
	needTools(t)
	src := t.TempDir()
	files := map[string][]byte{
		"empty":              nil,
		"small.txt":          []byte("hello, ext2\n"),
		"block.bin":          pattern(1, 4096),
		"odd.bin":            pattern(2, 5001),
		"indirect.bin":       pattern(3, 300<<10), // indirect and doubly indirect with 1 KiB blocks
		"dir/sub/deep.txt":   []byte("deep"),
		"dir/many/" + "x":    []byte("x"),
		"spaces in name.txt": []byte("name with spaces"),
	}
	for i := 0; i < 120; i++ { // a multi-block directory
		files[fmt.Sprintf("dir/many/file-with-a-longish-name-%03d", i)] = []byte(fmt.Sprint(i))
	}
	for name, data := range files {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	long := strings.Repeat("long/", 30) + "target"
	os.Symlink("small.txt", filepath.Join(src, "fast-link"))
	os.Symlink(long, filepath.Join(src, "slow-link"))
	for _, g := range geometries {
		t.Run(g.name, func(t *testing.T) {
			setupMem(t)
			img := mkfs(t, "8M", append(g.args, "-d", src)...)
			v := mustMount(t, img, true)
			for name, want := range files {
				if got := v.readFile(name); !bytes.Equal(got, want) {
					t.Errorf("%s: read %d bytes, differ from the %d written by mke2fs -d", name, len(got), len(want))
				}
			}
			if got := v.readlink("fast-link"); got != "small.txt" {
				t.Errorf("readlink fast-link = %q", got)
			}
			if got := v.readlink("slow-link"); got != long {
				t.Errorf("readlink slow-link = %q", got)
			}
			if got := len(v.list("dir/many")); got != 121 {
				t.Errorf("dir/many has %d entries; want 121", got)
			}
			root := strings.Join(v.list("/"), " ")
			want := "block.bin:8 dir:4 empty:8 fast-link:10 indirect.bin:8 lost+found:4 odd.bin:8 slow-link:10 small.txt:8 spaces in name.txt:8"
			if root != want {
				t.Errorf("root entries:\n got %s\nwant %s", root, want)
			}
			if st := v.stat("small.txt"); st.Mode != linux.S_IFREG|0o640 || st.Size != 12 || st.Nlink != 1 {
				t.Errorf("small.txt attrs = %+v", st)
			}
			si := v.must("small.txt")
			if _, e := vfs.Write(si, 0, []byte("x")); e != linux.EROFS {
				t.Errorf("write on a read-only mount = %v; want EROFS", e)
			}
			vfs.Unref(si)
			v.unmount()
			fsck(t, img)
		})
	}
}

func TestWriteTreeFsckClean(t *testing.T) {
	needTools(t)
	for _, g := range geometries {
		t.Run(g.name, func(t *testing.T) {
			setupMem(t)
			img := mkfs(t, "16M", g.args...)
			v := mustMount(t, img, false)
			want := map[string][]byte{}
			put := func(p string, b []byte) { v.writeFile(p, b); want[p] = b }
			v.mkdir("/a")
			v.mkdir("/a/b")
			v.mkdir("/gone")
			put("/a/b/small", []byte("small file"))
			put("/a/big", pattern(10, 1<<20+123)) // doubly indirect with 1 KiB blocks
			put("/a/b/exact", pattern(11, 8192))
			put("/empty", nil)
			for k := 0; k < 200; k++ { // grows /many over several blocks
				if k == 0 {
					v.mkdir("/many")
				}
				put(fmt.Sprintf("/many/entry-%04d-%s", k, strings.Repeat("n", k%50)), []byte(fmt.Sprint(k)))
			}
			for k := 0; k < 200; k += 3 {
				p := fmt.Sprintf("/many/entry-%04d-%s", k, strings.Repeat("n", k%50))
				if e := v.remove(p); e != 0 {
					t.Fatalf("remove %s: %v", p, e)
				}
				delete(want, p)
			}
			v.symlink("/fast", "a/b/small")
			v.symlink("/slow", strings.Repeat("x", 200))
			// Hard link, rename over, rename a directory across parents.
			if e := v.link("/a/b/small", "/hard"); e != 0 {
				t.Fatalf("link: %v", e)
			}
			want["/hard"] = want["/a/b/small"]
			if e := v.rename("/a/b/exact", "/a/big", 0); e != 0 {
				t.Fatalf("rename over: %v", e)
			}
			want["/a/big"] = want["/a/b/exact"]
			delete(want, "/a/b/exact")
			if e := v.rename("/a/b", "/gone/b2", 0); e != 0 {
				t.Fatalf("rename dir: %v", e)
			}
			want["/gone/b2/small"] = want["/a/b/small"]
			delete(want, "/a/b/small")
			// Truncations: shrink into the direct blocks, grow sparse.
			put("/trunc", pattern(12, 600<<10))
			ti := v.must("/trunc")
			if e := vfs.Truncate(ti, 5000); e != 0 {
				t.Fatal(e)
			}
			if e := vfs.Truncate(ti, 9000); e != 0 {
				t.Fatal(e)
			}
			vfs.Unref(ti)
			want["/trunc"] = append(append([]byte{}, want["/trunc"][:5000]...), make([]byte, 4000)...)
			// A sparse file.
			si := v.create("/sparse", linux.S_IFREG|0o600)
			v.pwrite(si, 3<<20, []byte("tail"))
			vfs.Unref(si)
			want["/sparse"] = append(make([]byte, 3<<20), "tail"...)
			if e := v.remove("/gone"); e != linux.ENOTEMPTY {
				t.Errorf("rmdir non-empty = %v; want ENOTEMPTY", e)
			}
			v.mkdir("/rmme")
			if e := v.remove("/rmme"); e != 0 {
				t.Errorf("rmdir = %v", e)
			}
			for p, b := range want {
				if got := v.readFile(p); !bytes.Equal(got, b) {
					t.Errorf("%s reads back differently (%d bytes, want %d)", p, len(got), len(b))
				}
			}
			v.unmount()
			fsck(t, img)
			hostView := rdump(t, img)
			for p, b := range want {
				got, err := os.ReadFile(filepath.Join(hostView, p))
				if err != nil || !bytes.Equal(got, b) {
					t.Errorf("debugfs rdump %s: %d bytes (%v), want %d", p, len(got), err, len(b))
				}
			}
			if out := debugfs(t, img, "stat /slow"); !strings.Contains(out, "Size: 200") {
				t.Errorf("debugfs stat /slow:\n%s", out)
			}
			if out := debugfs(t, img, "ls -l /gone/b2"); !strings.Contains(out, "small") {
				t.Errorf("debugfs ls /gone/b2:\n%s", out)
			}
			// And our own view after a remount.
			v = mustMount(t, img, true)
			for p, b := range want {
				if got := v.readFile(p); !bytes.Equal(got, b) {
					t.Errorf("after remount %s differs", p)
				}
			}
			if got := v.readlink("/slow"); got != strings.Repeat("x", 200) {
				t.Errorf("readlink /slow = %q", got)
			}
			v.unmount()
		})
	}
}

// TestFsckCleanAtEveryFlush runs a random workload with fsyncs and syncs
// and checks the image with e2fsck at every device flush: whatever was
// made durable is a consistent file system.
func TestFsckCleanAtEveryFlush(t *testing.T) {
	needTools(t)
	for _, g := range geometries[:2] {
		t.Run(g.name, func(t *testing.T) {
			setupMem(t)
			CacheBytes = 64 << 10 // small: write-back under pressure happens too
			img := mkfs(t, "8M", g.args...)
			v := mustMount(t, img, false)
			flushes := 0
			v.file.OnFlush = func() error {
				flushes++
				out, err := exec.Command(tool("e2fsck"), "-fn", img).CombinedOutput()
				if err != nil {
					return fmt.Errorf("flush %d: e2fsck -fn: %v\n%s", flushes, err, out)
				}
				return nil
			}
			r := rand.New(rand.NewSource(7))
			want := map[string][]byte{}
			dirs := []string{"/"}
			var names []string
			for step := 0; step < 300; step++ {
				switch op := r.Intn(10); {
				case op < 4 || len(names) == 0:
					d := dirs[r.Intn(len(dirs))]
					p := fmt.Sprintf("%sf%d", strings.TrimSuffix(d, "/")+"/", step)
					b := pattern(step, r.Intn(40000))
					v.writeFile(p, b)
					want[p] = b
					names = append(names, p)
				case op == 4:
					d := fmt.Sprintf("%sd%d", strings.TrimSuffix(dirs[r.Intn(len(dirs))], "/")+"/", step)
					v.mkdir(d)
					dirs = append(dirs, d)
				case op == 5:
					k := r.Intn(len(names))
					if e := v.remove(names[k]); e != 0 {
						t.Fatalf("remove %s: %v", names[k], e)
					}
					delete(want, names[k])
					names = append(names[:k], names[k+1:]...)
				case op == 6:
					k := r.Intn(len(names))
					to := fmt.Sprintf("%sr%d", strings.TrimSuffix(dirs[r.Intn(len(dirs))], "/")+"/", step)
					if e := v.rename(names[k], to, 0); e != 0 {
						t.Fatalf("rename %s %s: %v", names[k], to, e)
					}
					want[to] = want[names[k]]
					delete(want, names[k])
					names[k] = to
				case op == 7:
					k := r.Intn(len(names))
					i := v.must(names[k])
					size := int64(r.Intn(len(want[names[k]]) + 1))
					if e := vfs.Truncate(i, size); e != 0 {
						t.Fatal(e)
					}
					vfs.Unref(i)
					want[names[k]] = want[names[k]][:size]
				case op == 8:
					k := r.Intn(len(names))
					i := v.must(names[k])
					if e := vfs.Fsync(i, false); e != 0 {
						t.Fatalf("fsync: %v", e)
					}
					vfs.Unref(i)
				default:
					v.sync()
				}
			}
			v.sync()
			if flushes < 20 {
				t.Errorf("only %d flushes", flushes)
			}
			for p, b := range want {
				if got := v.readFile(p); !bytes.Equal(got, b) {
					t.Errorf("%s differs", p)
				}
			}
			v.unmount()
			fsck(t, img)
		})
	}
}

// TestFsyncIsDurable checks that fsync writes the file's data and the
// metadata that reaches it, but not other files' data.
func TestFsyncIsDurable(t *testing.T) {
	needTools(t)
	setupMem(t)
	img := mkfs(t, "8M", "-b", "4096")
	v := mustMount(t, img, false)
	v.mkdir("/d")
	a := pattern(1, 100000)
	v.writeFile("/d/a", a)
	v.writeFile("/b", pattern(2, 5000))
	i := v.must("/d/a")
	if e := vfs.Fsync(i, false); e != 0 {
		t.Fatal(e)
	}
	vfs.Unref(i)
	// The image as it is now: a crash here keeps /d/a.
	fsck(t, img)
	host := rdump(t, img)
	if got, err := os.ReadFile(filepath.Join(host, "d/a")); err != nil || !bytes.Equal(got, a) {
		t.Errorf("after fsync, the image has %d bytes of /d/a (%v); want %d", len(got), err, len(a))
	}
	if got, _ := os.ReadFile(filepath.Join(host, "b")); bytes.Equal(got, pattern(2, 5000)) {
		t.Errorf("fsync of /d/a wrote /b's data too")
	}
	if out := dumpe2fs(t, img); !strings.Contains(out, "not clean") {
		t.Errorf("mounted file system marked clean on disk")
	}
	v.unmount()
	fsck(t, img)
	if out := dumpe2fs(t, img); !strings.Contains(out, "Filesystem state:         clean") {
		t.Errorf("unmounted file system not marked clean:\n%s", out)
	}
}

func dumpe2fs(t *testing.T, img string) string {
	t.Helper()
	out, err := exec.Command(tool("dumpe2fs"), "-h", img).CombinedOutput()
	if err != nil {
		t.Fatalf("dumpe2fs: %v\n%s", err, out)
	}
	return string(out)
}

func TestMountCountAndState(t *testing.T) {
	needTools(t)
	setupMem(t)
	img := mkfs(t, "4M")
	count := func() string {
		for _, l := range strings.Split(dumpe2fs(t, img), "\n") {
			if strings.HasPrefix(l, "Mount count:") {
				return strings.TrimSpace(strings.TrimPrefix(l, "Mount count:"))
			}
		}
		return "?"
	}
	if c := count(); c != "0" {
		t.Fatalf("fresh mount count %s", c)
	}
	v := mustMount(t, img, false)
	if c := count(); c != "1" {
		t.Errorf("mount count after a read-write mount = %s; want 1", c)
	}
	v.unmount()
	v = mustMount(t, img, true)
	v.unmount()
	if c := count(); c != "1" {
		t.Errorf("a read-only mount changed the mount count to %s", c)
	}
	// A file system not cleanly unmounted stays marked so (e2fsck's job).
	v = mustMount(t, img, false)
	v.writeFile("/x", []byte("x"))
	v.sync()
	if out := dumpe2fs(t, img); !strings.Contains(out, "Filesystem state:         clean") {
		t.Errorf("sync did not mark the file system clean")
	}
	v.writeFile("/y", []byte("y"))
	i := v.must("/y")
	vfs.Fsync(i, false)
	vfs.Unref(i)
	if out := dumpe2fs(t, img); !strings.Contains(out, "not clean") {
		t.Errorf("a change after sync left the clean flag set")
	}
	v.unmount()
	fsck(t, img)
}

func TestBadVolumes(t *testing.T) {
	needTools(t)
	for _, tc := range []struct {
		name  string
		make  func(t *testing.T) string
		ro    bool
		want  string // in LastError
		errno linux.Errno
	}{
		{"zeros", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "zero.img")
			os.WriteFile(p, make([]byte, 1<<20), 0o644)
			return p
		}, false, "bad superblock magic 0x0 (want 0xef53): not an ext2 file system", linux.EINVAL},
		{"ext4", func(t *testing.T) string {
			img := filepath.Join(t.TempDir(), "ext4.img")
			out, err := exec.Command(tool("mke2fs"), "-q", "-F", "-t", "ext4", img, "8M").CombinedOutput()
			if err != nil {
				t.Fatalf("mke2fs -t ext4: %v\n%s", err, out)
			}
			return img
		}, true, "unsupported feature", linux.EINVAL},
		{"metadata_csum", func(t *testing.T) string {
			return mkfs(t, "4M", "-O", "metadata_csum")
		}, false, "feature metadata_csum is supported read-only", linux.EROFS},
		{"truncated", func(t *testing.T) string {
			img := mkfs(t, "8M")
			os.Truncate(img, 4<<20)
			return img
		}, false, "larger than the device", linux.EINVAL},
		{"bad descriptor", func(t *testing.T) string {
			img := mkfs(t, "8M", "-b", "1024")
			f, _ := os.OpenFile(img, os.O_RDWR, 0)
			f.WriteAt([]byte{0xff, 0xff, 0xff, 0x00}, 2048) // group 0's block bitmap pointer
			f.Close()
			return img
		}, false, "corrupt group descriptor 0: block bitmap at 16777215 outside the group", linux.EINVAL},
		{"bad geometry", func(t *testing.T) string {
			img := mkfs(t, "8M", "-b", "1024")
			f, _ := os.OpenFile(img, os.O_RDWR, 0)
			f.WriteAt([]byte{0, 0, 0, 0}, 1024+40) // inodes per group
			f.Close()
			return img
		}, false, "bad superblock: inodes per group 0", linux.EINVAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setupMem(t)
			img := tc.make(t)
			before, _ := os.ReadFile(img)
			_, e := mountImg(t, img, tc.ro)
			if e != tc.errno || !strings.Contains(string(LastError()), tc.want) {
				t.Errorf("mount = %v (%q); want %v (%q)", e, LastError(), tc.errno, tc.want)
			}
			if after, _ := os.ReadFile(img); !bytes.Equal(before, after) {
				t.Errorf("a failed mount changed the image")
			}
		})
	}
	// An ext4 volume without the ext4-only incompatible features is an
	// ext2 one with extra read-only features: the message names one.
	setupMem(t)
	img := mkfs(t, "4M", "-O", "huge_file,dir_nlink")
	if _, e := mountImg(t, img, false); e != linux.EROFS || !strings.Contains(string(LastError()), "huge_file") {
		t.Errorf("read-write mount with huge_file = %v (%s)", e, LastError())
	}
	v := mustMount(t, img, true)
	v.unmount()
}

func TestNoSpace(t *testing.T) {
	needTools(t)
	setupMem(t)
	img := mkfs(t, "1M", "-b", "1024", "-N", "64")
	v := mustMount(t, img, false)
	i := v.create("/big", linux.S_IFREG|0o644)
	data := pattern(3, 64<<10)
	var total int64
	var err linux.Errno
	for k := 0; k < 100; k++ {
		n, e := vfs.Write(i, total, data)
		total += int64(n)
		if e != 0 {
			err = e
			break
		}
	}
	if err != linux.ENOSPC {
		t.Fatalf("filling the disk: %v after %d bytes; want ENOSPC", err, total)
	}
	if total < 700<<10 {
		t.Errorf("only %d bytes fit in a 1 MiB file system", total)
	}
	vfs.Unref(i)
	// Inodes run out too.
	var made int
	for k := 0; k < 100; k++ {
		dir, name := v.parent(fmt.Sprintf("/e%d", k))
		c, e := vfs.Create(dir, name, linux.S_IFREG|0o644, 0, 0, 0)
		vfs.Unref(dir)
		if e == linux.ENOSPC {
			break
		}
		if e != 0 {
			t.Fatalf("create: %v", e)
		}
		vfs.Unref(c)
		made++
	}
	if made == 0 || made >= 100 {
		t.Errorf("made %d files in a 64-inode file system", made)
	}
	v.sync()
	fsck(t, img)
	st, _, _ := vfs.Statfs(v.must("/"))
	if st.Free > 2 || st.FreeFiles != 0 {
		t.Errorf("statfs of a full file system: %+v", st)
	}
	// Deleting gives the space back.
	if e := v.remove("/big"); e != 0 {
		t.Fatal(e)
	}
	v.sync()
	st2, _, _ := vfs.Statfs(v.must("/"))
	if st2.Free < uint64(total/1024) {
		t.Errorf("after removing /big: %d free blocks; want ≥ %d", st2.Free, total/1024)
	}
	v.unmount()
	fsck(t, img)
}

func TestLargeSparseFile(t *testing.T) {
	needTools(t)
	for _, args := range [][]string{{"-b", "4096"}, {"-b", "4096", "-O", "^large_file"}} {
		setupMem(t)
		img := mkfs(t, "16M", args...)
		v := mustMount(t, img, false)
		i := v.create("/huge", linux.S_IFREG|0o644)
		off := int64(3)<<30 + 12345
		v.pwrite(i, off, []byte("beyond 2 GiB"))
		v.pwrite(i, 0, []byte("start"))
		vfs.Unref(i)
		v.unmount()
		fsck(t, img)
		if out := dumpe2fs(t, img); !strings.Contains(out, "large_file") {
			t.Errorf("%v: large_file feature not set", args)
		}
		out := debugfs(t, img, "stat /huge")
		if !strings.Contains(out, fmt.Sprintf("Size: %d", off+12)) {
			t.Errorf("debugfs stat /huge:\n%s", out)
		}
		v = mustMount(t, img, true)
		i = v.must("/huge")
		b := make([]byte, 12)
		if n, e := vfs.Read(i, off, b); n != 12 || e != 0 || string(b) != "beyond 2 GiB" {
			t.Errorf("read at 3 GiB: %d %v %q", n, e, b)
		}
		if n, e := vfs.Read(i, 1<<30, b); n != 12 || e != 0 || !bytes.Equal(b, make([]byte, 12)) {
			t.Errorf("read in the hole: %d %v %q", n, e, b)
		}
		if st := vfs.GetStat(i); st.Blocks > 8*5 {
			t.Errorf("sparse file uses %d sectors", st.Blocks)
		}
		vfs.Unref(i)
		v.unmount()
	}
}

func TestUnlinkedOpenFile(t *testing.T) {
	needTools(t)
	setupMem(t)
	img := mkfs(t, "4M")
	v := mustMount(t, img, false)
	v.writeFile("/keep", []byte("keep"))
	i := v.create("/tmpfile", linux.S_IFREG|0o600)
	v.pwrite(i, 0, pattern(4, 50000))
	if e := v.remove("/tmpfile"); e != 0 {
		t.Fatal(e)
	}
	v.pwrite(i, 50000, []byte("still writable"))
	b := make([]byte, 14)
	if n, _ := vfs.Read(i, 50000, b); n != 14 || string(b) != "still writable" {
		t.Errorf("read of an unlinked open file: %q", b)
	}
	// Held to the end (the program exits with it open): unmount frees it.
	v.unmount()
	fsck(t, img)

	// Closed before the end: freed at once.
	setupMem(t)
	img = mkfs(t, "4M")
	v = mustMount(t, img, false)
	i = v.create("/tmpfile", linux.S_IFREG|0o600)
	v.pwrite(i, 0, pattern(4, 50000))
	v.remove("/tmpfile")
	st, _, _ := vfs.Statfs(i)
	vfs.Unref(i)
	st2, _, _ := vfs.Statfs(v.must("/"))
	if st2.Free <= st.Free || st2.FreeFiles != st.FreeFiles+1 {
		t.Errorf("closing an unlinked file freed nothing: %+v → %+v", st, st2)
	}
	v.sync()
	fsck(t, img)
	v.unmount()
}

func TestSpecialFilesAndExchange(t *testing.T) {
	needTools(t)
	setupMem(t)
	img := mkfs(t, "4M")
	v := mustMount(t, img, false)
	for _, n := range []struct {
		path string
		mode uint32
		rdev uint32
	}{
		{"/null", linux.S_IFCHR | 0o666, 1<<8 | 3},
		{"/big-dev", linux.S_IFBLK | 0o600, 259<<8 | 300&0xff | (300&^0xff)<<12},
		{"/fifo", linux.S_IFIFO | 0o644, 0},
		{"/sock", linux.S_IFSOCK | 0o755, 0},
	} {
		dir, name := v.parent(n.path)
		i, e := vfs.Create(dir, name, n.mode, n.rdev, 0, 0)
		vfs.Unref(dir)
		if e != 0 {
			t.Fatalf("mknod %s: %v", n.path, e)
		}
		vfs.Unref(i)
		if st := v.stat(n.path); st.Mode != n.mode || st.Rdev != n.rdev {
			t.Errorf("%s: mode %o rdev %#x; want %o %#x", n.path, st.Mode, st.Rdev, n.mode, n.rdev)
		}
	}
	v.mkdir("/d1")
	v.mkdir("/d1/sub")
	v.mkdir("/d2")
	v.writeFile("/d2/file", []byte("f"))
	if e := v.rename("/d1/sub", "/d2/file", linux.RENAME_EXCHANGE); e != 0 {
		t.Fatalf("exchange: %v", e)
	}
	if got := string(v.readFile("/d1/sub")); got != "f" {
		t.Errorf("after exchange /d1/sub = %q", got)
	}
	if st := v.stat("/d2/file"); st.Mode&linux.S_IFMT != linux.S_IFDIR {
		t.Errorf("after exchange /d2/file is not a directory")
	}
	if st := v.stat("/d1"); st.Nlink != 2 {
		t.Errorf("/d1 nlink = %d; want 2", st.Nlink)
	}
	if st := v.stat("/d2"); st.Nlink != 3 {
		t.Errorf("/d2 nlink = %d; want 3", st.Nlink)
	}
	v.unmount()
	fsck(t, img)
	out := debugfs(t, img, "stat /big-dev")
	if !strings.Contains(out, "Device major/minor number: 259:300") {
		t.Errorf("debugfs stat /big-dev:\n%s", out)
	}
	if out := debugfs(t, img, "ls -l /d2/file"); !strings.Contains(out, "..") {
		t.Errorf("debugfs ls /d2/file:\n%s", out)
	}
}

// TestCorruptionDoesNotCrash flips bytes in the metadata of a populated
// volume (superblock, descriptors, bitmaps, inode tables, directories) and
// walks, reads and changes the tree: the driver may refuse the mount or
// report EIO, but must not panic (a panic is a kernel fault in the guest).
func TestCorruptionDoesNotCrash(t *testing.T) {
	needTools(t)
	src := t.TempDir()
	for i := 0; i < 40; i++ {
		p := filepath.Join(src, fmt.Sprintf("d%d/s%d/f%d", i%3, i%5, i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, pattern(i, i*997%70000), 0o644)
	}
	os.Symlink(strings.Repeat("t/", 40), filepath.Join(src, "slow"))
	os.Symlink("d0", filepath.Join(src, "fast"))
	clean := mkfs(t, "4M", "-b", "1024", "-N", "128", "-d", src)
	orig, err := os.ReadFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	// Metadata lives in the first blocks of the group (1 KiB blocks: the
	// superblock, descriptors, bitmaps, then the inode table) and in the
	// directory blocks; corrupt the first 64 KiB.
	mounted := 0
	for seed := int64(0); seed < 60; seed++ {
		img := filepath.Join(t.TempDir(), "c.img")
		b := append([]byte{}, orig...)
		r := rand.New(rand.NewSource(seed))
		for k := 0; k < 1+r.Intn(30); k++ {
			off := 1024 + r.Intn(64<<10)
			if seed%4 == 0 {
				off = 1024 + r.Intn(1024) // the superblock itself
			}
			b[off] = byte(r.Intn(256))
		}
		os.WriteFile(img, b, 0o644)
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("seed %d: driver panicked: %v", seed, p)
				}
			}()
			setupMem(t)
			v, e := mountImg(t, img, false)
			if e != 0 {
				return
			}
			mounted++
			var walk func(path string, depth int)
			walk = func(path string, depth int) {
				i, e := v.walk(path)
				if e != 0 || depth > 8 {
					return
				}
				defer vfs.Unref(i)
				st := vfs.GetStat(i)
				switch st.Mode & linux.S_IFMT {
				case linux.S_IFDIR:
					for cookie := int64(2); ; {
						ent, next, ok, e := vfs.ReadDir(i, cookie)
						if e != 0 || !ok || next <= cookie {
							break
						}
						walk(path+"/"+string(ent.Name()), depth+1)
						cookie = next
					}
					dir, name := v.parent(path + "/newfile")
					if c, e := vfs.Create(dir, name, linux.S_IFREG|0o644, 0, 0, 0); e == 0 {
						vfs.Write(c, 0, []byte("x"))
						vfs.Unref(c)
					}
					vfs.Unref(dir)
				case linux.S_IFREG:
					buf := make([]byte, 8192)
					for off := int64(0); off < st.Size && off < 1<<20; off += 8192 {
						if _, e := vfs.Read(i, off, buf); e != 0 {
							break
						}
					}
					vfs.Truncate(i, st.Size/2)
				case linux.S_IFLNK:
					vfs.Readlink(i, make([]byte, 5000))
				}
			}
			walk("/", 0)
			vfs.SyncAll()
			vfs.UnmountAll(nil)
		}()
	}
	if mounted < 20 {
		t.Errorf("only %d of 60 corrupted volumes mounted: the test exercises little", mounted)
	}
	t.Logf("%d of 60 corrupted volumes mounted and were walked", mounted)
}
