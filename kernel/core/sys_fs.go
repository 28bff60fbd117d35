//go:build !unigo_nofs

package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/random"
	"unigo.dev/unigo/kernel/vfs"
)

// File-system system calls over package vfs. Paths are copied from the
// program into two buffers of the calling thread (one syscall needs at most
// two paths; calls on mounted file systems may sleep, so the buffers cannot
// be shared between threads), allocated on first use.

// fsSyscallTable holds the file-system calls; syscallTrap looks here for
// a number syscallTable has no handler for (fsSyscall). The kernel
// without a file system answers these numbers in nofs.go instead.
var fsSyscallTable = [linux.NumSyscalls]sysHandler{
	linux.SYS_PREAD64:         sysPread64,
	linux.SYS_PWRITE64:        sysPwrite64,
	linux.SYS_OPENAT:          sysOpenat,
	linux.SYS_OPEN:            sysOpen,
	linux.SYS_CREAT:           sysCreat,
	linux.SYS_NEWFSTATAT:      sysNewfstatat,
	linux.SYS_STAT:            sysStat,
	linux.SYS_LSTAT:           sysLstat,
	linux.SYS_STATX:           sysStatx,
	linux.SYS_GETDENTS64:      sysGetdents64,
	linux.SYS_MKDIRAT:         sysMkdirat,
	linux.SYS_MKDIR:           sysMkdir,
	linux.SYS_MKNODAT:         sysMknodat,
	linux.SYS_UNLINKAT:        sysUnlinkat,
	linux.SYS_UNLINK:          sysUnlink,
	linux.SYS_RMDIR:           sysRmdir,
	linux.SYS_RENAMEAT2:       sysRenameat2,
	linux.SYS_RENAMEAT:        sysRenameat,
	linux.SYS_RENAME:          sysRename,
	linux.SYS_LINKAT:          sysLinkat,
	linux.SYS_LINK:            sysLink,
	linux.SYS_SYMLINKAT:       sysSymlinkat,
	linux.SYS_SYMLINK:         sysSymlink,
	linux.SYS_READLINKAT:      sysReadlinkat,
	linux.SYS_READLINK:        sysReadlink,
	linux.SYS_FACCESSAT2:      sysFaccessat2,
	linux.SYS_FACCESSAT:       sysFaccessat,
	linux.SYS_ACCESS:          sysAccess,
	linux.SYS_FCHMODAT:        sysFchmodat,
	linux.SYS_FCHMODAT2:       sysFchmodat2,
	linux.SYS_FCHMOD:          sysFchmod,
	linux.SYS_CHMOD:           sysChmod,
	linux.SYS_FCHOWNAT:        sysFchownat,
	linux.SYS_FCHOWN:          sysFchown,
	linux.SYS_CHOWN:           sysChown,
	linux.SYS_LCHOWN:          sysLchown,
	linux.SYS_UTIMENSAT:       sysUtimensat,
	linux.SYS_FTRUNCATE:       sysFtruncate,
	linux.SYS_TRUNCATE:        sysTruncate,
	linux.SYS_FALLOCATE:       sysFallocate,
	linux.SYS_FSYNC:           sysFsync,
	linux.SYS_FDATASYNC:       sysFdatasync,
	linux.SYS_SYNCFS:          sysSyncfs,
	linux.SYS_SYNC:            sysSync,
	linux.SYS_MOUNT:           sysMount,
	linux.SYS_GETCWD:          sysGetcwd,
	linux.SYS_CHDIR:           sysChdir,
	linux.SYS_FCHDIR:          sysFchdir,
	linux.SYS_STATFS:          sysStatfs,
	linux.SYS_FSTATFS:         sysFstatfs,
	linux.SYS_FLOCK:           sysFlock,
	linux.SYS_MEMFD_CREATE:    sysMemfdCreate,
	linux.SYS_SENDFILE:        sysSendfile,
	linux.SYS_COPY_FILE_RANGE: sysCopyFileRange,
}

// fsHandler returns the handler of file-system call nr, nil if nr is
// none (host side: SyscallTable and tests).
func fsHandler(nr int) sysHandler { return fsSyscallTable[nr] }

// fsSyscall runs the file-system call nr, if nr is one.
func fsSyscall(nr uintptr, a sysArgs) (uintptr, bool) {
	h := fsSyscallTable[nr]
	if h == nil {
		return 0, false
	}
	return h(a), true
}

// hold keeps the reference i until the syscall returns (the dispatcher
// calls releaseHeld), so handlers need no cleanup on every return path.
func hold(i vfs.Ino) vfs.Ino {
	t := cur()
	if t.nheld == maxHeld {
		fatal("fs: a syscall holds too many inodes")
	}
	t.held[t.nheld] = i
	t.nheld++
	return i
}

// scratch returns n bytes of kernel memory that the syscall may use until
// it returns (handlers that may sleep cannot share static buffers).
func scratch(n uintptr) ([]byte, bool) {
	t := cur()
	if t.nscratch == len(t.scratch) {
		fatal("fs: a syscall uses too many scratch buffers")
	}
	va, ok := kmem.Alloc(n)
	if !ok {
		return nil, false
	}
	t.scratch[t.nscratch] = [2]uintptr{va, n}
	t.nscratch++
	return unsafe.Slice((*byte)(kptr(va)), n), true
}

// releaseHeld drops the references the syscall held and frees its scratch
// buffers.
func releaseHeld() {
	t := cur()
	for t.nheld > 0 {
		t.nheld--
		vfs.Unref(t.held[t.nheld])
	}
	for t.nscratch > 0 {
		t.nscratch--
		kmem.Free(t.scratch[t.nscratch][0], t.scratch[t.nscratch][1])
	}
}

// pathBuf returns the calling thread's path buffer k (PathMax bytes).
func pathBuf(k int) ([]byte, linux.Errno) {
	t := cur()
	if t.paths == 0 {
		pa, ok := allocPages(pathPages)
		if !ok {
			return nil, linux.ENOMEM
		}
		t.paths = directMapBase + pa
	}
	return unsafe.Slice((*byte)(kptr(t.paths+uintptr(k)*vfs.PathMax)), vfs.PathMax), 0
}

// userPath copies the NUL-terminated path at addr into buffer k.
func userPath(addr uintptr, k int) ([]byte, linux.Errno) {
	buf, e := pathBuf(k)
	if e != 0 {
		return nil, e
	}
	n, ok := userString(addr, buf)
	if !ok {
		if !userRange(addr, 1, false) {
			return nil, linux.EFAULT
		}
		return nil, linux.ENAMETOOLONG
	}
	return buf[:n], 0
}

