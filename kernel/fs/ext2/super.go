package ext2

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/drivers/block"
	"unigo.dev/unigo/kernel/fs/bcache"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/vfs"
)

// Mounting, the superblock, statfs, sync and unmount (spec §Superblock).

// Cache sizing: a sixteenth of RAM (the vfs's ramfs limit is half of it),
// within these bounds.
const (
	cacheMin     = 256 << 10
	cacheMax     = 32 << 10 << 10
	cacheDefault = 4 << 20
)

// CacheBytes, when not zero, overrides the buffer cache size of new mounts
// (tests).
var CacheBytes int

func cacheSize() int {
	if CacheBytes != 0 {
		return CacheBytes
	}
	if vfs.DataPageLimit == 0 {
		return cacheDefault
	}
	n := int(vfs.DataPageLimit) * 2 * mm.PageSize / 16
	if n < cacheMin {
		n = cacheMin
	}
	if n > cacheMax {
		n = cacheMax
	}
	return n
}

// MountError holds the reason of the last failed mount, for the boot error
// message ("bad superblock magic 0x0000: not an ext2 file system").
var (
	mountErr    [160]byte
	mountErrLen int
)

// LastError returns why the last mount failed.
func LastError() []byte { return mountErr[:mountErrLen] }

// fail records (and logs) why a mount failed and returns e.
func fail(m *vfs.MountPoint, e linux.Errno, parts ...string) linux.Errno {
	mountErrLen = 0
	for _, p := range parts {
		mountErrLen += copy(mountErr[mountErrLen:], p)
	}
	klog.Error("ext2").B(m.Src()).S(": ").B(mountErr[:mountErrLen]).End()
	return e
}

// hexU32 formats v as 0x%x into buf (no allocation).
func hexU32(buf *[10]byte, v uint32) string {
	const digits = "0123456789abcdef"
	buf[0], buf[1] = '0', 'x'
	n := 2
	started := false
	for s := 28; s >= 0; s -= 4 {
		d := v >> uint(s) & 0xF
		if d != 0 || started || s == 0 {
			buf[n] = digits[d]
			n++
			started = true
		}
	}
	return unsafe.String(&buf[0], n)
}

// decU32 formats v in decimal into buf.
func decU32(buf *[10]byte, v uint32) string {
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return unsafe.String(&buf[i], len(buf)-i)
}

var incompatNames = [...]struct {
	bit  uint32
	name string
}{
	{0x1, "compression"}, {0x4, "needs_recovery"}, {0x8, "journal_dev"},
	{0x10, "meta_bg"}, {0x40, "extent"}, {0x80, "64bit"}, {0x100, "mmp"},
	{0x200, "flex_bg"}, {0x400, "ea_inode"}, {0x1000, "dirdata"},
	{0x2000, "metadata_csum_seed"}, {0x4000, "large_dir"},
	{0x8000, "inline_data"}, {0x10000, "encrypt"}, {0x20000, "casefold"},
}

var roCompatNames = [...]struct {
	bit  uint32
	name string
}{
	{0x8, "huge_file"}, {0x10, "uninit_bg"}, {0x20, "dir_nlink"},
	{0x40, "extra_isize"}, {0x80, "snapshot"}, {0x100, "quota"},
	{0x200, "bigalloc"}, {0x400, "metadata_csum"}, {0x800, "replica"},
	{0x1000, "read-only"}, {0x2000, "project"}, {0x4000, "shared_blocks"},
	{0x8000, "verity"}, {0x10000, "orphan_present"},
}

func incompatName(bits uint32) string {
	for _, n := range incompatNames {
		if bits&n.bit != 0 {
			return n.name
		}
	}
	return "unknown"
}

func roCompatName(bits uint32) string {
	for _, n := range roCompatNames {
		if bits&n.bit != 0 {
			return n.name
		}
	}
	return "unknown"
}

// hasSuper reports whether group g holds a superblock backup (spec
// §Sparse Superblock: groups 0, 1 and powers of 3, 5 and 7).
func (f *fsys) hasSuper(g uint32, sparse bool) bool {
	if g <= 1 || !sparse {
		return true
	}
	for _, p := range [3]uint32{3, 5, 7} {
		x := p
		for x < g {
			x *= p
		}
		if x == g {
			return true
		}
	}
	return false
}

