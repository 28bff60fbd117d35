package core

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/vfs"
)

func fileRead(f *file, b []byte) uintptr {
	nb := nonblock(f)
	switch f.kind {
	case kindVFS:
		if vfs.IsDir(f.ino) {
			return errno(linux.EISDIR)
		}
		n, e := vfsRead(f, b, f.off)
		f.off += int64(n)
		return ret(n, e)
	case kindDev:
		return devRead(f, b)
	case kindConsole:
		return consoleRead(b, nb)
	case kindPipeRead:
		return pipeRead(&pipes[f.obj], b, nb)
	case kindEventfd:
		return eventfdRead(&eventfds[f.obj], b, nb)
	case kindSocket:
		return sockRead(f, b)
	}
	return errno(linux.EBADF)
}

func fileWrite(f *file, b []byte) uintptr {
	nb := nonblock(f)
	switch f.kind {
	case kindVFS:
		if f.flags&linux.O_APPEND != 0 {
			f.off = vfs.Size(f.ino)
		}
		n, e := vfsWrite(f, b, f.off)
		f.off += int64(n)
		return ret(n, e)
	case kindDev:
		return devWrite(f, b)
	case kindConsole:
		return consoleWrite(b)
	case kindPipeWrite:
		return pipeWrite(&pipes[f.obj], b, nb)
	case kindPipeRead:
		if f.rdwrFIFO {
			return pipeWrite(&pipes[f.obj], b, nb)
		}
	case kindEventfd:
		return eventfdWrite(&eventfds[f.obj], b, nb)
	case kindSocket:
		return sockWrite(f, b)
	}
	return errno(linux.EBADF)
}

// sysRead implements Linux syscall read(2).
func sysRead(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	b, ok := userBytes(a[1], a[2], true)
	if !ok {
		return errno(linux.EFAULT)
	}
	return fileRead(f, b)
}

// sysWrite implements Linux syscall write(2).
func sysWrite(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	b, ok := userBytes(a[1], a[2], false)
	if !ok {
		return errno(linux.EFAULT)
	}
	return fileWrite(f, b)
}

func iovecs(addr, n uintptr, write bool, fn func(b []byte) (uintptr, bool)) uintptr {
	if n > 1024 {
		return errno(linux.EINVAL)
	}
	if !userRange(addr, n*16, false) {
		return errno(linux.EFAULT)
	}
	var total uintptr
	for i := uintptr(0); i < n; i++ {
		base, l := uintptr(get64(addr+16*i)), uintptr(get64(addr+16*i+8))
		b, ok := userBytes(base, l, write)
		if !ok {
			return errno(linux.EFAULT)
		}
		r, more := fn(b)
		if int(r) < 0 {
			if total > 0 {
				return total
			}
			return r
		}
		total += r
		if !more || r < l {
			break
		}
	}
	return total
}

// sysReadv implements Linux syscall readv(2).
func sysReadv(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	return iovecs(a[1], a[2], true, func(b []byte) (uintptr, bool) {
		r := fileRead(f, b)
		return r, f.kind != kindConsole
	})
}

// sysWritev implements Linux syscall writev(2).
func sysWritev(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	return iovecs(a[1], a[2], false, func(b []byte) (uintptr, bool) {
		return fileWrite(f, b), true
	})
}

// sysClose implements Linux syscall close(2).
func sysClose(a sysArgs) uintptr {
	fd := a[0]
	if fd >= maxFDs || fds[fd].file == 0 {
		return errno(linux.EBADF)
	}
	i := fds[fd].file - 1
	fds[fd] = fdEntry{}
	releaseFile(i)
	return 0
}

func fillStat(f *file, addr uintptr) uintptr {
	b, ok := userBytes(addr, 144, true)
	if !ok {
		return errno(linux.EFAULT)
	}
	clear(b)
	var mode uint32
	var rdev uint64
	switch f.kind {
	case kindConsole:
		mode = linux.S_IFCHR | 0o620
		rdev = 4<<8 | 64 // ttyS0
	case kindPipeRead, kindPipeWrite:
		mode = linux.S_IFIFO | 0o600
	case kindSocket:
		mode = linux.S_IFSOCK | 0o777
	default:
		mode = 0o600 // anonymous inode
	}
	put64(addr+8, uint64(f.obj)+1) // st_ino
	put64(addr+16, 1)              // st_nlink
	put32(addr+24, mode)           // st_mode
	put64(addr+40, rdev)           // st_rdev
	put64(addr+56, 4096)           // st_blksize
	return 0
}

// sysFstat implements Linux syscall fstat(2).
func sysFstat(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	if f.ino != 0 {
		return fillStatIno(f.ino, a[1])
	}
	return fillStat(f, a[1])
}

