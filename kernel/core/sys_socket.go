//go:build unigo_net

package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/net/netcall"
)

// The socket system calls for AF_INET and AF_INET6 (socket.go has the
// objects). Everything here completes in trap context: data moves between
// the program's buffers and the socket's rings, and work for the network
// stack is posted, never waited for (except where a blocking socket must
// wait for data, space or a connection, as on Linux).

// sockOf returns the socket behind fd.
func sockOf(fd uintptr) (*sock, int32, *file, linux.Errno) {
	f, _, ok := fileOf(fd)
	if !ok {
		return nil, -1, nil, linux.EBADF
	}
	if f.kind != kindSocket {
		return nil, -1, nil, linux.ENOTSOCK
	}
	return &socks[f.obj], f.obj, f, 0
}

// sockWait blocks until a socket changes, a signal (EINTR) or the
// deadline (EAGAIN, as SO_RCVTIMEO expires on Linux).
func sockWait(deadline int64) linux.Errno {
	switch waitOn(waitKeySock, deadline) {
	case wakeSignal:
		return linux.EINTR
	case wakeTimeout:
		return linux.EAGAIN
	}
	return 0
}

func timeoutDeadline(ns int64) int64 {
	if ns <= 0 {
		return 0
	}
	return nanotime() + ns
}

// sysSocket implements Linux syscall socket(2).
func sysSocket(a sysArgs) uintptr {
	domain, typ, proto := a[0], a[1]&linux.SOCK_TYPE_MASK, a[2]
	flags := a[1] &^ linux.SOCK_TYPE_MASK
	if flags&^(linux.SOCK_NONBLOCK|linux.SOCK_CLOEXEC) != 0 {
		return errno(linux.EINVAL)
	}
	if domain == linux.AF_UNIX {
		switch typ {
		case linux.SOCK_STREAM, linux.SOCK_DGRAM, linux.SOCK_SEQPACKET:
		default:
			return errno(linux.ESOCKTNOSUPPORT)
		}
		if proto != 0 {
			return errno(linux.EPROTONOSUPPORT)
		}
		return newSocketFD(linux.AF_UNIX, typ, 0, flags)
	}
	if domain != linux.AF_INET && domain != linux.AF_INET6 {
		return errno(linux.EAFNOSUPPORT)
	}
	switch typ {
	case linux.SOCK_STREAM:
		if proto == 0 {
			proto = linux.IPPROTO_TCP
		}
		if proto != linux.IPPROTO_TCP {
			return errno(linux.EPROTONOSUPPORT) // MPTCP included: Go falls back to TCP
		}
	case linux.SOCK_DGRAM:
		if proto == 0 {
			proto = linux.IPPROTO_UDP
		}
		if proto != linux.IPPROTO_UDP {
			return errno(linux.EPROTONOSUPPORT)
		}
	case linux.SOCK_RAW, linux.SOCK_SEQPACKET:
		return errno(linux.EPROTONOSUPPORT)
	default:
		return errno(linux.ESOCKTNOSUPPORT)
	}
	if !netstack.attached {
		// No network stack in this program (it does not import net).
		return errno(linux.EAFNOSUPPORT)
	}
	return newSocketFD(domain, typ, proto, flags)
}

func newSocketFD(domain, typ, proto, flags uintptr) uintptr {
	i := newSock(uint16(domain), uint16(typ), uint16(proto))
	if i < 0 {
		return errno(linux.ENFILE)
	}
	fd, f := openFD(kindSocket, i, uint32(flags&linux.SOCK_NONBLOCK)|linux.O_RDWR, flags&linux.SOCK_CLOEXEC != 0)
	if f >= 0 {
		socks[i].file = f
	}
	return fd
}

// sysSocketpair implements Linux syscall socketpair(2) (AF_UNIX).
func sysSocketpair(a sysArgs) uintptr {
	typ, flags := a[1]&linux.SOCK_TYPE_MASK, a[1]&^linux.SOCK_TYPE_MASK
	if flags&^(linux.SOCK_NONBLOCK|linux.SOCK_CLOEXEC) != 0 {
		return errno(linux.EINVAL)
	}
	switch {
	case a[0] == linux.AF_INET || a[0] == linux.AF_INET6:
		return errno(linux.EOPNOTSUPP)
	case a[0] != linux.AF_UNIX:
		return errno(linux.EAFNOSUPPORT)
	case typ != linux.SOCK_STREAM && typ != linux.SOCK_DGRAM && typ != linux.SOCK_SEQPACKET:
		return errno(linux.ESOCKTNOSUPPORT)
	case a[2] != 0:
		return errno(linux.EPROTONOSUPPORT)
	}
	return unixSocketpair(typ, flags, a[3])
}

// sysBind implements Linux syscall bind(2).
func sysBind(a sysArgs) uintptr {
	s, i, _, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	if s.family == linux.AF_UNIX {
		return unixBind(i, a[1], a[2])
	}
	if s.port || s.state != sockOpen {
		return errno(linux.EINVAL)
	}
	var addr netcall.Sockaddr
	if e := readSockaddr(s, a[1], a[2], &addr); e != 0 {
		return errno(e)
	}
	ip := saIP(&addr)
	if s.family == linux.AF_INET6 && ipIsV4(&ip) && s.flags&netcall.FlagV6Only != 0 {
		return errno(linux.EINVAL)
	}
	if !ipLocal(&ip) {
		return errno(linux.EADDRNOTAVAIL)
	}
	s.local = addr
	if e := bindPort(i); e != 0 {
		s.local = netcall.Sockaddr{}
		return errno(e)
	}
	if s.typ == linux.SOCK_DGRAM {
		post(i, netcall.EvBind)
	}
	return 0
}

