//go:build unigo_net

package core

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/net/ktcp"
	"unigo.dev/unigo/kernel/net/netcall"
)

// IPv4 TCP sockets on the kernel's own TCP (docs/adr/0012-kernel-tcp.md).
// When ktStack is set (ktnet.go), a stream socket whose peer is an IPv4
// address that is neither loopback nor one of the guest's own gets a ktcp
// connection, and its system calls call ktStack directly in trap context:
// data moves straight between the connection's rings and the program's
// buffers, with no netcall bridge and no goroutine. Everything else
// (loopback, connections to the guest's own addresses, IPv6, UDP) keeps
// the gVisor path of socket.go. A listener on a wildcard or an own IPv4
// address listens on both: ktcp takes the connections from the network,
// gVisor those over loopback and IPv6. The kernel's port table stays the
// authority for bind, listen and connect's ephemeral ports.
//
// A socket holds a ktcp connection in kt and a ktcp listener in ktl (-1:
// none). ktcp reports readiness changes through ktSockWake, which finds
// the socket through ktOwner and wakes its waiters and epolls
// (sockChanged): ktcp calls it when readiness may have risen (data, a
// FIN, an error, an established connection, room in the send ring); the
// system calls that only lower readiness (reading, writing) notify
// nobody, as on the gVisor path.

// ktDefaultMode is the TCP that serves IPv4 without unigo.net.tcp= (see
// ktnet.go): the kernel's.
const ktDefaultMode = ktModeKtcp

// ktOwners bounds the ktcp table indexes ktOwner maps directly; a larger
// index (a stack configured with more connections) is found by a scan.
const ktOwners = 4096

// ktOwner maps a ktcp table index to sockID+1 of the socket holding the
// connection or listener there, 0 for none.
var ktOwner [ktOwners]uint32

func ktIndex(id ktcp.ID) int32 { return int32(id) & 0xffff }

func ktOwn(id ktcp.ID, i int32) {
	if x := ktIndex(id); x < ktOwners {
		ktOwner[x] = sockID(i) + 1
	}
}

func ktDisown(id ktcp.ID) {
	if x := ktIndex(id); x < ktOwners {
		ktOwner[x] = 0
	}
}

// ktSockWake is ktcp's Config.Wake: the readiness of the socket holding
// id may have changed. It must not call ktStack (ktcp is in the middle of
// an operation).
func ktSockWake(id ktcp.ID) {
	if x := ktIndex(id); x < ktOwners {
		if o := ktOwner[x]; o != 0 {
			if i := sockByID(o - 1); i >= 0 && (socks[i].kt == id || socks[i].ktl == id) {
				sockChanged(i)
			}
		}
		return
	}
	for i := range socks {
		s := &socks[i]
		if s.state != sockFree && s.family != linux.AF_UNIX && (s.kt == id || s.ktl == id) {
			sockChanged(int32(i))
			return
		}
	}
}

// saV4 returns a's IPv4 address (AF_INET, or v4-mapped AF_INET6).
func saV4(a *netcall.Sockaddr) (ip [4]byte, ok bool) {
	x := saIP(a)
	if !ipIsV4(&x) {
		return ip, false
	}
	return [4]byte(x[12:16]), true
}

// v4Sockaddr builds a sockaddr of family (AF_INET, or AF_INET6 with a
// v4-mapped address) for ip:port.
func v4Sockaddr(family uint16, ip [4]byte, port uint16) netcall.Sockaddr {
	x := [16]byte{10: 0xff, 11: 0xff}
	copy(x[12:], ip[:])
	return makeSockaddr(family, &x, port)
}

