package vfs

import (
	"unigo.dev/unigo/kernel/abi/linux"
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

// Dirent is one directory entry from [FileSystem.ReadDir]. Name may point
// into the driver's buffers and is valid until the next call on the mount.
type Dirent struct {
	Name []byte
	Ino  uint64
	Type uint8 // DT_* (S_IFMT >> 12)
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
	// ReadDir stores the entry at cookie in ent (cookie 0 is the start;
	// "." and ".." are skipped by drivers — the vfs reports them itself)
	// and returns the cookie of the next entry; ok is false at the end.
	ReadDir func(m *MountPoint, dir Ino, cookie int64, ent *Dirent) (next int64, ok bool, e linux.Errno)
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
	// Statfs fills st.
	Statfs func(m *MountPoint, st *StatFS) linux.Errno
	// Unmount syncs and releases the mount's resources (shutdown).
	Unmount func(m *MountPoint) linux.Errno
}

// MountPoint is one mounted file system.
type MountPoint struct {
	FS       *FileSystem
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

// Src returns the mount's source name.
func (m *MountPoint) Src() []byte { return m.Source[:m.SrcLen] }