// autobind gives an unbound socket the wildcard address and an ephemeral
// port.
func autobind(i int32) linux.Errno {
	s := &socks[i]
	if s.port {
		return 0
	}
	if saFamily(&s.local) == 0 {
		s.local = wildcardAddr(s)
	}
	return bindPort(i)
}

// sysListen implements Linux syscall listen(2).
func sysListen(a sysArgs) uintptr {
	s, i, _, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	if s.typ == linux.SOCK_DGRAM {
		return errno(linux.EOPNOTSUPP)
	}
	if s.state != sockOpen && s.state != sockListening {
		return errno(linux.EINVAL)
	}
	backlog := int32(a[1])
	if backlog < 1 {
		backlog = 1
	}
	if backlog > linux.SOMAXCONN {
		backlog = linux.SOMAXCONN
	}
	if s.family == linux.AF_UNIX {
		if s.uaddr == 0 {
			if e := unixAutobind(i); e != 0 {
				return errno(e)
			}
		}
		s.state, s.backlog = sockListening, backlog
		sockChanged(i)
		return 0
	}
	fresh := s.state == sockOpen
	if fresh {
		if e := autobind(i); e != 0 {
			return errno(e)
		}
		// Become a listener: re-check the port against the other
		// holders now that SO_REUSEADDR no longer shares it.
		s.state = sockListening
		if portConflict(i) {
			s.state = sockOpen
			return errno(linux.EADDRINUSE)
		}
	}
	s.backlog = backlog
	// External IPv4 connections come through the kernel's TCP, the rest
	// (loopback, IPv6) through gVisor (socket_ktcp.go).
	if e := ktListen(i); e != 0 {
		if fresh {
			s.state = sockOpen
		}
		return errno(e)
	}
	post(i, netcall.EvListen)
	return 0
}

// sysAccept4 implements Linux syscall accept4(2).
func sysAccept4(a sysArgs) uintptr {
	s, li, f, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	flags := a[3]
	if flags&^(linux.SOCK_NONBLOCK|linux.SOCK_CLOEXEC) != 0 {
		return errno(linux.EINVAL)
	}
	if s.state != sockListening {
		return errno(linux.EINVAL)
	}
	if a[1] != 0 && !userRange(a[2], 4, true) {
		return errno(linux.EFAULT)
	}
	if e := acceptRoom(); e != 0 {
		// As Linux (the descriptor is reserved before a connection is
		// taken): the connection stays queued for a later accept.
		return errno(e)
	}
	deadline := timeoutDeadline(s.rcvTimeo)
	for s.acceptLen == 0 {
		if s.ktl >= 0 {
			c, e := ktAccept(li)
			if c >= 0 {
				return acceptFD(s, c, flags, a[1], a[2])
			}
			if e != linux.EAGAIN {
				return errno(e)
			}
		}
		if s.err != 0 {
			e := s.err
			s.err = 0
			return errno(e)
		}
		if nonblock(f) {
			return errno(linux.EAGAIN)
		}
		if e := sockWait(deadline); e != 0 {
			return errno(e)
		}
		if s.state != sockListening {
			return errno(linux.EINVAL)
		}
	}
	c := s.acceptHead
	s.acceptHead = socks[c].next
	if s.acceptHead < 0 {
		s.acceptTail = -1
	}
	s.acceptLen--
	socks[c].next = -1
	socks[c].parent = -1
	if s.acceptFull {
		s.acceptFull = false
		post(li, netcall.EvAcceptSpace)
	}
	sockChanged(li)
	return acceptFD(s, c, flags, a[1], a[2])
}

// acceptRoom reports whether an accepted connection can get a descriptor:
// EMFILE without a free descriptor, ENFILE without a free open file.
func acceptRoom() linux.Errno {
	free := false
	for i := range fds {
		if fds[i].file == 0 {
			free = true
			break
		}
	}
	if !free {
		return linux.EMFILE
	}
	for i := range files {
		if files[i].kind == kindFree {
			return 0
		}
	}
	return linux.ENFILE
}

// acceptFD opens the descriptor of listener s's accepted connection c and
// stores the peer's address at (addr, alenp).
func acceptFD(s *sock, c int32, flags, addr, alenp uintptr) uintptr {
	fd, nf := openFD(kindSocket, c, uint32(flags&linux.SOCK_NONBLOCK)|linux.O_RDWR, flags&linux.SOCK_CLOEXEC != 0)
	if nf < 0 {
		return fd
	}
	socks[c].file = nf
	if s.family == linux.AF_UNIX {
		if e := writeUnixAddr(socks[c].peer, addr, alenp); e != 0 {
			return errno(e)
		}
		return fd
	}
	if e := writeSockaddr(&socks[c].remote, addr, alenp); e != 0 {
		return errno(e)
	}
	return fd
}

// sysAccept implements Linux syscall accept(2).
func sysAccept(a sysArgs) uintptr { return sysAccept4(sysArgs{a[0], a[1], a[2], 0}) }

// routeLocal fills in the local address a connection from s to remote
// will use: loopback for loopback, else the stack's first address of the
// same kind. ok is false when there is none (no route).
func routeLocal(s *sock, remote *netcall.Sockaddr) bool {
	lip := saIP(&s.local)
	if !ipUnspecified(&lip) {
		return true
	}
	rip := saIP(remote)
	port := saPort(&s.local)
	v4 := ipIsV4(&rip)
	var ip [16]byte
	switch {
	case ipLoopback(&rip):
		ip = rip
		if v4 {
			ip[13], ip[14], ip[15] = 0, 0, 1
		}
	default:
		found := false
		for k := 0; k < netstack.naddrs; k++ {
			cand := saIP(&netstack.addrs[k])
			if ipIsV4(&cand) == v4 {
				ip, found = cand, true
				break
			}
		}
		if !found {
			return false
		}
	}
	s.local = makeSockaddr(s.family, &ip, port)
	return true
}

