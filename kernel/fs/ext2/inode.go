package ext2

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/fs/bcache"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/vfs"
)

// Inodes (spec §Inode Table) and their block maps (§i_block).

// node returns the driver part of a cached inode.
func node(i vfs.Ino) *inode { return (*inode)(mm.Ptr(priv(i))) }

// iget returns inode num, referenced, read from disk unless cached.
func iget(m *vfs.MountPoint, num uint32) (vfs.Ino, linux.Errno) {
	f := fsOf(m)
	if num < 1 || num > f.inodes {
		corrupt(f, "reference to inode out of range", num)
		return 0, linux.EIO
	}
	i, fresh, e := vgetInode(m, uint64(num))
	if e != 0 || !fresh {
		return i, e
	}
	va, ok := kmem.Alloc(inodeSize)
	if !ok {
		discard(i)
		return 0, linux.ENOMEM
	}
	setPriv(i, va)
	n := node(i)
	a := attrs(i)
	if e := f.readInode(num, a, n); e != 0 {
		discard(i)
		return 0, e
	}
	if a.Nlink == 0 && num != rootIno {
		corrupt(f, "reference to a deleted inode", num)
		discard(i)
		return 0, linux.EIO
	}
	return i, 0
}

// corrupt logs a file-system inconsistency.
func corrupt(f *fsys, what string, v uint32) {
	klog.Error("ext2").S("corrupt file system: ").S(what).S(" ").U(uint64(v)).S(" (run e2fsck on the image)").End()
}

// inodeLoc returns the buffer and offset of inode num's record.
func (f *fsys) inodeLoc(num uint32) (bcache.Buf, uint32, linux.Errno) {
	g := (num - 1) / f.ipg
	idx := (num - 1) % f.ipg
	gb, off, e := f.desc(g)
	if e != 0 {
		return 0, 0, e
	}
	table := get32(f.c.Bytes(gb)[off:], gInodeTable)
	f.c.Release(gb)
	byteOff := uint64(idx) * uint64(f.isize)
	b, e := f.c.Get(uint64(table) + byteOff>>f.logBsize)
	if e != 0 {
		return 0, 0, e
	}
	return b, uint32(byteOff & uint64(f.bsize-1)), 0
}

// decodeTime returns ns since the epoch from a 32-bit seconds field and,
// when present, its extra word (2 epoch bits, 30 bits of nanoseconds).
func decodeTime(lo uint32, extra uint32, hasExtra bool) int64 {
	sec := int64(int32(lo))
	var ns int64
	if hasExtra {
		sec += int64(extra&3) << 32
		ns = int64(extra >> 2)
		if ns >= 1e9 {
			ns = 0
		}
	}
	return sec*1e9 + ns
}

// encodeTime is decodeTime's inverse.
func encodeTime(t int64) (lo, extra uint32) {
	sec := t / 1e9
	ns := t % 1e9
	if ns < 0 {
		sec--
		ns += 1e9
	}
	lo = uint32(sec)
	extra = uint32((sec-int64(int32(lo)))>>32)&3 | uint32(ns)<<2
	return lo, extra
}

// extraIsize returns the inode record's i_extra_isize (0 for 128 bytes).
func (f *fsys) recExtra(r []byte) uint32 {
	if f.isize <= oldInodeSz {
		return 0
	}
	x := get16(r, iExtraIsize)
	if x > f.isize-oldInodeSz {
		return 0
	}
	return x
}