// dirOf returns the directory a *at syscall starts from.
func dirOf(dirfd uintptr) (vfs.Ino, linux.Errno) {
	if int32(dirfd) == linux.AT_FDCWD {
		return cwd, 0
	}
	f, _, ok := fileOf(dirfd)
	if !ok {
		return 0, linux.EBADF
	}
	if f.ino == 0 || !vfs.IsDir(f.ino) {
		return 0, linux.ENOTDIR
	}
	return f.ino, 0
}

// parentAt resolves all but the last component of the program's path
// (copied into path buffer k) relative to dirfd: the directory (held until
// the syscall returns), the last name, and whether the path ended in a
// slash.
func parentAt(dirfd, path uintptr, k int) (vfs.Ino, []byte, bool, linux.Errno) {
	p, e := userPath(path, k)
	if e != 0 {
		return 0, nil, false, e
	}
	start, e := dirOf(dirfd)
	if e != 0 {
		return 0, nil, false, e
	}
	dir, last, slash, e := vfs.ResolveParent(start, p)
	if e != 0 {
		return 0, nil, false, e
	}
	return hold(dir), last, slash, 0
}

// lookupAt resolves (dirfd, path) for the stat-like calls, honouring
// AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH. The inode is held until the
// syscall returns.
func lookupAt(dirfd, path uintptr, flags uintptr) (vfs.Ino, linux.Errno) {
	p, e := userPath(path, 0)
	if e != 0 {
		return 0, e
	}
	if len(p) == 0 {
		if flags&linux.AT_EMPTY_PATH == 0 {
			return 0, linux.ENOENT
		}
		if int32(dirfd) == linux.AT_FDCWD {
			vfs.Ref(cwd)
			return hold(cwd), 0
		}
		f, _, ok := fileOf(dirfd)
		if !ok {
			return 0, linux.EBADF
		}
		if f.ino == 0 {
			return 0, linux.EBADF
		}
		vfs.Ref(f.ino)
		return hold(f.ino), 0
	}
	start, e := dirOf(dirfd)
	if e != 0 {
		return 0, e
	}
	rf := vfs.Follow
	if flags&linux.AT_SYMLINK_NOFOLLOW != 0 {
		rf = 0
	}
	i, e := vfs.Resolve(start, p, rf)
	if e != 0 {
		return 0, e
	}
	return hold(i), 0
}

func openAt(dirfd, path, flags, mode uintptr) uintptr {
	p, e := userPath(path, 0)
	if e != 0 {
		return errno(e)
	}
	start, e := dirOf(dirfd)
	if e != 0 {
		return errno(e)
	}
	if flags&linux.O_TMPFILE == linux.O_TMPFILE {
		return errno(linux.EOPNOTSUPP)
	}
	acc := flags & linux.O_ACCMODE
	var ino vfs.Ino
	if flags&linux.O_CREAT != 0 {
		dir, last, slash, e := vfs.ResolveParent(start, p)
		if e != 0 {
			return errno(e)
		}
		ino, e = openCreate(start, p, dir, last, slash, flags, uint32(mode))
		vfs.Unref(dir)
		if e != 0 {
			return errno(e)
		}
	} else {
		rf := vfs.Follow
		if flags&linux.O_NOFOLLOW != 0 {
			rf = 0
		}
		ino, e = vfs.Resolve(start, p, rf)
		if e != 0 {
			return errno(e)
		}
	}
	hold(ino)
	mode32 := vfs.Mode(ino)
	typ := mode32 & linux.S_IFMT
	if typ == linux.S_IFLNK && flags&linux.O_PATH == 0 {
		if flags&linux.O_DIRECTORY != 0 {
			return errno(linux.ENOTDIR)
		}
		return errno(linux.ELOOP)
	}
	if flags&linux.O_DIRECTORY != 0 && typ != linux.S_IFDIR {
		return errno(linux.ENOTDIR)
	}
	if typ == linux.S_IFDIR && acc != linux.O_RDONLY {
		return errno(linux.EISDIR)
	}
	if _, synth := vfs.Synthetic(ino); synth && acc != linux.O_RDONLY {
		return errno(linux.EACCES)
	}
	if typ == linux.S_IFREG && (acc != linux.O_RDONLY || flags&linux.O_TRUNC != 0) {
		if e := vfs.Writable(ino); e != 0 {
			return errno(e)
		}
	}
	if (typ == linux.S_IFREG || typ == linux.S_IFDIR) && flags&linux.O_PATH == 0 {
		if e := vfs.Open(ino, uint32(flags)); e != 0 {
			return errno(e)
		}
	}
	if flags&linux.O_TRUNC != 0 && typ == linux.S_IFREG { // Linux truncates even with O_RDONLY
		if e := vfs.Truncate(ino, 0); e != 0 {
			return errno(e)
		}
	}
	return installVFS(ino, uint32(flags))
}

// openCreate finds or creates last in dir for open(O_CREAT) and returns a
// reference to it.
func openCreate(start vfs.Ino, p []byte, dir vfs.Ino, last []byte, slash bool, flags uintptr, mode uint32) (vfs.Ino, linux.Errno) {
	if slash {
		return 0, linux.EISDIR
	}
	ino, e := vfs.Lookup(dir, last)
	switch {
	case e == linux.ENOENT:
		return vfs.Create(dir, last, linux.S_IFREG|(mode&0o7777&^umask), 0, 0, 0)
	case e != 0:
		return 0, e
	case flags&linux.O_EXCL != 0:
		e = linux.EEXIST
	case vfs.IsDir(ino):
		e = linux.EISDIR
	case vfs.Mode(ino)&linux.S_IFMT == linux.S_IFLNK:
		if flags&linux.O_NOFOLLOW != 0 {
			e = linux.ELOOP
			break
		}
		vfs.Unref(ino)
		ino, e = vfs.Resolve(start, p, vfs.Follow)
		if e == linux.ENOENT {
			// A dangling symlink: create its target, as Linux does.
			return createThroughLink(dir, last, mode)
		}
		return ino, e
	default:
		return ino, 0
	}
	vfs.Unref(ino)
	return 0, e
}