// makeSockaddr builds a sockaddr of family for ip (16-byte form).
func makeSockaddr(family uint16, ip *[16]byte, port uint16) (a netcall.Sockaddr) {
	a[0], a[1] = byte(family), byte(family>>8)
	setPort(&a, port)
	if family == linux.AF_INET {
		copy(a[4:8], ip[12:])
	} else {
		copy(a[8:24], ip[:])
	}
	return a
}

// fixRemote turns an unspecified destination into loopback, as Linux
// does ("connect to this host").
func fixRemote(s *sock, r *netcall.Sockaddr) {
	ip := saIP(r)
	if !ipUnspecified(&ip) {
		return
	}
	if ipIsV4(&ip) {
		ip[12] = 127
		ip[15] = 1
	} else {
		ip[15] = 1
	}
	*r = makeSockaddr(saFamily(r), &ip, saPort(r))
}

// sysConnect implements Linux syscall connect(2).
func sysConnect(a sysArgs) uintptr {
	s, i, f, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	if s.family == linux.AF_UNIX {
		return unixConnect(i, f, a[1], a[2])
	}
	if s.typ == linux.SOCK_DGRAM {
		return dgramConnect(s, i, a[1], a[2])
	}
	switch s.state {
	case sockConnected:
		return errno(linux.EISCONN)
	case sockConnecting:
		return errno(linux.EALREADY)
	case sockListening:
		return errno(linux.EISCONN)
	}
	var r netcall.Sockaddr
	if e := readSockaddr(s, a[1], a[2], &r); e != 0 {
		return errno(e)
	}
	if saPort(&r) == 0 {
		return errno(linux.ECONNREFUSED)
	}
	fixRemote(s, &r)
	rip := saIP(&r)
	if s.family == linux.AF_INET6 && ipIsV4(&rip) && s.flags&netcall.FlagV6Only != 0 {
		return errno(linux.ENETUNREACH)
	}
	if dst, ok := ktRoute(s, &r); ok {
		return ktConnect(i, f, &r, dst)
	}
	if saFamily(&s.local) == 0 {
		s.local = wildcardAddr(s)
	}
	if !routeLocal(s, &r) {
		return errno(linux.ENETUNREACH)
	}
	if e := autobind(i); e != 0 {
		return errno(linux.EADDRNOTAVAIL)
	}
	s.remote = r
	s.err, s.hup, s.rxEOF = 0, false, false
	s.state = sockConnecting
	post(i, netcall.EvConnect)
	return connectWait(i, f)
}

// connectWait ends connect(2) on stream socket i once its handshake has
// started (on either stack): EINPROGRESS for a non-blocking socket;
// otherwise it waits, within SO_SNDTIMEO, for the outcome.
func connectWait(i int32, f *file) uintptr {
	s := &socks[i]
	if nonblock(f) {
		return errno(linux.EINPROGRESS)
	}
	deadline := timeoutDeadline(s.sndTimeo)
	for ktSync(i); s.state == sockConnecting; ktSync(i) {
		if e := sockWait(deadline); e != 0 {
			if e == linux.EAGAIN {
				e = linux.EINPROGRESS
			}
			return errno(e)
		}
	}
	if s.err != 0 {
		e := s.err
		s.err = 0
		return errno(e)
	}
	return 0
}

func dgramConnect(s *sock, i int32, addr, alen uintptr) uintptr {
	if alen >= 2 && userRange(addr, 2, false) && *(*uint16)(kptr(addr)) == linux.AF_UNSPEC {
		s.remote = netcall.Sockaddr{}
		if s.state == sockConnected {
			s.state = sockOpen
		}
		post(i, netcall.EvConnect)
		return 0
	}
	var r netcall.Sockaddr
	if e := readSockaddr(s, addr, alen, &r); e != 0 {
		return errno(e)
	}
	fixRemote(s, &r)
	if saFamily(&s.local) == 0 {
		s.local = wildcardAddr(s)
	}
	if !s.port {
		if !routeLocal(s, &r) {
			return errno(linux.ENETUNREACH)
		}
		if e := autobind(i); e != 0 {
			return errno(e)
		}
	}
	s.remote = r
	s.state = sockConnected
	post(i, netcall.EvBind|netcall.EvConnect)
	return 0
}

// sysGetsockname implements Linux syscall getsockname(2).
func sysGetsockname(a sysArgs) uintptr {
	s, i, _, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	if s.family == linux.AF_UNIX {
		if a[1] == 0 {
			return errno(linux.EFAULT)
		}
		return errno(writeUnixAddr(i, a[1], a[2]))
	}
	l := s.local
	if saFamily(&l) == 0 {
		l = wildcardAddr(s)
	}
	if a[1] == 0 {
		return errno(linux.EFAULT)
	}
	return errno(writeSockaddr(&l, a[1], a[2]))
}

// sysGetpeername implements Linux syscall getpeername(2).
func sysGetpeername(a sysArgs) uintptr {
	s, i, _, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	if s.family == linux.AF_UNIX {
		if s.peer < 0 {
			return errno(linux.ENOTCONN)
		}
		if a[1] == 0 {
			return errno(linux.EFAULT)
		}
		return errno(writeUnixAddr(s.peer, a[1], a[2]))
	}
	if s.kt >= 0 {
		ktSync(i)
	}
	if s.state != sockConnected || saFamily(&s.remote) == 0 {
		return errno(linux.ENOTCONN)
	}
	if a[1] == 0 {
		return errno(linux.EFAULT)
	}
	return errno(writeSockaddr(&s.remote, a[1], a[2]))
}

