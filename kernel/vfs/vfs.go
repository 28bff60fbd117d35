// Package vfs is the kernel's file-system layer: inodes, directories, path
// resolution and ramfs, the in-memory file system that is the writable root.
//
// Everything lives in kernel memory from package kmem and is referenced by
// kernel virtual address (type [Ino], a uintptr), so no operation allocates
// from the Go heap and all of it runs in trap context (ADR 0001). Inodes of
// other kinds plug in through their mode and a small id: character devices
// (rdev) and synthetic files whose content the kernel generates when they are
// opened (procfs), and dynamic directories whose entries a hook supplies
// (/proc/self/fd).
//
// # Concurrency
//
// None inside: the kernel runs with interrupts off on one CPU.
package vfs

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/kmem"
)

// Ino is an inode's kernel address; 0 is "none".
type Ino uintptr

// Inode flags.
const (
	flagSynthetic = 1 << iota // content generated at open (procfs)
	flagDynamic               // directory whose entries come from DynDir
)

// inode is the in-memory inode. Fields are integers only.
type inode struct {
	Attr
	flags  uint32
	refs   int32   // open files, lookups in progress and other holders
	id     uint32  // synthetic or dynamic content id
	mnt    uint8   // driver inodes: mount index+1 (0: ramfs)
	cover  uint8   // ramfs directories: index+1 of the mount covering it
	parent Ino     // directories: the parent (for "..")
	data   uintptr // dir: first dentry; regular: page array; symlink: target
	cap    uintptr // regular: page-array entries; symlink: target length

	// Driver inodes: cache key, the driver's word, hash chain, LRU links.
	key          uint64
	priv         uintptr
	hnext        Ino
	lprev, lnext Ino
}

const inodeSize = unsafe.Sizeof(inode{})

// dentry is a directory entry: header followed by the name bytes.
type dentry struct {
	next    uintptr
	child   Ino
	nameLen uintptr
}

const dentrySize = unsafe.Sizeof(dentry{})

// Limits.
const (
	NameMax    = 255
	PathMax    = 4096
	maxSymlink = 40
)

var (
	// Now returns the wall clock in nanoseconds for timestamps. Set at boot.
	Now func() int64

	// DynLookup and DynEntry serve dynamic directories: DynLookup finds name
	// in directory id; DynEntry returns the i-th entry (ok false at the end).
	DynLookup func(id uint32, name []byte) (Ino, linux.Errno)
	DynEntry  func(id uint32, i int) (name []byte, ino Ino, ok bool)

	root    Ino
	nextIno uint64 = 1
)

func in(i Ino) *inode      { return (*inode)(mm.Ptr(uintptr(i))) }
func de(d uintptr) *dentry { return (*dentry)(mm.Ptr(d)) }
func deName(d uintptr) []byte {
	return unsafe.Slice((*byte)(mm.Ptr(d+dentrySize)), de(d).nameLen)
}

func now() int64 {
	if Now == nil {
		return 0
	}
	return Now()
}

// Init creates an empty root directory.
func Init() linux.Errno {
	r, e := newInode(linux.S_IFDIR | 0o755)
	if e != 0 {
		return e
	}
	in(r).parent = r
	in(r).Nlink = 2
	root = r
	return 0
}

// Root returns the root directory.
func Root() Ino { return root }

func newInode(mode uint32) (Ino, linux.Errno) {
	va, ok := kmem.Alloc(inodeSize)
	if !ok {
		return 0, linux.ENOMEM
	}
	i := Ino(va)
	n := in(i)
	n.Ino = nextIno
	nextIno++
	n.Mode = mode
	n.Nlink = 1
	t := now()
	n.Atime, n.Mtime, n.Ctime = t, t, t
	return i, 0
}

