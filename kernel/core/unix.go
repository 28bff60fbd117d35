//go:build unigo_net

package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/net/netcall"
	"unigo.dev/unigo/kernel/vfs"
)

// AF_UNIX sockets: stream, datagram and seqpacket, entirely in the kernel
// (no network stack). They are socks with family AF_UNIX: a connected
// pair writes into each other's receive ring; datagrams carry the
// sender's socket id. Addresses are filesystem paths (an S_IFSOCK node
// whose aux value is the bound socket's id), abstract names (a leading
// NUL, matched among the sockets), or unnamed. Not yet: SCM_RIGHTS and
// SCM_CREDENTIALS control messages.

const unixAddrMax = 2 + linux.UnixPathMax // struct sockaddr_un

// unixAddr is a decoded sockaddr_un.
type unixAddr struct {
	b []byte // the whole sockaddr (family + path), trimmed as Linux keeps it
}

func (a unixAddr) abstract() bool { return len(a.b) > 2 && a.b[2] == 0 }
func (a unixAddr) path() []byte {
	p := a.b[2:]
	for i, c := range p {
		if c == 0 {
			return p[:i]
		}
	}
	return p
}

var unixAddrBuf [unixAddrMax]byte

// readUnixAddr copies the program's sockaddr_un (into a static buffer:
// the caller uses it before anything can block).
func readUnixAddr(addr, alen uintptr) (unixAddr, linux.Errno) {
	if alen < 2 || alen > unixAddrMax {
		return unixAddr{}, linux.EINVAL
	}
	if !userRange(addr, alen, false) {
		return unixAddr{}, linux.EFAULT
	}
	b := unixAddrBuf[:alen]
	copy(b, unsafeSlice(addr, alen))
	if uint16(b[0])|uint16(b[1])<<8 != linux.AF_UNIX {
		return unixAddr{}, linux.EINVAL
	}
	a := unixAddr{b: b}
	if !a.abstract() && len(b) > 2 {
		// A path ends at its NUL, as Linux keeps it.
		a.b = b[:2+len(a.path())]
		if len(a.path()) == 0 {
			return unixAddr{}, linux.ENOENT
		}
	}
	return a, 0
}

// setUnixAddr records socket i's bound address.
func setUnixAddr(i int32, a []byte) bool {
	s := &socks[i]
	va, ok := kmem.Alloc(unixAddrMax)
	if !ok {
		return false
	}
	copy(unsafeSlice(va, uintptr(len(a))), a)
	s.uaddr, s.uaddrLen = va, uint8(len(a))
	return true
}

func unixAddrOf(i int32) []byte {
	s := &socks[i]
	if s.uaddr == 0 {
		return nil
	}
	return unsafeSlice(s.uaddr, uintptr(s.uaddrLen))
}

func freeUnixAddr(s *sock) {
	if s.uino != 0 {
		vfs.Unref(s.uino)
		s.uino = 0
	}
	if s.uaddr != 0 {
		kmem.Free(s.uaddr, unixAddrMax)
		s.uaddr, s.uaddrLen = 0, 0
	}
}

// writeUnixAddr copies socket i's address (or an unnamed one) out.
func writeUnixAddr(i int32, addr, alenp uintptr) linux.Errno {
	if addr == 0 {
		return 0
	}
	if !userRange(alenp, 4, true) {
		return linux.EFAULT
	}
	var unnamed = [2]byte{linux.AF_UNIX, 0}
	a := unnamed[:]
	if i >= 0 && socks[i].uaddr != 0 {
		a = unixAddrOf(i)
	}
	have := uintptr(*(*uint32)(kptr(alenp)))
	if int32(have) < 0 {
		return linux.EINVAL
	}
	n := min(have, uintptr(len(a)))
	if !userRange(addr, n, true) {
		return linux.EFAULT
	}
	copy(unsafeSlice(addr, n), a[:n])
	put32(alenp, uint32(len(a)))
	return 0
}

