// Package ext2 is the kernel's driver for the second extended file system,
// the on-disk format of persistent volumes: Linux mounts it, e2fsprogs makes
// (mke2fs), checks (e2fsck) and inspects (debugfs) it.
//
// It implements, from "The Second Extended File System" (Dave Poirier, the
// ext2 specification at nongnu.org) and Linux's fs/ext2 and
// Documentation/filesystems/ext4 (which documents the shared layout):
//
//   - §Superblock: revision 0 and 1 (dynamic inode sizes, s_first_ino);
//     block sizes 1, 2 and 4 KiB; mount count, mount/write times and the
//     clean flag (s_state) kept as Linux does; feature flags checked as the
//     specification demands: an unknown INCOMPAT feature refuses the mount, an
//     unknown RO_COMPAT feature allows only a read-only mount (both name the
//     feature), COMPAT features are ignored;
//   - §Block Group Descriptor Table, §Block Bitmap, §Inode Bitmap: block
//     and inode allocation with the group and superblock free counts (and
//     used-directory counts) kept exact; sparse superblock backups
//     (SPARSE_SUPER) are left to mke2fs and e2fsck, like Linux does;
//   - §Inode Table: 128- and 256-byte inodes, the Linux osd2 fields (high
//     16 bits of uid and gid), nanosecond and post-2038 timestamps and the
//     creation time in the extra space of large inodes;
//   - §i_block: direct, indirect, doubly and triply indirect blocks, sparse
//     files (holes read as zeros), files over 2 GiB (LARGE_FILE, set when
//     the first one appears);
//   - §Linked List Directory: entries with the file type (FILETYPE), split
//     and merged by rec_len; indexed directories (COMPAT_DIR_INDEX) are read
//     linearly and lose their index flag when changed, as the htree layout
//     allows;
//   - §Symbolic Links: fast (target in i_block, under 60 bytes) and slow;
//   - §Extended Attributes: a deleted inode's attribute block is released
//     (reference count), attributes are otherwise left alone.
//
// Not implemented, refused at mount: ext3's journal replay (a volume whose
// journal needs recovery), ext4's extents, 64bit, flex_bg, meta_bg, inline
// data, and checksums (metadata_csum and gdt_csum: read-only).
//
// The driver is a [vfs.FileSystem] ([FS]); its buffers come from a per-mount
// [bcache.Cache] over a [block.Device] found by the mount's source name. It
// runs in trap context and follows the vfs's driver rules (no Go heap, no
// write barriers; the vfs serializes operations on one mount).
//
// # Durability
//
// ext2 has no journal. Changes are written back lazily; fsync writes the
// file's data, then every dirty metadata block, then flushes the device, so
// the image is consistent (e2fsck finds nothing to fix) after every fsync,
// sync and unmount. A crash between those points can lose the changes since
// and may leave the file system in need of `e2fsck -p`. Mounting read-write
// clears the clean flag (s_state) on disk at once; sync and unmount set it
// again after everything else is on the device.
package ext2

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/mm/kmem"

	"unigo.dev/unigo/kernel/fs/bcache"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/vfs"
)

// FS is the ext2 driver, mounted as type "ext2".
var FS = vfs.FileSystem{
	Name:     "ext2",
	Mount:    mount,
	Lookup:   lookupOp,
	ReadDir:  readDirOp,
	Read:     readOp,
	Write:    writeOp,
	Truncate: truncateOp,
	Create:   createOp,
	Symlink:  symlinkOp,
	Readlink: readlinkOp,
	Link:     linkOp,
	Remove:   removeOp,
	Rename:   renameOp,
	SetAttr:  setAttrOp,
	Fsync:    fsyncOp,
	Sync:     syncOp,
	Evict:    evictOp,
	Statfs:   statfsOp,
	Unmount:  unmountOp,
}

// On-disk constants.
const (
	superOffset = 1024
	superSize   = 1024
	superMagic  = 0xEF53
	rootIno     = 2
	goodOldRev  = 0
	dynamicRev  = 1
	oldInodeSz  = 128
	oldFirstIno = 11
	descSize    = 32
	nDirect     = 12
	indBlock    = 12
	dindBlock   = 13
	tindBlock   = 14
	nBlocks     = 15
	fastLinkMax = nBlocks*4 - 1 // 59 bytes inline
	linkMax     = 32000         // EXT2_LINK_MAX
	nameMax     = 255
	xattrMagic  = 0xEA020000

	stateValid  = 1 // s_state: cleanly unmounted
	stateErrors = 2 // s_state: errors detected

	// Inode flags (i_flags).
	flagImmutable = 0x10
	flagAppend    = 0x20
	flagIndex     = 0x1000  // hashed-indexed directory
	flagExtents   = 0x80000 // ext4 extents
	flagInline    = 0x10000000
)

// Features (s_feature_*).
const (
	incompatFiletype = 0x2
	roCompatSparse   = 0x1
	roCompatLarge    = 0x2
	roCompatBtreeDir = 0x4 // never used; harmless

	incompatSupported = incompatFiletype
	roCompatSupported = roCompatSparse | roCompatLarge | roCompatBtreeDir
)