// NewSynthetic creates an unlinked inode for generated content (a procfs
// file or a dynamic directory) that the caller links with [Link]-like
// helpers or serves from a dynamic directory.
func NewSynthetic(mode uint32, id uint32, dynamic bool) (Ino, linux.Errno) {
	i, e := newInode(mode)
	if e != 0 {
		return 0, e
	}
	in(i).id = id
	if dynamic {
		in(i).flags |= flagDynamic
	} else {
		in(i).flags |= flagSynthetic
	}
	in(i).refs = 1 // held by its creator for the kernel's lifetime
	return i, 0
}

// Mode returns the inode's mode (type and permissions).
func Mode(i Ino) uint32 { return in(i).Mode }

// IsDir reports whether i is a directory.
func IsDir(i Ino) bool { return in(i).Mode&linux.S_IFMT == linux.S_IFDIR }

// Synthetic returns the content id of a generated file (ok false otherwise).
func Synthetic(i Ino) (uint32, bool) { return in(i).id, in(i).flags&flagSynthetic != 0 }

// Rdev returns a device inode's device number.
func Rdev(i Ino) uint32 { return in(i).Rdev }

// Size returns the file size.
func Size(i Ino) int64 { return in(i).Size }

// Ref and Unref count holders: open files, the results of lookups the
// caller has not dropped yet, a driver directory's cached children. A
// ramfs inode with no links and no holders is freed; a driver inode with no
// holders goes to its mount's cache (see mount.go).
func Ref(i Ino) {
	n := in(i)
	if n.refs == 0 && n.mnt != 0 {
		lruRemove(i)
	}
	n.refs++
}

// Unref drops a holder.
func Unref(i Ino) {
	n := in(i)
	n.refs--
	if n.mnt != 0 {
		if n.refs == 0 {
			released(i)
		}
		return
	}
	maybeFree(i)
}

func maybeFree(i Ino) {
	n := in(i)
	if n.refs > 0 || n.Nlink > 0 {
		return
	}
	switch n.Mode & linux.S_IFMT {
	case linux.S_IFREG:
		truncatePages(n, 0)
		if n.data != 0 {
			kmem.Free(n.data, n.cap*8)
		}
	case linux.S_IFLNK:
		kmem.Free(n.data, n.cap)
	}
	kmem.Free(uintptr(i), inodeSize)
}

// Lookup finds name in directory dir and returns a reference to it (drop
// it with [Unref]). A directory covered by a mount yields the mounted
// file system's root.
func Lookup(dir Ino, name []byte) (Ino, linux.Errno) {
	d := in(dir)
	if d.Mode&linux.S_IFMT != linux.S_IFDIR {
		return 0, linux.ENOTDIR
	}
	var i Ino
	switch {
	case len(name) == 1 && name[0] == '.':
		i = dir
	case len(name) == 2 && name[0] == '.' && name[1] == '.':
		i = d.parent
		if d.mnt != 0 && mounts[d.mnt-1].root == dir {
			i = in(mounts[d.mnt-1].point).parent
		}
		if i == 0 {
			return 0, linux.ENOENT // a driver directory not reached by a walk
		}
	case d.mnt != 0:
		return driverLookup(dir, name)
	case d.flags&flagDynamic != 0:
		if DynLookup == nil {
			return 0, linux.ENOENT
		}
		var e linux.Errno
		if i, e = DynLookup(d.id, name); e != 0 {
			return 0, e
		}
	default:
		for e := d.data; e != 0; e = de(e).next {
			if string(deName(e)) == string(name) {
				i = de(e).child
				break
			}
		}
		if i == 0 {
			return 0, linux.ENOENT
		}
	}
	if c := in(i).cover; c != 0 {
		i = mounts[c-1].root
	}
	Ref(i)
	return i, 0
}