// unixFind returns the socket bound to address a, or -1.
func unixFind(a unixAddr) (int32, linux.Errno) {
	if a.abstract() {
		for j := range socks {
			o := &socks[j]
			if o.state != sockFree && o.family == linux.AF_UNIX && o.uaddr != 0 && string(unixAddrOf(int32(j))) == string(a.b) {
				return int32(j), 0
			}
		}
		return -1, linux.ECONNREFUSED
	}
	buf, e := pathBuf(1)
	if e != 0 {
		return -1, e
	}
	ino, e := vfs.Resolve(cwd, buf[:copy(buf, a.path())], vfs.Follow)
	if e != 0 {
		return -1, e
	}
	hold(ino)
	if vfs.Mode(ino)&linux.S_IFMT != linux.S_IFSOCK {
		return -1, linux.ECONNREFUSED
	}
	j := sockByID(vfs.Aux(ino))
	if j < 0 || socks[j].family != linux.AF_UNIX {
		return -1, linux.ECONNREFUSED
	}
	return j, 0
}

// unixBind binds socket i.
func unixBind(i int32, addr, alen uintptr) uintptr {
	s := &socks[i]
	if s.uaddr != 0 {
		return errno(linux.EINVAL)
	}
	if alen == 2 {
		// Only the family: an automatic abstract name.
		if _, e := readUnixAddr(addr, alen); e != 0 {
			return errno(e)
		}
		return errno(unixAutobind(i))
	}
	a, e := readUnixAddr(addr, alen)
	if e != 0 {
		return errno(e)
	}
	if a.abstract() {
		if j, _ := unixFind(a); j >= 0 {
			return errno(linux.EADDRINUSE)
		}
	} else {
		buf, e := pathBuf(0)
		if e != 0 {
			return errno(e)
		}
		dir, last, _, e := vfs.ResolveParent(cwd, buf[:copy(buf, a.path())])
		if e != 0 {
			return errno(e)
		}
		hold(dir)
		ino, e := vfs.Create(dir, last, linux.S_IFSOCK|0o777&^umask, 0, 0, 0)
		if e == linux.EEXIST {
			return errno(linux.EADDRINUSE)
		}
		if e != 0 {
			return errno(e)
		}
		// The socket keeps the node referenced while bound, so that a
		// mounted file system's inode (and the id in it) is not evicted.
		s.uino = ino
		vfs.SetAux(ino, sockID(i))
	}
	if !setUnixAddr(i, a.b) {
		freeUnixAddr(s)
		return errno(linux.ENOMEM)
	}
	return 0
}

var autobindNext uint32

// unixAutobind gives socket i an abstract name of five hex digits, as
// Linux does for bind with only the family and for unbound senders.
func unixAutobind(i int32) linux.Errno {
	const hex = "0123456789abcdef"
	for tries := 0; tries < 1<<20; tries++ {
		n := autobindNext & 0xFFFFF
		autobindNext++
		var b [8]byte
		b[0] = linux.AF_UNIX
		for k := 0; k < 5; k++ {
			b[3+k] = hex[(n>>(4*(4-k)))&15]
		}
		if j, _ := unixFind(unixAddr{b: b[:8]}); j < 0 {
			if !setUnixAddr(i, b[:8]) {
				return linux.ENOMEM
			}
			return 0
		}
	}
	return linux.EADDRINUSE
}

