package vfs

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/kmem"
)

// Mounted file systems.
//
// ramfs is the root and is built into this package. Other file systems
// (ext2 on a virtio-blk volume, 9P host shares) are drivers in their own
// packages that fill in a [FileSystem] and are mounted on a ramfs directory
// with [Mount]. Their inodes are ordinary vfs inodes kept in an inode cache
// keyed by (mount, key): the driver reads an inode's attributes into it
// ([Attrs]) when [Iget] reports it fresh, and keeps one private word per
// inode ([Priv], [SetPriv]).
//
// # Rules for drivers
//
//   - Every operation runs in trap context: no Go heap allocation, no write
//     barriers (ADR 0001). Drivers keep their state in static variables and
//     kernel memory.
//   - Operations may sleep (disk or device I/O). The vfs serializes all
//     operations on one mount with a sleeping lock, so a driver needs no
//     locking of its own; it must not call back into the vfs for another
//     path walk.
//   - Inodes returned by Lookup, Create and Symlink carry a reference taken
//     with [Iget]; the vfs drops it with [Unref]. An inode whose last
//     reference goes stays cached until the cache evicts it, which calls
//     Evict (the driver frees an unlinked inode's disk space there).
//   - The vfs checks names, permissions of the directory kind and existence
//     (EEXIST, ENOENT, ENOTDIR, EISDIR, ENOTEMPTY) before it calls a
//     mutating operation, and updates the cached attributes the generic
//     way (link counts, ctime, mtime of directories) only for ramfs:
//     drivers keep their inodes' [Attr] current themselves.

// Attr is an inode's attributes. For driver inodes the driver keeps them
// current; the vfs reads them for stat and permission checks.
type Attr struct {
	Ino                 uint64
	Mode, Nlink         uint32
	UID, GID, Rdev      uint32
	Size, Blocks        int64 // Blocks in 512-byte units (drivers; ramfs counts pages)
	Atime, Mtime, Ctime int64 // ns since the epoch
}

// Dirent is one directory entry from [FileSystem.ReadDir]. Its name is
// NameLen bytes at the kernel address NameAddr (integers only, so entries
// move without write barriers); it may point into the driver's buffers and
// is valid until the next call on the mount.
type Dirent struct {
	Ino      uint64
	NameAddr uintptr
	NameLen  int
	Type     uint8 // DT_* (S_IFMT >> 12)
}

// Name returns the entry's name.
func (d *Dirent) Name() []byte {
	return unsafe.Slice((*byte)(mm.Ptr(d.NameAddr)), d.NameLen)
}

// SetName points the entry at name, which must be kernel memory that
// outlives the entry's use (a driver's static buffer).
func (d *Dirent) SetName(name []byte) {
	d.NameAddr, d.NameLen = uintptr(unsafe.Pointer(unsafe.SliceData(name))), len(name)
}

// StatFS is what statfs(2) reports.
type StatFS struct {
	Type                uint64 // f_type magic, e.g. EXT2_SUPER_MAGIC
	BlockSize           int64
	Blocks, Free, Avail uint64
	Files, FreeFiles    uint64
	NameMax             uint64
	ReadOnly            bool
}

// SetAttr bits say which attributes [FileSystem.SetAttr] must write back.
const (
	AttrMode = 1 << iota
	AttrOwner
	AttrTimes
)

