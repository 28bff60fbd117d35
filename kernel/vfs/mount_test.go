package vfs

import (
	"testing"

	"unigo.dev/unigo/kernel/abi/linux"
)

// memDriver is a toy file-system driver over Go maps, enough to exercise
// the mount machinery on the host: inode cache, references, eviction,
// mount crossing and the generic checks.
type memNode struct {
	mode    uint32
	nlink   uint32
	data    []byte
	entries []memEntry // directories
	target  string     // symlinks
}

type memEntry struct {
	name string
	key  uint64
}

type memDriver struct {
	nodes   map[uint64]*memNode
	next    uint64
	evicted []uint64
	freed   []uint64 // evicted with no links: storage released
	synced  int
	names   [256]byte
}

var drv *memDriver

func (d *memDriver) iget(m *MountPoint, key uint64) Ino {
	i, fresh, e := Iget(m, key)
	if e != 0 {
		panic(e)
	}
	if fresh {
		n := d.nodes[key]
		a := Attrs(i)
		a.Ino, a.Mode, a.Nlink, a.Size = key, n.mode, n.nlink, int64(len(n.data))
	}
	return i
}

func (d *memDriver) find(dir Ino, name []byte) (int, *memNode) {
	n := d.nodes[Key(dir)]
	for k, e := range n.entries {
		if e.name == string(name) {
			return k, n
		}
	}
	return -1, n
}

func (d *memDriver) add(m *MountPoint, dir Ino, name []byte, n *memNode) Ino {
	d.next++
	d.nodes[d.next] = n
	p := d.nodes[Key(dir)]
	p.entries = append(p.entries, memEntry{string(name), d.next})
	if n.mode&linux.S_IFMT == linux.S_IFDIR {
		p.nlink++
		Attrs(dir).Nlink = p.nlink
	}
	return d.iget(m, d.next)
}

func (d *memDriver) remove(dir Ino, name []byte) {
	k, p := d.find(dir, name)
	p.entries = append(p.entries[:k], p.entries[k+1:]...)
}