// createThroughLink creates the file a dangling symlink (dir/name) points
// to, following further dangling links up to the usual depth, and returns
// a reference to it.
func createThroughLink(dir vfs.Ino, name []byte, mode uint32) (vfs.Ino, linux.Errno) {
	// Targets may sleep their way through driver lookups, so they live in
	// kernel memory of this call, not in a static buffer.
	b, ok := scratch(vfs.PathMax + vfs.NameMax)
	if !ok {
		return 0, linux.ENOMEM
	}
	linkBuf, linkName := b[:vfs.PathMax], b[vfs.PathMax:]
	for depth := 0; depth < 40; depth++ {
		link, e := vfs.Lookup(dir, name)
		if e == linux.ENOENT {
			return vfs.Create(dir, name, linux.S_IFREG|(mode&0o7777&^umask), 0, 0, 0)
		}
		if e != 0 {
			return 0, e
		}
		if vfs.Mode(link)&linux.S_IFMT != linux.S_IFLNK {
			return link, 0
		}
		n, e := vfs.Readlink(link, linkBuf)
		vfs.Unref(link)
		if e != 0 {
			return 0, e
		}
		d, last, slash, e := vfs.ResolveParent(dir, linkBuf[:n])
		if e != 0 {
			return 0, e
		}
		if slash {
			vfs.Unref(d)
			return 0, linux.EISDIR
		}
		// last points into linkBuf; keep it in the second buffer.
		name = linkName[:copy(linkName, last)]
		dir = hold(d)
	}
	return 0, linux.ELOOP
}

// openFIFO opens a named pipe: both ends share one pipe, attached to the
// inode while either end is open. A blocking open waits for the other end;
// a non-blocking open for writing without readers fails with ENXIO.
func openFIFO(ino vfs.Ino, flags uint32) uintptr {
	acc := flags & linux.O_ACCMODE
	pi := int(vfs.Aux(ino)) - 1
	if pi < 0 {
		if pi = freePipe(); pi < 0 {
			return errno(linux.ENFILE)
		}
		pipes[pi] = pipe{used: true, rfile: -1, wfile: -1, fifo: ino}
		vfs.SetAux(ino, uint32(pi+1))
	}
	p := &pipes[pi]
	nb := flags&linux.O_NONBLOCK != 0
	if acc == linux.O_WRONLY && nb && p.readers == 0 {
		pipeMaybeFree(p)
		return errno(linux.ENXIO)
	}
	kind := kindPipeRead
	switch acc {
	case linux.O_RDONLY:
		p.readers++
	case linux.O_WRONLY:
		kind = kindPipeWrite
		p.writers++
	default: // O_RDWR: both ends, never blocks (Linux behaviour)
		p.readers++
		p.writers++
	}
	wakeAll(waitKeyPipe)
	if !nb && acc != linux.O_RDWR {
		for (acc == linux.O_RDONLY && p.writers == 0) || (acc == linux.O_WRONLY && p.readers == 0) {
			if waitOn(waitKeyPipe, 0) == wakeSignal {
				if acc == linux.O_RDONLY {
					p.readers--
				} else {
					p.writers--
				}
				pipeMaybeFree(p)
				return errno(linux.EINTR)
			}
		}
	}
	f := newFile(kind, int32(pi), flags&(linux.O_ACCMODE|linux.O_NONBLOCK))
	if f < 0 {
		releaseObject(kind, int32(pi))
		return errno(linux.ENFILE)
	}
	files[f].rdwrFIFO = acc == linux.O_RDWR
	if kind == kindPipeRead {
		p.rfile = f
	} else {
		p.wfile = f
	}
	files[f].ino = ino
	vfs.Ref(ino)
	fd := installFD(f, 0, flags&linux.O_CLOEXEC != 0)
	if fd < 0 {
		releaseFile(f)
		return errno(linux.EMFILE)
	}
	return uintptr(fd)
}

// installVFS opens inode ino as a new file description and descriptor.
func installVFS(ino vfs.Ino, flags uint32) uintptr {
	if vfs.Mode(ino)&linux.S_IFMT == linux.S_IFIFO {
		return openFIFO(ino, flags)
	}
	kind := kindVFS
	if vfs.Mode(ino)&linux.S_IFMT == linux.S_IFBLK {
		if diskOfRdev(vfs.Rdev(ino)) < 0 {
			return errno(linux.ENXIO)
		}
		kind = kindDev
	} else if vfs.Mode(ino)&linux.S_IFMT == linux.S_IFCHR {
		kind = kindDev
		switch vfs.Rdev(ino) {
		case devConsole, devTTY, devTTYS0:
			kind = kindConsole
		case devNull, devZero, devFull, devRandom, devUrandom:
		default:
			return errno(linux.ENXIO)
		}
	}
	const keep = linux.O_ACCMODE | linux.O_APPEND | linux.O_NONBLOCK | linux.O_DIRECT | linux.O_NOATIME | linux.O_PATH | linux.O_LARGEFILE | linux.O_DIRECTORY | linux.O_NOFOLLOW | linux.O_SYNC | linux.O_DSYNC
	f := newFile(kind, 0, flags&keep)
	if f < 0 {
		return errno(linux.ENFILE)
	}
	files[f].ino = ino
	vfs.Ref(ino)
	if id, synth := vfs.Synthetic(ino); synth {
		buf, n, e := generate(id)
		if e != 0 {
			releaseFile(f)
			return errno(e)
		}
		files[f].buf, files[f].bufLen = buf, n
	}
	fd := installFD(f, 0, flags&linux.O_CLOEXEC != 0)
	if fd < 0 {
		releaseFile(f)
		return errno(linux.EMFILE)
	}
	return uintptr(fd)
}

// sysOpenat implements Linux syscall openat(2).
func sysOpenat(a sysArgs) uintptr { return openAt(a[0], a[1], a[2], a[3]) }

// sysOpen implements Linux syscall open(2).
func sysOpen(a sysArgs) uintptr { return openAt(atFDCWD, a[0], a[1], a[2]) }

// sysCreat implements Linux syscall creat(2).
func sysCreat(a sysArgs) uintptr {
	return openAt(atFDCWD, a[0], linux.O_CREAT|linux.O_WRONLY|linux.O_TRUNC, a[1])
}

// vfsRead reads from a file-system file at off.
func vfsRead(f *file, b []byte, off int64) (int, linux.Errno) {
	if f.flags&linux.O_PATH != 0 || f.flags&linux.O_ACCMODE == linux.O_WRONLY {
		return 0, linux.EBADF
	}
	if f.buf != 0 {
		if off >= int64(f.bufLen) {
			return 0, 0
		}
		return copy(b, unsafe.Slice((*byte)(kptr(f.buf+uintptr(off))), f.bufLen-uintptr(off))), 0
	}
	return vfs.Read(f.ino, off, b)
}