// ReadDir returns the entry at cookie of dir ("." and ".." first) and the
// cookie of the next one; ok is false past the end. Cookies start at 0.
func ReadDir(dir Ino, cookie int64) (ent Dirent, next int64, ok bool, e linux.Errno) {
	d := in(dir)
	switch cookie {
	case 0:
		ent = Dirent{Ino: d.Ino, Type: linux.DT_DIR}
		ent.SetName(dotName[:1])
		return ent, 1, true, 0
	case 1:
		p, _ := Lookup(dir, dotName[:2])
		ent = Dirent{Ino: in(p).Ino, Type: linux.DT_DIR}
		ent.SetName(dotName[:2])
		Unref(p)
		return ent, 2, true, 0
	}
	if d.mnt != 0 {
		return driverReadDir(dir, cookie-2)
	}
	pos := cookie - 2
	if d.flags&flagDynamic != 0 {
		if DynEntry == nil {
			return ent, 0, false, 0
		}
		name, i, ok := DynEntry(d.id, int(pos))
		if !ok {
			return ent, 0, false, 0
		}
		ent = Dirent{Ino: in(i).Ino, Type: Type(i)}
		ent.SetName(name)
		return ent, cookie + 1, true, 0
	}
	for e := d.data; e != 0; e = de(e).next {
		if pos == 0 {
			c := de(e).child
			ent = Dirent{Ino: in(c).Ino, NameAddr: e + dentrySize, NameLen: int(de(e).nameLen), Type: Type(c)}
			return ent, cookie + 1, true, 0
		}
		pos--
	}
	return ent, 0, false, 0
}

var dotName = [2]byte{'.', '.'}

// Type returns the DT_* type of an inode for getdents64.
func Type(i Ino) uint8 {
	return uint8(in(i).Mode & linux.S_IFMT >> 12)
}

func validName(name []byte) linux.Errno {
	if len(name) == 0 {
		return linux.ENOENT
	}
	if len(name) > NameMax {
		return linux.ENAMETOOLONG
	}
	if len(name) <= 2 && name[0] == '.' && (len(name) == 1 || name[1] == '.') {
		return linux.EEXIST
	}
	return 0
}

// link adds an entry name → i to dir.
func link(dir Ino, name []byte, i Ino) linux.Errno {
	va, ok := kmem.Alloc(dentrySize + uintptr(len(name)))
	if !ok {
		return linux.ENOMEM
	}
	e := de(va)
	e.child = i
	e.nameLen = uintptr(len(name))
	copy(unsafe.Slice((*byte)(mm.Ptr(va+dentrySize)), len(name)), name)
	// Append, so listings keep creation order.
	d := in(dir)
	p := &d.data
	for *p != 0 {
		p = &de(*p).next
	}
	*p = va
	t := now()
	d.Mtime, d.Ctime = t, t
	return 0
}

// unlink removes the entry name from dir and returns its inode.
func unlink(dir Ino, name []byte) Ino {
	d := in(dir)
	for p := &d.data; *p != 0; p = &de(*p).next {
		e := *p
		if string(deName(e)) == string(name) {
			i := de(e).child
			*p = de(e).next
			kmem.Free(e, dentrySize+de(e).nameLen)
			t := now()
			d.Mtime, d.Ctime = t, t
			return i
		}
	}
	return 0
}

// writableDir checks that entries may be added to or removed from dir.
func writableDir(dir Ino) linux.Errno {
	d := in(dir)
	if d.Mode&linux.S_IFMT != linux.S_IFDIR {
		return linux.ENOTDIR
	}
	if d.Nlink == 0 {
		return linux.ENOENT // removed
	}
	if d.flags&(flagDynamic|flagSynthetic) != 0 {
		return linux.EACCES
	}
	if d.mnt != 0 && mounts[d.mnt-1].ReadOnly {
		return linux.EROFS
	}
	return 0
}

// checkNew checks that name may be created in dir.
func checkNew(dir Ino, name []byte) linux.Errno {
	if e := writableDir(dir); e != 0 {
		return e
	}
	if e := validName(name); e != 0 {
		return e
	}
	if i, e := Lookup(dir, name); e == 0 {
		Unref(i)
		return linux.EEXIST
	} else if e != linux.ENOENT {
		return e
	}
	return 0
}