func (f *fsys) readInode(num uint32, a *vfs.Attr, n *inode) linux.Errno {
	b, off, e := f.inodeLoc(num)
	if e != 0 {
		return e
	}
	r := f.c.Bytes(b)[off : off+f.isize]
	*n = inode{num: num}
	*a = vfs.Attr{Ino: uint64(num)}
	a.Mode = get16(r, iMode)
	a.UID = get16(r, iUID) | get16(r, iUIDHigh)<<16
	a.GID = get16(r, iGID) | get16(r, iGIDHigh)<<16
	a.Nlink = get16(r, iLinks)
	a.Size = int64(get32(r, iSize))
	if a.Mode&linux.S_IFMT == linux.S_IFREG {
		a.Size |= int64(get32(r, iSizeHigh)) << 32
	}
	a.Blocks = int64(get32(r, iBlocks))
	x := f.recExtra(r)
	a.Atime = decodeTime(get32(r, iAtime), get32Opt(r, iAtimeExtra, x), x >= iAtimeExtra+4-oldInodeSz)
	a.Mtime = decodeTime(get32(r, iMtime), get32Opt(r, iMtimeExtra, x), x >= iMtimeExtra+4-oldInodeSz)
	a.Ctime = decodeTime(get32(r, iCtime), get32Opt(r, iCtimeExtra, x), x >= iCtimeExtra+4-oldInodeSz)
	if x >= iCrtimeEx+4-oldInodeSz {
		n.crtime = decodeTime(get32(r, iCrtime), get32(r, iCrtimeEx), true)
	}
	n.flags = get32(r, iFlags)
	for k := uint32(0); k < nBlocks; k++ {
		n.block[k] = get32(r, iBlock+4*k)
	}
	n.fileACL = get32(r, iFileACL)
	n.gen = get32(r, iGeneration)
	n.dtime = get32(r, iDtime)
	switch a.Mode & linux.S_IFMT {
	case linux.S_IFCHR, linux.S_IFBLK:
		// Old encoding (major<<8 | minor) in i_block[0], else the new one
		// in i_block[1]; both are the Linux dev_t layout the vfs uses.
		a.Rdev = n.block[0]
		if a.Rdev == 0 {
			a.Rdev = n.block[1]
		}
	}
	f.c.Release(b)
	if n.flags&(flagExtents|flagInline) != 0 && a.Mode&linux.S_IFMT != linux.S_IFLNK {
		corrupt(f, "inode uses ext4 extents or inline data", num)
		return linux.EIO
	}
	return 0
}

func get32Opt(r []byte, off, extra uint32) uint32 {
	if extra >= off+4-oldInodeSz {
		return get32(r, off)
	}
	return 0
}

// writeInode stores the cached inode i into its inode-table block (dirty
// metadata; it reaches the disk at the next write-back).
func (f *fsys) writeInode(i vfs.Ino) linux.Errno {
	return f.storeInode(attrs(i), node(i), false)
}

// storeInode writes a and n into the inode record; fresh clears the
// record first (a new inode) and sets its extra size.
func (f *fsys) storeInode(a *vfs.Attr, n *inode, fresh bool) linux.Errno {
	f.changed()
	b, off, e := f.inodeLoc(n.num)
	if e != 0 {
		return e
	}
	r := f.c.Bytes(b)[off : off+f.isize]
	if fresh {
		clear(r)
		if f.isize > oldInodeSz {
			put16(r, iExtraIsize, uint32(f.extraIsize))
		}
	}
	put16(r, iMode, a.Mode&0xFFFF)
	put16(r, iUID, a.UID&0xFFFF)
	put16(r, iUIDHigh, a.UID>>16)
	put16(r, iGID, a.GID&0xFFFF)
	put16(r, iGIDHigh, a.GID>>16)
	put16(r, iLinks, a.Nlink)
	put32(r, iSize, uint32(a.Size))
	if a.Mode&linux.S_IFMT == linux.S_IFREG {
		put32(r, iSizeHigh, uint32(uint64(a.Size)>>32))
	}
	put32(r, iBlocks, uint32(a.Blocks))
	x := f.recExtra(r)
	f.putTime(r, iAtime, iAtimeExtra, x, a.Atime)
	f.putTime(r, iMtime, iMtimeExtra, x, a.Mtime)
	f.putTime(r, iCtime, iCtimeExtra, x, a.Ctime)
	if fresh && x >= iCrtimeEx+4-oldInodeSz {
		f.putTime(r, iCrtime, iCrtimeEx, x, n.crtime)
	}
	put32(r, iFlags, n.flags)
	blk := n.block
	switch a.Mode & linux.S_IFMT {
	case linux.S_IFCHR, linux.S_IFBLK:
		blk = [nBlocks]uint32{}
		major, minor := a.Rdev>>8&0xFFF, a.Rdev&0xFF|a.Rdev>>12&0xFFF00
		if major < 256 && minor < 256 {
			blk[0] = major<<8 | minor
		} else {
			blk[1] = a.Rdev
		}
	}
	for k := uint32(0); k < nBlocks; k++ {
		put32(r, iBlock+4*k, blk[k])
	}
	put32(r, iFileACL, n.fileACL)
	put32(r, iGeneration, n.gen)
	put32(r, iDtime, n.dtime)
	f.c.MarkDirty(b, bcache.Meta)
	f.c.Release(b)
	return 0
}

