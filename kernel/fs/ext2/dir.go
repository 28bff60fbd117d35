package ext2

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/fs/bcache"
	"unigo.dev/unigo/kernel/vfs"
)

// Directories (spec §Linked List Directory): each block holds entries
// (inode u32, rec_len u16, name_len u8, file_type u8, name) whose rec_len
// chain covers the block exactly. Removing an entry merges it into the
// previous one (or clears its inode when it is first in its block); adding
// one takes the slack after an entry or an unused entry, or a new block.

const (
	deInode   = 0
	deRecLen  = 4
	deNameLen = 6
	deType    = 7
	deName    = 8
)

// recLen returns the space an entry with an n-byte name needs.
func recLen(n int) uint32 { return (deName + uint32(n) + 3) &^ 3 }

// ext2 file types in directory entries.
func fileType(mode uint32) uint32 {
	switch mode & linux.S_IFMT {
	case linux.S_IFREG:
		return 1
	case linux.S_IFDIR:
		return 2
	case linux.S_IFCHR:
		return 3
	case linux.S_IFBLK:
		return 4
	case linux.S_IFIFO:
		return 5
	case linux.S_IFSOCK:
		return 6
	case linux.S_IFLNK:
		return 7
	}
	return 0
}

var dtOfType = [8]uint8{linux.DT_UNKNOWN, linux.DT_REG, linux.DT_DIR, linux.DT_CHR,
	linux.DT_BLK, linux.DT_FIFO, linux.DT_SOCK, linux.DT_LNK}

// entry is a decoded directory entry at off in a block.
type entry struct {
	off, recLen, ino uint32
	name             []byte
}

// parseEntry decodes the entry at off of a directory block, checking that
// it stays inside the block.
func (f *fsys) parseEntry(b []byte, off uint32) (entry, bool) {
	if off+deName > uint32(len(b)) {
		return entry{}, false
	}
	rl := get16(b, off+deRecLen)
	nl := uint32(b[off+deNameLen])
	if !f.fileType {
		nl = get16(b, off+deNameLen)
	}
	if rl < deName || rl&3 != 0 || off+rl > uint32(len(b)) || deName+nl > rl {
		return entry{}, false
	}
	return entry{off: off, recLen: rl, ino: get32(b, off+deInode), name: b[off+deName : off+deName+nl]}, true
}

// putEntry writes an entry header and name at off.
func (f *fsys) putEntry(b []byte, off, ino, rl uint32, name []byte, ftype uint32) {
	put32(b, off+deInode, ino)
	put16(b, off+deRecLen, rl)
	if f.fileType {
		b[off+deNameLen] = byte(len(name))
		b[off+deType] = byte(ftype)
	} else {
		put16(b, off+deNameLen, uint32(len(name)))
	}
	copy(b[off+deName:], name)
}

func isDot(name []byte) bool {
	return len(name) == 1 && name[0] == '.' || len(name) == 2 && name[0] == '.' && name[1] == '.'
}

// dirBlock returns directory block lb of dir (0 buffer for a hole).
func (f *fsys) dirBlock(a *vfs.Attr, n *inode, lb uint64) (bcache.Buf, linux.Errno) {
	pblk, _, e := f.bmap(a, n, lb, false)
	if e != 0 || pblk == 0 {
		return 0, e
	}
	return f.c.Get(uint64(pblk))
}

// find looks name up in dir; it returns the entry's block (referenced),
// the entry and the offset of the previous entry in that block (-1 when
// first).
func (f *fsys) find(dir vfs.Ino, name []byte) (bcache.Buf, entry, int64, linux.Errno) {
	a, n := attrs(dir), node(dir)
	nb := uint64(a.Size) >> f.logBsize
	for lb := uint64(0); lb < nb; lb++ {
		b, e := f.dirBlock(a, n, lb)
		if e != 0 {
			return 0, entry{}, 0, e
		}
		if b == 0 {
			continue
		}
		bytes := f.c.Bytes(b)
		prev := int64(-1)
		for off := uint32(0); off < f.bsize; {
			de, ok := f.parseEntry(bytes, off)
			if !ok {
				f.c.Release(b)
				corrupt(f, "bad directory entry in directory inode", n.num)
				return 0, entry{}, 0, linux.EIO
			}
			if de.ino != 0 && string(de.name) == string(name) {
				return b, de, prev, 0
			}
			prev = int64(off)
			off += de.recLen
		}
		f.c.Release(b)
	}
	return 0, entry{}, 0, linux.ENOENT
}