// ktRoutable reports whether a TCP connection to dst can have a next hop
// (ktFrame's rule): not a multicast, broadcast (limited or of one of our
// subnets) or reserved address, and on-link or with a gateway. Linux's
// connect(2) fails such a destination with ENETUNREACH at once
// (ip_route_connect), where the SYN would otherwise be dropped unsent
// until the connect timed out.
func ktRoutable(dst [4]byte) bool {
	if dst[0] >= 224 || dst == [4]byte{} {
		return false
	}
	k := onLink(dst)
	if k < 0 {
		return ip4.hasGW
	}
	m := ip4.mask[k]
	return m >= 0xfffffffe || be32(dst[:])|m != ^uint32(0)
}

// ktRoute returns the IPv4 peer of a stream connection from s to r and
// whether it goes to ktcp (the routing rule above).
func ktRoute(s *sock, r *netcall.Sockaddr) ([4]byte, bool) {
	if ktStack == nil || s.typ != linux.SOCK_STREAM {
		return [4]byte{}, false
	}
	ip, ok := saV4(r)
	if !ok || ip[0] == 127 || ip == [4]byte{} || ktLocalIPv4(ip) {
		return ip, false
	}
	return ip, true
}

// ktListenAddr returns the IPv4 address a ktcp listener for s takes and
// whether s needs one: a wildcard (an AF_INET6 one only when dual-stack)
// or one of the guest's own IPv4 addresses.
func ktListenAddr(s *sock) ([4]byte, bool) {
	if ktStack == nil || s.typ != linux.SOCK_STREAM {
		return [4]byte{}, false
	}
	x := saIP(&s.local)
	if !ipIsV4(&x) {
		if s.family == linux.AF_INET6 && ipUnspecified(&x) && s.flags&netcall.FlagV6Only == 0 {
			return [4]byte{}, true
		}
		return [4]byte{}, false
	}
	ip := [4]byte(x[12:16])
	if ip == [4]byte{} {
		return ip, true
	}
	return ip, ip[0] != 127 && ktLocalIPv4(ip)
}

// ktListen gives listening socket i its ktcp listener when it needs one.
func ktListen(i int32) linux.Errno {
	s := &socks[i]
	if s.ktl >= 0 {
		ktStack.SetBacklog(s.ktl, int(s.backlog)) // listen(2) again
		return 0
	}
	ip, ok := ktListenAddr(s)
	if !ok {
		return 0
	}
	id, e := ktStack.Listen(ip, saPort(&s.local), int(s.backlog))
	switch e {
	case ktcp.OK:
	case ktcp.EADDRINUSE:
		// Another SO_REUSEPORT listener of the port has it: that one
		// takes the connections from the network.
		return 0
	default:
		return linux.Errno(e)
	}
	s.ktl = id
	ktOwn(id, i)
	ktBuffers(s, id)
	return 0
}

// ktBuffers applies SO_RCVBUF and SO_SNDBUF (doubled, as Linux) to a
// listener (for the connections it accepts), a connection whose SYN has
// not left (its rings are taken again at the new sizes; on ENOBUFS it
// keeps the old ones), or a connection (the sizes its rings may grow to;
// they never shrink).
func ktBuffers(s *sock, id ktcp.ID) {
	if s.rcvBuf > 0 || s.sndBuf > 0 {
		ktStack.SetBuffers(id, 2*int(s.rcvBuf), 2*int(s.sndBuf))
	}
}