// Create makes a new inode of the given mode (regular file, directory,
// device, fifo) named name in dir, owned by uid:gid, and returns a
// reference to it.
func Create(dir Ino, name []byte, mode, rdev, uid, gid uint32) (Ino, linux.Errno) {
	if e := checkNew(dir, name); e != 0 {
		return 0, e
	}
	if m := mountOf(dir); m != nil {
		if m.FS().Create == nil {
			return 0, linux.EPERM
		}
		lock(m)
		i, e := m.FS().Create(m, dir, name, mode, rdev, uid, gid)
		if e == 0 && IsDir(i) {
			setParent(i, dir)
		}
		unlock(m)
		return i, e
	}
	i, e := newInode(mode)
	if e != 0 {
		return 0, e
	}
	n := in(i)
	n.Rdev, n.UID, n.GID = rdev, uid, gid
	if mode&linux.S_IFMT == linux.S_IFDIR {
		n.parent = dir
		n.Nlink = 2
	}
	if e := link(dir, name, i); e != 0 {
		n.Nlink = 0
		maybeFree(i)
		return 0, e
	}
	if mode&linux.S_IFMT == linux.S_IFDIR {
		in(dir).Nlink++
	}
	n.refs++
	return i, 0
}

// Symlink creates a symbolic link name → target in dir and returns a
// reference to it.
func Symlink(dir Ino, name, target []byte, uid, gid uint32) (Ino, linux.Errno) {
	if len(target) == 0 {
		return 0, linux.ENOENT
	}
	if len(target) >= PathMax {
		return 0, linux.ENAMETOOLONG
	}
	if m := mountOf(dir); m != nil {
		if e := checkNew(dir, name); e != 0 {
			return 0, e
		}
		if m.FS().Symlink == nil {
			return 0, linux.EPERM
		}
		lock(m)
		i, e := m.FS().Symlink(m, dir, name, target, uid, gid)
		unlock(m)
		return i, e
	}
	buf, ok := kmem.Alloc(uintptr(len(target)))
	if !ok {
		return 0, linux.ENOMEM
	}
	copy(unsafe.Slice((*byte)(mm.Ptr(buf)), len(target)), target)
	i, e := Create(dir, name, linux.S_IFLNK|0o777, 0, uid, gid)
	if e != 0 {
		kmem.Free(buf, uintptr(len(target)))
		return 0, e
	}
	in(i).data = buf
	in(i).cap = uintptr(len(target))
	in(i).Size = int64(len(target))
	return i, 0
}

// Readlink copies a symlink's target into buf and returns its length
// (EINVAL if i is not a symlink, ERANGE if buf is too small).
func Readlink(i Ino, buf []byte) (int, linux.Errno) {
	n := in(i)
	if n.Mode&linux.S_IFMT != linux.S_IFLNK {
		return 0, linux.EINVAL
	}
	if m := mountOf(i); m != nil {
		lock(m)
		k, e := m.FS().Readlink(m, i, buf)
		unlock(m)
		return k, e
	}
	if int(n.cap) > len(buf) {
		return 0, linux.ERANGE
	}
	return copy(buf, unsafe.Slice((*byte)(mm.Ptr(n.data)), n.cap)), 0
}

// Link makes a new name for an existing non-directory inode.
func Link(dir Ino, name []byte, i Ino) linux.Errno {
	if IsDir(i) {
		return linux.EPERM
	}
	if in(dir).mnt != in(i).mnt {
		return linux.EXDEV
	}
	if e := checkNew(dir, name); e != 0 {
		return e
	}
	if m := mountOf(dir); m != nil {
		if m.FS().Link == nil {
			return linux.EPERM
		}
		lock(m)
		e := m.FS().Link(m, dir, name, i)
		unlock(m)
		return e
	}
	if e := link(dir, name, i); e != 0 {
		return e
	}
	in(i).Nlink++
	in(i).Ctime = now()
	return 0
}

// Unlink removes a non-directory entry.
func Unlink(dir Ino, name []byte) linux.Errno {
	return remove(dir, name, false)
}