// lookupNum returns the inode number name has in dir.
func (f *fsys) lookupNum(dir vfs.Ino, name []byte) (uint32, linux.Errno) {
	b, de, _, e := f.find(dir, name)
	if e != 0 {
		return 0, e
	}
	f.c.Release(b)
	return de.ino, 0
}

// touchDir stamps a changed directory and clears its hash index flag (the
// linear entries stay valid; the index would not).
func (f *fsys) touchDir(dir vfs.Ino) {
	a := attrs(dir)
	t := now()
	a.Mtime, a.Ctime = t, t
	node(dir).flags &^= flagIndex
}

// addEntry adds name → ino (of type mode) to dir. The caller writes dir's
// inode back.
func (f *fsys) addEntry(dir vfs.Ino, name []byte, ino, mode uint32) linux.Errno {
	a, n := attrs(dir), node(dir)
	need := recLen(len(name))
	ft := fileType(mode)
	nb := uint64(a.Size) >> f.logBsize
	for lb := uint64(0); lb < nb; lb++ {
		b, e := f.dirBlock(a, n, lb)
		if e != 0 {
			return e
		}
		if b == 0 {
			continue
		}
		bytes := f.c.Bytes(b)
		for off := uint32(0); off < f.bsize; {
			de, ok := f.parseEntry(bytes, off)
			if !ok {
				f.c.Release(b)
				corrupt(f, "bad directory entry in directory inode", n.num)
				return linux.EIO
			}
			used := uint32(0)
			if de.ino != 0 {
				used = recLen(len(de.name))
			}
			if de.recLen-used >= need {
				if de.ino != 0 {
					put16(bytes, off+deRecLen, used)
					f.putEntry(bytes, off+used, ino, de.recLen-used, name, ft)
				} else {
					f.putEntry(bytes, off, ino, de.recLen, name, ft)
				}
				f.c.MarkDirty(b, bcache.Meta)
				f.c.Release(b)
				f.touchDir(dir)
				return 0
			}
			off += de.recLen
		}
		f.c.Release(b)
	}
	// A new block at the end.
	if a.Size+int64(f.bsize) > 1<<32-1 {
		return linux.ENOSPC
	}
	pblk, _, e := f.bmap(a, n, nb, true)
	if e != 0 {
		return e
	}
	b, e := f.c.GetZero(uint64(pblk), bcache.Meta)
	if e != 0 {
		return e
	}
	f.putEntry(f.c.Bytes(b), 0, ino, f.bsize, name, ft)
	f.c.Release(b)
	a.Size += int64(f.bsize)
	f.touchDir(dir)
	return 0
}

// removeEntry removes name from dir and returns its inode number. The
// caller writes dir's inode back.
func (f *fsys) removeEntry(dir vfs.Ino, name []byte) (uint32, linux.Errno) {
	b, de, prev, e := f.find(dir, name)
	if e != 0 {
		return 0, e
	}
	bytes := f.c.Bytes(b)
	if prev >= 0 {
		p := uint32(prev)
		put16(bytes, p+deRecLen, get16(bytes, p+deRecLen)+de.recLen)
	} else {
		put32(bytes, de.off+deInode, 0)
	}
	f.c.MarkDirty(b, bcache.Meta)
	f.c.Release(b)
	f.touchDir(dir)
	return de.ino, 0
}

// retarget points the existing entry name of dir at ino (of type mode).
func (f *fsys) retarget(dir vfs.Ino, name []byte, ino, mode uint32) linux.Errno {
	b, de, _, e := f.find(dir, name)
	if e != 0 {
		return e
	}
	bytes := f.c.Bytes(b)
	put32(bytes, de.off+deInode, ino)
	if f.fileType {
		bytes[de.off+deType] = byte(fileType(mode))
	}
	f.c.MarkDirty(b, bcache.Meta)
	f.c.Release(b)
	f.touchDir(dir)
	return 0
}