func vfsWrite(f *file, b []byte, off int64) (int, linux.Errno) {
	if f.flags&linux.O_ACCMODE == linux.O_RDONLY || f.flags&linux.O_PATH != 0 {
		return 0, linux.EBADF
	}
	n, e := vfs.Write(f.ino, off, b)
	if n > 0 && f.flags&linux.O_DSYNC != 0 {
		// O_SYNC / O_DSYNC: durable before write returns, as fsync /
		// fdatasync after it (a no-op on ramfs).
		if se := vfs.Fsync(f.ino, f.flags&linux.O_SYNC != linux.O_SYNC); se != 0 {
			return 0, se
		}
	}
	return n, e
}

func devRead(f *file, b []byte) uintptr {
	if k := diskOfRdev(vfs.Rdev(f.ino)); k >= 0 {
		n, e := blkRW(k, b, f.off, false)
		f.off += int64(n)
		return ret(n, e)
	}
	switch vfs.Rdev(f.ino) {
	case devNull:
		return 0
	case devZero, devFull:
		clear(b)
	case devRandom, devUrandom:
		random.Read(b)
	}
	return uintptr(len(b))
}

func devWrite(f *file, b []byte) uintptr {
	if k := diskOfRdev(vfs.Rdev(f.ino)); k >= 0 {
		n, e := blkRW(k, b, f.off, true)
		f.off += int64(n)
		if n > 0 && e == 0 && f.flags&linux.O_DSYNC != 0 {
			e = blkSync(k)
		}
		return ret(n, e)
	}
	if vfs.Rdev(f.ino) == devFull {
		return errno(linux.ENOSPC)
	}
	return uintptr(len(b))
}

// unret splits a syscall-style result (a count, or a negative errno).
func unret(v uintptr) (int, linux.Errno) {
	if int(v) < 0 {
		return 0, linux.Errno(-int(v))
	}
	return int(v), 0
}

// partial returns the bytes already moved, or the error when there were none.
func partial(done uintptr, e linux.Errno) uintptr {
	if done > 0 {
		return done
	}
	return errno(e)
}

func ret(n int, e linux.Errno) uintptr {
	if e != 0 {
		return errno(e)
	}
	return uintptr(n)
}

// positioned reports whether f supports pread/pwrite/lseek.
func positioned(f *file) bool { return f.kind == kindVFS || f.kind == kindDev }

// positionedArgs checks pread64/pwrite64 arguments and returns the file
// and the program buffer (written to by pread, read by pwrite).
func positionedArgs(a sysArgs, pread bool) (*file, []byte, uintptr) {
	f, _, ok := fileOf(a[0])
	if !ok {
		return nil, nil, errno(linux.EBADF)
	}
	if !positioned(f) {
		return nil, nil, errno(linux.ESPIPE)
	}
	if int64(a[3]) < 0 {
		return nil, nil, errno(linux.EINVAL)
	}
	b, ok := userBytes(a[1], a[2], pread)
	if !ok {
		return nil, nil, errno(linux.EFAULT)
	}
	return f, b, 0
}

// seekFile is lseek(2) on a file of the file system.
func seekFile(f *file, off int64, whence uintptr) uintptr {
	k := -1
	if f.kind == kindDev {
		if k = diskOfRdev(vfs.Rdev(f.ino)); k < 0 {
			return 0
		}
	}
	size := vfs.Size(f.ino)
	if k >= 0 {
		size = int64(disks[k].sectors * blkSector)
	}
	if f.buf != 0 {
		size = int64(f.bufLen)
	}
	var n int64
	switch whence {
	case linux.SEEK_SET:
		n = off
	case linux.SEEK_CUR:
		n = f.off + off
	case linux.SEEK_END:
		n = size + off
	case linux.SEEK_DATA:
		if off >= size {
			return errno(linux.ENXIO)
		}
		n = off
	case linux.SEEK_HOLE:
		if off >= size {
			return errno(linux.ENXIO)
		}
		n = size
	default:
		return errno(linux.EINVAL)
	}
	if n < 0 {
		return errno(linux.EINVAL)
	}
	f.off = n
	if f.kind == kindVFS && vfs.IsDir(f.ino) {
		f.dirPos = int64(n)
	}
	return uintptr(n)
}

// sysPread64 implements Linux syscall pread64(2).
func sysPread64(a sysArgs) uintptr {
	f, b, e := positionedArgs(a, true)
	switch {
	case f == nil:
		return e
	case f.kind == kindDev && diskOfRdev(vfs.Rdev(f.ino)) >= 0:
		return ret(blkRW(diskOfRdev(vfs.Rdev(f.ino)), b, int64(a[3]), false))
	case f.kind == kindDev:
		return devRead(f, b)
	case vfs.IsDir(f.ino):
		return errno(linux.EISDIR)
	}
	return ret(vfsRead(f, b, int64(a[3])))
}

// sysPwrite64 implements Linux syscall pwrite64(2).
func sysPwrite64(a sysArgs) uintptr {
	f, b, e := positionedArgs(a, false)
	switch {
	case f == nil:
		return e
	case f.kind == kindDev && diskOfRdev(vfs.Rdev(f.ino)) >= 0:
		return ret(blkRW(diskOfRdev(vfs.Rdev(f.ino)), b, int64(a[3]), true))
	case f.kind == kindDev:
		return devWrite(f, b)
	}
	off := int64(a[3])
	if f.flags&linux.O_APPEND != 0 {
		off = vfs.Size(f.ino) // O_APPEND wins over the offset, as on Linux
	}
	return ret(vfsWrite(f, b, off))
}

// fillStatAt writes a struct stat (x86-64, 144 bytes) for an inode.
func fillStatIno(ino vfs.Ino, addr uintptr) uintptr {
	b, ok := userBytes(addr, 144, true)
	if !ok {
		return errno(linux.EFAULT)
	}
	clear(b)
	s := vfs.GetStat(ino)
	put64(addr, uint64(s.Dev)) // st_dev 0:Dev (as statx and mountinfo): 1 for the root, one per mount
	put64(addr+8, s.Ino)
	put64(addr+16, uint64(s.Nlink))
	put32(addr+24, s.Mode)
	put32(addr+28, s.UID)
	put32(addr+32, s.GID)
	put64(addr+40, uint64(s.Rdev))
	put64(addr+48, uint64(s.Size))
	put64(addr+56, 4096)
	put64(addr+64, uint64(s.Blocks))
	put64(addr+72, uint64(s.Atime/1e9))
	put64(addr+80, uint64(s.Atime%1e9))
	put64(addr+88, uint64(s.Mtime/1e9))
	put64(addr+96, uint64(s.Mtime%1e9))
	put64(addr+104, uint64(s.Ctime/1e9))
	put64(addr+112, uint64(s.Ctime%1e9))
	return 0
}