func mount(m *vfs.MountPoint) (vfs.Ino, linux.Errno) {
	mountErrLen = 0
	d := block.Find(m.Src())
	if d == nil {
		return 0, fail(m, linux.ENODEV, "no such block device (attach the volume with unigo run --volume-disk)")
	}
	if d.ReadOnly && !m.ReadOnly {
		return 0, fail(m, linux.EROFS, "the device is read-only: mount it read-only (:ro)")
	}
	if d.Sectors < (superOffset+superSize)/block.SectorSize {
		return 0, fail(m, linux.EINVAL, "device too small for an ext2 file system")
	}
	// Read the superblock into a scratch page.
	page, ok := kmem.Alloc(mm.PageSize)
	if !ok {
		return 0, linux.ENOMEM
	}
	var f fsys
	// The segment list lives in the page too: a stack array passed through
	// the Transfer function value would escape to the Go heap.
	segs := unsafe.Slice((*block.Seg)(mm.Ptr(page+superSize)), 1)
	segs[0] = block.Seg{VA: page, Len: superSize}
	e := d.Transfer(d, false, superOffset/block.SectorSize, segs)
	if e != 0 {
		e = fail(m, linux.EIO, "I/O error reading the superblock")
	} else {
		e = parseSuper(m, d, unsafe.Slice((*byte)(mm.Ptr(page)), superSize), &f)
	}
	kmem.Free(page, mm.PageSize)
	if e != 0 {
		return 0, e
	}
	var nb [10]byte
	itb := (f.ipg*f.isize + f.bsize - 1) / f.bsize
	// The mount state lives in kernel memory from here on.
	va, ok := kmem.Alloc(fsysSize)
	if !ok {
		return 0, linux.ENOMEM
	}
	fp := (*fsys)(mm.Ptr(va))
	*fp = f
	if e := fp.c.Init(d, f.bsize, cacheSize()); e != 0 {
		kmem.Free(va, fsysSize)
		return 0, e
	}
	cleanup := func() {
		if fp.sbBuf != 0 {
			fp.c.Release(fp.sbBuf)
		}
		fp.c.Destroy()
		kmem.Free(va, fsysSize)
	}
	b, e := fp.c.Get(uint64(superOffset / f.bsize))
	if e != 0 {
		cleanup()
		return 0, fail(m, e, "I/O error reading the superblock")
	}
	fp.sbBuf, fp.sbOff = b, superOffset%f.bsize
	for g := uint32(0); g < f.groups; g++ {
		gb, off, e := fp.desc(g)
		if e != 0 {
			cleanup()
			return 0, fail(m, e, "I/O error reading the group descriptors")
		}
		gd := fp.c.Bytes(gb)[off:]
		first := f.firstData + g*f.bpg
		last := first + f.bpg - 1
		if last >= f.blocks {
			last = f.blocks - 1
		}
		bb, ib, it := get32(gd, gBlockBitmap), get32(gd, gInodeBitmap), get32(gd, gInodeTable)
		fp.c.Release(gb)
		var gn [10]byte
		switch {
		case bb < first || bb > last:
			e = fail(m, linux.EINVAL, "corrupt group descriptor ", decU32(&gn, g), ": block bitmap at ", decU32(&nb, bb), " outside the group")
		case ib < first || ib > last:
			e = fail(m, linux.EINVAL, "corrupt group descriptor ", decU32(&gn, g), ": inode bitmap at ", decU32(&nb, ib), " outside the group")
		case it < first || it+itb-1 > last:
			e = fail(m, linux.EINVAL, "corrupt group descriptor ", decU32(&gn, g), ": inode table at ", decU32(&nb, it), " outside the group")
		}
		if e != 0 {
			cleanup()
			return 0, e
		}
	}
	m.Priv = va
	if !fp.ro {
		// As Linux: count the mount, stamp it, and clear the clean flag on
		// disk before anything else changes.
		sb := fp.sb()
		put16(sb, sMntCount, get16(sb, sMntCount)+1)
		t := uint32(now() / 1e9)
		put32(sb, sMtime, t)
		put32(sb, sWtime, t)
		if max := int16(get16(sb, sMaxMntCount)); max > 0 && int16(get16(sb, sMntCount)) >= max {
			klog.Warn("ext2").B(m.Src()).S(": maximal mount count reached: running e2fsck is recommended").End()
		}
		fp.changed()
		fp.sbDirty()
		if e := fp.c.Sync(); e != 0 {
			m.Priv = 0
			cleanup()
			return 0, fail(m, e, "I/O error writing the superblock")
		}
	}
	root, e := iget(m, rootIno)
	if e != 0 {
		m.Priv = 0
		cleanup()
		return 0, fail(m, e, "cannot read the root directory inode")
	}
	if attrs(root).Mode&linux.S_IFMT != linux.S_IFDIR {
		discard(root)
		m.Priv = 0
		cleanup()
		return 0, fail(m, linux.EINVAL, "corrupt file system: the root inode is not a directory")
	}
	return root, 0
}

