//go:build unigo_nofs

package core

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/drivers/ioapic"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/vfs"
)

// A kernel without a file system, for programs that cannot name files
// (unigo build adds the unigo_nofs build tag when the linked program has
// none of the symbols that open, stat, create or remove a path; see
// docs/adr/0010-kernel-without-file-system.md). It keeps what such a
// program can reach: the console as descriptors 0, 1 and 2, pipes,
// eventfd, epoll, and the descriptor calls on them (read, write, fstat,
// fcntl, ioctl, dup, lseek, splice between pipes, ...). There is no
// tree: a path names nothing, so path calls fail with ENOENT (the Go
// runtime's probe of /sys/kernel/mm/transparent_hugepage fails as on a
// Linux system without the file), and calls that need a file of the file
// system get the error Linux gives for a descriptor of the wrong kind.
// No disk, share or volume driver is linked.

const haveFS = false

// consoleIno is the console's inode: none.
const consoleIno = 0

// initFS has no tree to build; it says so when the command line asks for
// mounts or a working directory, which this image cannot have.
func initFS() {
	kmem.Init(&frames)
	if kopts.nmounts > 0 || kopts.cwd >= 0 {
		klog.Warn("fs").S("this image has no file system (its program names no files): ").
			S("mounts and the working directory on the command line are ignored").End()
	}
}

func initVirtio(ioapic.IOAPIC, uint8) {}
func blkInterruptGSI(int) bool        { return false }
func blkInterrupt(int)                {}
func pollDevices()                    {}
func releaseHeld()                    {}

// No file of the file system is ever open; these complete the switches of
// the descriptor code.
func positioned(*file) bool                            { return false }
func vfsRead(*file, []byte, int64) (int, linux.Errno)  { return 0, linux.EBADF }
func vfsWrite(*file, []byte, int64) (int, linux.Errno) { return 0, linux.EBADF }
func devRead(*file, []byte) uintptr                    { return errno(linux.EBADF) }
func devWrite(*file, []byte) uintptr                   { return errno(linux.EBADF) }
func fillStatIno(vfs.Ino, uintptr) uintptr             { return errno(linux.EBADF) }
func seekFile(*file, int64, uintptr) uintptr           { return errno(linux.ESPIPE) }

func ret(n int, e linux.Errno) uintptr {
	if e != 0 {
		return errno(e)
	}
	return uintptr(n)
}

// noPath answers a call that names a path: there is none.
func noPath(sysArgs) uintptr { return errno(linux.ENOENT) }

// noFile answers a call on descriptor fd that needs a file of the file
// system (a regular file or a directory): EBADF if fd is not open, else
// wrong, the error Linux gives for a console, pipe, eventfd or epoll
// descriptor.
func noFile(fd uintptr, wrong linux.Errno) uintptr {
	if _, _, ok := fileOf(fd); !ok {
		return errno(linux.EBADF)
	}
	return errno(wrong)
}

// Path calls.
func sysOpenat(a sysArgs) uintptr     { return noPath(a) }
func sysOpen(a sysArgs) uintptr       { return noPath(a) }
func sysCreat(a sysArgs) uintptr      { return noPath(a) }
func sysNewfstatat(a sysArgs) uintptr { return noPath(a) }
func sysStat(a sysArgs) uintptr       { return noPath(a) }
func sysLstat(a sysArgs) uintptr      { return noPath(a) }
func sysStatx(a sysArgs) uintptr      { return noPath(a) }
func sysMkdirat(a sysArgs) uintptr    { return noPath(a) }
func sysMkdir(a sysArgs) uintptr      { return noPath(a) }
func sysMknodat(a sysArgs) uintptr    { return noPath(a) }
func sysUnlinkat(a sysArgs) uintptr   { return noPath(a) }
func sysUnlink(a sysArgs) uintptr     { return noPath(a) }
func sysRmdir(a sysArgs) uintptr      { return noPath(a) }
func sysRenameat2(a sysArgs) uintptr  { return noPath(a) }
func sysRenameat(a sysArgs) uintptr   { return noPath(a) }
func sysRename(a sysArgs) uintptr     { return noPath(a) }
func sysLinkat(a sysArgs) uintptr     { return noPath(a) }
func sysLink(a sysArgs) uintptr       { return noPath(a) }
func sysSymlinkat(a sysArgs) uintptr  { return noPath(a) }
func sysSymlink(a sysArgs) uintptr    { return noPath(a) }
func sysReadlinkat(a sysArgs) uintptr { return noPath(a) }
func sysReadlink(a sysArgs) uintptr   { return noPath(a) }
func sysFaccessat2(a sysArgs) uintptr { return noPath(a) }
func sysFaccessat(a sysArgs) uintptr  { return noPath(a) }
func sysAccess(a sysArgs) uintptr     { return noPath(a) }
func sysFchmodat(a sysArgs) uintptr   { return noPath(a) }
func sysFchmodat2(a sysArgs) uintptr  { return noPath(a) }
func sysChmod(a sysArgs) uintptr      { return noPath(a) }
func sysFchownat(a sysArgs) uintptr   { return noPath(a) }
func sysChown(a sysArgs) uintptr      { return noPath(a) }
func sysLchown(a sysArgs) uintptr     { return noPath(a) }
func sysUtimensat(a sysArgs) uintptr  { return noPath(a) }
func sysTruncate(a sysArgs) uintptr   { return noPath(a) }
func sysChdir(a sysArgs) uintptr      { return noPath(a) }
func sysStatfs(a sysArgs) uintptr     { return noPath(a) }
func sysGetcwd(a sysArgs) uintptr     { return noPath(a) }           // no working directory: as Linux's for an unlinked one
func sysMount(sysArgs) uintptr        { return errno(linux.ENODEV) } // no file-system driver
func sysMemfdCreate(sysArgs) uintptr  { return errno(linux.ENOSYS) }
func sysSync(sysArgs) uintptr         { return 0 } // nothing to write back

// Descriptor calls that need a file of the file system.
func sysPread64(a sysArgs) uintptr       { return noFile(a[0], linux.ESPIPE) }
func sysPwrite64(a sysArgs) uintptr      { return noFile(a[0], linux.ESPIPE) }
func sysGetdents64(a sysArgs) uintptr    { return noFile(a[0], linux.ENOTDIR) }
func sysFchdir(a sysArgs) uintptr        { return noFile(a[0], linux.ENOTDIR) }
func sysFtruncate(a sysArgs) uintptr     { return noFile(a[0], linux.EINVAL) }
func sysFallocate(a sysArgs) uintptr     { return noFile(a[0], linux.ESPIPE) }
func sysFsync(a sysArgs) uintptr         { return noFile(a[0], linux.EINVAL) }
func sysFdatasync(a sysArgs) uintptr     { return noFile(a[0], linux.EINVAL) }
func sysSyncfs(a sysArgs) uintptr        { return noFile(a[0], 0) }
func sysFstatfs(a sysArgs) uintptr       { return noFile(a[0], linux.ENOSYS) }
func sysFlock(a sysArgs) uintptr         { return noFile(a[0], 0) }
func sysFchmod(a sysArgs) uintptr        { return noFile(a[0], linux.EPERM) }
func sysFchown(a sysArgs) uintptr        { return noFile(a[0], linux.EPERM) }
func sysSendfile(a sysArgs) uintptr      { return noFile(a[1], linux.EINVAL) }
func sysCopyFileRange(a sysArgs) uintptr { return noFile(a[0], linux.EINVAL) }