// Rmdir removes an empty directory.
func Rmdir(dir Ino, name []byte) linux.Errno {
	if len(name) == 1 && name[0] == '.' {
		return linux.EINVAL
	}
	if len(name) == 2 && name[0] == '.' && name[1] == '.' {
		return linux.ENOTEMPTY
	}
	return remove(dir, name, true)
}

func remove(dir Ino, name []byte, isDir bool) linux.Errno {
	if e := writableDir(dir); e != 0 {
		return e
	}
	i, e := lookupEntry(dir, name)
	if e != 0 {
		return e
	}
	e = removeEntry(dir, name, i, isDir)
	Unref(i)
	return e
}

func removeEntry(dir Ino, name []byte, i Ino, isDir bool) linux.Errno {
	switch {
	case isDir && !IsDir(i):
		return linux.ENOTDIR
	case !isDir && IsDir(i):
		return linux.EISDIR
	case i == root || in(i).cover != 0:
		return linux.EBUSY
	}
	if isDir {
		if !dirEmpty(i) {
			return linux.ENOTEMPTY
		}
	}
	if m := mountOf(dir); m != nil {
		if m.FS().Remove == nil {
			return linux.EPERM
		}
		lock(m)
		// A removed directory keeps its parent (dropped at eviction), so
		// ".." still resolves from a removed working directory, as on Linux.
		e := m.FS().Remove(m, dir, name, i)
		unlock(m)
		return e
	}
	unlink(dir, name)
	n := in(i)
	if isDir {
		n.Nlink = 0
		in(dir).Nlink--
	} else {
		n.Nlink--
	}
	n.Ctime = now()
	return 0
}

// lookupEntry is Lookup without crossing into a mount: the entry itself.
func lookupEntry(dir Ino, name []byte) (Ino, linux.Errno) {
	i, e := Lookup(dir, name)
	if e != 0 {
		return 0, e
	}
	if n := in(i); n.mnt != 0 && mounts[n.mnt-1].root == i && in(dir).mnt != n.mnt {
		Unref(i)
		i = mounts[n.mnt-1].point
		Ref(i)
	}
	return i, 0
}

// dirEmpty reports whether directory i has no entries but "." and "..".
func dirEmpty(i Ino) bool {
	if in(i).mnt == 0 {
		return in(i).data == 0
	}
	_, _, ok, e := ReadDir(i, 2)
	return !ok && e == 0
}

// isAncestor reports whether a is b or one of b's ancestors.
func isAncestor(a, b Ino) bool {
	for {
		if a == b {
			return true
		}
		if b == root || b == 0 {
			return false
		}
		if n := in(b); n.mnt != 0 && mounts[n.mnt-1].root == b {
			b = mounts[n.mnt-1].point
			continue
		}
		b = in(b).parent
	}
}

// Rename moves oldName in oldDir to newName in newDir, replacing a
// compatible target, with RENAME_NOREPLACE and RENAME_EXCHANGE.
func Rename(oldDir Ino, oldName []byte, newDir Ino, newName []byte, flags uint32) linux.Errno {
	if e := writableDir(oldDir); e != 0 {
		return e
	}
	if e := writableDir(newDir); e != 0 {
		return e
	}
	if e := validName(newName); e != 0 {
		if e == linux.EEXIST {
			return linux.EBUSY
		}
		return e
	}
	src, e := lookupEntry(oldDir, oldName)
	if e != 0 {
		return e
	}
	e = renameFrom(oldDir, oldName, src, newDir, newName, flags)
	Unref(src)
	return e
}

func renameFrom(oldDir Ino, oldName []byte, src Ino, newDir Ino, newName []byte, flags uint32) linux.Errno {
	if validName(oldName) != 0 {
		return linux.EBUSY
	}
	if in(oldDir).mnt != in(newDir).mnt {
		return linux.EXDEV
	}
	if src == root || in(src).cover != 0 {
		return linux.EBUSY
	}
	if IsDir(src) && isAncestor(src, newDir) {
		return linux.EINVAL
	}
	dst, de := lookupEntry(newDir, newName)
	if de == 0 {
		e := renameOnto(oldDir, oldName, src, newDir, newName, dst, flags)
		Unref(dst)
		return e
	} else if de != linux.ENOENT {
		return de
	}
	return renameOnto(oldDir, oldName, src, newDir, newName, 0, flags)
}