// FileSystem is a mountable file-system driver. All functions are set
// before the first mount; a nil optional function means the operation is
// not supported (EROFS for mutations on a read-only mount, EPERM otherwise).
type FileSystem struct {
	Name string

	// Mount reads the file system on the mount's source (the driver finds
	// its device from [MountPoint.Source]) and returns the root directory
	// inode, referenced (from [Iget]).
	Mount func(m *MountPoint) (Ino, linux.Errno)
	// Lookup finds name (never "." or "..") in dir.
	Lookup func(m *MountPoint, dir Ino, name []byte) (Ino, linux.Errno)
	// ReadDir returns the entry at cookie (cookie 0 is the start; drivers
	// skip "." and "..", which the vfs reports itself) and the cookie of
	// the next entry; ok is false at the end.
	ReadDir func(m *MountPoint, dir Ino, cookie int64) (ent Dirent, next int64, ok bool, e linux.Errno)
	// Read and Write transfer file data at off. Write extends the file
	// and keeps Attr.Size and Attr.Blocks current.
	Read  func(m *MountPoint, i Ino, off int64, b []byte) (int, linux.Errno)
	Write func(m *MountPoint, i Ino, off int64, b []byte) (int, linux.Errno)
	// Truncate sets a regular file's size.
	Truncate func(m *MountPoint, i Ino, size int64) linux.Errno
	// Create makes a file, directory, device node or FIFO (mode has the
	// type) named name in dir; the name is known not to exist.
	Create func(m *MountPoint, dir Ino, name []byte, mode, rdev, uid, gid uint32) (Ino, linux.Errno)
	// Symlink makes name → target in dir.
	Symlink func(m *MountPoint, dir Ino, name, target []byte, uid, gid uint32) (Ino, linux.Errno)
	// Readlink copies a symlink's target into buf.
	Readlink func(m *MountPoint, i Ino, buf []byte) (int, linux.Errno)
	// Link adds name in dir for the non-directory i.
	Link func(m *MountPoint, dir Ino, name []byte, i Ino) linux.Errno
	// Remove removes name (inode i, a non-directory, or an empty directory)
	// from dir. The driver frees i's storage at Evict if i's link count
	// reached zero.
	Remove func(m *MountPoint, dir Ino, name []byte, i Ino) linux.Errno
	// Rename moves oldName (inode i) to newName, replacing target (0 if
	// newName does not exist; the vfs checked compatibility) or, with
	// RENAME_EXCHANGE, swapping the two.
	Rename func(m *MountPoint, oldDir Ino, oldName []byte, i Ino, newDir Ino, newName []byte, target Ino, flags uint32) linux.Errno
	// SetAttr writes back the attributes named by what (Attr* bits) after
	// the vfs changed them in the cached inode.
	SetAttr func(m *MountPoint, i Ino, what uint32) linux.Errno
	// Fsync makes i's data (and, unless dataOnly, metadata) durable.
	Fsync func(m *MountPoint, i Ino, dataOnly bool) linux.Errno
	// Sync makes the whole file system durable (sync(2), unmount).
	Sync func(m *MountPoint) linux.Errno
	// Evict drops i from the cache (no references left).
	Evict func(m *MountPoint, i Ino)
	// Statfs describes the file system.
	Statfs func(m *MountPoint) (StatFS, linux.Errno)
	// Unmount syncs and releases the mount's resources (shutdown).
	Unmount func(m *MountPoint) linux.Errno
}

// MountPoint is one mounted file system.
type MountPoint struct {
	fs       int      // index into the registered drivers
	Source   [64]byte // device name ("vdb") or 9P mount tag
	SrcLen   int
	ReadOnly bool
	Dev      uint32  // st_dev of its inodes
	Priv     uintptr // the driver's per-mount state

	root  Ino // the file system's root directory
	point Ino // the ramfs directory it covers
	busy  bool
	used  bool
}

// FS returns the mount's driver.
func (m *MountPoint) FS() *FileSystem { return registered[m.fs] }

// Src returns the mount's source name.
func (m *MountPoint) Src() []byte { return m.Source[:m.SrcLen] }

const (
	maxMounts = 16
	maxFS     = 8
	// cacheMax bounds the unreferenced inodes each mount keeps cached.
	cacheMax = 1024
	hashSize = 1024
)

var (
	// WaitOn sleeps the calling thread until WakeAll(key); core sets both
	// at boot. The mount lock uses them.
	WaitOn  func(key uintptr)
	WakeAll func(key uintptr)

	mounts     [maxMounts]MountPoint
	registered [maxFS]*FileSystem
	hash       [hashSize]Ino
)

// per-mount cache state lives next to the mount table (integers only).
var cache [maxMounts]cacheState

type cacheState struct {
	head, tail Ino // unreferenced inodes, oldest first
	n          int
	reap       bool // unlinked inodes wait for the lock holder to evict them
}

// Register makes a driver available to [Mount]. Boot only.
func Register(fs *FileSystem) {
	for k := range registered {
		if registered[k] == nil || registered[k] == fs {
			registered[k] = fs
			return
		}
	}
}

// mountOf returns the mount i belongs to (nil: ramfs).
func mountOf(i Ino) *MountPoint {
	if k := in(i).mnt; k != 0 {
		return &mounts[k-1]
	}
	return nil
}

func (m *MountPoint) index() int {
	for k := range mounts {
		if &mounts[k] == m {
			return k
		}
	}
	return -1
}

func lockKey(m *MountPoint) uintptr { return uintptr(unsafe.Pointer(m)) }

// lock takes the mount's sleeping lock.
func lock(m *MountPoint) {
	for m.busy {
		WaitOn(lockKey(m))
	}
	m.busy = true
}

// unlock evicts what waits to be evicted and releases the lock.
func unlock(m *MountPoint) {
	reap(m)
	m.busy = false
	if WakeAll != nil {
		WakeAll(lockKey(m))
	}
}