// sysNewfstatat implements Linux syscall newfstatat(2).
func sysNewfstatat(a sysArgs) uintptr {
	ino, e := lookupAt(a[0], a[1], a[3])
	if e == linux.EBADF && a[3]&linux.AT_EMPTY_PATH != 0 {
		return sysFstat(sysArgs{a[0], a[2]})
	}
	if e != 0 {
		return errno(e)
	}
	return fillStatIno(ino, a[2])
}

// sysStat implements Linux syscall stat(2).
func sysStat(a sysArgs) uintptr {
	return sysNewfstatat(sysArgs{atFDCWD, a[0], a[1], 0})
}

// sysLstat implements Linux syscall lstat(2).
func sysLstat(a sysArgs) uintptr {
	return sysNewfstatat(sysArgs{atFDCWD, a[0], a[1], linux.AT_SYMLINK_NOFOLLOW})
}

// sysStatx implements Linux syscall statx(2).
func sysStatx(a sysArgs) uintptr {
	ino, e := lookupAt(a[0], a[1], a[2])
	if e != 0 {
		return errno(e)
	}
	addr := a[4]
	b, ok := userBytes(addr, 256, true)
	if !ok {
		return errno(linux.EFAULT)
	}
	clear(b)
	s := vfs.GetStat(ino)
	put32(addr, 0x7ff) // STATX_BASIC_STATS
	put32(addr+4, 4096)
	put32(addr+16, s.Nlink)
	put32(addr+20, s.UID)
	put32(addr+24, s.GID)
	*(*uint16)(kptr(addr + 28)) = uint16(s.Mode)
	put64(addr+32, s.Ino)
	put64(addr+40, uint64(s.Size))
	put64(addr+48, uint64(s.Blocks))
	ts := func(off uintptr, ns int64) {
		put64(addr+off, uint64(ns/1e9))
		put32(addr+off+8, uint32(ns%1e9))
	}
	ts(64, s.Atime)
	ts(80, s.Ctime) // btime: creation is not tracked; ctime is the best guess
	ts(96, s.Ctime)
	ts(112, s.Mtime)
	put32(addr+128, s.Rdev>>8)
	put32(addr+132, s.Rdev&0xFF)
	put32(addr+140, s.Dev) // dev minor (major 0: no real device)
	return 0
}

// sysGetdents64 implements Linux syscall getdents64(2).
func sysGetdents64(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	if f.ino == 0 || !vfs.IsDir(f.ino) {
		return errno(linux.ENOTDIR)
	}
	buf, ok := userBytes(a[1], a[2], true)
	if !ok {
		return errno(linux.EFAULT)
	}
	n := 0
	for {
		ent, next, more, e := vfs.ReadDir(f.ino, f.dirPos)
		if e != 0 {
			if n == 0 {
				return errno(e)
			}
			break
		}
		if !more {
			break
		}
		name := ent.Name()
		reclen := (19 + len(name) + 1 + 7) &^ 7
		if n+reclen > len(buf) {
			if n == 0 {
				return errno(linux.EINVAL)
			}
			break
		}
		rec := a[1] + uintptr(n)
		put64(rec, ent.Ino)
		put64(rec+8, uint64(next))
		*(*uint16)(kptr(rec + 16)) = uint16(reclen)
		buf[n+18] = ent.Type
		copy(buf[n+19:], name)
		clear(buf[n+19+len(name) : n+reclen])
		n += reclen
		f.dirPos = next
	}
	return uintptr(n)
}

// sysMkdirat implements Linux syscall mkdirat(2).
func sysMkdirat(a sysArgs) uintptr {
	return mknodAt(a[0], a[1], linux.S_IFDIR|(uint32(a[2])&0o7777), 0)
}

// sysMkdir implements Linux syscall mkdir(2).
func sysMkdir(a sysArgs) uintptr {
	return mknodAt(atFDCWD, a[0], linux.S_IFDIR|(uint32(a[1])&0o7777), 0)
}

// sysMknodat implements Linux syscall mknodat(2) (regular files and fifos;
// device nodes need a driver and are refused).
func sysMknodat(a sysArgs) uintptr {
	mode := uint32(a[2])
	switch mode & linux.S_IFMT {
	case 0:
		mode |= linux.S_IFREG
	case linux.S_IFREG, linux.S_IFIFO:
	default:
		return errno(linux.EPERM)
	}
	return mknodAt(a[0], a[1], mode, 0)
}

func mknodAt(dirfd, path uintptr, mode uint32, rdev uint32) uintptr {
	dir, last, _, e := parentAt(dirfd, path, 0)
	if e != 0 {
		return errno(e)
	}
	mode = mode&linux.S_IFMT | mode&0o7777&^umask
	i, e := vfs.Create(dir, last, mode, rdev, 0, 0)
	if e != 0 {
		return errno(e)
	}
	vfs.Unref(i)
	return 0
}

// sysUnlinkat implements Linux syscall unlinkat(2).
func sysUnlinkat(a sysArgs) uintptr {
	dir, last, slash, e := parentAt(a[0], a[1], 0)
	if e != 0 {
		return errno(e)
	}
	if a[2]&linux.AT_REMOVEDIR != 0 {
		return errno(vfs.Rmdir(dir, last))
	}
	if slash {
		if i, e := vfs.Lookup(dir, last); e == 0 {
			isDir := vfs.IsDir(i)
			vfs.Unref(i)
			if !isDir {
				return errno(linux.ENOTDIR)
			}
		}
		return errno(linux.EISDIR)
	}
	return errno(vfs.Unlink(dir, last))
}

// sysUnlink implements Linux syscall unlink(2).
func sysUnlink(a sysArgs) uintptr {
	return sysUnlinkat(sysArgs{atFDCWD, a[0], 0})
}

// sysRmdir implements Linux syscall rmdir(2).
func sysRmdir(a sysArgs) uintptr {
	return sysUnlinkat(sysArgs{atFDCWD, a[0], linux.AT_REMOVEDIR})
}