// unixConnect connects socket i.
func unixConnect(i int32, f *file, addr, alen uintptr) uintptr {
	s := &socks[i]
	if alen >= 2 && s.typ == linux.SOCK_DGRAM && userRange(addr, 2, false) && *(*uint16)(kptr(addr)) == linux.AF_UNSPEC {
		s.peer = -1
		s.state = sockOpen
		return 0
	}
	a, e := readUnixAddr(addr, alen)
	if e != 0 {
		return errno(e)
	}
	l, e := unixFind(a)
	if e != 0 {
		return errno(e)
	}
	if socks[l].typ != s.typ {
		return errno(linux.EPROTOTYPE)
	}
	if s.typ == linux.SOCK_DGRAM {
		s.peer = l
		s.state = sockConnected
		return 0
	}
	switch s.state {
	case sockConnected:
		return errno(linux.EISCONN)
	case sockListening:
		return errno(linux.EINVAL)
	}
	deadline := timeoutDeadline(s.sndTimeo)
	for {
		ls := &socks[l]
		if ls.state != sockListening || ls.family != linux.AF_UNIX {
			return errno(linux.ECONNREFUSED)
		}
		if ls.acceptLen < ls.backlog {
			break
		}
		if nonblock(f) {
			return errno(linux.EAGAIN)
		}
		if e := sockWait(deadline); e != 0 {
			return errno(e)
		}
		if sockByID(sockID(l)) != l {
			return errno(linux.ECONNREFUSED)
		}
	}
	ls := &socks[l]
	c := newSock(linux.AF_UNIX, uint16(s.typ), 0)
	if c < 0 {
		return errno(linux.ENFILE)
	}
	cs := &socks[c]
	if la := unixAddrOf(l); la != nil && !setUnixAddr(c, la) {
		freeSock(c)
		return errno(linux.ENOMEM)
	}
	cs.state, cs.peer, cs.parent = sockConnected, i, l
	s.state, s.peer = sockConnected, c
	if ls.acceptTail < 0 {
		ls.acceptHead = c
	} else {
		socks[ls.acceptTail].next = c
	}
	ls.acceptTail = c
	ls.acceptLen++
	sockChanged(l)
	sockChanged(i)
	return 0
}

// unixSocketpair creates a connected pair.
func unixSocketpair(typ uintptr, flags uintptr, sv uintptr) uintptr {
	if !userRange(sv, 8, true) {
		return errno(linux.EFAULT)
	}
	a := newSock(linux.AF_UNIX, uint16(typ), 0)
	if a < 0 {
		return errno(linux.ENFILE)
	}
	b := newSock(linux.AF_UNIX, uint16(typ), 0)
	if b < 0 {
		freeSock(a)
		return errno(linux.ENFILE)
	}
	socks[a].state, socks[a].peer = sockConnected, b
	socks[b].state, socks[b].peer = sockConnected, a
	fl := uint32(flags&linux.SOCK_NONBLOCK) | linux.O_RDWR
	cloexec := flags&linux.SOCK_CLOEXEC != 0
	fa, fia := openFD(kindSocket, a, fl, cloexec)
	if int(fa) < 0 {
		socks[b].peer = -1
		freeSock(b)
		return fa
	}
	socks[a].file = fia
	fb, fib := openFD(kindSocket, b, fl, cloexec)
	if int(fb) < 0 {
		fds[fa] = fdEntry{}
		releaseFile(fia)
		return fb
	}
	socks[b].file = fib
	put32(sv, uint32(fa))
	put32(sv+4, uint32(fb))
	return 0
}

// unixClosed tears down socket i when the program's last reference goes.
func unixClosed(i int32) {
	s := &socks[i]
	for c := s.acceptHead; c >= 0; {
		n := socks[c].next
		socks[c].next = -1
		unixClosed(c)
		c = n
	}
	s.acceptHead, s.acceptTail, s.acceptLen = -1, -1, 0
	if p := s.peer; p >= 0 && socks[p].peer == i {
		ps := &socks[p]
		if s.typ != linux.SOCK_DGRAM {
			ps.rxEOF, ps.hup = true, true
			if s.rx.used() > 0 {
				ps.err = linux.ECONNRESET // unread data: Linux resets the peer
			}
		}
		ps.peer = -1
		sockChanged(p)
	}
	// Datagram sockets connected to this one now see ECONNREFUSED.
	for j := range socks {
		o := &socks[j]
		if o.state != sockFree && o.family == linux.AF_UNIX && o.peer == i && int32(j) != i {
			o.peer = -1
			if o.typ == linux.SOCK_DGRAM {
				o.err = linux.ECONNREFUSED
			}
			sockChanged(int32(j))
		}
	}
	freeUnixAddr(s)
	freeSock(i)
	wakeAll(waitKeySock)
}