// sysFcntl implements Linux syscall fcntl(2).
func sysFcntl(a sysArgs) uintptr {
	fd, cmd, arg := a[0], a[1], a[2]
	f, i, ok := fileOf(fd)
	if !ok {
		return errno(linux.EBADF)
	}
	switch cmd {
	case linux.F_GETFD:
		if fds[fd].cloexec {
			return linux.FD_CLOEXEC
		}
		return 0
	case linux.F_SETFD:
		fds[fd].cloexec = arg&linux.FD_CLOEXEC != 0
		return 0
	case linux.F_GETFL:
		return uintptr(f.flags)
	case linux.F_SETFL:
		const settable = linux.O_APPEND | linux.O_NONBLOCK | linux.FASYNC | linux.O_DIRECT | linux.O_NOATIME
		f.flags = f.flags&^settable | uint32(arg)&settable
		return 0
	case linux.F_DUPFD, linux.F_DUPFD_CLOEXEC:
		if arg >= maxFDs {
			return errno(linux.EINVAL)
		}
		nfd := installFD(i, int(arg), cmd == linux.F_DUPFD_CLOEXEC)
		if nfd < 0 {
			return errno(linux.EMFILE)
		}
		f.refs++
		return uintptr(nfd)
	}
	return errno(linux.EINVAL)
}

// sysIoctl implements Linux syscall ioctl(2) for the console and pipes.
func sysIoctl(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	switch a[1] {
	case linux.TCGETS:
		if f.kind != kindConsole {
			return errno(linux.ENOTTY)
		}
		b, ok := userBytes(a[2], 36, true)
		if !ok {
			return errno(linux.EFAULT)
		}
		clear(b)
		put32(a[2], 0x500)  // c_iflag: ICRNL|IXON
		put32(a[2]+4, 0x5)  // c_oflag: OPOST|ONLCR
		put32(a[2]+8, 0xbf) // c_cflag: B38400|CS8|CREAD
		put32(a[2]+12, 0x8a3b)
		return 0
	case linux.TIOCGWINSZ:
		if f.kind != kindConsole {
			return errno(linux.ENOTTY)
		}
		b, ok := userBytes(a[2], 8, true)
		if !ok {
			return errno(linux.EFAULT)
		}
		clear(b)
		b[0], b[2] = 24, 80
		return 0
	case linux.FIONREAD:
		var n uint32
		switch f.kind {
		case kindPipeRead:
			p := &pipes[f.obj]
			n = uint32(p.wpos - p.rpos)
		case kindVFS:
			if vfs.IsDir(f.ino) {
				return errno(linux.ENOTTY)
			}
			if sz := vfs.Size(f.ino); sz > f.off {
				n = uint32(sz - f.off)
			}
		case kindConsole:
			if consoleHasInput() {
				n = 1
			}
		case kindSocket:
			n = sockFionread(f.obj)
		default:
			return errno(linux.ENOTTY)
		}
		if !userRange(a[2], 4, true) {
			return errno(linux.EFAULT)
		}
		put32(a[2], n)
		return 0
	case linux.TIOCOUTQ: // SIOCOUTQ: bytes sent and not yet acknowledged
		if f.kind != kindSocket {
			return errno(linux.ENOTTY)
		}
		if !userRange(a[2], 4, true) {
			return errno(linux.EFAULT)
		}
		put32(a[2], sockOutq(f.obj))
		return 0
	case linux.FIONBIO:
		if !userRange(a[2], 4, false) {
			return errno(linux.EFAULT)
		}
		if *(*int32)(kptr(a[2])) != 0 {
			f.flags |= linux.O_NONBLOCK
		} else {
			f.flags &^= linux.O_NONBLOCK
		}
		return 0
	}
	if f.kind == kindConsole {
		return errno(linux.EINVAL)
	}
	return errno(linux.ENOTTY)
}

// sysLseek implements Linux syscall lseek(2).
func sysLseek(a sysArgs) uintptr {
	f, _, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	if !positioned(f) {
		return errno(linux.ESPIPE)
	}
	return seekFile(f, int64(a[1]), a[2])
}

// sysDup implements Linux syscall dup(2).
func sysDup(a sysArgs) uintptr {
	f, i, ok := fileOf(a[0])
	if !ok {
		return errno(linux.EBADF)
	}
	nfd := installFD(i, 0, false)
	if nfd < 0 {
		return errno(linux.EMFILE)
	}
	f.refs++
	return uintptr(nfd)
}

func dup3(old, nfd, flags uintptr) uintptr {
	f, i, ok := fileOf(old)
	if !ok {
		return errno(linux.EBADF)
	}
	if nfd >= maxFDs {
		return errno(linux.EBADF)
	}
	if old == nfd {
		return nfd
	}
	if fds[nfd].file != 0 {
		sysClose(sysArgs{nfd})
	}
	fds[nfd] = fdEntry{file: i + 1, cloexec: flags&linux.O_CLOEXEC != 0}
	f.refs++
	return nfd
}