// desc returns the buffer holding group g's descriptor and its offset.
func (f *fsys) desc(g uint32) (bcache.Buf, uint32, linux.Errno) {
	b, e := f.c.Get(uint64(f.gdtBlock + g/f.descPerBlk))
	return b, (g % f.descPerBlk) * descSize, e
}

// syncAll writes everything and, when the file system changed since the
// last sync, sets the clean flag (if it was clean at mount) once all else
// is on the device.
func (f *fsys) syncAll() linux.Errno {
	if f.ro {
		return 0
	}
	if e := f.c.Sync(); e != 0 {
		return e
	}
	if !f.dirty {
		return 0
	}
	sb := f.sb()
	if f.wasValid {
		put16(sb, sState, get16(sb, sState)|stateValid)
	}
	put32(sb, sWtime, uint32(now()/1e9))
	f.sbDirty()
	if e := f.c.Sync(); e != 0 {
		return e
	}
	f.dirty = false
	return 0
}

func syncOp(m *vfs.MountPoint) linux.Errno { return fsOf(m).syncAll() }

func fsyncOp(m *vfs.MountPoint, i vfs.Ino, dataOnly bool) linux.Errno {
	f := fsOf(m)
	if f.ro {
		return 0
	}
	return f.c.SyncOwner(node(i).num)
}

func statfsOp(m *vfs.MountPoint) (st vfs.StatFS, e linux.Errno) {
	f := fsOf(m)
	sb := f.sb()
	st.Type = superMagic
	st.BlockSize = int64(f.bsize)
	st.Blocks = uint64(f.blocks - f.overhead)
	st.Free = uint64(get32(sb, sFreeBlocks))
	r := uint64(get32(sb, sRBlocksCount))
	st.Avail = 0
	if st.Free > r {
		st.Avail = st.Free - r
	}
	st.Files = uint64(f.inodes)
	st.FreeFiles = uint64(get32(sb, sFreeInodes))
	st.NameMax = nameMax
	st.ReadOnly = f.ro
	return st, 0
}

// unmountOp frees the files nobody can reach any more (unlinked, still
// open when the program ended), syncs, marks the file system clean and
// drops the buffer cache. The mount state stays allocated (a few hundred
// bytes): inodes the vfs still caches are evicted later without I/O.
func unmountOp(m *vfs.MountPoint) linux.Errno {
	f := fsOf(m)
	if f.unmounted {
		return 0
	}
	for f.orphans != 0 {
		n := (*inode)(mm.Ptr(f.orphans))
		f.release(n.self)
	}
	e := f.syncAll()
	f.unmounted = true
	f.c.Release(f.sbBuf)
	f.c.Destroy()
	return e
}