// unixReadiness returns the poll events of AF_UNIX socket i.
func unixReadiness(i int32) uint32 {
	s := &socks[i]
	var ev uint32
	if s.err != 0 {
		ev |= linux.EPOLLERR
	}
	switch {
	case s.state == sockListening:
		if s.acceptLen > 0 {
			ev |= linux.EPOLLIN
		}
		return ev
	case s.typ == linux.SOCK_DGRAM:
		if s.rx.used() > 0 {
			ev |= linux.EPOLLIN
		}
		if s.peer < 0 || socks[s.peer].rx.free() > dgramHdr+1024 || socks[s.peer].rx.buf == 0 {
			ev |= linux.EPOLLOUT
		}
		return ev
	case s.state != sockConnected:
		return ev | linux.EPOLLOUT | linux.EPOLLHUP
	}
	if s.rx.used() > 0 || s.rxEOF || s.flags&netcall.FlagShutRead != 0 {
		ev |= linux.EPOLLIN
	}
	if s.rxEOF || s.flags&netcall.FlagShutRead != 0 {
		ev |= linux.EPOLLRDHUP
	}
	if s.hup || s.rxEOF && s.flags&netcall.FlagShutWrite != 0 {
		ev |= linux.EPOLLHUP
	}
	if s.peer < 0 || socks[s.peer].rx.buf == 0 || socks[s.peer].rx.free() > 0 || s.flags&netcall.FlagShutWrite != 0 {
		ev |= linux.EPOLLOUT
	}
	return ev
}

// unixSend writes into the peer's (or the addressed socket's) ring.
func unixSend(i int32, u *uio, to uintptr, tolen uintptr, flags uintptr, nb bool) uintptr {
	s := &socks[i]
	target := s.peer
	if s.typ == linux.SOCK_DGRAM && to != 0 {
		a, e := readUnixAddr(to, tolen)
		if e != 0 {
			return errno(e)
		}
		t, e := unixFind(a)
		if e != 0 {
			return errno(e)
		}
		target = t
	}
	if s.flags&netcall.FlagShutWrite != 0 {
		if flags&linux.MSG_NOSIGNAL == 0 {
			sendSignal(cur(), sigPIPE)
		}
		return errno(linux.EPIPE)
	}
	if target < 0 {
		if s.err != 0 {
			e := s.err
			s.err = 0
			return errno(e)
		}
		if s.typ == linux.SOCK_DGRAM {
			return errno(linux.EDESTADDRREQ)
		}
		if s.state == sockConnected {
			if flags&linux.MSG_NOSIGNAL == 0 {
				sendSignal(cur(), sigPIPE)
			}
			return errno(linux.EPIPE)
		}
		return errno(linux.ENOTCONN)
	}
	deadline := timeoutDeadline(s.sndTimeo)
	records := s.typ != linux.SOCK_STREAM
	if records && u.total > sockBufSize-dgramHdr {
		return errno(linux.EMSGSIZE)
	}
	var done uintptr
	k, off := uintptr(0), 0
	for {
		t := &socks[target]
		if t.state == sockFree || (s.typ != linux.SOCK_DGRAM && s.peer != target) {
			return partial(done, linux.EPIPE)
		}
		if !t.rx.alloc() {
			return partial(done, linux.ENOMEM)
		}
		if records {
			if t.rx.fits(uint32(u.total) + dgramHdr) {
				var from netcall.Sockaddr
				*(*uint32)(unsafe.Pointer(&from[0])) = sockID(i)
				var hdr [dgramHdr]byte
				*(*uint32)(unsafe.Pointer(&hdr[0])) = uint32(u.total)
				copy(hdr[4:], from[:])
				t.rx.put(hdr[:])
				for j := uintptr(0); j < u.segs(); j++ {
					t.rx.put(u.seg(j))
				}
				sockChanged(target)
				return u.total
			}
		} else if t.rx.free() > 0 {
			for k < u.segs() && t.rx.free() > 0 {
				seg := u.seg(k)
				n := min(len(seg)-off, int(t.rx.free()))
				t.rx.put(seg[off : off+n])
				done += uintptr(n)
				off += n
				if off == len(seg) {
					k, off = k+1, 0
				}
			}
			sockChanged(target)
			if done == u.total {
				return done
			}
		}
		if nb {
			return partial(done, linux.EAGAIN)
		}
		if e := sockWait(deadline); e != 0 {
			return partial(done, e)
		}
	}
}