// Attrs returns a driver inode's attributes for the driver to fill and
// update.
func Attrs(i Ino) *Attr { return &in(i).Attr }

// Priv returns the driver's private word of inode i.
func Priv(i Ino) uintptr { return in(i).priv }

// SetPriv sets the driver's private word of inode i.
func SetPriv(i Ino, v uintptr) { in(i).priv = v }

// Key returns the cache key of a driver inode.
func Key(i Ino) uint64 { return in(i).key }

func hashOf(mnt uint8, key uint64) int {
	h := key*0x9E3779B97F4A7C15 ^ uint64(mnt)
	return int(h >> 54 % hashSize)
}

// Iget returns a reference to the cached inode (m, key), creating it if
// needed; fresh says the driver must fill its [Attrs] (and call [Drop] if
// it cannot).
func Iget(m *MountPoint, key uint64) (i Ino, fresh bool, e linux.Errno) {
	mnt := uint8(m.index() + 1)
	h := hashOf(mnt, key)
	for i = hash[h]; i != 0; i = in(i).hnext {
		if n := in(i); n.mnt == mnt && n.key == key {
			Ref(i)
			return i, false, 0
		}
	}
	va, ok := kmem.Alloc(inodeSize)
	if !ok {
		return 0, false, linux.ENOMEM
	}
	i = Ino(va)
	*in(i) = inode{}
	n := in(i)
	n.mnt, n.key, n.refs = mnt, key, 1
	n.Nlink = 1
	n.hnext = hash[h]
	hash[h] = i
	return i, true, 0
}

// Drop removes a fresh inode the driver could not fill; the caller's
// reference goes with it. Evict is not called.
func Drop(i Ino) {
	unhash(i)
	kmem.Free(uintptr(i), inodeSize)
}

func unhash(i Ino) {
	n := in(i)
	for p := &hash[hashOf(n.mnt, n.key)]; *p != 0; p = &in(*p).hnext {
		if *p == i {
			*p = n.hnext
			return
		}
	}
}

func lruRemove(i Ino) {
	n := in(i)
	c := &cache[n.mnt-1]
	if n.lprev != 0 {
		in(n.lprev).lnext = n.lnext
	} else if c.head == i {
		c.head = n.lnext
	} else {
		return // not listed
	}
	if n.lnext != 0 {
		in(n.lnext).lprev = n.lprev
	} else {
		c.tail = n.lprev
	}
	n.lprev, n.lnext = 0, 0
	c.n--
}

// released files a driver inode whose last reference went: it stays
// cached, except that an unlinked one is evicted (its storage freed) as
// soon as the mount's lock is free.
func released(i Ino) {
	n := in(i)
	k := n.mnt - 1
	c := &cache[k]
	n.lprev, n.lnext = c.tail, 0
	if c.tail != 0 {
		in(c.tail).lnext = i
	} else {
		c.head = i
	}
	c.tail = i
	c.n++
	if n.Nlink == 0 || c.n > cacheMax {
		c.reap = true
		if m := &mounts[k]; !m.busy {
			lock(m)
			unlock(m)
		}
	}
}

// reap evicts unlinked unreferenced inodes and trims the cache.
// Preconditions: m is locked.
func reap(m *MountPoint) {
	c := &cache[m.index()]
	for c.reap {
		c.reap = false
		for i := c.head; i != 0; {
			next := in(i).lnext // evicting appends released parents at the tail
			if in(i).Nlink == 0 || c.n > cacheMax {
				evict(m, i)
			}
			i = next
		}
	}
}

// evict drops an unreferenced inode from the cache.
func evict(m *MountPoint, i Ino) {
	lruRemove(i)
	unhash(i)
	if m.FS().Evict != nil {
		m.FS().Evict(m, i)
	}
	clearParent(i)
	kmem.Free(uintptr(i), inodeSize)
}

// setParent records dir as the parent of the driver directory i (which
// holds a reference to it) unless it has one.
func setParent(i, dir Ino) {
	if n := in(i); n.parent == 0 && mounts[n.mnt-1].root != i {
		n.parent = dir
		Ref(dir)
	}
}

func clearParent(i Ino) {
	if p := in(i).parent; p != 0 && in(i).mnt != 0 {
		in(i).parent = 0
		Unref(p)
	}
}

func moveParent(i, dir Ino) {
	if i != 0 && IsDir(i) && in(i).parent != dir {
		clearParent(i)
		setParent(i, dir)
	}
}

func driverLookup(dir Ino, name []byte) (Ino, linux.Errno) {
	m := mountOf(dir)
	lock(m)
	i, e := m.FS().Lookup(m, dir, name)
	if e == 0 && IsDir(i) {
		setParent(i, dir)
	}
	unlock(m)
	return i, e
}