// ktAccept takes a connection from listener li's ktcp queue as a new
// socket; it returns the socket, or -1 with the error (EAGAIN: none).
func ktAccept(li int32) (int32, linux.Errno) {
	l := &socks[li]
	if l.ktl < 0 || ktStack.Events(l.ktl)&ktcp.EvIn == 0 {
		return -1, linux.EAGAIN // nothing queued: no socket taken and given back
	}
	// The socket first, so that without one the connection stays queued.
	c := newSock(l.family, uint16(l.typ), l.proto)
	if c < 0 {
		return -1, linux.ENFILE
	}
	id, e := ktStack.Accept(l.ktl)
	if e != ktcp.OK {
		freeSock(c)
		return -1, linux.Errno(e)
	}
	cs := &socks[c]
	la, lp, ra, rp := ktStack.Addrs(id)
	cs.local, cs.remote = v4Sockaddr(l.family, la, lp), v4Sockaddr(l.family, ra, rp)
	cs.state = sockConnected
	cs.kt = id
	cs.flags = l.flags &^ (netcall.FlagShutRead | netcall.FlagShutWrite)
	cs.rcvBuf, cs.sndBuf = l.rcvBuf, l.sndBuf
	cs.keepIdle, cs.keepIntvl, cs.keepCnt, cs.linger = l.keepIdle, l.keepIntvl, l.keepCnt, l.linger
	ktOwn(id, c)
	if cs.flags&netcall.FlagKeepAlive != 0 {
		ktKeepalive(cs)
	}
	return c, 0
}

// ktConnect opens socket i's connection to the IPv4 peer dst (r) on ktcp.
func ktConnect(i int32, f *file, r *netcall.Sockaddr, dst [4]byte) uintptr {
	s := &socks[i]
	if saFamily(&s.local) == 0 {
		s.local = wildcardAddr(s)
	}
	if !ktRoutable(dst) {
		return errno(linux.ENETUNREACH)
	}
	src, ok := saV4(&s.local)
	if !ok || src == [4]byte{} {
		if src, ok = ktSourceIPv4(dst); !ok {
			return errno(linux.ENETUNREACH)
		}
		s.local = v4Sockaddr(s.family, src, saPort(&s.local))
	}
	if e := autobind(i); e != 0 {
		return errno(linux.EADDRNOTAVAIL)
	}
	id, e := ktStack.Connect(src, saPort(&s.local), dst, saPort(r), nanotime())
	switch e {
	case ktcp.OK:
	case ktcp.EADDRINUSE:
		return errno(linux.EADDRNOTAVAIL) // the four-tuple is taken (a TIME-WAIT), as Linux
	default:
		return errno(linux.Errno(e))
	}
	s.kt = id
	ktOwn(id, i)
	ktBuffers(s, id)
	s.remote = *r
	s.err, s.ktErr, s.hup, s.rxEOF = 0, false, false, false
	s.state = sockConnecting
	if s.flags&netcall.FlagKeepAlive != 0 {
		ktKeepalive(s)
	}
	ktPoll()
	return connectWait(i, f)
}

// ktSync brings socket i's state up to date with its connection: a
// connect(2) under way completes or fails (the socket is unconnected
// again, the error pending for SO_ERROR), and an error that ended the
// connection becomes pending once (reported by the next call or
// SO_ERROR, then the socket reads EOF and writes EPIPE, as Linux).
func ktSync(i int32) {
	s := &socks[i]
	if s.kt < 0 {
		return
	}
	e := ktStack.Err(s.kt)
	if s.state == sockConnecting {
		switch {
		case e != ktcp.OK:
			s.err = linux.Errno(e)
			s.state = sockOpen
			ktStack.Close(s.kt, nanotime())
			ktDisown(s.kt)
			s.kt = -1
			ktPoll()
		case ktStack.Established(s.kt):
			s.state = sockConnected
		}
		return
	}
	if e != ktcp.OK && !s.ktErr {
		s.ktErr = true
		s.err = linux.Errno(e)
	}
}

// ktReadiness returns the poll events of a socket on ktcp.
func ktReadiness(i int32) uint32 {
	s := &socks[i]
	if s.state == sockListening {
		var ev uint32
		if s.acceptLen > 0 || ktStack.Events(s.ktl)&ktcp.EvIn != 0 {
			ev |= linux.EPOLLIN
		}
		if s.err != 0 {
			ev |= linux.EPOLLERR
		}
		return ev
	}
	ktSync(i)
	var ev uint32
	if s.err != 0 {
		ev |= linux.EPOLLERR
	}
	switch {
	case s.state == sockConnecting:
		return ev
	case s.kt < 0: // a failed connect: unconnected again
		return ev | linux.EPOLLOUT | linux.EPOLLHUP
	}
	ev |= ktStack.Events(s.kt) &^ ktcp.EvErr
	if s.flags&netcall.FlagShutRead != 0 {
		ev |= linux.EPOLLIN | linux.EPOLLRDHUP
	}
	if s.flags&netcall.FlagShutWrite != 0 {
		ev |= linux.EPOLLOUT
	}
	return ev
}