// unixRecv reads from socket i's ring; from gets the sender (datagrams).
func unixRecv(i int32, u *uio, fromAddr, fromLenp uintptr, flags uintptr, nb bool) (uintptr, uint32) {
	s := &socks[i]
	peek := flags&linux.MSG_PEEK != 0
	deadline := timeoutDeadline(s.rcvTimeo)
	for {
		if s.typ != linux.SOCK_STREAM {
			var a netcall.Sockaddr
			if n, ok := s.rx.peekDgram(&a); ok {
				done := uintptr(0)
				for k := uintptr(0); k < u.segs() && done < uintptr(n); k++ {
					seg := u.seg(k)
					done += uintptr(s.rx.peek(dgramHdr+uint32(done), seg[:min(len(seg), n-int(done))]))
				}
				if !peek {
					s.rx.r += dgramHdr + uint32(n)
					unixSpace(s)
				}
				if fromAddr != 0 {
					sender := sockByID(*(*uint32)(unsafe.Pointer(&a[0])))
					if sender >= 0 && socks[sender].family != linux.AF_UNIX {
						sender = -1
					}
					if sender < 0 || socks[sender].uaddr == 0 {
						// An unnamed sender: no address at all, as on Linux.
						if !userRange(fromLenp, 4, true) {
							return errno(linux.EFAULT), 0
						}
						put32(fromLenp, 0)
					} else if e := writeUnixAddr(sender, fromAddr, fromLenp); e != 0 {
						return errno(e), 0
					}
				}
				var mf uint32
				if uintptr(n) > done {
					mf = linux.MSG_TRUNC
					if flags&linux.MSG_TRUNC != 0 {
						done = uintptr(n)
					}
				}
				return done, mf
			}
		} else if s.rx.used() > 0 {
			var done uintptr
			for k := uintptr(0); k < u.segs() && s.rx.used() > 0; k++ {
				if peek {
					done += uintptr(s.rx.peek(uint32(done), u.seg(k)))
				} else {
					done += uintptr(s.rx.get(u.seg(k)))
				}
			}
			if !peek {
				unixSpace(s)
			}
			if fromAddr != 0 {
				put32(fromLenp, 0)
			}
			return done, 0
		}
		if s.err != 0 {
			e := s.err
			s.err = 0
			return errno(e), 0
		}
		if s.rxEOF || s.flags&netcall.FlagShutRead != 0 {
			return 0, 0
		}
		if s.typ != linux.SOCK_DGRAM && s.state != sockConnected {
			return errno(linux.ENOTCONN), 0
		}
		if nb {
			return errno(linux.EAGAIN), 0
		}
		if e := sockWait(deadline); e != 0 {
			return errno(e), 0
		}
	}
}

// unixSpace tells writers into s's ring that it has room.
func unixSpace(s *sock) {
	for j := range socks {
		o := &socks[j]
		if o.state != sockFree && o.family == linux.AF_UNIX && o.peer >= 0 && &socks[o.peer] == s {
			sockChanged(int32(j))
		}
	}
	wakeAll(waitKeySock)
}