// putTime stores t in a seconds field and, if the record's extra space
// covers it, the extra word.
func (f *fsys) putTime(r []byte, off, extraOff, extra uint32, t int64) {
	lo, ex := encodeTime(t)
	put32(r, off, lo)
	if extra >= extraOff+4-oldInodeSz {
		put32(r, extraOff, ex)
	}
}

// blocksPer is the i_blocks units (512 bytes) one block counts for.
func (f *fsys) blocksPer() int64 { return int64(f.bsize / 512) }

// maxBlocks returns the number of logical blocks the block map addresses.
func (f *fsys) maxBlocks() uint64 {
	p := uint64(f.perBlock)
	return nDirect + p + p*p + p*p*p
}

// maxFileSize is the largest file size: what the map addresses, what the
// 32-bit i_blocks (512-byte units) can count, and 2^31-1 on revision 0.
func (f *fsys) maxFileSize() int64 {
	n := int64(f.maxBlocks()) << f.logBsize
	// i_blocks counts data and indirect blocks; leave room for the latter.
	lim := (int64(1)<<32 - 1) * 512
	lim -= lim / int64(f.perBlock) * 2
	if n > lim {
		n = lim
	}
	if f.rev == goodOldRev && n > 1<<31-1 {
		n = 1<<31 - 1
	}
	return n
}

// validBlock reports whether blk is a block number inside the file system.
func (f *fsys) validBlock(blk uint32) bool { return blk >= f.firstData && blk < f.blocks }

// bmap maps logical block lblk of inode (a, n) to a physical block (0: a
// hole). With create, missing blocks are allocated: indirect blocks are
// zeroed in the cache; fresh reports a newly allocated data block, which
// the caller must fill (bcache GetZero). The caller writes the inode back
// when a.Blocks changed.
func (f *fsys) bmap(a *vfs.Attr, n *inode, lblk uint64, create bool) (blk uint32, fresh bool, e linux.Errno) {
	var path [4]uint32
	depth := 0
	p := uint64(f.perBlock)
	switch {
	case lblk < nDirect:
		path[0], depth = uint32(lblk), 1
	case lblk-nDirect < p:
		l := lblk - nDirect
		path[0], path[1], depth = indBlock, uint32(l), 2
	case lblk-nDirect-p < p*p:
		l := lblk - nDirect - p
		path[0], path[1], path[2], depth = dindBlock, uint32(l/p), uint32(l%p), 3
	case lblk-nDirect-p-p*p < p*p*p:
		l := lblk - nDirect - p - p*p
		path[0], path[1], path[2], path[3], depth = tindBlock, uint32(l/(p*p)), uint32(l/p%p), uint32(l%p), 4
	default:
		return 0, false, linux.EFBIG
	}
	cur := n.block[path[0]]
	if cur == 0 {
		if !create {
			return 0, false, 0
		}
		if cur, e = f.allocFor(a, n, depth == 1); e != 0 {
			return 0, false, e
		}
		n.block[path[0]] = cur
		fresh = depth == 1
	} else if !f.validBlock(cur) {
		corrupt(f, "block pointer out of range in inode", n.num)
		return 0, false, linux.EIO
	}
	for level := 1; level < depth; level++ {
		b, e := f.c.Get(uint64(cur))
		if e != 0 {
			return 0, false, e
		}
		bytes := f.c.Bytes(b)
		next := get32(bytes, path[level]*4)
		if next == 0 {
			if !create {
				f.c.Release(b)
				return 0, false, 0
			}
			if next, e = f.allocFor(a, n, level == depth-1); e != 0 {
				f.c.Release(b)
				return 0, false, e
			}
			put32(bytes, path[level]*4, next)
			f.c.MarkDirty(b, bcache.Meta)
			fresh = level == depth-1
		} else if !f.validBlock(next) {
			f.c.Release(b)
			corrupt(f, "indirect block pointer out of range in inode", n.num)
			return 0, false, linux.EIO
		}
		f.c.Release(b)
		cur = next
	}
	return cur, fresh, 0
}