func driverReadDir(dir Ino, cookie int64) (Dirent, int64, bool, linux.Errno) {
	m := mountOf(dir)
	lock(m)
	ent, next, ok, e := m.FS().ReadDir(m, dir, cookie)
	unlock(m)
	return ent, next + 2, ok, e
}

// Mount mounts the file system fsName from src on the ramfs directory dir.
func Mount(src []byte, dir Ino, fsName []byte, readOnly bool) linux.Errno {
	fsIdx := -1
	for k, f := range registered {
		if f != nil && f.Name == string(fsName) {
			fsIdx = k
			break
		}
	}
	if fsIdx < 0 {
		return linux.ENODEV
	}
	fs := registered[fsIdx]
	if !IsDir(dir) {
		return linux.ENOTDIR
	}
	if in(dir).mnt != 0 || in(dir).cover != 0 || dir == root || in(dir).flags != 0 {
		return linux.EBUSY
	}
	if len(src) > len(MountPoint{}.Source) {
		return linux.ENAMETOOLONG
	}
	k := -1
	for j := range mounts {
		if !mounts[j].used {
			k = j
			break
		}
	}
	if k < 0 {
		return linux.ENOMEM
	}
	m := &mounts[k]
	*m = MountPoint{fs: fsIdx, ReadOnly: readOnly, Dev: uint32(k + 2), used: true}
	m.SrcLen = copy(m.Source[:], src)
	cache[k] = cacheState{}
	lock(m)
	r, e := fs.Mount(m)
	unlock(m)
	if e != 0 {
		m.used = false
		return e
	}
	m.root, m.point = r, dir
	in(dir).cover = uint8(k + 1)
	Ref(dir)
	return 0
}

// MountOf reports the mount an inode belongs to: its source and file
// system name (ok false for ramfs).
func MountOf(i Ino) (m *MountPoint, ok bool) {
	m = mountOf(i)
	return m, m != nil
}

// Mounts calls f for every mount in mount order (for /proc/self/mountinfo).
func Mounts(f func(m *MountPoint, point Ino)) {
	for k := range mounts {
		if mounts[k].used {
			f(&mounts[k], mounts[k].point)
		}
	}
}

// Root of a mount.
func (m *MountPoint) Root() Ino { return m.root }

// Fsync makes i durable (a no-op on ramfs).
func Fsync(i Ino, dataOnly bool) linux.Errno {
	m := mountOf(i)
	if m == nil || m.FS().Fsync == nil {
		return 0
	}
	lock(m)
	e := m.FS().Fsync(m, i, dataOnly)
	unlock(m)
	return e
}

// SyncFS makes the file system holding i durable.
func SyncFS(i Ino) linux.Errno {
	if m := mountOf(i); m != nil {
		return syncMount(m)
	}
	return 0
}

func syncMount(m *MountPoint) linux.Errno {
	if m.FS().Sync == nil || m.ReadOnly {
		return 0
	}
	lock(m)
	e := m.FS().Sync(m)
	unlock(m)
	return e
}

// SyncAll makes every mounted file system durable (sync(2)); it returns
// the first error.
func SyncAll() linux.Errno {
	var first linux.Errno
	for k := range mounts {
		if mounts[k].used {
			if e := syncMount(&mounts[k]); e != 0 && first == 0 {
				first = e
			}
		}
	}
	return first
}

// UnmountAll syncs and unmounts every file system, last mounted first
// (shutdown). It reports each failure through report.
func UnmountAll(report func(m *MountPoint, e linux.Errno)) {
	for k := len(mounts) - 1; k >= 0; k-- {
		m := &mounts[k]
		if !m.used {
			continue
		}
		lock(m)
		var e linux.Errno
		if m.FS().Unmount != nil {
			e = m.FS().Unmount(m)
		} else if m.FS().Sync != nil && !m.ReadOnly {
			e = m.FS().Sync(m)
		}
		unlock(m)
		if e != 0 && report != nil {
			report(m, e)
		}
		m.used = false
		in(m.point).cover = 0
	}
}

// Statfs describes the mount holding i; ok is false for ramfs.
func Statfs(i Ino) (st StatFS, ok bool, e linux.Errno) {
	m := mountOf(i)
	if m == nil {
		return st, false, 0
	}
	if m.FS().Statfs != nil {
		lock(m)
		st, e = m.FS().Statfs(m)
		unlock(m)
	}
	st.ReadOnly = st.ReadOnly || m.ReadOnly
	return st, true, e
}