// sysDup2 implements Linux syscall dup2(2).
func sysDup2(a sysArgs) uintptr {
	if a[0] == a[1] {
		if _, _, ok := fileOf(a[0]); !ok {
			return errno(linux.EBADF)
		}
		return a[1]
	}
	return dup3(a[0], a[1], 0)
}

// sysDup3 implements Linux syscall dup3(2).
func sysDup3(a sysArgs) uintptr {
	if a[0] == a[1] || a[2]&^linux.O_CLOEXEC != 0 {
		return errno(linux.EINVAL)
	}
	return dup3(a[0], a[1], a[2])
}

// openFD opens a file description for the pool object obj (already marked
// used) and installs it at the lowest free descriptor. It returns the
// descriptor (or a negative errno, having released the object) and the file
// index.
func openFD(kind fileKind, obj int32, flags uint32, cloexec bool) (uintptr, int32) {
	f := newFile(kind, obj, flags)
	if f < 0 {
		releaseObject(kind, obj)
		return errno(linux.ENFILE), -1
	}
	fd := installFD(f, 0, cloexec)
	if fd < 0 {
		releaseFile(f)
		return errno(linux.EMFILE), -1
	}
	return uintptr(fd), f
}

// freePipe returns an unused pipe slot, or -1.
func freePipe() int {
	for i := range pipes {
		if !pipes[i].used {
			return i
		}
	}
	return -1
}

// sysPipe2 implements Linux syscall pipe2(2).
func sysPipe2(a sysArgs) uintptr {
	flags := a[1]
	if flags&^(linux.O_CLOEXEC|linux.O_NONBLOCK|linux.O_DIRECT) != 0 {
		return errno(linux.EINVAL)
	}
	if !userRange(a[0], 8, true) {
		return errno(linux.EFAULT)
	}
	pi := freePipe()
	if pi < 0 {
		return errno(linux.ENFILE)
	}
	fl := uint32(flags & linux.O_NONBLOCK)
	r := newFile(kindPipeRead, int32(pi), fl|linux.O_RDONLY)
	if r < 0 {
		return errno(linux.ENFILE)
	}
	w := newFile(kindPipeWrite, int32(pi), fl|linux.O_WRONLY)
	if w < 0 {
		files[r] = file{}
		return errno(linux.ENFILE)
	}
	pipes[pi] = pipe{used: true, readers: 1, writers: 1, rfile: r, wfile: w}
	cloexec := flags&linux.O_CLOEXEC != 0
	rfd := installFD(r, 0, cloexec)
	wfd := -1
	if rfd >= 0 {
		wfd = installFD(w, 0, cloexec)
	}
	if wfd < 0 {
		if rfd >= 0 {
			fds[rfd] = fdEntry{}
		}
		releaseFile(r)
		releaseFile(w)
		return errno(linux.EMFILE)
	}
	put32(a[0], uint32(rfd))
	put32(a[0]+4, uint32(wfd))
	return 0
}

// sysPipe implements Linux syscall pipe(2).
func sysPipe(a sysArgs) uintptr { return sysPipe2(sysArgs{a[0], 0}) }

// sysEventfd2 implements Linux syscall eventfd2(2).
func sysEventfd2(a sysArgs) uintptr {
	initval, flags := a[0], a[1]
	if flags&^(linux.EFD_CLOEXEC|linux.EFD_NONBLOCK|linux.EFD_SEMAPHORE) != 0 {
		return errno(linux.EINVAL)
	}
	ei := -1
	for i := range eventfds {
		if !eventfds[i].used {
			ei = i
			break
		}
	}
	if ei < 0 {
		return errno(linux.ENFILE)
	}
	eventfds[ei] = eventfd{used: true, count: uint64(uint32(initval)), semaphore: flags&linux.EFD_SEMAPHORE != 0, file: -1}
	fd, f := openFD(kindEventfd, int32(ei), uint32(flags&linux.EFD_NONBLOCK)|linux.O_RDWR, flags&linux.EFD_CLOEXEC != 0)
	eventfds[ei].file = f
	return fd
}

// sysEventfd implements Linux syscall eventfd(2).
func sysEventfd(a sysArgs) uintptr { return sysEventfd2(sysArgs{a[0], 0}) }

// umask is the file-mode creation mask.
var umask uint32 = 0o022

// sysUmask implements Linux syscall umask(2).
func sysUmask(a sysArgs) uintptr {
	old := umask
	umask = uint32(a[0]) & 0o777
	return uintptr(old)
}