// renameOnto finishes a rename; dst is the existing target or 0.
func renameOnto(oldDir Ino, oldName []byte, src Ino, newDir Ino, newName []byte, dst Ino, flags uint32) linux.Errno {
	de := linux.ENOENT
	if dst != 0 {
		de = 0
		if dst == src {
			return 0
		}
		if dst == root || in(dst).cover != 0 {
			return linux.EBUSY
		}
	}
	if flags&linux.RENAME_EXCHANGE != 0 {
		if de != 0 {
			return linux.ENOENT
		}
		if IsDir(dst) && isAncestor(dst, oldDir) {
			return linux.EINVAL
		}
	} else if de == 0 {
		if flags&linux.RENAME_NOREPLACE != 0 {
			return linux.EEXIST
		}
		switch {
		case IsDir(src) && !IsDir(dst):
			return linux.ENOTDIR
		case !IsDir(src) && IsDir(dst):
			return linux.EISDIR
		case IsDir(dst) && !dirEmpty(dst):
			return linux.ENOTEMPTY
		}
	}
	if m := mountOf(oldDir); m != nil {
		if m.FS().Rename == nil {
			return linux.EPERM
		}
		lock(m)
		e := m.FS().Rename(m, oldDir, oldName, src, newDir, newName, dst, flags)
		if e == 0 {
			moveParent(src, newDir)
			if flags&linux.RENAME_EXCHANGE != 0 {
				moveParent(dst, oldDir)
			}
		}
		unlock(m)
		return e
	}
	if flags&linux.RENAME_EXCHANGE != 0 {
		setEntry(oldDir, oldName, dst)
		setEntry(newDir, newName, src)
		fixParent(src, oldDir, newDir)
		fixParent(dst, newDir, oldDir)
		return 0
	}
	if dst != 0 {
		setEntry(newDir, newName, src)
		unlink(oldDir, oldName)
		n := in(dst)
		if IsDir(dst) {
			n.Nlink = 0
			in(newDir).Nlink--
		} else {
			n.Nlink--
		}
	} else {
		if e := link(newDir, newName, src); e != 0 {
			return e
		}
		unlink(oldDir, oldName)
	}
	fixParent(src, oldDir, newDir)
	in(src).Ctime = now()
	return 0
}

func setEntry(dir Ino, name []byte, i Ino) {
	for e := in(dir).data; e != 0; e = de(e).next {
		if string(deName(e)) == string(name) {
			de(e).child = i
			return
		}
	}
}

func fixParent(i, oldDir, newDir Ino) {
	if IsDir(i) && oldDir != newDir {
		in(i).parent = newDir
		in(oldDir).Nlink--
		in(newDir).Nlink++
	}
}

// LinkSynthetic names a synthetic inode from [NewSynthetic] (a generated
// file or a dynamic directory) in dir; the kernel builds /proc with it.
func LinkSynthetic(dir Ino, name []byte, i Ino) linux.Errno {
	if e := validName(name); e != 0 {
		return e
	}
	if _, e := Lookup(dir, name); e == 0 {
		return linux.EEXIST
	}
	if e := link(dir, name, i); e != 0 {
		return e
	}
	if IsDir(i) {
		in(i).parent = dir
		in(i).Nlink = 2
		in(dir).Nlink++
	}
	return 0
}

// Linked reports whether i still has a name (directories: is not removed).
func Linked(i Ino) bool { return in(i).Nlink > 0 }

// Aux and SetAux keep one integer for the kernel on inodes that are not
// synthetic (a FIFO's pipe).
func Aux(i Ino) uint32 { return in(i).id }

// SetAux sets the integer Aux returns.
func SetAux(i Ino, v uint32) { in(i).id = v }
