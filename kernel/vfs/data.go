package vfs

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/kmem"
)

// ramfs file data: n.data is an array of n.cap page addresses (direct-map
// virtual addresses; 0 = a hole that reads as zeros).

// MaxFileSize bounds ramfs files (EFBIG beyond).
const MaxFileSize = 1 << 40

// DataPageLimit bounds the pages ramfs files may hold (0: no limit), so
// that a full file system is ENOSPC rather than a machine out of memory
// (tmpfs's size= limit; the kernel sets half of RAM). DataPages counts them.
var (
	DataPageLimit uintptr
	DataPages     uintptr
)

func pageSlot(n *inode, idx uintptr) *uintptr {
	return (*uintptr)(mm.Ptr(n.data + idx*8))
}

// growPages makes room for at least want page slots.
func growPages(n *inode, want uintptr) linux.Errno {
	if want <= n.cap {
		return 0
	}
	c := n.cap * 2
	if c < 8 {
		c = 8
	}
	for c < want {
		c *= 2
	}
	va, ok := kmem.Alloc(c * 8)
	if !ok {
		return linux.ENOSPC
	}
	if n.data != 0 {
		copy(unsafe.Slice((*uintptr)(mm.Ptr(va)), n.cap), unsafe.Slice((*uintptr)(mm.Ptr(n.data)), n.cap))
		kmem.Free(n.data, n.cap*8)
	}
	n.data, n.cap = va, c
	return 0
}

// Read copies file content at off into b.
func Read(i Ino, off int64, b []byte) (int, linux.Errno) {
	n := in(i)
	switch n.Mode & linux.S_IFMT {
	case linux.S_IFDIR:
		return 0, linux.EISDIR
	case linux.S_IFREG:
	default:
		return 0, linux.EINVAL
	}
	if off < 0 {
		return 0, linux.EINVAL
	}
	if m := mountOf(i); m != nil {
		lock(m)
		k, e := m.FS().Read(m, i, off, b)
		unlock(m)
		return k, e
	}
	if off >= n.Size {
		return 0, 0
	}
	if int64(len(b)) > n.Size-off {
		b = b[:n.Size-off]
	}
	done := 0
	for done < len(b) {
		pos := uintptr(off) + uintptr(done)
		idx, po := pos/mm.PageSize, pos%mm.PageSize
		chunk := len(b) - done
		if c := int(mm.PageSize - po); chunk > c {
			chunk = c
		}
		var page uintptr
		if idx < n.cap {
			page = *pageSlot(n, idx)
		}
		if page == 0 {
			clear(b[done : done+chunk])
		} else {
			copy(b[done:done+chunk], unsafe.Slice((*byte)(mm.Ptr(page+po)), chunk))
		}
		done += chunk
	}
	n.Atime = now()
	return done, 0
}

// Write copies b into the file at off, growing it.
func Write(i Ino, off int64, b []byte) (int, linux.Errno) {
	n := in(i)
	if n.Mode&linux.S_IFMT != linux.S_IFREG {
		return 0, linux.EINVAL
	}
	if off < 0 {
		return 0, linux.EINVAL
	}
	if off+int64(len(b)) > MaxFileSize {
		return 0, linux.EFBIG
	}
	if len(b) == 0 {
		return 0, 0
	}
	if m := mountOf(i); m != nil {
		if m.ReadOnly {
			return 0, linux.EROFS
		}
		if m.FS().Write == nil {
			return 0, linux.EPERM
		}
		lock(m)
		k, e := m.FS().Write(m, i, off, b)
		unlock(m)
		return k, e
	}
	last := (uintptr(off) + uintptr(len(b)) - 1) / mm.PageSize
	if e := growPages(n, last+1); e != 0 {
		return 0, e
	}
	done := 0
	for done < len(b) {
		pos := uintptr(off) + uintptr(done)
		idx, po := pos/mm.PageSize, pos%mm.PageSize
		chunk := len(b) - done
		if c := int(mm.PageSize - po); chunk > c {
			chunk = c
		}
		slot := pageSlot(n, idx)
		if *slot == 0 {
			if DataPageLimit != 0 && DataPages >= DataPageLimit {
				break
			}
			va, ok := kmem.Alloc(mm.PageSize)
			if !ok {
				break
			}
			*slot = va
			DataPages++
		}
		copy(unsafe.Slice((*byte)(mm.Ptr(*slot+po)), chunk), b[done:done+chunk])
		done += chunk
	}
	if end := off + int64(done); end > n.Size {
		n.Size = end
	}
	t := now()
	n.Mtime, n.Ctime = t, t
	if done == 0 {
		return 0, linux.ENOSPC
	}
	return done, 0
}

