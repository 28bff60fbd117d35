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
	ino    uint64
	mode   uint32 // S_IFMT | permission bits
	nlink  uint32
	uid    uint32
	gid    uint32
	rdev   uint32
	flags  uint32
	size   int64
	atime  int64
	mtime  int64
	ctime  int64
	refs   int32   // open files and other holders
	id     uint32  // synthetic or dynamic content id
	parent Ino     // directories: the parent (for "..")
	data   uintptr // dir: first dentry; regular: page array; symlink: target
	cap    uintptr // regular: page-array entries; symlink: target length
}

const inodeSize = unsafe.Sizeof(inode{})

// dentry is a directory entry: header followed by the name bytes.
type dentry struct {
	next    uintptr
	ino     Ino
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
	in(r).nlink = 2
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
	n.ino = nextIno
	nextIno++
	n.mode = mode
	n.nlink = 1
	t := now()
	n.atime, n.mtime, n.ctime = t, t, t
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
func Mode(i Ino) uint32 { return in(i).mode }

// IsDir reports whether i is a directory.
func IsDir(i Ino) bool { return in(i).mode&linux.S_IFMT == linux.S_IFDIR }

// Synthetic returns the content id of a generated file (ok false otherwise).
func Synthetic(i Ino) (uint32, bool) { return in(i).id, in(i).flags&flagSynthetic != 0 }

// Rdev returns a device inode's device number.
func Rdev(i Ino) uint32 { return in(i).rdev }

// Size returns the file size.
func Size(i Ino) int64 { return in(i).size }

// Ref and Unref count holders (open files). An inode with no links and no
// holders is freed.
func Ref(i Ino) { in(i).refs++ }

// Unref drops a holder.
func Unref(i Ino) {
	n := in(i)
	n.refs--
	maybeFree(i)
}

func maybeFree(i Ino) {
	n := in(i)
	if n.refs > 0 || n.nlink > 0 {
		return
	}
	switch n.mode & linux.S_IFMT {
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

// Lookup finds name in directory dir.
func Lookup(dir Ino, name []byte) (Ino, linux.Errno) {
	d := in(dir)
	if d.mode&linux.S_IFMT != linux.S_IFDIR {
		return 0, linux.ENOTDIR
	}
	if len(name) == 1 && name[0] == '.' {
		return dir, 0
	}
	if len(name) == 2 && name[0] == '.' && name[1] == '.' {
		return d.parent, 0
	}
	if d.flags&flagDynamic != 0 {
		if DynLookup == nil {
			return 0, linux.ENOENT
		}
		return DynLookup(d.id, name)
	}
	for e := d.data; e != 0; e = de(e).next {
		if string(deName(e)) == string(name) {
			return de(e).ino, 0
		}
	}
	return 0, linux.ENOENT
}

// ReadDir returns the entry at position pos of dir ("." and ".." first),
// with its inode, or ok=false past the end.
func ReadDir(dir Ino, pos int) (name []byte, ino Ino, ok bool) {
	d := in(dir)
	switch pos {
	case 0:
		return dotName[:1], dir, true
	case 1:
		return dotName[:2], d.parent, true
	}
	pos -= 2
	if d.flags&flagDynamic != 0 {
		if DynEntry == nil {
			return nil, 0, false
		}
		return DynEntry(d.id, pos)
	}
	for e := d.data; e != 0; e = de(e).next {
		if pos == 0 {
			return deName(e), de(e).ino, true
		}
		pos--
	}
	return nil, 0, false
}

var dotName = [2]byte{'.', '.'}

// Type returns the DT_* type of an inode for getdents64.
func Type(i Ino) uint8 {
	return uint8(in(i).mode & linux.S_IFMT >> 12)
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
	e.ino = i
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
	d.mtime, d.ctime = t, t
	return 0
}

// unlink removes the entry name from dir and returns its inode.
func unlink(dir Ino, name []byte) Ino {
	d := in(dir)
	for p := &d.data; *p != 0; p = &de(*p).next {
		e := *p
		if string(deName(e)) == string(name) {
			i := de(e).ino
			*p = de(e).next
			kmem.Free(e, dentrySize+de(e).nameLen)
			t := now()
			d.mtime, d.ctime = t, t
			return i
		}
	}
	return 0
}

func writableDir(dir Ino) linux.Errno {
	d := in(dir)
	if d.mode&linux.S_IFMT != linux.S_IFDIR {
		return linux.ENOTDIR
	}
	if d.nlink == 0 {
		return linux.ENOENT // removed
	}
	if d.flags&(flagDynamic|flagSynthetic) != 0 {
		return linux.EACCES
	}
	return 0
}

// Create makes a new inode of the given mode (regular file, directory,
// device, fifo) named name in dir.
func Create(dir Ino, name []byte, mode uint32, rdev uint32) (Ino, linux.Errno) {
	if e := writableDir(dir); e != 0 {
		return 0, e
	}
	if e := validName(name); e != 0 {
		return 0, e
	}
	if _, e := Lookup(dir, name); e == 0 {
		return 0, linux.EEXIST
	}
	i, e := newInode(mode)
	if e != 0 {
		return 0, e
	}
	n := in(i)
	n.rdev = rdev
	if mode&linux.S_IFMT == linux.S_IFDIR {
		n.parent = dir
		n.nlink = 2
	}
	if e := link(dir, name, i); e != 0 {
		n.nlink = 0
		maybeFree(i)
		return 0, e
	}
	if mode&linux.S_IFMT == linux.S_IFDIR {
		in(dir).nlink++
	}
	return i, 0
}

// Symlink creates a symbolic link name → target in dir.
func Symlink(dir Ino, name, target []byte) (Ino, linux.Errno) {
	if len(target) == 0 {
		return 0, linux.ENOENT
	}
	if len(target) >= PathMax {
		return 0, linux.ENAMETOOLONG
	}
	buf, ok := kmem.Alloc(uintptr(len(target)))
	if !ok {
		return 0, linux.ENOMEM
	}
	copy(unsafe.Slice((*byte)(mm.Ptr(buf)), len(target)), target)
	i, e := Create(dir, name, linux.S_IFLNK|0o777, 0)
	if e != 0 {
		kmem.Free(buf, uintptr(len(target)))
		return 0, e
	}
	in(i).data = buf
	in(i).cap = uintptr(len(target))
	in(i).size = int64(len(target))
	return i, 0
}

// Readlink returns a symlink's target.
func Readlink(i Ino) ([]byte, linux.Errno) {
	n := in(i)
	if n.mode&linux.S_IFMT != linux.S_IFLNK {
		return nil, linux.EINVAL
	}
	return unsafe.Slice((*byte)(mm.Ptr(n.data)), n.cap), 0
}

// Link makes a new name for an existing non-directory inode.
func Link(dir Ino, name []byte, i Ino) linux.Errno {
	if IsDir(i) {
		return linux.EPERM
	}
	if e := writableDir(dir); e != 0 {
		return e
	}
	if e := validName(name); e != 0 {
		return e
	}
	if _, e := Lookup(dir, name); e == 0 {
		return linux.EEXIST
	}
	if e := link(dir, name, i); e != 0 {
		return e
	}
	in(i).nlink++
	in(i).ctime = now()
	return 0
}

// Unlink removes a non-directory entry.
func Unlink(dir Ino, name []byte) linux.Errno {
	if e := writableDir(dir); e != 0 {
		return e
	}
	i, e := Lookup(dir, name)
	if e != 0 {
		return e
	}
	if IsDir(i) {
		return linux.EISDIR
	}
	unlink(dir, name)
	n := in(i)
	n.nlink--
	n.ctime = now()
	maybeFree(i)
	return 0
}

// Rmdir removes an empty directory.
func Rmdir(dir Ino, name []byte) linux.Errno {
	if e := writableDir(dir); e != 0 {
		return e
	}
	if len(name) == 1 && name[0] == '.' {
		return linux.EINVAL
	}
	if len(name) == 2 && name[0] == '.' && name[1] == '.' {
		return linux.ENOTEMPTY
	}
	i, e := Lookup(dir, name)
	if e != 0 {
		return e
	}
	if !IsDir(i) {
		return linux.ENOTDIR
	}
	if i == root {
		return linux.EBUSY
	}
	if in(i).data != 0 {
		return linux.ENOTEMPTY
	}
	unlink(dir, name)
	in(i).nlink = 0
	in(dir).nlink--
	maybeFree(i)
	return 0
}

// isAncestor reports whether a is b or one of b's ancestors.
func isAncestor(a, b Ino) bool {
	for {
		if a == b {
			return true
		}
		if b == root {
			return false
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
	src, e := Lookup(oldDir, oldName)
	if e != 0 {
		return e
	}
	if validName(oldName) != 0 {
		return linux.EBUSY
	}
	if IsDir(src) && isAncestor(src, newDir) {
		return linux.EINVAL
	}
	dst, de := Lookup(newDir, newName)
	if de == 0 && dst == src {
		return 0
	}
	if flags&linux.RENAME_EXCHANGE != 0 {
		if de != 0 {
			return linux.ENOENT
		}
		setEntry(oldDir, oldName, dst)
		setEntry(newDir, newName, src)
		fixParent(src, oldDir, newDir)
		fixParent(dst, newDir, oldDir)
		return 0
	}
	if de == 0 {
		if flags&linux.RENAME_NOREPLACE != 0 {
			return linux.EEXIST
		}
		switch {
		case IsDir(src) && !IsDir(dst):
			return linux.ENOTDIR
		case !IsDir(src) && IsDir(dst):
			return linux.EISDIR
		case IsDir(dst) && in(dst).data != 0:
			return linux.ENOTEMPTY
		}
		setEntry(newDir, newName, src)
		unlink(oldDir, oldName)
		n := in(dst)
		if IsDir(dst) {
			n.nlink = 0
			in(newDir).nlink--
		} else {
			n.nlink--
		}
		maybeFree(dst)
	} else {
		if e := link(newDir, newName, src); e != 0 {
			return e
		}
		unlink(oldDir, oldName)
	}
	fixParent(src, oldDir, newDir)
	in(src).ctime = now()
	return 0
}

func setEntry(dir Ino, name []byte, i Ino) {
	for e := in(dir).data; e != 0; e = de(e).next {
		if string(deName(e)) == string(name) {
			de(e).ino = i
			return
		}
	}
}

func fixParent(i, oldDir, newDir Ino) {
	if IsDir(i) && oldDir != newDir {
		in(i).parent = newDir
		in(oldDir).nlink--
		in(newDir).nlink++
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
		in(i).nlink = 2
		in(dir).nlink++
	}
	return 0
}

// Linked reports whether i still has a name (directories: is not removed).
func Linked(i Ino) bool { return in(i).nlink > 0 }

// Aux and SetAux keep one integer for the kernel on inodes that are not
// synthetic (a FIFO's pipe).
func Aux(i Ino) uint32 { return in(i).id }

// SetAux sets the integer Aux returns.
func SetAux(i Ino, v uint32) { in(i).id = v }