// ktKeepalive applies socket s's keepalive options to its connection
// (Linux's defaults where the program set none).
func ktKeepalive(s *sock) {
	now := nanotime()
	if s.flags&netcall.FlagKeepAlive == 0 {
		ktStack.SetKeepalive(s.kt, 0, 0, 0, now)
		ktPoll()
		return
	}
	idle, intvl, cnt := s.keepIdle, s.keepIntvl, s.keepCnt
	if idle == 0 {
		idle = 7200
	}
	if intvl == 0 {
		intvl = 75
	}
	if cnt == 0 {
		cnt = 9
	}
	ktStack.SetKeepalive(s.kt, int64(idle)*1e9, int64(intvl)*1e9, int(cnt), now)
	ktPoll()
}

// ktClose gives socket i's connection and listener up (close(2)): with
// SO_LINGER and a zero timeout the connection is reset, otherwise it
// closes gracefully (a FIN after the queued data) on its own time.
func ktClose(i int32) {
	s := &socks[i]
	if s.kt >= 0 {
		if s.linger == 0 {
			ktStack.Abort(s.kt)
		} else {
			ktStack.Close(s.kt, nanotime())
		}
		ktDisown(s.kt)
		s.kt = -1
	}
	if s.ktl >= 0 {
		ktStack.Close(s.ktl, nanotime())
		ktDisown(s.ktl)
		s.ktl = -1
		ktHandOff(i)
	}
	ktPoll()
}

// ktHandOff gives the port of closing listener i to the other listening
// sockets of that port without a ktcp listener (SO_REUSEPORT: only one of
// them got it, the others share the port; a graceful restart closes the
// old one), so connections from the network keep coming in. Connections
// queued on the closed listener were reset with it, as Linux does.
func ktHandOff(i int32) {
	port := saPort(&socks[i].local)
	for j := range socks {
		o := &socks[j]
		if int32(j) != i && o.state == sockListening && o.family != linux.AF_UNIX &&
			o.ktl < 0 && saPort(&o.local) == port {
			ktListen(int32(j)) // EADDRINUSE: another one took it
		}
	}
}

// ktShutdown applies shutdown(2) to socket i's connection: SHUT_WR sends
// a FIN after the queued data (during a connect, once the handshake
// completes: ktcp keeps it); SHUT_RD is the socket's own (reads end).
func ktShutdown(i int32, how uintptr) {
	s := &socks[i]
	if s.kt >= 0 && how != linux.SHUT_RD && (s.state == sockConnected || s.state == sockConnecting) {
		ktStack.Shutdown(s.kt)
		ktPoll()
	}
	sockChanged(i)
}

// takeErr returns and clears a socket's pending error.
func takeErr(s *sock) linux.Errno {
	e := s.err
	s.err = 0
	return e
}