// Superblock field offsets (within the 1024-byte superblock).
const (
	sInodesCount     = 0
	sBlocksCount     = 4
	sRBlocksCount    = 8
	sFreeBlocks      = 12
	sFreeInodes      = 16
	sFirstDataBlock  = 20
	sLogBlockSize    = 24
	sLogFragSize     = 28
	sBlocksPerGroup  = 32
	sInodesPerGroup  = 40
	sMtime           = 44
	sWtime           = 48
	sMntCount        = 52
	sMaxMntCount     = 54
	sMagic           = 56
	sState           = 58
	sRevLevel        = 76
	sFirstIno        = 84
	sInodeSize       = 88
	sFeatureCompat   = 92
	sFeatureIncompat = 96
	sFeatureRoCompat = 100
	sLastMounted     = 136
	sLastOrphan      = 232
	sWantExtraIsize  = 350
)

// Inode field offsets.
const (
	iMode       = 0
	iUID        = 2
	iSize       = 4
	iAtime      = 8
	iCtime      = 12
	iMtime      = 16
	iDtime      = 20
	iGID        = 24
	iLinks      = 26
	iBlocks     = 28
	iFlags      = 32
	iBlock      = 40
	iGeneration = 100
	iFileACL    = 104
	iSizeHigh   = 108
	iUIDHigh    = 120
	iGIDHigh    = 122
	iExtraIsize = 128
	iCtimeExtra = 132
	iMtimeExtra = 136
	iAtimeExtra = 140
	iCrtime     = 144
	iCrtimeEx   = 148
)

// Group descriptor field offsets.
const (
	gBlockBitmap = 0
	gInodeBitmap = 4
	gInodeTable  = 8
	gFreeBlocks  = 12
	gFreeInodes  = 14
	gUsedDirs    = 16
)

// fsys is one mount's state, in kernel memory (MountPoint.Priv).
type fsys struct {
	c bcache.Cache

	bsize      uint32
	logBsize   uint32 // log2(bsize)
	blocks     uint32 // s_blocks_count
	inodes     uint32
	firstData  uint32
	bpg, ipg   uint32
	groups     uint32
	isize      uint32
	firstIno   uint32
	gdtBlock   uint32 // first block of the group descriptor table
	descPerBlk uint32
	perBlock   uint32 // block numbers per indirect block
	extraIsize uint16 // i_extra_isize of new inodes
	overhead   uint32 // blocks used by metadata (statfs)
	ro         bool
	fileType   bool // directory entries carry the file type
	rev        uint32
	dirty      bool // changed since the last full sync (s_state on disk is not valid)
	wasValid   bool // s_state was valid when mounted
	dev        uint32
	sbBuf      bcache.Buf // the block holding the superblock, held for the mount
	sbOff      uint32     // superblock offset in that block
	lastGroup  uint32     // where the last directory went (spreads directories)
	gen        uint32     // i_generation of the next inode
	orphans    uintptr    // cached inodes with no links left (driver inodes, linked by onext)
	unmounted  bool
	nameBuf    [nameMax + 1]byte // ReadDir's name (survives the cache's recycling)
}

const fsysSize = unsafe.Sizeof(fsys{})

// inode is the driver's part of a cached inode (vfs Priv): the fields the
// vfs Attr does not carry. Attr is the truth for mode, links, owner, size,
// blocks and times.
type inode struct {
	num     uint32
	flags   uint32
	block   [nBlocks]uint32
	fileACL uint32
	gen     uint32
	dtime   uint32
	crtime  int64  // ns
	goal    uint32 // physical block after the last one allocated
	// Orphans (no links, still referenced): the list the unmount frees.
	self         vfs.Ino
	onext, oprev uintptr
	orphan       bool
}

const inodeSize = unsafe.Sizeof(inode{})

func fsOf(m *vfs.MountPoint) *fsys { return (*fsys)(mm.Ptr(m.Priv)) }

// Little-endian accessors over block bytes.
func get16(b []byte, off uint32) uint32 { return uint32(b[off]) | uint32(b[off+1])<<8 }
func get32(b []byte, off uint32) uint32 {
	return uint32(b[off]) | uint32(b[off+1])<<8 | uint32(b[off+2])<<16 | uint32(b[off+3])<<24
}
func put16(b []byte, off, v uint32) { b[off], b[off+1] = byte(v), byte(v>>8) }
func put32(b []byte, off, v uint32) {
	b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// sb returns the superblock bytes.
func (f *fsys) sb() []byte {
	return f.c.Bytes(f.sbBuf)[f.sbOff : f.sbOff+superSize]
}

// sbDirty marks the superblock changed.
func (f *fsys) sbDirty() {
	f.c.MarkDirty(f.sbBuf, bcache.Meta)
}

// changed is called before any change to the file system: the first change
// after a full sync clears the clean flag (the superblock, in the lowest
// block, goes out before anything else the next write-back writes).
func (f *fsys) changed() {
	if f.dirty {
		return
	}
	f.dirty = true
	sb := f.sb()
	put16(sb, sState, get16(sb, sState)&^stateValid)
	f.sbDirty()
}

// Glue to the vfs inode cache.

func attrs(i vfs.Ino) *vfs.Attr                                            { return vfs.Attrs(i) }
func priv(i vfs.Ino) uintptr                                               { return vfs.Priv(i) }
func setPriv(i vfs.Ino, v uintptr)                                         { vfs.SetPriv(i, v) }
func unref(i vfs.Ino)                                                      { vfs.Unref(i) }
func vgetInode(m *vfs.MountPoint, num uint64) (vfs.Ino, bool, linux.Errno) { return vfs.Iget(m, num) }

// discard drops a fresh inode whose driver state could not be set up.
func discard(i vfs.Ino) {
	if p := priv(i); p != 0 {
		kmem.Free(p, inodeSize)
		setPriv(i, 0)
	}
	vfs.Drop(i)
}

func now() int64 {
	if vfs.Now == nil {
		return 0
	}
	return vfs.Now()
}