// sysRenameat2 implements Linux syscall renameat2(2).
func sysRenameat2(a sysArgs) uintptr {
	if a[4]&^(linux.RENAME_NOREPLACE|linux.RENAME_EXCHANGE) != 0 ||
		a[4]&linux.RENAME_NOREPLACE != 0 && a[4]&linux.RENAME_EXCHANGE != 0 {
		return errno(linux.EINVAL)
	}
	od, oname, oslash, e := parentAt(a[0], a[1], 0)
	if e != 0 {
		return errno(e)
	}
	nd, nname, nslash, e := parentAt(a[2], a[3], 1)
	if e != 0 {
		return errno(e)
	}
	if oslash || nslash {
		// A trailing slash is allowed only when the source (not followed)
		// is a directory.
		src, e := vfs.Lookup(od, oname)
		if e != 0 {
			return errno(e)
		}
		isDir := vfs.IsDir(src)
		vfs.Unref(src)
		if !isDir {
			return errno(linux.ENOTDIR)
		}
	}
	return errno(vfs.Rename(od, oname, nd, nname, uint32(a[4])))
}

// sysRenameat implements Linux syscall renameat(2).
func sysRenameat(a sysArgs) uintptr { return sysRenameat2(sysArgs{a[0], a[1], a[2], a[3], 0}) }

// sysRename implements Linux syscall rename(2).
func sysRename(a sysArgs) uintptr {
	cwdfd := atFDCWD
	return sysRenameat2(sysArgs{cwdfd, a[0], cwdfd, a[1], 0})
}

// sysLinkat implements Linux syscall linkat(2).
func sysLinkat(a sysArgs) uintptr {
	flags := a[4]&linux.AT_EMPTY_PATH | linux.AT_SYMLINK_NOFOLLOW
	if a[4]&linux.AT_SYMLINK_FOLLOW != 0 {
		flags &^= linux.AT_SYMLINK_NOFOLLOW
	}
	src, e := lookupAt(a[0], a[1], flags)
	if e != 0 {
		return errno(e)
	}
	nd, nname, nslash, e := parentAt(a[2], a[3], 1)
	if e != 0 {
		return errno(e)
	}
	if nslash {
		// A new name with a trailing slash asks for a directory.
		if i, e := vfs.Lookup(nd, nname); e == 0 {
			vfs.Unref(i)
			return errno(linux.EEXIST)
		}
		return errno(linux.ENOENT)
	}
	return errno(vfs.Link(nd, nname, src))
}

// sysLink implements Linux syscall link(2).
func sysLink(a sysArgs) uintptr {
	cwdfd := atFDCWD
	return sysLinkat(sysArgs{cwdfd, a[0], cwdfd, a[1], 0})
}

// sysSymlinkat implements Linux syscall symlinkat(2).
func sysSymlinkat(a sysArgs) uintptr {
	target, e := userPath(a[0], 1)
	if e != 0 {
		return errno(e)
	}
	dir, last, _, e := parentAt(a[1], a[2], 0)
	if e != 0 {
		return errno(e)
	}
	i, e := vfs.Symlink(dir, last, target, 0, 0)
	if e != 0 {
		return errno(e)
	}
	vfs.Unref(i)
	return 0
}

// sysSymlink implements Linux syscall symlink(2).
func sysSymlink(a sysArgs) uintptr {
	return sysSymlinkat(sysArgs{a[0], atFDCWD, a[1]})
}

// sysReadlinkat implements Linux syscall readlinkat(2).
func sysReadlinkat(a sysArgs) uintptr {
	if int(a[3]) <= 0 {
		return errno(linux.EINVAL)
	}
	ino, e := lookupAt(a[0], a[1], linux.AT_SYMLINK_NOFOLLOW)
	if e != 0 {
		return errno(e)
	}
	b, ok := userBytes(a[2], a[3], true)
	if !ok {
		return errno(linux.EFAULT)
	}
	target, ok := scratch(vfs.PathMax)
	if !ok {
		return errno(linux.ENOMEM)
	}
	n, e := vfs.Readlink(ino, target)
	if e != 0 {
		return errno(e)
	}
	return uintptr(copy(b, target[:n]))
}

// sysReadlink implements Linux syscall readlink(2).
func sysReadlink(a sysArgs) uintptr {
	return sysReadlinkat(sysArgs{atFDCWD, a[0], a[1], a[2]})
}

// sysFaccessat2 implements Linux syscall faccessat2(2). The program runs as
// root: only existence and, for X_OK, an execute bit are checked.
func sysFaccessat2(a sysArgs) uintptr {
	flags := a[3] & (linux.AT_SYMLINK_NOFOLLOW | linux.AT_EMPTY_PATH)
	ino, e := lookupAt(a[0], a[1], flags)
	if e != 0 {
		return errno(e)
	}
	if a[2]&linux.X_OK != 0 && !vfs.IsDir(ino) && vfs.Mode(ino)&0o111 == 0 {
		return errno(linux.EACCES)
	}
	return 0
}

// sysFaccessat implements Linux syscall faccessat(2).
func sysFaccessat(a sysArgs) uintptr { return sysFaccessat2(sysArgs{a[0], a[1], a[2], 0}) }

// sysAccess implements Linux syscall access(2).
func sysAccess(a sysArgs) uintptr {
	return sysFaccessat2(sysArgs{atFDCWD, a[0], a[1], 0})
}

// sysFchmodat implements Linux syscall fchmodat(2).
func sysFchmodat(a sysArgs) uintptr {
	ino, e := lookupAt(a[0], a[1], 0)
	if e != 0 {
		return errno(e)
	}
	return errno(vfs.Chmod(ino, uint32(a[2])))
}

// sysFchmodat2 implements Linux syscall fchmodat2(2).
func sysFchmodat2(a sysArgs) uintptr {
	if a[3]&^(linux.AT_SYMLINK_NOFOLLOW|linux.AT_EMPTY_PATH) != 0 {
		return errno(linux.EINVAL)
	}
	ino, e := lookupAt(a[0], a[1], a[3])
	if e != 0 {
		return errno(e)
	}
	if vfs.Mode(ino)&linux.S_IFMT == linux.S_IFLNK {
		return errno(linux.EOPNOTSUPP) // as Linux: symlinks have no mode
	}
	return errno(vfs.Chmod(ino, uint32(a[2])))
}

// sysChmod implements Linux syscall chmod(2).
func sysChmod(a sysArgs) uintptr {
	return sysFchmodat(sysArgs{atFDCWD, a[0], a[1]})
}

// sysFchmod implements Linux syscall fchmod(2).
func sysFchmod(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok || f.ino == 0 {
		return errno(linux.EBADF)
	}
	return errno(vfs.Chmod(f.ino, uint32(a[1])))
}

// sysFchownat implements Linux syscall fchownat(2).
func sysFchownat(a sysArgs) uintptr {
	ino, e := lookupAt(a[0], a[1], a[4])
	if e != 0 {
		return errno(e)
	}
	return errno(vfs.Chown(ino, uint32(a[2]), uint32(a[3])))
}

