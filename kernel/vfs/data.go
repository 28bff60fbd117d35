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
	switch n.mode & linux.S_IFMT {
	case linux.S_IFDIR:
		return 0, linux.EISDIR
	case linux.S_IFREG:
	default:
		return 0, linux.EINVAL
	}
	if off < 0 {
		return 0, linux.EINVAL
	}
	if off >= n.size {
		return 0, 0
	}
	if int64(len(b)) > n.size-off {
		b = b[:n.size-off]
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
	n.atime = now()
	return done, 0
}

// Write copies b into the file at off, growing it.
func Write(i Ino, off int64, b []byte) (int, linux.Errno) {
	n := in(i)
	if n.mode&linux.S_IFMT != linux.S_IFREG {
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
	if end := off + int64(done); end > n.size {
		n.size = end
	}
	t := now()
	n.mtime, n.ctime = t, t
	if done == 0 {
		return 0, linux.ENOSPC
	}
	return done, 0
}

// Truncate sets a regular file's size, freeing or zero-extending.
func Truncate(i Ino, size int64) linux.Errno {
	n := in(i)
	switch n.mode & linux.S_IFMT {
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
	if size < n.size {
		truncatePages(n, size)
	}
	n.size = size
	t := now()
	n.mtime, n.ctime = t, t
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
	Ino                 uint64
	Mode, Nlink         uint32
	UID, GID, Rdev      uint32
	Size, Blocks        int64
	Atime, Mtime, Ctime int64
}

// GetStat returns the inode's attributes.
func GetStat(i Ino) Stat {
	n := in(i)
	s := Stat{Ino: n.ino, Mode: n.mode, Nlink: n.nlink, UID: n.uid, GID: n.gid, Rdev: n.rdev,
		Size: n.size, Atime: n.atime, Mtime: n.mtime, Ctime: n.ctime}
	if n.mode&linux.S_IFMT == linux.S_IFREG {
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

// Chmod sets the permission bits.
func Chmod(i Ino, perm uint32) {
	n := in(i)
	n.mode = n.mode&linux.S_IFMT | perm&0o7777
	n.ctime = now()
}

// Chown sets the owner; -1 (as ^uint32(0)) leaves a field unchanged.
func Chown(i Ino, uid, gid uint32) {
	n := in(i)
	if uid != ^uint32(0) {
		n.uid = uid
	}
	if gid != ^uint32(0) {
		n.gid = gid
	}
	n.ctime = now()
}

// SetTimes sets access and modification times (ns); negative leaves one
// unchanged.
func SetTimes(i Ino, atime, mtime int64) {
	n := in(i)
	if atime >= 0 {
		n.atime = atime
	}
	if mtime >= 0 {
		n.mtime = mtime
	}
	n.ctime = now()
}