// allocFor allocates a block for inode (a, n) near its last one: a data
// block (left for the caller to fill) or, with !data, an indirect block
// (zeroed in the cache).
func (f *fsys) allocFor(a *vfs.Attr, n *inode, data bool) (uint32, linux.Errno) {
	goal := n.goal
	if goal == 0 {
		goal = f.firstData + (n.num-1)/f.ipg*f.bpg
	}
	blk, e := f.allocBlock(goal)
	if e != 0 {
		return 0, e
	}
	n.goal = blk + 1
	a.Blocks += f.blocksPer()
	if !data {
		b, e := f.c.GetZero(uint64(blk), bcache.Meta)
		if e != 0 {
			return 0, e
		}
		f.c.Release(b)
	}
	return blk, 0
}

// truncateBlocks frees the blocks of (a, n) from logical block from on,
// indirect blocks that no longer map anything included.
func (f *fsys) truncateBlocks(a *vfs.Attr, n *inode, from uint64) linux.Errno {
	for k := from; k < nDirect; k++ {
		if n.block[k] != 0 {
			f.freeData(a, n.block[k])
			n.block[k] = 0
		}
	}
	p := uint64(f.perBlock)
	base := uint64(nDirect)
	span := p
	for k, depth := indBlock, 1; k <= tindBlock; k, depth = k+1, depth+1 {
		if n.block[k] != 0 {
			nb, e := f.freeTree(a, n.block[k], depth, base, from)
			n.block[k] = nb
			if e != 0 {
				return e
			}
		}
		base += span
		span *= p
	}
	return 0
}

// freeTree frees, in the indirect block blk of the given depth (1: it
// points at data blocks) mapping logical blocks from base on, everything
// at logical block ≥ from; it frees blk too when nothing is left before
// from, and returns what the parent pointer must now hold.
func (f *fsys) freeTree(a *vfs.Attr, blk uint32, depth int, base, from uint64) (uint32, linux.Errno) {
	p := uint64(f.perBlock)
	child := uint64(1)
	for d := 1; d < depth; d++ {
		child *= p
	}
	if from >= base+child*p {
		return blk, 0
	}
	if !f.validBlock(blk) {
		corrupt(f, "indirect block out of range", blk)
		return 0, linux.EIO
	}
	b, e := f.c.Get(uint64(blk))
	if e != 0 {
		return blk, e
	}
	bytes := f.c.Bytes(b)
	start := uint64(0)
	if from > base {
		start = (from - base) / child
	}
	changedAny := false
	for idx := start; idx < p; idx++ {
		c := get32(bytes, uint32(idx*4))
		if c == 0 {
			continue
		}
		if depth == 1 {
			f.freeData(a, c)
			put32(bytes, uint32(idx*4), 0)
			changedAny = true
			continue
		}
		nc, e := f.freeTree(a, c, depth-1, base+idx*child, from)
		if nc != c {
			put32(bytes, uint32(idx*4), nc)
			changedAny = true
		}
		if e != 0 {
			f.c.MarkDirty(b, bcache.Meta)
			f.c.Release(b)
			return blk, e
		}
	}
	if changedAny {
		f.c.MarkDirty(b, bcache.Meta)
	}
	f.c.Release(b)
	if from <= base {
		f.freeData(a, blk)
		return 0, 0
	}
	return blk, 0
}

// freeData frees one block of the inode whose attributes are a.
func (f *fsys) freeData(a *vfs.Attr, blk uint32) {
	f.freeBlock(blk)
	a.Blocks -= f.blocksPer()
	if a.Blocks < 0 {
		a.Blocks = 0
	}
}

// releaseXattr drops the inode's reference to its extended-attribute
// block (spec §Extended Attributes: h_refcount), freeing it at zero.
func (f *fsys) releaseXattr(a *vfs.Attr, n *inode) {
	blk := n.fileACL
	n.fileACL = 0
	if blk == 0 {
		return
	}
	if !f.validBlock(blk) {
		corrupt(f, "extended attribute block out of range", blk)
		return
	}
	b, e := f.c.Get(uint64(blk))
	if e != 0 {
		return
	}
	bytes := f.c.Bytes(b)
	if get32(bytes, 0) != xattrMagic {
		f.c.Release(b)
		corrupt(f, "bad extended attribute block", blk)
		return
	}
	refs := get32(bytes, 4)
	if refs > 1 {
		put32(bytes, 4, refs-1)
		f.c.MarkDirty(b, bcache.Meta)
		f.c.Release(b)
		a.Blocks -= f.blocksPer()
		return
	}
	f.c.Release(b)
	f.freeData(a, blk)
}