// sysFchown implements Linux syscall fchown(2).
func sysFchown(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok || f.ino == 0 {
		return errno(linux.EBADF)
	}
	return errno(vfs.Chown(f.ino, uint32(a[1]), uint32(a[2])))
}

// sysChown implements Linux syscall chown(2) (and lchown(2) with nofollow).
func sysChown(a sysArgs) uintptr {
	return sysFchownat(sysArgs{atFDCWD, a[0], a[1], a[2], 0})
}

func sysLchown(a sysArgs) uintptr {
	return sysFchownat(sysArgs{atFDCWD, a[0], a[1], a[2], linux.AT_SYMLINK_NOFOLLOW})
}

const (
	utimeNow  = (1 << 30) - 1
	utimeOmit = (1 << 30) - 2
)

// sysUtimensat implements Linux syscall utimensat(2).
func sysUtimensat(a sysArgs) uintptr {
	var ino vfs.Ino
	var e linux.Errno
	if a[1] == 0 { // futimens
		f, _, ok := fileOf(a[0])
		if !ok || f.ino == 0 {
			return errno(linux.EBADF)
		}
		ino = f.ino
	} else {
		ino, e = lookupAt(a[0], a[1], a[3])
		if e != 0 {
			return errno(e)
		}
	}
	at, mt := walltime(), walltime()
	if ts := a[2]; ts != 0 {
		if !userRange(ts, 32, false) {
			return errno(linux.EFAULT)
		}
		conv := func(p uintptr) int64 {
			sec, nsec := int64(get64(p)), int64(get64(p+8))
			switch nsec {
			case utimeNow:
				return walltime()
			case utimeOmit:
				return -1
			}
			return sec*1e9 + nsec
		}
		at, mt = conv(ts), conv(ts+16)
	}
	return errno(vfs.SetTimes(ino, at, mt))
}

// sysFtruncate implements Linux syscall ftruncate(2).
func sysFtruncate(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	if f.kind != kindVFS || f.flags&linux.O_ACCMODE == linux.O_RDONLY {
		return errno(linux.EINVAL)
	}
	return errno(vfs.Truncate(f.ino, int64(a[1])))
}

// sysTruncate implements Linux syscall truncate(2).
func sysTruncate(a sysArgs) uintptr {
	ino, e := lookupAt(atFDCWD, a[0], 0)
	if e != 0 {
		return errno(e)
	}
	return errno(vfs.Truncate(ino, int64(a[1])))
}

// sysFallocate implements Linux syscall fallocate(2): mode 0 extends the
// file (ramfs allocates pages when they are written).
func sysFallocate(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	if f.kind != kindVFS || vfs.IsDir(f.ino) {
		return errno(linux.ENODEV)
	}
	if a[1] != 0 && a[1] != 1 /* FALLOC_FL_KEEP_SIZE */ {
		return errno(linux.EOPNOTSUPP)
	}
	off, n := int64(a[2]), int64(a[3])
	if off < 0 || n <= 0 {
		return errno(linux.EINVAL)
	}
	if a[1] == 0 && off+n > vfs.Size(f.ino) {
		return errno(vfs.Truncate(f.ino, off+n))
	}
	return 0
}

// sysFsync implements Linux syscall fsync(2): a file on a mounted file
// system is written back by its driver; ramfs has nothing to write back; a
// raw disk has its write cache flushed.
func sysFsync(a sysArgs) uintptr { return fsyncFD(a[0], false) }

// sysFdatasync implements Linux syscall fdatasync(2).
func sysFdatasync(a sysArgs) uintptr { return fsyncFD(a[0], true) }

func fsyncFD(fd uintptr, dataOnly bool) uintptr {
	f, _, ok := fileOf(fd)
	if !ok {
		return errno(linux.EBADF)
	}
	if f.kind == kindDev {
		if k := diskOfRdev(vfs.Rdev(f.ino)); k >= 0 {
			return errno(blkSync(k))
		}
	}
	if f.ino != 0 {
		return errno(vfs.Fsync(f.ino, dataOnly))
	}
	return 0
}

// sysSyncfs implements Linux syscall syncfs(2).
func sysSyncfs(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	if f.ino != 0 {
		return errno(vfs.SyncFS(f.ino))
	}
	return 0
}

// sysSync implements Linux syscall sync(2).
func sysSync(a sysArgs) uintptr {
	vfs.SyncAll()
	blkSyncAll()
	return 0
}

// sysGetcwd implements Linux syscall getcwd(2).
func sysGetcwd(a sysArgs) uintptr {
	// The walk may sleep in a mounted file system: a buffer of this call.
	buf, ok := scratch(vfs.PathMax)
	if !ok {
		return errno(linux.ENOMEM)
	}
	dir := cwd
	vfs.Ref(dir)
	hold(dir)
	p, ok := vfs.PathOf(dir, buf)
	if !ok {
		if vfs.Linked(dir) {
			return errno(linux.ENAMETOOLONG) // Go's os.Getwd then walks ".." itself
		}
		return errno(linux.ENOENT)
	}
	if uintptr(len(p)+1) > a[1] {
		return errno(linux.ERANGE)
	}
	b, ok := userBytes(a[0], uintptr(len(p)+1), true)
	if !ok {
		return errno(linux.EFAULT)
	}
	copy(b, p)
	b[len(p)] = 0
	return uintptr(len(p) + 1)
}

func setCwd(d vfs.Ino) {
	vfs.Ref(d)
	vfs.Unref(cwd)
	cwd = d
}

// sysChdir implements Linux syscall chdir(2).
func sysChdir(a sysArgs) uintptr {
	d, e := lookupAt(atFDCWD, a[0], 0)
	if e != 0 {
		return errno(e)
	}
	if !vfs.IsDir(d) {
		return errno(linux.ENOTDIR)
	}
	setCwd(d)
	return 0
}

// sysFchdir implements Linux syscall fchdir(2).
func sysFchdir(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	if f.ino == 0 || !vfs.IsDir(f.ino) {
		return errno(linux.ENOTDIR)
	}
	setCwd(f.ino)
	return 0
}

// sysStatfs implements statfs(2) and (through fstatfs) fstatfs(2).
func sysStatfs(a sysArgs) uintptr {
	ino, e := lookupAt(atFDCWD, a[0], 0)
	if e != 0 {
		return errno(e)
	}
	return fillStatfs(ino, a[1])
}

func sysFstatfs(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	return fillStatfs(f.ino, a[1])
}

