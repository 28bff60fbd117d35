package ext2

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/fs/bcache"
	"unigo.dev/unigo/kernel/vfs"
)

// File data: read (with read-ahead of physically contiguous blocks),
// write (allocating on demand; holes stay unallocated), truncate, and
// symbolic links (spec §Symbolic Links).

// readAheadMax bounds one read-ahead in blocks.
const readAheadMax = 64

// readAhead prefetches, from logical block lb (physical pblk, not cached),
// the run of blocks that follow it on disk, up to want blocks.
func (f *fsys) readAhead(a *vfs.Attr, n *inode, lb uint64, pblk uint32, want uint64) {
	last := (uint64(a.Size) + uint64(f.bsize) - 1) >> f.logBsize
	if want > readAheadMax {
		want = readAheadMax
	}
	if lb+want > last {
		want = last - lb
	}
	k := uint64(1)
	for ; k < want; k++ {
		p, _, e := f.bmap(a, n, lb+k, false)
		if e != 0 || p != pblk+uint32(k) || f.c.Cached(uint64(p)) {
			break
		}
	}
	f.c.Prefetch(uint64(pblk), int(k))
}

func (f *fsys) read(i vfs.Ino, off int64, b []byte) (int, linux.Errno) {
	a, n := attrs(i), node(i)
	if off < 0 {
		return 0, linux.EINVAL
	}
	if off >= a.Size {
		return 0, 0
	}
	if int64(len(b)) > a.Size-off {
		b = b[:a.Size-off]
	}
	done := 0
	for done < len(b) {
		pos := uint64(off) + uint64(done)
		lb := pos >> f.logBsize
		boff := uint32(pos & uint64(f.bsize-1))
		chunk := int(f.bsize - boff)
		if chunk > len(b)-done {
			chunk = len(b) - done
		}
		pblk, _, e := f.bmap(a, n, lb, false)
		if e != 0 {
			return done, e
		}
		if pblk == 0 {
			clear(b[done : done+chunk])
		} else {
			if !f.c.Cached(uint64(pblk)) {
				rest := (uint64(len(b)-done) + uint64(boff) + uint64(f.bsize) - 1) >> f.logBsize
				if rest < 16 {
					rest = 16
				}
				f.readAhead(a, n, lb, pblk, rest)
			}
			buf, e := f.c.Get(uint64(pblk))
			if e != 0 {
				return done, e
			}
			copy(b[done:done+chunk], f.c.Bytes(buf)[boff:])
			f.c.Release(buf)
		}
		done += chunk
	}
	return done, 0
}

func (f *fsys) write(i vfs.Ino, off int64, b []byte) (int, linux.Errno) {
	a, n := attrs(i), node(i)
	if n.flags&(flagImmutable|flagAppend) != 0 {
		if n.flags&flagImmutable != 0 || off != a.Size {
			return 0, linux.EPERM
		}
	}
	if off < 0 {
		return 0, linux.EINVAL
	}
	max := f.maxFileSize()
	if off >= max {
		return 0, linux.EFBIG
	}
	if int64(len(b)) > max-off {
		b = b[:max-off]
	}
	f.changed()
	blocks := a.Blocks
	done := 0
	var err linux.Errno
	for done < len(b) {
		pos := uint64(off) + uint64(done)
		lb := pos >> f.logBsize
		boff := uint32(pos & uint64(f.bsize-1))
		chunk := int(f.bsize - boff)
		if chunk > len(b)-done {
			chunk = len(b) - done
		}
		pblk, fresh, e := f.bmap(a, n, lb, true)
		if e != 0 {
			err = e
			break
		}
		var buf bcache.Buf
		if fresh || chunk == int(f.bsize) {
			buf, e = f.c.GetZero(uint64(pblk), n.num)
		} else {
			buf, e = f.c.Get(uint64(pblk))
		}
		if e != 0 {
			err = e
			break
		}
		copy(f.c.Bytes(buf)[boff:], b[done:done+chunk])
		f.c.MarkDirty(buf, n.num)
		f.c.Release(buf)
		done += chunk
	}
	if done > 0 {
		if end := off + int64(done); end > a.Size {
			a.Size = end
			if end > 1<<31-1 {
				f.setLargeFile()
			}
		}
		t := now()
		a.Mtime, a.Ctime = t, t
	}
	if done > 0 || a.Blocks != blocks {
		if e := f.writeInode(i); e != 0 && err == 0 {
			err = e
		}
	}
	if done > 0 {
		return done, 0
	}
	return 0, err
}