// ktSend writes the program's data into socket i's connection.
func ktSend(i int32, u *uio, flags uintptr, nb bool) uintptr {
	s := &socks[i]
	deadline := timeoutDeadline(s.sndTimeo)
	var done uintptr
	k, off := uintptr(0), 0
	for {
		ktSync(i)
		if s.err != 0 {
			return partial(done, takeErr(s))
		}
		if s.flags&netcall.FlagShutWrite != 0 || s.kt < 0 || s.state != sockConnected && s.state != sockConnecting {
			return ktEPIPE(done, flags)
		}
		last := ktcp.EAGAIN
		if s.state == sockConnected {
			wrote := false
			for k < u.segs() {
				seg := u.seg(k)
				if off == len(seg) {
					k, off = k+1, 0
					continue
				}
				n, e := ktStack.Write(s.kt, seg[off:])
				if n == 0 {
					last = e
					break
				}
				done += uintptr(n)
				off += n
				wrote = true
			}
			if wrote {
				ktPoll()
			}
			if done == u.total {
				return done
			}
		}
		switch last {
		case ktcp.EAGAIN:
		case ktcp.EPIPE:
			return ktEPIPE(done, flags)
		default:
			ktSync(i)
			if s.err != 0 && done == 0 {
				return errno(takeErr(s))
			}
			if done > 0 {
				return done
			}
			return ktEPIPE(done, flags)
		}
		if nb {
			return partial(done, linux.EAGAIN)
		}
		if e := sockWait(deadline); e != 0 {
			return partial(done, e)
		}
	}
}

// ktEPIPE ends a send on a connection that can send no more: EPIPE (or
// the bytes sent before), and SIGPIPE unless MSG_NOSIGNAL.
func ktEPIPE(done uintptr, flags uintptr) uintptr {
	if done > 0 {
		return done
	}
	if flags&linux.MSG_NOSIGNAL == 0 {
		sendSignal(cur(), sigPIPE)
	}
	return errno(linux.EPIPE)
}

// ktRecv reads socket i's connection into the program's buffers:
// MSG_PEEK leaves the bytes, MSG_WAITALL waits for all of them (unless
// the stream ends, an error, a signal or the timeout comes first).
func ktRecv(i int32, u *uio, from *netcall.Sockaddr, flags uintptr, nb bool) (uintptr, uint32) {
	s := &socks[i]
	peek := flags&linux.MSG_PEEK != 0
	deadline := timeoutDeadline(s.rcvTimeo)
	var done uintptr
	k, off := uintptr(0), 0
	for {
		ktSync(i)
		shutRd := s.flags&netcall.FlagShutRead != 0
		if shutRd && (s.kt < 0 || s.state != sockConnected) {
			break
		}
		if s.kt < 0 || s.state != sockConnected && s.state != sockConnecting {
			if s.err != 0 {
				return errno(takeErr(s)), 0
			}
			return errno(linux.ENOTCONN), 0
		}
		if u.total == 0 && s.state == sockConnected {
			return 0, 0
		}
		last := ktcp.EAGAIN
		if s.state == sockConnected {
			got := false
			for k < u.segs() {
				seg := u.seg(k)
				if off == len(seg) {
					k, off = k+1, 0
					continue
				}
				var n int
				var e ktcp.Errno
				if peek {
					n, e = ktStack.PeekAt(s.kt, int(done), seg[off:])
				} else {
					n, e = ktStack.Read(s.kt, seg[off:])
				}
				if n == 0 {
					last = e
					break
				}
				done += uintptr(n)
				off += n
				got = true
			}
			if got && !peek {
				ktPoll() // a window update may be due
			}
			if done == u.total || done > 0 && (peek || flags&linux.MSG_WAITALL == 0) {
				break
			}
		}
		if shutRd {
			// After shutdown(SHUT_RD) the bytes already received are
			// still read (Linux checks RCV_SHUTDOWN only when nothing
			// was copied); then reads end.
			goto out
		}
		switch last {
		case ktcp.EAGAIN:
		case ktcp.OK: // the end of the stream
			goto out
		default: // the connection failed: its error once, then EOF
			if done > 0 {
				goto out
			}
			ktSync(i)
			if s.err != 0 {
				return errno(takeErr(s)), 0
			}
			if last == ktcp.ENOTCONN {
				return errno(linux.ENOTCONN), 0
			}
			goto out
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
out:
	if from != nil {
		*from = s.remote
	}
	return done, 0
}
