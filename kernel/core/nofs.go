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
// No disk, share or volume driver is linked. unigo build never combines
// this tag with unigo_net (AF_UNIX sockets are file-system nodes, and
// programs that use package net name files anyway).

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

// fsHandler: no file-system call has a handler here (the documentation
// table comes from the kernel with the file system).
func fsHandler(int) sysHandler { return nil }

// fsSyscall answers the file-system calls. A path names nothing (ENOENT);
// a call on a descriptor gets EBADF if it is not open, otherwise the
// error Linux gives for a console, pipe, eventfd or epoll descriptor.
// Calls not listed (memfd_create, fstatfs, ...) are unsupported: ENOSYS,
// logged once.
func fsSyscall(nr uintptr, a sysArgs) (uintptr, bool) {
	switch nr {
	case linux.SYS_OPENAT, linux.SYS_OPEN, linux.SYS_CREAT, linux.SYS_NEWFSTATAT, linux.SYS_STAT,
		linux.SYS_LSTAT, linux.SYS_STATX, linux.SYS_MKDIRAT, linux.SYS_MKDIR, linux.SYS_MKNODAT,
		linux.SYS_UNLINKAT, linux.SYS_UNLINK, linux.SYS_RMDIR, linux.SYS_RENAMEAT2, linux.SYS_RENAMEAT,
		linux.SYS_RENAME, linux.SYS_LINKAT, linux.SYS_LINK, linux.SYS_SYMLINKAT, linux.SYS_SYMLINK,
		linux.SYS_READLINKAT, linux.SYS_READLINK, linux.SYS_FACCESSAT2, linux.SYS_FACCESSAT,
		linux.SYS_ACCESS, linux.SYS_FCHMODAT, linux.SYS_FCHMODAT2, linux.SYS_CHMOD, linux.SYS_FCHOWNAT,
		linux.SYS_CHOWN, linux.SYS_LCHOWN, linux.SYS_UTIMENSAT, linux.SYS_TRUNCATE, linux.SYS_CHDIR,
		linux.SYS_STATFS,
		linux.SYS_GETCWD: // no working directory: as Linux's answer for an unlinked one
		return errno(linux.ENOENT), true
	case linux.SYS_MOUNT:
		return errno(linux.ENODEV), true // no file-system driver
	case linux.SYS_SYNC:
		return 0, true // nothing to write back
	case linux.SYS_PREAD64, linux.SYS_PWRITE64, linux.SYS_FALLOCATE:
		return onFile(a[0], linux.ESPIPE), true
	case linux.SYS_GETDENTS64, linux.SYS_FCHDIR:
		return onFile(a[0], linux.ENOTDIR), true
	case linux.SYS_FTRUNCATE, linux.SYS_FSYNC, linux.SYS_FDATASYNC:
		return onFile(a[0], linux.EINVAL), true
	case linux.SYS_SYNCFS, linux.SYS_FLOCK:
		return onFile(a[0], 0), true
	case linux.SYS_FCHMOD, linux.SYS_FCHOWN:
		return onFile(a[0], linux.EPERM), true
	case linux.SYS_SENDFILE: // out_fd, in_fd: the input must be a file
		if _, _, ok := fileOf(a[0]); !ok {
			return errno(linux.EBADF), true
		}
		return onFile(a[1], linux.EINVAL), true
	case linux.SYS_COPY_FILE_RANGE: // fd_in, off_in, fd_out: both must be files
		if _, _, ok := fileOf(a[2]); !ok {
			return errno(linux.EBADF), true
		}
		return onFile(a[0], linux.EINVAL), true
	}
	return 0, false
}

// onFile answers a call on descriptor fd that needs a file of the file
// system: EBADF if fd is not open, else wrong (0: success).
func onFile(fd uintptr, wrong linux.Errno) uintptr {
	if _, _, ok := fileOf(fd); !ok {
		return errno(linux.EBADF)
	}
	if wrong == 0 {
		return 0
	}
	return errno(wrong)
}