// setLargeFile records in the superblock that a file over 2 GiB exists.
func (f *fsys) setLargeFile() {
	sb := f.sb()
	if ro := get32(sb, sFeatureRoCompat); ro&roCompatLarge == 0 {
		put32(sb, sFeatureRoCompat, ro|roCompatLarge)
		f.sbDirty()
	}
}

func (f *fsys) truncate(i vfs.Ino, size int64) linux.Errno {
	a, n := attrs(i), node(i)
	if a.Mode&linux.S_IFMT != linux.S_IFREG {
		return linux.EINVAL
	}
	if n.flags&(flagImmutable|flagAppend) != 0 {
		return linux.EPERM
	}
	if size < 0 {
		return linux.EINVAL
	}
	if size > f.maxFileSize() {
		return linux.EFBIG
	}
	f.changed()
	if size < a.Size {
		// Zero the rest of the new last block: a later extension must read
		// zeros there.
		if boff := uint32(size & int64(f.bsize-1)); boff != 0 {
			pblk, _, e := f.bmap(a, n, uint64(size)>>f.logBsize, false)
			if e != 0 {
				return e
			}
			if pblk != 0 {
				buf, e := f.c.Get(uint64(pblk))
				if e != 0 {
					return e
				}
				clear(f.c.Bytes(buf)[boff:])
				f.c.MarkDirty(buf, n.num)
				f.c.Release(buf)
			}
		}
		from := (uint64(size) + uint64(f.bsize) - 1) >> f.logBsize
		if e := f.truncateBlocks(a, n, from); e != 0 {
			f.writeInode(i)
			return e
		}
	}
	a.Size = size
	if size > 1<<31-1 {
		f.setLargeFile()
	}
	t := now()
	a.Mtime, a.Ctime = t, t
	return f.writeInode(i)
}

// fastSymlink reports whether a symlink's target is in i_block (no data
// block besides an extended-attribute block; Linux's
// ext2_inode_is_fast_symlink).
func (f *fsys) fastSymlink(a *vfs.Attr, n *inode) bool {
	ea := int64(0)
	if n.fileACL != 0 {
		ea = f.blocksPer()
	}
	return a.Blocks-ea == 0
}

func (f *fsys) readlink(i vfs.Ino, buf []byte) (int, linux.Errno) {
	a, n := attrs(i), node(i)
	if a.Mode&linux.S_IFMT != linux.S_IFLNK {
		return 0, linux.EINVAL
	}
	size := a.Size
	if size < 0 || size >= int64(f.bsize) {
		corrupt(f, "symlink too long: inode", n.num)
		return 0, linux.EIO
	}
	if f.fastSymlink(a, n) {
		if size > fastLinkMax {
			corrupt(f, "fast symlink too long: inode", n.num)
			return 0, linux.EIO
		}
		k := 0
		for ; k < int(size) && k < len(buf); k++ {
			buf[k] = byte(n.block[k/4] >> (8 * (k % 4)))
		}
		return k, 0
	}
	pblk, _, e := f.bmap(a, n, 0, false)
	if e != 0 {
		return 0, e
	}
	if pblk == 0 {
		corrupt(f, "slow symlink without a block: inode", n.num)
		return 0, linux.EIO
	}
	b, e := f.c.Get(uint64(pblk))
	if e != 0 {
		return 0, e
	}
	k := copy(buf, f.c.Bytes(b)[:size])
	f.c.Release(b)
	return k, 0
}