// setParent points directory dir's ".." entry at parent.
func (f *fsys) setParent(dir vfs.Ino, parent uint32) linux.Errno {
	a, n := attrs(dir), node(dir)
	b, e := f.dirBlock(a, n, 0)
	if e != 0 {
		return e
	}
	if b == 0 {
		corrupt(f, "directory without a first block: inode", n.num)
		return linux.EIO
	}
	bytes := f.c.Bytes(b)
	dot, ok := f.parseEntry(bytes, 0)
	var dd entry
	if ok {
		dd, ok = f.parseEntry(bytes, dot.recLen)
	}
	if !ok || string(dd.name) != ".." {
		f.c.Release(b)
		corrupt(f, "directory without '..': inode", n.num)
		return linux.EIO
	}
	put32(bytes, dd.off+deInode, parent)
	f.c.MarkDirty(b, bcache.Meta)
	f.c.Release(b)
	return 0
}

// emptyDir reports whether dir has no entries but "." and "..".
func (f *fsys) emptyDir(dir vfs.Ino) (bool, linux.Errno) {
	a, n := attrs(dir), node(dir)
	nb := uint64(a.Size) >> f.logBsize
	for lb := uint64(0); lb < nb; lb++ {
		b, e := f.dirBlock(a, n, lb)
		if e != 0 {
			return false, e
		}
		if b == 0 {
			continue
		}
		bytes := f.c.Bytes(b)
		for off := uint32(0); off < f.bsize; {
			de, ok := f.parseEntry(bytes, off)
			if !ok {
				f.c.Release(b)
				return false, linux.EIO
			}
			if de.ino != 0 && !isDot(de.name) {
				f.c.Release(b)
				return false, 0
			}
			off += de.recLen
		}
		f.c.Release(b)
	}
	return true, 0
}

// initDir writes the first block of a new directory: "." and "..".
func (f *fsys) initDir(a *vfs.Attr, n *inode, parent uint32) linux.Errno {
	pblk, _, e := f.bmap(a, n, 0, true)
	if e != 0 {
		return e
	}
	b, e := f.c.GetZero(uint64(pblk), bcache.Meta)
	if e != 0 {
		return e
	}
	bytes := f.c.Bytes(b)
	f.putEntry(bytes, 0, n.num, recLen(1), dotName[:1], 2)
	f.putEntry(bytes, recLen(1), parent, f.bsize-recLen(1), dotName[:2], 2)
	f.c.Release(b)
	a.Size = int64(f.bsize)
	return 0
}

var dotName = [2]byte{'.', '.'}

// readDir returns the entry at or after byte position cookie of dir
// (skipping "." and ".."), and the cookie of the next one.
func (f *fsys) readDir(dir vfs.Ino, cookie int64) (ent vfs.Dirent, next int64, ok bool, err linux.Errno) {
	a, n := attrs(dir), node(dir)
	if cookie < 0 {
		return ent, 0, false, linux.EINVAL
	}
	for pos := uint64(cookie); pos < uint64(a.Size); {
		lb := pos >> f.logBsize
		boff := uint32(pos & uint64(f.bsize-1))
		b, e := f.dirBlock(a, n, lb)
		if e != 0 {
			return ent, 0, false, e
		}
		if b == 0 {
			pos = (lb + 1) << f.logBsize
			continue
		}
		bytes := f.c.Bytes(b)
		for off := uint32(0); off < f.bsize; {
			de, ok := f.parseEntry(bytes, off)
			if !ok {
				f.c.Release(b)
				corrupt(f, "bad directory entry in directory inode", n.num)
				return ent, 0, false, linux.EIO
			}
			if off >= boff && de.ino != 0 && !isDot(de.name) {
				k := copy(f.nameBuf[:], de.name)
				ent.SetName(f.nameBuf[:k])
				ent.Ino = uint64(de.ino)
				ent.Type = linux.DT_UNKNOWN
				if f.fileType && bytes[off+deType] < uint8(len(dtOfType)) {
					ent.Type = dtOfType[bytes[off+deType]]
				}
				f.c.Release(b)
				return ent, int64(lb<<f.logBsize) + int64(off+de.recLen), true, 0
			}
			off += de.recLen
		}
		f.c.Release(b)
		pos = (lb + 1) << f.logBsize
	}
	return ent, int64(a.Size), false, 0
}