// parseSuper checks the superblock sb of device d and fills f's geometry.
func parseSuper(m *vfs.MountPoint, d *block.Device, sb []byte, f *fsys) linux.Errno {
	var nb [10]byte
	if magic := get16(sb, sMagic); magic != superMagic {
		return fail(m, linux.EINVAL, "bad superblock magic ", hexU32(&nb, magic), " (want 0xef53): not an ext2 file system (make one with mke2fs -t ext2)")
	}
	f.rev = get32(sb, sRevLevel)
	if f.rev > dynamicRev {
		return fail(m, linux.EINVAL, "unknown revision ", decU32(&nb, f.rev))
	}
	log := get32(sb, sLogBlockSize)
	if log > 2 {
		return fail(m, linux.EINVAL, "block size 1024<<", decU32(&nb, log), " not supported (1, 2 or 4 KiB)")
	}
	f.logBsize = 10 + log
	f.bsize = 1 << f.logBsize
	f.blocks = get32(sb, sBlocksCount)
	f.inodes = get32(sb, sInodesCount)
	f.firstData = get32(sb, sFirstDataBlock)
	f.bpg = get32(sb, sBlocksPerGroup)
	f.ipg = get32(sb, sInodesPerGroup)
	f.isize, f.firstIno = oldInodeSz, oldFirstIno
	var compat, incompat, roCompat uint32
	if f.rev == dynamicRev {
		f.isize = get16(sb, sInodeSize)
		f.firstIno = get32(sb, sFirstIno)
		compat = get32(sb, sFeatureCompat)
		incompat = get32(sb, sFeatureIncompat)
		roCompat = get32(sb, sFeatureRoCompat)
	}
	_ = compat
	if bad := incompat &^ incompatSupported; bad != 0 {
		if bad&0x4 != 0 {
			return fail(m, linux.EINVAL, "the journal needs recovery (feature needs_recovery): run e2fsck on the image first")
		}
		return fail(m, linux.EINVAL, "unsupported feature ", incompatName(bad), " (incompatible; an ext4 volume?): make the volume with mke2fs -t ext2")
	}
	if bad := roCompat &^ roCompatSupported; bad != 0 && !m.ReadOnly {
		return fail(m, linux.EROFS, "feature ", roCompatName(bad), " is supported read-only: mount the volume read-only (:ro) or make it with mke2fs -t ext2")
	}
	f.fileType = incompat&incompatFiletype != 0
	f.ro = m.ReadOnly
	// Geometry checks (a corrupt superblock must not send us out of range).
	wantFirst := uint32(0)
	if f.bsize == 1024 {
		wantFirst = 1
	}
	switch {
	case f.firstData != wantFirst:
		return fail(m, linux.EINVAL, "bad superblock: first data block ", decU32(&nb, f.firstData))
	case f.bpg == 0 || f.bpg > 8*f.bsize || f.bpg%8 != 0:
		return fail(m, linux.EINVAL, "bad superblock: blocks per group ", decU32(&nb, f.bpg))
	case f.ipg == 0 || f.ipg > 8*f.bsize || f.ipg%8 != 0:
		return fail(m, linux.EINVAL, "bad superblock: inodes per group ", decU32(&nb, f.ipg))
	case f.isize < oldInodeSz || f.isize > f.bsize || f.isize&(f.isize-1) != 0:
		return fail(m, linux.EINVAL, "bad superblock: inode size ", decU32(&nb, f.isize))
	case f.firstIno <= rootIno || f.firstIno > f.ipg:
		return fail(m, linux.EINVAL, "bad superblock: first inode ", decU32(&nb, f.firstIno))
	case f.blocks <= f.firstData:
		return fail(m, linux.EINVAL, "bad superblock: block count ", decU32(&nb, f.blocks))
	}
	f.groups = (f.blocks - f.firstData + f.bpg - 1) / f.bpg
	if uint64(f.groups)*uint64(f.ipg) != uint64(f.inodes) {
		return fail(m, linux.EINVAL, "bad superblock: inode count ", decU32(&nb, f.inodes), " does not match the groups")
	}
	if uint64(f.blocks)*uint64(f.bsize) > uint64(d.Size()) {
		return fail(m, linux.EINVAL, "the file system (", decU32(&nb, f.blocks), " blocks) is larger than the device: truncated image?")
	}
	f.descPerBlk = f.bsize / descSize
	f.gdtBlock = f.firstData + 1
	f.perBlock = f.bsize / 4
	if f.isize >= oldInodeSz+32 {
		f.extraIsize = uint16(get16(sb, sWantExtraIsize))
		if f.extraIsize < 32 || f.extraIsize > uint16(f.isize-oldInodeSz) || f.extraIsize&3 != 0 {
			f.extraIsize = 32
		}
	}
	gdtBlocks := (f.groups + f.descPerBlk - 1) / f.descPerBlk
	itb := (f.ipg*f.isize + f.bsize - 1) / f.bsize
	sparse := roCompat&roCompatSparse != 0
	rsvGdt := uint32(0)
	if compat&0x10 != 0 { // resize_inode
		rsvGdt = get16(sb, 206)
	}
	f.overhead = f.firstData
	for g := uint32(0); g < f.groups; g++ {
		if f.hasSuper(g, sparse) {
			f.overhead += 1 + gdtBlocks + rsvGdt
		}
		f.overhead += 2 + itb
	}
	state := get16(sb, sState)
	f.wasValid = state&stateValid != 0 && state&stateErrors == 0
	if !f.wasValid {
		klog.Warn("ext2").B(m.Src()).S(": mounting a file system that was not cleanly unmounted or has errors: run e2fsck on the image").End()
	}

	return 0
}