// sysShutdown implements Linux syscall shutdown(2).
func sysShutdown(a sysArgs) uintptr {
	s, i, _, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	how := a[1]
	if how > linux.SHUT_RDWR {
		return errno(linux.EINVAL)
	}
	if s.kt >= 0 {
		ktSync(i)
	}
	if s.state != sockConnected && s.state != sockConnecting {
		return errno(linux.ENOTCONN)
	}
	if how == linux.SHUT_RD || how == linux.SHUT_RDWR {
		s.flags |= netcall.FlagShutRead
	}
	if how == linux.SHUT_WR || how == linux.SHUT_RDWR {
		s.flags |= netcall.FlagShutWrite
	}
	if s.family == linux.AF_UNIX {
		if p := s.peer; p >= 0 && s.flags&netcall.FlagShutWrite != 0 && s.typ != linux.SOCK_DGRAM {
			socks[p].rxEOF = true
			sockChanged(p)
		}
		sockChanged(i)
		return 0
	}
	if s.kt >= 0 {
		ktShutdown(i, how)
		return 0
	}
	post(i, netcall.EvShutdown)
	sockChanged(i)
	return 0
}

// uio is the program's side of a transfer: one buffer or an iovec array.
type uio struct {
	iov   uintptr // struct iovec array, or 0 for the single buffer
	cnt   uintptr
	base  uintptr
	n     uintptr
	total uintptr
	// checked: base is memory the caller already validated (read(2) and
	// write(2) pass checked program buffers; splice and sendfile pass
	// kernel memory).
	checked bool
	// AF_UNIX: the program's destination (sendto, sendmsg) or where the
	// sender's address goes (recvfrom, recvmsg), raw.
	to, tolen uintptr
}

// check validates the buffers and computes the total.
func (u *uio) check(write bool) linux.Errno {
	if u.iov == 0 {
		if !u.checked && !userRange(u.base, u.n, write) {
			return linux.EFAULT
		}
		u.total = u.n
		return 0
	}
	if u.cnt > 1024 {
		return linux.EMSGSIZE
	}
	if !userRange(u.iov, u.cnt*16, false) {
		return linux.EFAULT
	}
	u.total = 0
	for k := uintptr(0); k < u.cnt; k++ {
		b, l := uintptr(get64(u.iov+16*k)), uintptr(get64(u.iov+16*k+8))
		if !userRange(b, l, write) {
			return linux.EFAULT
		}
		u.total += l
	}
	return 0
}

// seg returns buffer k as a slice.
func (u *uio) seg(k uintptr) []byte {
	if u.iov == 0 {
		if k > 0 {
			return nil
		}
		return unsafeSlice(u.base, u.n)
	}
	b, l := uintptr(get64(u.iov+16*k)), uintptr(get64(u.iov+16*k+8))
	return unsafeSlice(b, l)
}

func (u *uio) segs() uintptr {
	if u.iov == 0 {
		return 1
	}
	return u.cnt
}