func newMemDriver() *FileSystem {
	d := &memDriver{nodes: map[uint64]*memNode{1: {mode: linux.S_IFDIR | 0o755, nlink: 2}}, next: 1}
	drv = d
	return &FileSystem{
		Name:  "memfs",
		Mount: func(m *MountPoint) (Ino, linux.Errno) { return d.iget(m, 1), 0 },
		Lookup: func(m *MountPoint, dir Ino, name []byte) (Ino, linux.Errno) {
			k, p := d.find(dir, name)
			if k < 0 {
				return 0, linux.ENOENT
			}
			return d.iget(m, p.entries[k].key), 0
		},
		ReadDir: func(m *MountPoint, dir Ino, cookie int64) (Dirent, int64, bool, linux.Errno) {
			p := d.nodes[Key(dir)]
			if int(cookie) >= len(p.entries) {
				return Dirent{}, 0, false, 0
			}
			e := p.entries[cookie]
			ent := Dirent{Ino: e.key, Type: uint8(d.nodes[e.key].mode >> 12)}
			ent.SetName(d.names[:copy(d.names[:], e.name)])
			return ent, cookie + 1, true, 0
		},
		Read: func(m *MountPoint, i Ino, off int64, b []byte) (int, linux.Errno) {
			n := d.nodes[Key(i)]
			if off >= int64(len(n.data)) {
				return 0, 0
			}
			return copy(b, n.data[off:]), 0
		},
		Write: func(m *MountPoint, i Ino, off int64, b []byte) (int, linux.Errno) {
			n := d.nodes[Key(i)]
			for int64(len(n.data)) < off+int64(len(b)) {
				n.data = append(n.data, 0)
			}
			copy(n.data[off:], b)
			Attrs(i).Size = int64(len(n.data))
			return len(b), 0
		},
		Create: func(m *MountPoint, dir Ino, name []byte, mode, rdev, uid, gid uint32) (Ino, linux.Errno) {
			nl := uint32(1)
			if mode&linux.S_IFMT == linux.S_IFDIR {
				nl = 2
			}
			return d.add(m, dir, name, &memNode{mode: mode, nlink: nl}), 0
		},
		Symlink: func(m *MountPoint, dir Ino, name, target []byte, uid, gid uint32) (Ino, linux.Errno) {
			i := d.add(m, dir, name, &memNode{mode: linux.S_IFLNK | 0o777, nlink: 1, target: string(target)})
			Attrs(i).Size = int64(len(target))
			return i, 0
		},
		Readlink: func(m *MountPoint, i Ino, buf []byte) (int, linux.Errno) {
			return copy(buf, d.nodes[Key(i)].target), 0
		},
		Remove: func(m *MountPoint, dir Ino, name []byte, i Ino) linux.Errno {
			d.remove(dir, name)
			n := d.nodes[Key(i)]
			if n.mode&linux.S_IFMT == linux.S_IFDIR {
				n.nlink = 0
				p := d.nodes[Key(dir)]
				p.nlink--
				Attrs(dir).Nlink = p.nlink
			} else {
				n.nlink--
			}
			Attrs(i).Nlink = n.nlink
			return 0
		},
		Rename: func(m *MountPoint, oldDir Ino, oldName []byte, i Ino, newDir Ino, newName []byte, target Ino, flags uint32) linux.Errno {
			if target != 0 {
				d.remove(newDir, newName)
				d.nodes[Key(target)].nlink--
				Attrs(target).Nlink--
			}
			d.remove(oldDir, oldName)
			p := d.nodes[Key(newDir)]
			p.entries = append(p.entries, memEntry{string(newName), Key(i)})
			return 0
		},
		SetAttr: func(m *MountPoint, i Ino, what uint32) linux.Errno {
			d.nodes[Key(i)].mode = Attrs(i).Mode
			return 0
		},
		Sync: func(m *MountPoint) linux.Errno { d.synced++; return 0 },
		Evict: func(m *MountPoint, i Ino) {
			d.evicted = append(d.evicted, Key(i))
			if Attrs(i).Nlink == 0 {
				d.freed = append(d.freed, Key(i))
				delete(d.nodes, Key(i))
			}
		},
		Statfs: func(m *MountPoint) (StatFS, linux.Errno) { return StatFS{Type: 0x1234, BlockSize: 4096}, 0 },
	}
}

func mountMem(t *testing.T) {
	t.Helper()
	for k := range mounts {
		mounts[k] = MountPoint{}
		cache[k] = cacheState{}
	}
	hash = [hashSize]Ino{}
	registered = [maxFS]*FileSystem{}
	Register(newMemDriver())
	mnt := mkdirp(t, "/mnt/data")
	if e := Mount([]byte("tag"), mnt, []byte("memfs"), false); e != 0 {
		t.Fatalf("Mount = %v", e)
	}
}

func TestMountCrossingAndDotDot(t *testing.T) {
	setup(t)
	mountMem(t)
	writeFile(t, "/mnt/data/f", "on the driver")
	if got := readAll(t, mustResolve(t, "/mnt/data/f", Follow)); got != "on the driver" {
		t.Errorf("read back %q", got)
	}
	if got := drv.nodes[2].data; string(got) != "on the driver" {
		t.Errorf("driver holds %q", got)
	}
	mkdirp(t, "/mnt/data/sub/deeper")
	up := mustResolve(t, "/mnt/data/sub/deeper/../../..", Follow)
	if up != mustResolve(t, "/mnt", Follow) {
		t.Errorf(".. from the mount root left the guest tree")
	}
	buf := make([]byte, 100)
	p, ok := PathOf(mustResolve(t, "/mnt/data/sub/deeper", Follow), buf)
	if !ok || string(p) != "/mnt/data/sub/deeper" {
		t.Errorf("PathOf = %q, %v", p, ok)
	}
	// An absolute symlink in the mount resolves in the guest's tree.
	writeFile(t, "/etc-host", "guest file")
	dir := mustResolve(t, "/mnt/data", Follow)
	l, e := Symlink(dir, []byte("escape"), []byte("/etc-host"), 0, 0)
	if e != 0 {
		t.Fatal(e)
	}
	Unref(l)
	if got := readAll(t, mustResolve(t, "/mnt/data/escape", Follow)); got != "guest file" {
		t.Errorf("symlink target = %q", got)
	}
	if got := names(t, dir); len(got) != 5 || got[2] != "f" || got[3] != "sub" || got[4] != "escape" {
		t.Errorf("ReadDir = %q", got)
	}
	st, ok, _ := Statfs(dir)
	if !ok || st.Type != 0x1234 {
		t.Errorf("Statfs = %+v, %v", st, ok)
	}
	if GetStat(dir).Dev == GetStat(Root()).Dev {
		t.Errorf("a mount shares st_dev with the root")
	}
}