func fillStatfs(ino vfs.Ino, addr uintptr) uintptr {
	b, ok := userBytes(addr, 120, true)
	if !ok {
		return errno(linux.EFAULT)
	}
	clear(b)
	if st, ok, e := vfs.Statfs(ino); ok {
		if e != 0 {
			return errno(e)
		}
		put64(addr, st.Type)
		put64(addr+8, uint64(st.BlockSize))
		put64(addr+16, st.Blocks)
		put64(addr+24, st.Free)
		put64(addr+32, st.Avail)
		put64(addr+40, st.Files)
		put64(addr+48, st.FreeFiles)
		put64(addr+64, st.NameMax)
		put64(addr+72, uint64(st.BlockSize))
		if st.ReadOnly {
			put64(addr+80, 1) // ST_RDONLY
		}
		return 0
	}
	magic := uint64(0x858458f6) // RAMFS_MAGIC
	if _, synth := vfs.Synthetic(ino); synth || ino == procFDDir {
		magic = 0x9fa0 // PROC_SUPER_MAGIC
	}
	put64(addr, magic)
	put64(addr+8, 4096)                         // f_bsize
	put64(addr+16, uint64(frames.TotalPages())) // f_blocks
	put64(addr+24, uint64(frames.FreePages()))  // f_bfree
	put64(addr+32, uint64(frames.FreePages()))  // f_bavail
	put64(addr+56, 255)                         // f_namelen (at 64 after fsid)
	put64(addr+64, 255)                         // f_namelen
	put64(addr+72, 4096)                        // f_frsize
	return 0
}

// sysFlock implements Linux syscall flock(2): one program, so every lock
// is granted.
func sysFlock(a sysArgs) uintptr {
	if _, _, ok := fileOf(a[0]); !ok {
		return errno(linux.EBADF)
	}
	return 0
}

var memfdName [32]byte

// sysMemfdCreate implements Linux syscall memfd_create(2): an unlinked
// ramfs file.
func sysMemfdCreate(a sysArgs) uintptr {
	if _, e := userPath(a[0], 0); e != 0 {
		return errno(e)
	}
	tmp, e := vfs.Resolve(vfs.Root(), bytesOf("/tmp"), vfs.Follow|vfs.Directory)
	if e != 0 {
		return errno(e)
	}
	t := text{b: memfdName[:]}
	t.S(".memfd-").U(uint64(nanotime()), 0)
	hold(tmp)
	ino, e := vfs.Create(tmp, t.bytes(), linux.S_IFREG|0o600, 0, 0, 0)
	if e != 0 {
		return errno(e)
	}
	hold(ino)
	flags := uint32(linux.O_RDWR)
	if a[1]&linux.MFD_CLOEXEC != 0 {
		flags |= linux.O_CLOEXEC
	}
	fd := installVFS(ino, flags)
	vfs.Unlink(tmp, t.bytes())
	return fd
}

// copyBetween moves up to n bytes from in to out through a kernel buffer
// of this call (sendfile, copy_file_range; reads and writes may sleep).
func copyBetween(in, out *file, inOff *int64, outOff *int64, n uintptr) uintptr {
	copyBuf, ok := scratch(64 << 10)
	if !ok {
		return errno(linux.ENOMEM)
	}
	var total uintptr
	for total < n {
		chunk := n - total
		if chunk > uintptr(len(copyBuf)) {
			chunk = uintptr(len(copyBuf))
		}
		var r int
		var e linux.Errno
		if in.kind == kindVFS {
			r, e = vfsRead(in, copyBuf[:chunk], *inOff)
		} else {
			r, e = unret(fileRead(in, copyBuf[:chunk]))
		}
		if e != 0 {
			return partial(total, e)
		}
		if r == 0 {
			break
		}
		var w int
		if out.kind == kindVFS {
			w, e = vfsWrite(out, copyBuf[:r], *outOff)
		} else {
			w, e = unret(fileWrite(out, copyBuf[:r]))
		}
		if e != 0 {
			return partial(total, e)
		}
		*inOff += int64(w)
		*outOff += int64(w)
		total += uintptr(w)
		if w < r {
			break
		}
	}
	return total
}

// sysSendfile implements Linux syscall sendfile(2).
func sysSendfile(a sysArgs) uintptr {
	out, _, ok1 := fileOf(a[0])
	in, _, ok2 := fileOf(a[1])
	if !ok1 || !ok2 {
		return errno(linux.EBADF)
	}
	if in.kind != kindVFS {
		return errno(linux.EINVAL)
	}
	inOff := &in.off
	var explicit int64
	if a[2] != 0 {
		if !userRange(a[2], 8, true) {
			return errno(linux.EFAULT)
		}
		explicit = int64(get64(a[2]))
		inOff = &explicit
	}
	outOff := &out.off
	if out.flags&linux.O_APPEND != 0 && out.kind == kindVFS {
		out.off = vfs.Size(out.ino)
	}
	r := copyBetween(in, out, inOff, outOff, a[3])
	if a[2] != 0 {
		put64(a[2], uint64(explicit))
	}
	return r
}

// sysCopyFileRange implements Linux syscall copy_file_range(2).
func sysCopyFileRange(a sysArgs) uintptr {
	in, _, ok1 := fileOf(a[0])
	out, _, ok2 := fileOf(a[2])
	if !ok1 || !ok2 {
		return errno(linux.EBADF)
	}
	if in.kind != kindVFS || out.kind != kindVFS || vfs.IsDir(in.ino) || vfs.IsDir(out.ino) {
		return errno(linux.EINVAL)
	}
	if a[5] != 0 {
		return errno(linux.EINVAL)
	}
	inOff, outOff := &in.off, &out.off
	if in.ino == out.ino && a[1] == 0 && a[3] == 0 {
		return errno(linux.EINVAL) // the same file through one offset: ranges overlap
	}
	var io, oo int64
	if a[1] != 0 {
		if !userRange(a[1], 8, true) {
			return errno(linux.EFAULT)
		}
		io = int64(get64(a[1]))
		inOff = &io
	}
	if a[3] != 0 {
		if !userRange(a[3], 8, true) {
			return errno(linux.EFAULT)
		}
		oo = int64(get64(a[3]))
		outOff = &oo
	}
	r := copyBetween(in, out, inOff, outOff, a[4])
	if a[1] != 0 {
		put64(a[1], uint64(io))
	}
	if a[3] != 0 {
		put64(a[3], uint64(oo))
	}
	return r
}

// atFDCWD is AT_FDCWD (-100) as a 32-bit dirfd argument.
const atFDCWD = uintptr(uint32(0xFFFFFF9C))
