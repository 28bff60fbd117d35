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

// sysEpollCreate1 implements Linux syscall epoll_create1(2).
func sysEpollCreate1(a sysArgs) uintptr {
	if a[0]&^linux.EPOLL_CLOEXEC != 0 {
		return errno(linux.EINVAL)
	}
	ei := -1
	for i := range epolls {
		if !epolls[i].used {
			ei = i
			break
		}
	}
	if ei < 0 {
		return errno(linux.ENFILE)
	}
	epolls[ei] = epoll{used: true, items: -1}
	fd, _ := openFD(kindEpoll, int32(ei), linux.O_RDWR, a[0]&linux.EPOLL_CLOEXEC != 0)
	return fd
}

// sysEpollCreate implements Linux syscall epoll_create(2).
func sysEpollCreate(a sysArgs) uintptr {
	if int(a[0]) <= 0 {
		return errno(linux.EINVAL)
	}
	return sysEpollCreate1(sysArgs{0})
}

func epollFind(ep int32, fd int32) int32 {
	for it := epolls[ep].items; it >= 0; it = epitems[it].next {
		if epitems[it].fd == fd {
			return it
		}
	}
	return -1
}

func epollRemoveItem(it int32) {
	ep := &epolls[epitems[it].ep]
	p := &ep.items
	for *p >= 0 {
		if *p == it {
			*p = epitems[it].next
			break
		}
		p = &epitems[*p].next
	}
	epitems[it] = epitem{}
}

// sysEpollCtl implements Linux syscall epoll_ctl(2).
func sysEpollCtl(a sysArgs) uintptr {
	epfd, op, fd, evp := a[0], a[1], a[2], a[3]
	epf, _, ok := fileOf(epfd)
	if !ok {
		return errno(linux.EBADF)
	}
	tf, ti, ok := fileOf(fd)
	if !ok {
		return errno(linux.EBADF)
	}
	if epf.kind != kindEpoll || epfd == fd {
		return errno(linux.EINVAL)
	}
	if tf.kind == kindVFS || tf.kind == kindDev {
		return errno(linux.EPERM) // regular files and directories cannot be polled
	}
	ep := epf.obj
	var events uint32
	var data uint64
	if op != linux.EPOLL_CTL_DEL {
		if !userRange(evp, 12, false) {
			return errno(linux.EFAULT)
		}
		events = *(*uint32)(kptr(evp))
		data = *(*uint64)(kptr(evp + 4))
	}
	it := epollFind(ep, int32(fd))
	switch op {
	case linux.EPOLL_CTL_ADD:
		if it >= 0 {
			return errno(linux.EEXIST)
		}
		for j := range epitems {
			if !epitems[j].used {
				epitems[j] = epitem{used: true, ep: ep, fd: int32(fd), file: ti, events: events, data: data,
					seen: files[ti].seq - 1, next: epolls[ep].items}
				epolls[ep].items = int32(j)
				notify(-1)
				return 0
			}
		}
		return errno(linux.ENOSPC)
	case linux.EPOLL_CTL_MOD:
		if it < 0 {
			return errno(linux.ENOENT)
		}
		epitems[it].events = events
		epitems[it].data = data
		epitems[it].seen = files[ti].seq - 1
		notify(-1)
		return 0
	case linux.EPOLL_CTL_DEL:
		if it < 0 {
			return errno(linux.ENOENT)
		}
		epollRemoveItem(it)
		return 0
	}
	return errno(linux.EINVAL)
}

const alwaysReported = linux.EPOLLERR | linux.EPOLLHUP

// epollCollect writes ready events into the program buffer (nil: just
// check) and returns how many.
func epollCollect(ep int32, out uintptr, max int) int {
	n := 0
	for it := epolls[ep].items; it >= 0 && n < max; it = epitems[it].next {
		e := &epitems[it]
		// An edge-triggered item with no change since it was last
		// reported is skipped before its readiness is computed (the Go
		// netpoller registers everything edge-triggered).
		if e.events&linux.EPOLLET != 0 && e.seen == files[e.file].seq {
			continue
		}
		ready := readiness(e.file) & (e.events | alwaysReported)
		if ready == 0 {
			continue
		}
		if out != 0 {
			put32(out+uintptr(n)*12, ready)
			*(*uint64)(kptr(out + uintptr(n)*12 + 4)) = e.data
			e.seen = files[e.file].seq
			if e.events&linux.EPOLLONESHOT != 0 {
				e.events = 0
			}
		}
		n++
	}
	return n
}

func epollReady(ep int32) bool { return epollCollect(ep, 0, 1) > 0 }

func epollWait(epfd, events, maxevents uintptr, timeout int) uintptr {
	f, _, ok := fileOf(epfd)
	if !ok {
		return errno(linux.EBADF)
	}
	if f.kind != kindEpoll || int(maxevents) <= 0 || maxevents > 1<<20 {
		return errno(linux.EINVAL)
	}
	if !userRange(events, maxevents*12, true) {
		return errno(linux.EFAULT)
	}
	var deadline int64
	if timeout > 0 {
		deadline = nanotime() + int64(timeout)*1_000_000
	}
	for {
		if n := epollCollect(f.obj, events, int(maxevents)); n > 0 {
			return uintptr(n)
		}
		if timeout == 0 || (deadline != 0 && nanotime() >= deadline) {
			return 0
		}
		switch waitOn(waitKeyPoll, deadline) {
		case wakeSignal:
			return errno(linux.EINTR)
		case wakeTimeout:
			return 0
		}
	}
}

// sysEpollPwait implements Linux syscall epoll_pwait(2). The signal mask
// argument is applied for the duration of the wait.
func sysEpollPwait(a sysArgs) uintptr {
	t := cur()
	old := t.sigMask
	if a[4] != 0 {
		if !userRange(a[4], 8, false) {
			return errno(linux.EFAULT)
		}
		t.sigMask = get64(a[4]) &^ unblockable
	}
	r := epollWait(a[0], a[1], a[2], int(int32(a[3])))
	t.sigMask = old
	return r
}

// sysEpollWait implements Linux syscall epoll_wait(2).
func sysEpollWait(a sysArgs) uintptr { return epollWait(a[0], a[1], a[2], int(int32(a[3]))) }

// umask is the file-mode creation mask.
var umask uint32 = 0o022

// sysUmask implements Linux syscall umask(2).
func sysUmask(a sysArgs) uintptr {
	old := umask
	umask = uint32(a[0]) & 0o777
	return uintptr(old)
}