// Truncate sets a regular file's size, freeing or zero-extending.
func Truncate(i Ino, size int64) linux.Errno {
	n := in(i)
	switch n.Mode & linux.S_IFMT {
	case linux.S_IFDIR:
		return linux.EISDIR
	case linux.S_IFREG:
	default:
		return linux.EINVAL
	}
	if size < 0 {
		return linux.EINVAL
	}
	if size > MaxFileSize {
		return linux.EFBIG
	}
	if m := mountOf(i); m != nil {
		if m.ReadOnly {
			return linux.EROFS
		}
		if m.FS().Truncate == nil {
			return linux.EPERM
		}
		lock(m)
		e := m.FS().Truncate(m, i, size)
		unlock(m)
		return e
	}
	if size < n.Size {
		truncatePages(n, size)
	}
	n.Size = size
	t := now()
	n.Mtime, n.Ctime = t, t
	return 0
}

// truncatePages frees pages wholly beyond size and zeroes the tail of the
// page that straddles it.
func truncatePages(n *inode, size int64) {
	first := (uintptr(size) + mm.PageSize - 1) / mm.PageSize
	for idx := first; idx < n.cap; idx++ {
		if p := *pageSlot(n, idx); p != 0 {
			kmem.Free(p, mm.PageSize)
			*pageSlot(n, idx) = 0
			DataPages--
		}
	}
	if po := uintptr(size) % mm.PageSize; po != 0 {
		idx := uintptr(size) / mm.PageSize
		if idx < n.cap {
			if p := *pageSlot(n, idx); p != 0 {
				mm.Zero(p+po, mm.PageSize-po)
			}
		}
	}
}

// Stat describes an inode.
type Stat struct {
	Attr
	Dev uint32 // 1 for ramfs, the mount's Dev otherwise
}

// GetStat returns the inode's attributes.
func GetStat(i Ino) Stat {
	n := in(i)
	s := Stat{Attr: n.Attr, Dev: 1}
	if m := mountOf(i); m != nil {
		s.Dev = m.Dev
		return s
	}
	s.Blocks = 0
	if n.Mode&linux.S_IFMT == linux.S_IFREG {
		var pages int64
		for idx := uintptr(0); idx < n.cap; idx++ {
			if *pageSlot(n, idx) != 0 {
				pages++
			}
		}
		s.Blocks = pages * (mm.PageSize / 512)
	}
	return s
}

// setAttr writes changed attributes back to a driver's inode.
func setAttr(i Ino, what uint32) linux.Errno {
	m := mountOf(i)
	if m == nil {
		return 0
	}
	if m.FS().SetAttr == nil {
		return linux.EPERM
	}
	lock(m)
	e := m.FS().SetAttr(m, i, what)
	unlock(m)
	return e
}

// writable reports whether i's attributes may change.
func writable(i Ino) linux.Errno {
	if m := mountOf(i); m != nil && m.ReadOnly {
		return linux.EROFS
	}
	return 0
}

// Chmod sets the permission bits.
func Chmod(i Ino, perm uint32) linux.Errno {
	if e := writable(i); e != 0 {
		return e
	}
	n := in(i)
	n.Mode = n.Mode&linux.S_IFMT | perm&0o7777
	n.Ctime = now()
	return setAttr(i, AttrMode)
}

// Chown sets the owner; -1 (as ^uint32(0)) leaves a field unchanged.
func Chown(i Ino, uid, gid uint32) linux.Errno {
	if e := writable(i); e != 0 {
		return e
	}
	n := in(i)
	if uid != ^uint32(0) {
		n.UID = uid
	}
	if gid != ^uint32(0) {
		n.GID = gid
	}
	n.Ctime = now()
	return setAttr(i, AttrOwner)
}

// SetTimes sets access and modification times (ns); negative leaves one
// unchanged.
func SetTimes(i Ino, atime, mtime int64) linux.Errno {
	if e := writable(i); e != 0 {
		return e
	}
	n := in(i)
	if atime >= 0 {
		n.Atime = atime
	}
	if mtime >= 0 {
		n.Mtime = mtime
	}
	n.Ctime = now()
	return setAttr(i, AttrTimes)
}