func TestMountGenericChecks(t *testing.T) {
	setup(t)
	mountMem(t)
	dir := mustResolve(t, "/mnt/data", Follow)
	writeFile(t, "/mnt/data/a", "x")
	writeFile(t, "/ram", "y")
	mkdirp(t, "/mnt/data/d/e")
	for _, tt := range []struct {
		name string
		got  linux.Errno
		want linux.Errno
	}{
		{"create existing", func() linux.Errno { _, e := Create(dir, []byte("a"), linux.S_IFREG, 0, 0, 0); return e }(), linux.EEXIST},
		{"rmdir non-empty", Rmdir(dir, []byte("d")), linux.ENOTEMPTY},
		{"unlink dir", Unlink(dir, []byte("d")), linux.EISDIR},
		{"rename across mounts", Rename(Root(), []byte("ram"), dir, []byte("ram"), 0), linux.EXDEV},
		{"link across mounts", Link(dir, []byte("l"), mustResolve(t, "/ram", 0)), linux.EXDEV},
		{"remove mount point", Rmdir(mustResolve(t, "/mnt", Follow), []byte("data")), linux.EBUSY},
		{"rename into itself", Rename(dir, []byte("d"), mustResolve(t, "/mnt/data/d/e", Follow), []byte("x"), 0), linux.EINVAL},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %v; want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestMountEvictsUnlinkedAtLastClose(t *testing.T) {
	setup(t)
	mountMem(t)
	i := writeFile(t, "/mnt/data/f", "data")
	Ref(i) // an open file
	key := Key(i)
	dir := mustResolve(t, "/mnt/data", Follow)
	if e := Unlink(dir, []byte("f")); e != 0 {
		t.Fatal(e)
	}
	if got := readAll(t, i); got != "data" {
		t.Errorf("open unlinked file reads %q", got)
	}
	if len(drv.freed) != 0 {
		t.Fatalf("storage freed while open: %v", drv.freed)
	}
	Unref(i)
	if len(drv.freed) != 1 || drv.freed[0] != key {
		t.Errorf("freed = %v; want [%d]", drv.freed, key)
	}
}

func TestMountCacheIsBounded(t *testing.T) {
	setup(t)
	mountMem(t)
	dir := mustResolve(t, "/mnt/data", Follow)
	for k := 0; k < cacheMax+50; k++ {
		name := []byte{'f', byte('a' + k%26), byte('a' + k/26%26), byte('a' + k/676)}
		i, e := Create(dir, name, linux.S_IFREG|0o644, 0, 0, 0)
		if e != 0 {
			t.Fatal(e)
		}
		Unref(i)
	}
	if c := cache[0].n; c > cacheMax {
		t.Errorf("%d unreferenced inodes cached; the bound is %d", c, cacheMax)
	}
	if len(drv.evicted) < 50 {
		t.Errorf("evicted %d inodes; want at least 50", len(drv.evicted))
	}
	// Evicted inodes come back from the driver.
	if got := readAll(t, mustResolve(t, "/mnt/data/faaa", Follow)); got != "" {
		t.Errorf("re-read evicted file: %q", got)
	}
	UnmountAll(nil)
	if drv.synced != 1 {
		t.Errorf("UnmountAll synced %d times; want 1", drv.synced)
	}
}