// sockSend sends the program's data. dst is the explicit destination
// (sendto/sendmsg), or nil.
func sockSend(i int32, f *file, u *uio, dst *netcall.Sockaddr, flags uintptr) uintptr {
	s := &socks[i]
	nb := nonblock(f) || flags&linux.MSG_DONTWAIT != 0
	if e := u.check(false); e != 0 {
		return errno(e)
	}
	if s.family == linux.AF_UNIX {
		return unixSend(i, u, u.to, u.tolen, flags, nb)
	}
	if s.typ == linux.SOCK_DGRAM {
		return dgramSend(s, i, u, dst, nb)
	}
	if s.kt >= 0 {
		return ktSend(i, u, flags, nb)
	}
	deadline := timeoutDeadline(s.sndTimeo)
	var done uintptr
	k, off := uintptr(0), 0
	for {
		if s.err != 0 {
			e := s.err
			s.err = 0
			return partial(done, e)
		}
		if s.flags&netcall.FlagShutWrite != 0 || s.hup || s.state == sockOpen || s.state == sockListening {
			if flags&linux.MSG_NOSIGNAL == 0 {
				sendSignal(cur(), sigPIPE)
			}
			return partial(done, linux.EPIPE)
		}
		if s.state == sockConnected && s.tx.free() > 0 {
			if !s.tx.alloc() {
				return partial(done, linux.ENOMEM)
			}
			for k < u.segs() && s.tx.free() > 0 {
				b := u.seg(k)[off:]
				n := len(b)
				if uint32(n) > s.tx.free() {
					n = int(s.tx.free())
				}
				s.tx.put(b[:n])
				done += uintptr(n)
				off += n
				if off == len(u.seg(k)) {
					k, off = k+1, 0
				}
			}
			post(i, netcall.EvSend)
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

func dgramSend(s *sock, i int32, u *uio, dst *netcall.Sockaddr, nb bool) uintptr {
	var to netcall.Sockaddr
	switch {
	case dst != nil:
		to = *dst
		fixRemote(s, &to)
	case s.state == sockConnected:
		to = s.remote
	default:
		return errno(linux.EDESTADDRREQ)
	}
	if s.flags&netcall.FlagShutWrite != 0 {
		return errno(linux.EPIPE)
	}
	if u.total > maxDgram {
		return errno(linux.EMSGSIZE)
	}
	if !s.port {
		if saFamily(&s.local) == 0 {
			s.local = wildcardAddr(s)
		}
		if e := autobind(i); e != 0 {
			return errno(e)
		}
		post(i, netcall.EvBind)
	}
	if !s.tx.alloc() {
		return errno(linux.ENOMEM)
	}
	deadline := timeoutDeadline(s.sndTimeo)
	for !s.tx.fits(uint32(u.total) + dgramHdr) {
		if nb {
			return errno(linux.EAGAIN)
		}
		if e := sockWait(deadline); e != 0 {
			return errno(e)
		}
	}
	var hdr [dgramHdr]byte
	*(*uint32)(unsafe.Pointer(&hdr[0])) = uint32(u.total)
	copy(hdr[4:], to[:])
	s.tx.put(hdr[:])
	for k := uintptr(0); k < u.segs(); k++ {
		s.tx.put(u.seg(k))
	}
	post(i, netcall.EvSend)
	return u.total
}

// sockRecv receives into the program's buffers; from (if not nil) gets
// the sender's address. It returns the count and the recvmsg flags.
func sockRecv(i int32, f *file, u *uio, from *netcall.Sockaddr, flags uintptr) (uintptr, uint32) {
	s := &socks[i]
	nb := nonblock(f) || flags&linux.MSG_DONTWAIT != 0
	peek := flags&linux.MSG_PEEK != 0
	if flags&linux.MSG_OOB != 0 {
		return errno(linux.EINVAL), 0
	}
	if e := u.check(true); e != 0 {
		return errno(e), 0
	}
	if s.family == linux.AF_UNIX {
		return unixRecv(i, u, u.to, u.tolen, flags, nb)
	}
	if s.kt >= 0 {
		return ktRecv(i, u, from, flags, nb)
	}
	deadline := timeoutDeadline(s.rcvTimeo)
	if s.typ == linux.SOCK_DGRAM {
		for {
			var addr netcall.Sockaddr
			if n, ok := s.rx.peekDgram(&addr); ok {
				done := uintptr(0)
				for k := uintptr(0); k < u.segs() && done < uintptr(n); k++ {
					done += uintptr(s.rx.peek(dgramHdr+uint32(done), u.seg(k)[:min(len(u.seg(k)), n-int(done))]))
				}
				if !peek {
					s.rx.r += dgramHdr + uint32(n)
					sockChanged(i)
				}
				if from != nil {
					*from = addr
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
			if s.err != 0 {
				e := s.err
				s.err = 0
				return errno(e), 0
			}
			if s.flags&netcall.FlagShutRead != 0 {
				return 0, 0
			}
			if nb {
				return errno(linux.EAGAIN), 0
			}
			if e := sockWait(deadline); e != 0 {
				return errno(e), 0
			}
		}
	}
	if u.total == 0 {
		return 0, 0
	}
	var done uintptr
	k, off := uintptr(0), 0
	for {
		if s.rx.used() > 0 {
			if peek {
				for j := uintptr(0); j < u.segs(); j++ {
					done += uintptr(s.rx.peek(uint32(done), u.seg(j)))
				}
				break
			}
			for k < u.segs() && s.rx.used() > 0 {
				seg := u.seg(k)
				n := s.rx.get(seg[off:])
				done += uintptr(n)
				off += n
				if off == len(seg) {
					k, off = k+1, 0
				}
			}
			if s.rxFull {
				s.rxFull = false
				post(i, netcall.EvRecvSpace)
			}
			// No sockChanged: reading only lowers readiness.
			if flags&linux.MSG_WAITALL == 0 || done == u.total {
				break
			}
		}
		if s.err != 0 {
			if done > 0 {
				break
			}
			e := s.err
			s.err = 0
			return errno(e), 0
		}
		if s.rxEOF || s.flags&netcall.FlagShutRead != 0 || s.hup {
			break
		}
		if s.state != sockConnected && s.state != sockConnecting {
			if done > 0 {
				break
			}
			return errno(linux.ENOTCONN), 0
		}
		if nb {
			if done > 0 {
				break
			}
			return errno(linux.EAGAIN), 0
		}
		if e := sockWait(deadline); e != 0 {
			if done > 0 {
				break
			}
			return errno(e), 0
		}
	}
	if from != nil {
		*from = s.remote
	}
	return done, 0
}

// sockRead and sockWrite serve read(2)/write(2) family calls on sockets.
func sockRead(f *file, b []byte) uintptr {
	u := uio{base: uintptr(unsafe.Pointer(unsafe.SliceData(b))), n: uintptr(len(b)), checked: true}
	n, _ := sockRecv(f.obj, f, &u, nil, 0)
	return n
}

func sockWrite(f *file, b []byte) uintptr {
	u := uio{base: uintptr(unsafe.Pointer(unsafe.SliceData(b))), n: uintptr(len(b)), checked: true}
	return sockSend(f.obj, f, &u, nil, 0)
}

// sysSendto implements Linux syscall sendto(2).
func sysSendto(a sysArgs) uintptr {
	s, i, f, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	u := uio{base: a[1], n: a[2]}
	return sendTo(s, i, f, &u, a[4], a[5], a[3])
}

// sendTo sends u on socket i to the program's address (name, namelen),
// if any: the kernel's AF_UNIX sockets read it themselves, Internet
// datagram sockets send to it; connected stream sockets ignore it.
func sendTo(s *sock, i int32, f *file, u *uio, name, namelen, flags uintptr) uintptr {
	if s.family == linux.AF_UNIX {
		u.to, u.tolen = name, namelen
		return sockSend(i, f, u, nil, flags)
	}
	if name == 0 || s.typ != linux.SOCK_DGRAM {
		return sockSend(i, f, u, nil, flags)
	}
	var to netcall.Sockaddr
	if e := readSockaddr(s, name, namelen, &to); e != 0 {
		return errno(e)
	}
	return sockSend(i, f, u, &to, flags)
}

// sysRecvfrom implements Linux syscall recvfrom(2).
func sysRecvfrom(a sysArgs) uintptr {
	s, i, f, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	if a[4] != 0 && !userRange(a[5], 4, true) {
		return errno(linux.EFAULT)
	}
	u := uio{base: a[1], n: a[2]}
	if s.family == linux.AF_UNIX {
		u.to, u.tolen = a[4], a[5]
		n, _ := sockRecv(i, f, &u, nil, a[3])
		return n
	}
	var from netcall.Sockaddr
	n, _ := sockRecv(i, f, &u, &from, a[3])
	if int(n) >= 0 && a[4] != 0 && saFamily(&from) != 0 {
		if e := writeSockaddr(&from, a[4], a[5]); e != 0 {
			return errno(e)
		}
	} else if int(n) >= 0 && a[4] != 0 {
		put32(a[5], 0)
	}
	return n
}

// msghdr reads the fields of a struct user_msghdr.
func msghdr(p uintptr, write bool) (linux.Msghdr, bool) {
	if !userRange(p, unsafe.Sizeof(linux.Msghdr{}), write) {
		return linux.Msghdr{}, false
	}
	return *(*linux.Msghdr)(kptr(p)), true
}

// sysSendmsg implements Linux syscall sendmsg(2).
func sysSendmsg(a sysArgs) uintptr {
	s, i, f, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	m, ok := msghdr(a[1], false)
	if !ok {
		return errno(linux.EFAULT)
	}
	if m.Controllen != 0 {
		return errno(linux.EINVAL) // no control messages yet (SCM_RIGHTS)
	}
	u := uio{iov: uintptr(m.Iov), cnt: uintptr(m.Iovlen)}
	if m.Iovlen == 0 {
		u = uio{base: userMin}
	}
	return sendTo(s, i, f, &u, uintptr(m.Name), uintptr(m.Namelen), a[2])
}

// sysRecvmsg implements Linux syscall recvmsg(2).
func sysRecvmsg(a sysArgs) uintptr {
	s, i, f, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	m, ok := msghdr(a[1], true)
	if !ok {
		return errno(linux.EFAULT)
	}
	u := uio{iov: uintptr(m.Iov), cnt: uintptr(m.Iovlen)}
	if m.Iovlen == 0 {
		u = uio{base: userMin}
	}
	if s.family == linux.AF_UNIX {
		hdr := (*linux.Msghdr)(kptr(a[1]))
		if m.Name != 0 {
			u.to, u.tolen = uintptr(m.Name), a[1]+8 // msg_namelen
		}
		n, mf := sockRecv(i, f, &u, nil, a[2])
		if int(n) < 0 {
			return n
		}
		if m.Name == 0 {
			hdr.Namelen = 0
		}
		hdr.Controllen = 0
		hdr.Flags = int32(mf)
		return n
	}
	var from netcall.Sockaddr
	n, mf := sockRecv(i, f, &u, &from, a[2])
	if int(n) < 0 {
		return n
	}
	hdr := (*linux.Msghdr)(kptr(a[1]))
	if m.Name != 0 {
		if saFamily(&from) == 0 {
			hdr.Namelen = 0
		} else {
			l := uint32(16)
			if saFamily(&from) == linux.AF_INET6 {
				l = 28
			}
			c := min(l, m.Namelen)
			if !userRange(uintptr(m.Name), uintptr(c), true) {
				return errno(linux.EFAULT)
			}
			copy(unsafeSlice(uintptr(m.Name), uintptr(c)), from[:c])
			hdr.Namelen = l
		}
	}
	hdr.Controllen = 0
	hdr.Flags = int32(mf)
	return n
}

// Socket options.

func getInt(p, l uintptr) (int32, linux.Errno) {
	if l < 4 {
		return 0, linux.EINVAL
	}
	if !userRange(p, 4, false) {
		return 0, linux.EFAULT
	}
	return *(*int32)(kptr(p)), 0
}

func setFlag(s *sock, flag uint16, v int32) {
	if v != 0 {
		s.flags |= flag
	} else {
		s.flags &^= flag
	}
}

// timeval reads a struct timeval as nanoseconds.
func timeval(p, l uintptr) (int64, linux.Errno) {
	if l < 16 {
		return 0, linux.EINVAL
	}
	if !userRange(p, 16, false) {
		return 0, linux.EFAULT
	}
	sec, usec := int64(get64(p)), int64(get64(p+8))
	if usec < 0 || usec >= 1e6 {
		return 0, linux.EDOM
	}
	if sec < 0 {
		return 0, 0 // as Linux: a negative timeout means none
	}
	return sec*1e9 + usec*1e3, 0
}

// sysSetsockopt implements Linux syscall setsockopt(2).
func sysSetsockopt(a sysArgs) uintptr {
	s, i, _, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	level, name, p, l := a[1], a[2], a[3], a[4]
	stack := false // the stack needs to hear about it
	switch level {
	case linux.SOL_SOCKET:
		switch name {
		case linux.SO_RCVTIMEO, linux.SO_SNDTIMEO:
			ns, e := timeval(p, l)
			if e != 0 {
				return errno(e)
			}
			if name == linux.SO_RCVTIMEO {
				s.rcvTimeo = ns
			} else {
				s.sndTimeo = ns
			}
			return 0
		case linux.SO_LINGER:
			if l < 8 {
				return errno(linux.EINVAL)
			}
			if !userRange(p, 8, false) {
				return errno(linux.EFAULT)
			}
			if *(*int32)(kptr(p)) != 0 {
				s.linger = *(*int32)(kptr(p + 4))
			} else {
				s.linger = -1
			}
			stack = true
		case linux.SO_BINDTODEVICE:
			return 0 // one interface
		default:
			v, e := getInt(p, l)
			if e != 0 {
				return errno(e)
			}
			switch name {
			case linux.SO_REUSEADDR:
				setFlag(s, netcall.FlagReuseAddr, v)
			case linux.SO_REUSEPORT:
				setFlag(s, netcall.FlagReusePort, v)
			case linux.SO_KEEPALIVE:
				setFlag(s, netcall.FlagKeepAlive, v)
				stack = true
			case linux.SO_BROADCAST:
				setFlag(s, netcall.FlagBroadcast, v)
				stack = true
			case linux.SO_RCVBUF, linux.SO_RCVBUFFORCE:
				s.rcvBuf = max(v, 256)
				stack = true
			case linux.SO_SNDBUF, linux.SO_SNDBUFFORCE:
				s.sndBuf = max(v, 256)
				stack = true
			case linux.SO_OOBINLINE, linux.SO_PRIORITY, linux.SO_MARK, linux.SO_TIMESTAMP,
				linux.SO_RCVLOWAT, linux.SO_DONTROUTE, linux.SO_ZEROCOPY, linux.SO_BUSY_POLL,
				linux.SO_PASSCRED, linux.SO_NO_CHECK:
				// Accepted without effect.
			default:
				return errno(linux.ENOPROTOOPT)
			}
		}
	case linux.SOL_TCP:
		if s.typ != linux.SOCK_STREAM || s.family == linux.AF_UNIX {
			return errno(linux.EOPNOTSUPP)
		}
		if name == linux.TCP_CONGESTION {
			return 0
		}
		v, e := getInt(p, l)
		if e != 0 {
			return errno(e)
		}
		switch name {
		case linux.TCP_NODELAY:
			setFlag(s, netcall.FlagNoDelay, v)
			stack = true
		case linux.TCP_KEEPIDLE, linux.TCP_KEEPINTVL, linux.TCP_KEEPCNT:
			if v < 1 || v > 32767 {
				return errno(linux.EINVAL)
			}
			switch name {
			case linux.TCP_KEEPIDLE:
				s.keepIdle = v
			case linux.TCP_KEEPINTVL:
				s.keepIntvl = v
			default:
				s.keepCnt = v
			}
			stack = true
		case linux.TCP_QUICKACK, linux.TCP_CORK, linux.TCP_USER_TIMEOUT, linux.TCP_MAXSEG,
			linux.TCP_DEFER_ACCEPT, linux.TCP_FASTOPEN, linux.TCP_FASTOPEN_CONNECT,
			linux.TCP_NOTSENT_LOWAT, linux.TCP_LINGER2, linux.TCP_SYNCNT, linux.TCP_WINDOW_CLAMP:
			// Accepted without effect.
		default:
			return errno(linux.ENOPROTOOPT)
		}
	case linux.SOL_IPV6:
		if s.family != linux.AF_INET6 {
			return errno(linux.ENOPROTOOPT)
		}
		v, e := getInt(p, l)
		if e != 0 {
			return errno(e)
		}
		switch name {
		case linux.IPV6_V6ONLY:
			if s.port {
				return errno(linux.EINVAL)
			}
			setFlag(s, netcall.FlagV6Only, v)
		case linux.IPV6_UNICAST_HOPS, linux.IPV6_TCLASS, linux.IPV6_MULTICAST_HOPS,
			linux.IPV6_MULTICAST_LOOP, linux.IPV6_MULTICAST_IF, linux.IPV6_RECVPKTINFO:
		default:
			return errno(linux.ENOPROTOOPT)
		}
	case linux.SOL_IP:
		v, e := getInt(p, l)
		if e != 0 {
			return errno(e)
		}
		switch name {
		case linux.IP_TTL:
			if v < -1 || v == 0 || v > 255 {
				return errno(linux.EINVAL)
			}
			s.ttl = v
		case linux.IP_TOS, linux.IP_MULTICAST_TTL, linux.IP_MULTICAST_LOOP, linux.IP_MULTICAST_IF,
			linux.IP_RECVERR, linux.IP_PKTINFO:
		default:
			return errno(linux.ENOPROTOOPT)
		}
	default:
		return errno(linux.ENOPROTOOPT)
	}
	if stack && s.kt >= 0 && (name == linux.SO_KEEPALIVE || s.flags&netcall.FlagKeepAlive != 0 &&
		(name == linux.TCP_KEEPIDLE || name == linux.TCP_KEEPINTVL || name == linux.TCP_KEEPCNT)) {
		ktKeepalive(s)
	}
	if stack && (name == linux.SO_RCVBUF || name == linux.SO_SNDBUF ||
		name == linux.SO_RCVBUFFORCE || name == linux.SO_SNDBUFFORCE) {
		if s.ktl >= 0 {
			ktBuffers(s, s.ktl)
		}
		if s.kt >= 0 {
			ktBuffers(s, s.kt) // a connection: the sizes its rings may grow to
		}
	}
	if stack && s.known {
		post(i, netcall.EvOpts)
	}
	return 0
}

// sysGetsockopt implements Linux syscall getsockopt(2).
func sysGetsockopt(a sysArgs) uintptr {
	s, i, _, e := sockOf(a[0])
	if e != 0 {
		return errno(e)
	}
	level, name, p, lp := a[1], a[2], a[3], a[4]
	if !userRange(lp, 4, true) {
		return errno(linux.EFAULT)
	}
	l := int32(*(*uint32)(kptr(lp)))
	if l < 0 {
		return errno(linux.EINVAL)
	}
	flag := func(f uint16) int32 {
		if s.flags&f != 0 {
			return 1
		}
		return 0
	}
	var v int32
	switch level {
	case linux.SOL_SOCKET:
		switch name {
		case linux.SO_TYPE:
			v = int32(s.typ)
		case linux.SO_DOMAIN:
			v = int32(s.family)
		case linux.SO_PROTOCOL:
			v = int32(s.proto)
		case linux.SO_ERROR:
			if s.kt >= 0 {
				ktSync(i)
			}
			v = int32(s.err)
			s.err = 0
		case linux.SO_ACCEPTCONN:
			if s.state == sockListening {
				v = 1
			}
		case linux.SO_REUSEADDR:
			v = flag(netcall.FlagReuseAddr)
		case linux.SO_REUSEPORT:
			v = flag(netcall.FlagReusePort)
		case linux.SO_KEEPALIVE:
			v = flag(netcall.FlagKeepAlive)
		case linux.SO_BROADCAST:
			v = flag(netcall.FlagBroadcast)
		case linux.SO_RCVBUF:
			v = sockBufSize
			if s.rcvBuf > 0 {
				v = 2 * s.rcvBuf
			}
		case linux.SO_SNDBUF:
			v = sockBufSize
			if s.sndBuf > 0 {
				v = 2 * s.sndBuf
			}
		case linux.SO_LINGER:
			var lg [2]int32
			if s.linger >= 0 {
				lg = [2]int32{1, s.linger}
			}
			return getsockoptOut(p, lp, unsafe.Slice((*byte)(unsafe.Pointer(&lg[0])), 8), l)
		case linux.SO_RCVTIMEO, linux.SO_SNDTIMEO:
			ns := s.rcvTimeo
			if name == linux.SO_SNDTIMEO {
				ns = s.sndTimeo
			}
			tv := [2]int64{ns / 1e9, ns % 1e9 / 1e3}
			return getsockoptOut(p, lp, unsafe.Slice((*byte)(unsafe.Pointer(&tv[0])), 16), l)
		case linux.SO_OOBINLINE, linux.SO_PRIORITY, linux.SO_MARK, linux.SO_TIMESTAMP, linux.SO_DONTROUTE:
			v = 0
		case linux.SO_RCVLOWAT, linux.SO_SNDLOWAT:
			v = 1
		case linux.SO_PEERCRED:
			if s.family != linux.AF_UNIX {
				return errno(linux.ENOPROTOOPT)
			}
			cred := [3]uint32{1, 0, 0} // pid 1, root
			return getsockoptOut(p, lp, unsafe.Slice((*byte)(unsafe.Pointer(&cred[0])), 12), l)
		default:
			return errno(linux.ENOPROTOOPT)
		}
	case linux.SOL_TCP:
		if s.typ != linux.SOCK_STREAM || s.family == linux.AF_UNIX {
			return errno(linux.EOPNOTSUPP)
		}
		switch name {
		case linux.TCP_NODELAY:
			v = flag(netcall.FlagNoDelay)
		case linux.TCP_KEEPIDLE:
			v = s.keepIdle
			if v == 0 {
				v = 7200
			}
		case linux.TCP_KEEPINTVL:
			v = s.keepIntvl
			if v == 0 {
				v = 75
			}
		case linux.TCP_KEEPCNT:
			v = s.keepCnt
			if v == 0 {
				v = 9
			}
		case linux.TCP_MAXSEG:
			v = 1460
		case linux.TCP_QUICKACK, linux.TCP_CORK, linux.TCP_USER_TIMEOUT:
			v = 0
		default:
			return errno(linux.ENOPROTOOPT)
		}
	case linux.SOL_IPV6:
		if s.family != linux.AF_INET6 {
			return errno(linux.ENOPROTOOPT)
		}
		switch name {
		case linux.IPV6_V6ONLY:
			v = flag(netcall.FlagV6Only)
		case linux.IPV6_UNICAST_HOPS:
			v = 64
		case linux.IPV6_TCLASS:
			v = 0
		default:
			return errno(linux.ENOPROTOOPT)
		}
	case linux.SOL_IP:
		switch name {
		case linux.IP_TTL:
			v = s.ttl
		case linux.IP_TOS:
			v = 0
		default:
			return errno(linux.ENOPROTOOPT)
		}
	default:
		return errno(linux.ENOPROTOOPT)
	}
	return getsockoptOut(p, lp, unsafe.Slice((*byte)(unsafe.Pointer(&v)), 4), l)
}

// getsockoptOut copies an option value out, truncated to the program's
// length, and stores the length written.
func getsockoptOut(p, lp uintptr, val []byte, l int32) uintptr {
	n := uintptr(len(val))
	if uintptr(l) < n {
		n = uintptr(l)
	}
	if !userRange(p, n, true) {
		return errno(linux.EFAULT)
	}
	copy(unsafeSlice(p, n), val[:n])
	put32(lp, uint32(n))
	return 0
}

// sockFionread answers FIONREAD for a socket.
func sockFionread(i int32) uint32 {
	s := &socks[i]
	if s.typ == linux.SOCK_DGRAM {
		var a netcall.Sockaddr
		n, _ := s.rx.peekDgram(&a)
		return uint32(n)
	}
	if s.kt >= 0 {
		return uint32(ktStack.Readable(s.kt))
	}
	return s.rx.used()
}

// sockOutq answers SIOCOUTQ for a socket: the bytes written and not yet
// acknowledged by the peer (on the gVisor path, not yet handed to the
// stack).
func sockOutq(i int32) uint32 {
	s := &socks[i]
	if s.kt >= 0 {
		return uint32(ktStack.Unsent(s.kt))
	}
	if s.typ == linux.SOCK_DGRAM || s.family == linux.AF_UNIX {
		return 0
	}
	return s.tx.used()
}
