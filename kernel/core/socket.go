//go:build unigo_net

package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/net/ktcp"
	"unigo.dev/unigo/kernel/net/netcall"
	"unigo.dev/unigo/kernel/vfs"
)

// Internet sockets, the kernel's half (docs/adr/0008-networking.md). A
// socket is an object in a fixed pool with two byte rings in kernel memory:
// the socket syscalls copy into and out of them in trap context and never
// wait for the network stack; the stack (package kernel/net, goroutines in
// the program's runtime) moves data between the rings and gVisor's
// endpoints through the netcall system call. The kernel owns everything
// the program can observe synchronously: port allocation (bind's
// EADDRINUSE), addresses, options, the accept queue, readiness.

const (
	maxSocks     = 1024
	sockBufPages = 16 // 64 KiB per ring at the most
	sockBufSize  = sockBufPages * 4096
	maxDgram     = 65507
	dgramHdr     = 32 // per datagram in a ring: length (4) + address (28)
	defBacklog   = 128
	waitKeySock  = directMapBase - 4096*6 // any socket state change
)

// The ephemeral port range; unigo.net.ports=LO-HI narrows it at boot
// (several guests sharing one address get disjoint ranges).
var ephemeralLo, ephemeralHi uint16 = 32768, 60999

// Socket states.
const (
	sockFree       = iota
	sockOpen       // created (maybe bound), not connected
	sockListening  // listen(2)
	sockConnecting // stream: handshake under way
	sockConnected  // stream: established; datagram: has a default peer
	sockOrphan     // closed by the program; the stack still flushes it
)

// ring is a byte ring in kernel memory, allocated on first use. It starts
// at sockBufMin bytes and doubles, up to sockBufSize, when it is found at
// least half full or too small for a datagram: an idle or chatty
// connection holds a page per direction, a bulk transfer gets the full
// size after a few writes. When memory is short a ring stays as it is: the
// writer sees less room and waits, rather than the program being killed.
type ring struct {
	buf  uintptr // direct-map address, 0 until allocated
	size uint32  // bytes at buf, a power of two
	r, w uint32  // free-running read and write counts
}

const sockBufMin = 4096

func (r *ring) used() uint32 { return r.w - r.r }

// free returns the room for more bytes, growing a ring that is at least
// half full if it can (an unallocated ring reports what alloc gives).
func (r *ring) free() uint32 {
	if r.buf == 0 {
		return sockBufMin
	}
	if r.used() >= r.size/2 && r.size < sockBufSize {
		r.grow()
	}
	return r.size - r.used()
}

// fits reports whether n more bytes fit, growing the ring for them if it
// can. Preconditions: the ring is allocated.
func (r *ring) fits(n uint32) bool {
	for r.size-r.used() < n && r.size < sockBufSize && r.grow() {
	}
	return r.size-r.used() >= n
}

// ringPages allocates and frees ring memory (direct-map addresses, n
// bytes); a variable so that hosted tests can back rings with Go memory.
var ringPages = struct {
	alloc func(n uint32) (uintptr, bool)
	free  func(va uintptr, n uint32)
}{allocRingPages, freeRingPages}

func allocRingPages(n uint32) (uintptr, bool) {
	pa, ok := allocPages(uintptr(n / 4096))
	return directMapBase + pa, ok
}

func freeRingPages(va uintptr, n uint32) { freePages(va-directMapBase, uintptr(n/4096)) }

// grow doubles the ring, keeping its contents.
func (r *ring) grow() bool {
	n := r.size * 2
	nb, ok := ringPages.alloc(n)
	if !ok {
		return false
	}
	used := r.used()
	r.peek(0, unsafe.Slice((*byte)(kptr(nb)), used))
	ringPages.free(r.buf, r.size)
	r.buf, r.size, r.r, r.w = nb, n, 0, used
	return true
}

func (r *ring) alloc() bool {
	if r.buf != 0 {
		return true
	}
	va, ok := ringPages.alloc(sockBufMin)
	if !ok {
		return false
	}
	r.buf, r.size = va, sockBufMin
	return true
}

func (r *ring) release() {
	if r.buf != 0 {
		ringPages.free(r.buf, r.size)
	}
	*r = ring{}
}

// put appends b; the caller checked free() (or fits) and alloc().
func (r *ring) put(b []byte) {
	for len(b) > 0 {
		off := r.w % r.size
		n := copy(unsafe.Slice((*byte)(kptr(r.buf+uintptr(off))), r.size-off), b)
		b = b[n:]
		r.w += uint32(n)
	}
}

// peek copies up to len(b) bytes starting skip bytes past the read
// position, without consuming them.
func (r *ring) peek(skip uint32, b []byte) int {
	avail := r.used() - skip
	if uint32(len(b)) > avail {
		b = b[:avail]
	}
	done := 0
	pos := r.r + skip
	for done < len(b) {
		off := pos % r.size
		n := copy(b[done:], unsafe.Slice((*byte)(kptr(r.buf+uintptr(off))), r.size-off))
		done += n
		pos += uint32(n)
	}
	return done
}

// get consumes up to len(b) bytes.
func (r *ring) get(b []byte) int {
	n := r.peek(0, b)
	r.r += uint32(n)
	return n
}

// Datagram records: length (4 bytes), address (28), payload.
func (r *ring) putDgram(b []byte, addr *netcall.Sockaddr) {
	var hdr [dgramHdr]byte
	*(*uint32)(unsafe.Pointer(&hdr[0])) = uint32(len(b))
	copy(hdr[4:], addr[:])
	r.put(hdr[:])
	r.put(b)
}

// peekDgram returns the next datagram's length and address.
func (r *ring) peekDgram(addr *netcall.Sockaddr) (int, bool) {
	if r.used() < dgramHdr {
		return 0, false
	}
	var hdr [dgramHdr]byte
	r.peek(0, hdr[:])
	copy(addr[:], hdr[4:])
	return int(*(*uint32)(unsafe.Pointer(&hdr[0]))), true
}

// getDgram copies the next datagram into b (truncating) and drops it
// unless peek; it returns the datagram's full length.
func (r *ring) getDgram(b []byte, addr *netcall.Sockaddr, peek bool) int {
	n, ok := r.peekDgram(addr)
	if !ok {
		return -1
	}
	if len(b) > n {
		b = b[:n]
	}
	r.peek(dgramHdr, b)
	if !peek {
		r.r += dgramHdr + uint32(n)
	}
	return n
}

// sock is an Internet socket.
type sock struct {
	gen       uint16 // bumped at every reuse of the slot; ids carry it
	state     uint8
	typ       uint8 // SOCK_STREAM, SOCK_DGRAM
	family    uint16
	proto     uint16
	file      int32 // the open file, -1 when none (queued children, orphans)
	flags     uint16
	known     bool // the stack has seen it (it must release it)
	port      bool // local holds a port this socket reserves (bind, listen, UDP)
	rxEOF     bool // no more data will arrive
	hup       bool // the connection is gone (reset, or fully closed)
	rxFull    bool // the stack found the receive ring full
	stackFull bool // the stack holds sent data gVisor did not take (StateTxFull)
	ktErr     bool // ktcp: the connection's error was made pending (socket_ktcp.go)
	err       linux.Errno

	// The kernel's TCP (socket_ktcp.go): the connection and the listener
	// this socket holds, -1 for none.
	kt, ktl ktcp.ID

	local, remote netcall.Sockaddr
	rx, tx        ring

	backlog    int32
	acceptHead int32 // queue of connected children (by index), -1 when empty
	acceptTail int32
	acceptLen  int32
	acceptFull bool  // the stack was refused: tell it when there is room
	next       int32 // link in the parent's accept queue
	parent     int32

	// Work for the stack.
	pend     uint32
	pendNext int32
	queued   bool

	// AF_UNIX (unix.go)
	peer     int32   // the connected socket, -1 when none
	uaddr    uintptr // kmem copy of the bound sockaddr_un, 0 when unbound
	uaddrLen uint8
	uino     vfs.Ino // the bound S_IFSOCK node, referenced while bound (0: abstract or unbound)

	rcvBuf, sndBuf               int32
	keepIdle, keepIntvl, keepCnt int32
	linger                       int32
	rcvTimeo, sndTimeo           int64 // nanoseconds, 0 = none
	ttl                          int32
}

var (
	socks    [maxSocks]sock
	pendHead int32 = -1
	pendTail int32 = -1
	nextPort uint16
)

// netstack is the attached network stack.
var netstack struct {
	attached bool
	evfd     int32 // eventfd pool index
	addrs    [8]netcall.Sockaddr
	naddrs   int
}

func sockID(i int32) uint32 { return uint32(socks[i].gen)<<16 | uint32(i) }

// sockByID returns the socket an id names, or -1 for a stale id.
func sockByID(id uint32) int32 {
	i := int32(id & 0xFFFF)
	if i >= maxSocks || socks[i].state == sockFree || uint32(socks[i].gen) != id>>16 {
		return -1
	}
	return i
}

// newSock takes a free slot.
func newSock(family, typ, proto uint16) int32 {
	for i := range socks {
		s := &socks[i]
		if s.state == sockFree {
			gen := s.gen + 1
			*s = sock{gen: gen, state: sockOpen, family: family, typ: uint8(typ), proto: proto,
				file: -1, acceptHead: -1, acceptTail: -1, next: -1, parent: -1, pendNext: -1, peer: -1,
				linger: -1, ttl: 64, kt: -1, ktl: -1}
			return int32(i)
		}
	}
	return -1
}

// freeSock returns a socket's memory and slot.
func freeSock(i int32) {
	s := &socks[i]
	s.rx.release()
	s.tx.release()
	freeUnixAddr(s)
	if s.queued {
		unqueue(i)
	}
	gen := s.gen
	*s = sock{gen: gen}
}

// post records work for the stack and wakes it.
func post(i int32, ev uint32) {
	s := &socks[i]
	s.known = true
	s.pend |= ev
	if !s.queued {
		s.queued = true
		s.pendNext = -1
		if pendTail < 0 {
			pendHead = i
		} else {
			socks[pendTail].pendNext = i
		}
		pendTail = i
	}
	netSignal()
}

func unqueue(i int32) {
	p := &pendHead
	prev := int32(-1)
	for *p >= 0 {
		if *p == i {
			*p = socks[i].pendNext
			if pendTail == i {
				pendTail = prev
			}
			break
		}
		prev = *p
		p = &socks[*p].pendNext
	}
	socks[i].queued = false
	socks[i].pend = 0
}

// txFull reports whether s's send ring is full. Only then does taking
// data out of it make the socket writable: a rising edge that epoll and
// blocked writers must see. Otherwise it was writable already, and a
// wake-up would only cost the program a spurious epoll event (Linux, too,
// signals write space only to a writer that found none).
func txFull(s *sock) bool { return s.tx.buf != 0 && s.tx.used() == s.tx.size }

// sockChanged wakes whoever waits on socket i (epoll, blocked syscalls).
func sockChanged(i int32) {
	notify(socks[i].file)
	wakeAll(waitKeySock)
}

// sockClosed is called when the program's last reference goes.
func sockClosed(i int32) {
	s := &socks[i]
	s.file = -1
	if s.family == linux.AF_UNIX {
		unixClosed(i)
		return
	}
	if s.kt >= 0 || s.ktl >= 0 {
		ktClose(i)
	}
	// Children nobody accepted are closed with their listener.
	for c := s.acceptHead; c >= 0; {
		n := socks[c].next
		socks[c].next = -1
		socks[c].parent = -1
		orphan(c)
		c = n
	}
	s.acceptHead, s.acceptTail, s.acceptLen = -1, -1, 0
	orphan(i)
	wakeAll(waitKeySock)
}

// orphan hands a socket the program no longer has to the stack to flush
// and release, or frees it if the stack never saw it.
func orphan(i int32) {
	s := &socks[i]
	// As on Linux, the port is free again at once (the stack closes its
	// endpoint before it handles any later bind).
	s.port = false
	if !s.known || !netstack.attached {
		freeSock(i)
		return
	}
	s.state = sockOrphan
	post(i, netcall.EvClose)
}

// sockReadiness returns the poll events of socket i.
func sockReadiness(i int32) uint32 {
	s := &socks[i]
	if s.family == linux.AF_UNIX {
		return unixReadiness(i)
	}
	if s.kt >= 0 || s.ktl >= 0 {
		return ktReadiness(i)
	}
	var ev uint32
	if s.err != 0 {
		ev |= linux.EPOLLERR
	}
	switch s.state {
	case sockListening:
		if s.acceptLen > 0 {
			ev |= linux.EPOLLIN
		}
		return ev
	case sockConnecting:
		return ev
	}
	if s.typ == linux.SOCK_DGRAM {
		var a netcall.Sockaddr
		if _, ok := s.rx.peekDgram(&a); ok {
			ev |= linux.EPOLLIN
		}
		if s.tx.free() >= dgramHdr+1024 || s.tx.buf == 0 {
			ev |= linux.EPOLLOUT
		}
		return ev
	}
	if s.state == sockOpen {
		// An unconnected stream socket: Linux reports it writable and hung up.
		return ev | linux.EPOLLOUT | linux.EPOLLHUP
	}
	if s.rx.used() > 0 || s.rxEOF || s.hup || s.flags&netcall.FlagShutRead != 0 {
		ev |= linux.EPOLLIN
	}
	if s.rxEOF || s.flags&netcall.FlagShutRead != 0 {
		ev |= linux.EPOLLRDHUP
	}
	if s.hup || (s.rxEOF && s.flags&netcall.FlagShutWrite != 0) {
		ev |= linux.EPOLLHUP
	}
	if s.hup || s.flags&netcall.FlagShutWrite != 0 || s.tx.free() > 0 {
		ev |= linux.EPOLLOUT
	}
	return ev
}

// Addresses.

func saFamily(a *netcall.Sockaddr) uint16 { return uint16(a[0]) | uint16(a[1])<<8 }
func saPort(a *netcall.Sockaddr) uint16   { return uint16(a[2])<<8 | uint16(a[3]) }
func setPort(a *netcall.Sockaddr, p uint16) {
	a[2], a[3] = byte(p>>8), byte(p)
}

// saIP returns the address as 16 bytes (IPv4 as v4-mapped IPv6).
func saIP(a *netcall.Sockaddr) (ip [16]byte) {
	if saFamily(a) == linux.AF_INET {
		ip[10], ip[11] = 0xff, 0xff
		copy(ip[12:], a[4:8])
		return ip
	}
	copy(ip[:], a[8:24])
	return ip
}

func ipIsV4(ip *[16]byte) bool {
	for k := 0; k < 10; k++ {
		if ip[k] != 0 {
			return false
		}
	}
	return ip[10] == 0xff && ip[11] == 0xff
}

func ipUnspecified(ip *[16]byte) bool {
	if ipIsV4(ip) {
		return ip[12]|ip[13]|ip[14]|ip[15] == 0
	}
	for _, b := range ip {
		if b != 0 {
			return false
		}
	}
	return true
}

func ipLoopback(ip *[16]byte) bool {
	if ipIsV4(ip) {
		return ip[12] == 127
	}
	for k := 0; k < 15; k++ {
		if ip[k] != 0 {
			return false
		}
	}
	return ip[15] == 1
}

// ipLocal reports whether ip is one of the stack's addresses (or loopback
// or unspecified), so that bind(2) may use it.
func ipLocal(ip *[16]byte) bool {
	if ipUnspecified(ip) || ipLoopback(ip) {
		return true
	}
	for k := 0; k < netstack.naddrs; k++ {
		if saIP(&netstack.addrs[k]) == *ip {
			return true
		}
	}
	return false
}

// readSockaddr copies a program's sockaddr for socket s, checking its
// family and length. AF_INET6 sockets take IPv6 addresses (v4-mapped for
// IPv4); AF_INET sockets take IPv4 ones. anyFamilyOK allows AF_UNSPEC.
func readSockaddr(s *sock, addr, alen uintptr, out *netcall.Sockaddr) linux.Errno {
	if alen < 2 || alen > linux.SockaddrStorageSize {
		return linux.EINVAL
	}
	if !userRange(addr, alen, false) {
		return linux.EFAULT
	}
	fam := uint16(*(*uint16)(kptr(addr)))
	*out = netcall.Sockaddr{}
	switch {
	case fam == linux.AF_INET && s.family == linux.AF_INET:
		if alen < 16 {
			return linux.EINVAL
		}
		copy(out[:16], unsafe.Slice((*byte)(kptr(addr)), 16))
		clear(out[8:16])
	case fam == linux.AF_INET6 && s.family == linux.AF_INET6:
		if alen < 24 {
			return linux.EINVAL
		}
		n := uintptr(28)
		if alen < n {
			n = alen
		}
		copy(out[:n], unsafe.Slice((*byte)(kptr(addr)), n))
	case fam == linux.AF_INET && s.family == linux.AF_INET6:
		return linux.EAFNOSUPPORT
	default:
		return linux.EAFNOSUPPORT
	}
	return 0
}

// wildcardAddr returns the unspecified address with port 0 in s's family.
func wildcardAddr(s *sock) (a netcall.Sockaddr) {
	a[0] = byte(s.family)
	return a
}

// writeSockaddr copies a into the program's (addr, *alen) pair, truncating
// as Linux does and storing the full length.
func writeSockaddr(a *netcall.Sockaddr, addr, alenp uintptr) linux.Errno {
	if addr == 0 {
		return 0
	}
	if !userRange(alenp, 4, true) {
		return linux.EFAULT
	}
	have := uintptr(*(*uint32)(kptr(alenp)))
	if int32(have) < 0 {
		return linux.EINVAL
	}
	n := uintptr(16)
	if saFamily(a) == linux.AF_INET6 {
		n = 28
	}
	m := n
	if have < m {
		m = have
	}
	if !userRange(addr, m, true) {
		return linux.EFAULT
	}
	copy(unsafe.Slice((*byte)(kptr(addr)), m), a[:m])
	put32(alenp, uint32(n))
	return 0
}

// Ports.

// overlaps reports whether two sockets' local addresses overlap.
func overlaps(a, b *sock) bool {
	ia, ib := saIP(&a.local), saIP(&b.local)
	v4a := a.family == linux.AF_INET || (ipIsV4(&ia) && !ipUnspecified(&ia))
	v4b := b.family == linux.AF_INET || (ipIsV4(&ib) && !ipUnspecified(&ib))
	// An IPv6-only socket and an IPv4 one live in separate spaces.
	if a.family == linux.AF_INET6 && a.flags&netcall.FlagV6Only != 0 && v4b {
		return false
	}
	if b.family == linux.AF_INET6 && b.flags&netcall.FlagV6Only != 0 && v4a {
		return false
	}
	if ipUnspecified(&ia) || ipUnspecified(&ib) {
		if a.family == linux.AF_INET6 && b.family == linux.AF_INET6 {
			return true
		}
		// A v4 wildcard and a v6 specific address (or the reverse)
		// overlap only if the v6 one is v4-mapped or a dual-stack wildcard.
		return (ipUnspecified(&ia) && (v4b || b.family == linux.AF_INET6 && ipUnspecified(&ib))) ||
			(ipUnspecified(&ib) && (v4a || a.family == linux.AF_INET6 && ipUnspecified(&ia)))
	}
	return ia == ib
}

// portConflict reports whether socket i may not hold its local port.
func portConflict(i int32) bool {
	s := &socks[i]
	p := saPort(&s.local)
	for j := range socks {
		o := &socks[j]
		if int32(j) == i || o.state == sockFree || !o.port || o.typ != s.typ || saPort(&o.local) != p {
			continue
		}
		if !overlaps(s, o) {
			continue
		}
		both := s.flags & o.flags
		if both&netcall.FlagReusePort != 0 {
			continue
		}
		if both&netcall.FlagReuseAddr != 0 && (s.typ == linux.SOCK_DGRAM || o.state != sockListening) {
			continue
		}
		return true
	}
	return false
}

// bindPort reserves s.local's port, choosing an ephemeral one for port 0.
func bindPort(i int32) linux.Errno {
	s := &socks[i]
	if saPort(&s.local) != 0 {
		if portConflict(i) {
			return linux.EADDRINUSE
		}
		s.port = true
		return 0
	}
	for tries := 0; tries <= int(ephemeralHi-ephemeralLo); tries++ {
		if nextPort < ephemeralLo || nextPort > ephemeralHi {
			nextPort = ephemeralLo
		}
		setPort(&s.local, nextPort)
		nextPort++
		if !portConflict(i) {
			s.port = true
			return 0
		}
	}
	setPort(&s.local, 0)
	return linux.EADDRINUSE
}

// Netstack side (netcall operations), trap context.

// netSignal wakes the stack through its eventfd.
func netSignal() {
	if !netstack.attached {
		return
	}
	e := &eventfds[netstack.evfd]
	if e.count == 0 {
		e.count = 1
		notify(e.file)
		wakeAll(waitKeyEvfd)
	}
}

// fillEvent describes socket i for the stack.
func fillEvent(i int32, ev *netcall.Event) {
	s := &socks[i]
	*ev = netcall.Event{
		ID: sockID(i), Ops: s.pend, Family: s.family, Type: uint16(s.typ), Proto: s.proto, Flags: s.flags,
		Backlog: s.backlog, RcvBuf: s.rcvBuf, SndBuf: s.sndBuf, KeepIdle: s.keepIdle, KeepIntvl: s.keepIntvl,
		KeepCnt: s.keepCnt, Linger: s.linger, Local: s.local, Remote: s.remote,
	}
}

// netPoll fills up to n events, copies waiting frames into rx (as netRecv
// does, then a zero length when there is room) and the sent data of
// stream sockets into tx (pollTx). It consumes the eventfd's signal: the
// stack does not read the eventfd, it only waits for it to be readable,
// so any work that arrives after this call signals it afresh.
func netPoll(buf uintptr, n uintptr, rx, tx []byte) uintptr {
	if n > 4096 || !userRange(buf, n*unsafe.Sizeof(netcall.Event{}), true) {
		return errno(linux.EFAULT)
	}
	eventfds[netstack.evfd].count = 0
	k := uintptr(0)
	txOff := 0
	for k < n && pendHead >= 0 {
		i := pendHead
		s := &socks[i]
		pendHead = s.pendNext
		if pendHead < 0 {
			pendTail = -1
		}
		ev := (*netcall.Event)(kptr(buf + k*unsafe.Sizeof(netcall.Event{})))
		fillEvent(i, ev)
		txOff = pollTx(i, ev, tx, txOff)
		s.pend = 0
		s.queued = false
		s.pendNext = -1
		k++
	}
	if pendHead >= 0 {
		netSignal() // more next time
	}
	if len(rx) >= 2 {
		m := uintptr(0)
		if netdev.rxPending {
			m = netRecv(rx[:len(rx)-2])
		}
		rx[m], rx[m+1] = 0, 0
	}
	if netdev.rxPending {
		k |= netcall.PollRecv
	}
	return k
}

// pollTx moves the data a stream socket's EvSend event announces into
// tx[off:] (as netPull would): the event gets its place (TxOff, TxLen)
// and keeps EvSend only if the ring still holds more. It returns the next
// free offset.
func pollTx(i int32, ev *netcall.Event, tx []byte, off int) int {
	s := &socks[i]
	if ev.Ops&netcall.EvSend == 0 || s.typ != linux.SOCK_STREAM || off >= len(tx) || s.stackFull {
		// (With the stack backed up the data stay here: the ring fills
		// and writers wait, instead of the stack's copy growing without
		// bound; it pulls them with OpPull once gVisor has room.)
		return off
	}
	full := txFull(s)
	m := s.tx.get(tx[off:])
	ev.TxOff, ev.TxLen = uint32(off), uint32(m)
	if s.tx.used() == 0 {
		ev.Ops &^= netcall.EvSend
	}
	if m > 0 && full {
		sockChanged(i)
	}
	return off + m
}

// netPush takes received data for a socket.
func netPush(id uint32, b []byte, addr uintptr) uintptr {
	i := sockByID(id)
	if i < 0 {
		return errno(linux.EBADF)
	}
	s := &socks[i]
	if s.state == sockOrphan || s.flags&netcall.FlagShutRead != 0 {
		return uintptr(len(b)) // nobody will read it
	}
	if !s.rx.alloc() {
		return errno(linux.ENOMEM)
	}
	if s.typ == linux.SOCK_DGRAM {
		if !userRange(addr, 28, false) {
			return errno(linux.EFAULT)
		}
		if !s.rx.fits(uint32(len(b)) + dgramHdr) {
			return errno(linux.EAGAIN) // dropped, as on Linux with a full buffer
		}
		s.rx.putDgram(b, (*netcall.Sockaddr)(kptr(addr)))
		sockChanged(i)
		return uintptr(len(b))
	}
	n := uint32(len(b))
	if f := s.rx.free(); n > f {
		n = f
		s.rxFull = true
	}
	s.rx.put(b[:n])
	if n > 0 {
		sockChanged(i)
	}
	return uintptr(n)
}

// netPull hands data the program sent to the stack.
func netPull(id uint32, b []byte, addr uintptr) uintptr {
	i := sockByID(id)
	if i < 0 {
		return errno(linux.EBADF)
	}
	s := &socks[i]
	if s.typ == linux.SOCK_DGRAM {
		if s.tx.used() == 0 {
			return errno(linux.EAGAIN) // 0 would be an empty datagram
		}
		if !userRange(addr, 28, true) {
			return errno(linux.EFAULT)
		}
		n := s.tx.getDgram(b, (*netcall.Sockaddr)(kptr(addr)), false)
		if n > len(b) {
			n = len(b)
		}
		sockChanged(i)
		return uintptr(n)
	}
	if s.tx.used() == 0 {
		return 0
	}
	full := txFull(s)
	n := s.tx.get(b)
	if n > 0 && full {
		sockChanged(i)
	}
	return uintptr(n)
}

// netState applies a state change the stack reports.
func netState(id uint32, state uintptr, e uintptr, addrs uintptr) uintptr {
	i := sockByID(id)
	if i < 0 {
		return errno(linux.EBADF)
	}
	s := &socks[i]
	var a *netcall.Addrs
	if addrs != 0 {
		if !userRange(addrs, unsafe.Sizeof(netcall.Addrs{}), false) {
			return errno(linux.EFAULT)
		}
		a = (*netcall.Addrs)(kptr(addrs))
	}
	switch state {
	case netcall.StateConnected:
		if s.state == sockConnecting {
			s.state = sockConnected
		}
		if a != nil {
			s.local, s.remote = a.Local, a.Remote
		}
	case netcall.StateLocal:
		if a != nil {
			s.local = a.Local
		}
	case netcall.StateError:
		s.err = linux.Errno(e)
		if s.typ == linux.SOCK_STREAM {
			if s.state == sockConnecting {
				s.state = sockOpen
			}
			s.hup = true
			s.rxEOF = true
		}
	case netcall.StateRecvEOF:
		s.rxEOF = true
	case netcall.StateTxFull:
		s.stackFull = true
		return 0
	case netcall.StateTxRoom:
		s.stackFull = false
		return 0
	default:
		return errno(linux.EINVAL)
	}
	sockChanged(i)
	return 0
}

// netAccept queues a new connection on a listener.
func netAccept(id uint32, addrs uintptr) uintptr {
	li := sockByID(id)
	if li < 0 {
		return errno(linux.EBADF)
	}
	l := &socks[li]
	if l.state != sockListening {
		return errno(linux.EINVAL)
	}
	if !userRange(addrs, unsafe.Sizeof(netcall.Addrs{}), false) {
		return errno(linux.EFAULT)
	}
	if l.acceptLen >= l.backlog {
		l.acceptFull = true
		return errno(linux.EAGAIN)
	}
	c := newSock(l.family, uint16(l.typ), l.proto)
	if c < 0 {
		l.acceptFull = true
		return errno(linux.EAGAIN)
	}
	cs := &socks[c]
	a := (*netcall.Addrs)(kptr(addrs))
	cs.local, cs.remote = a.Local, a.Remote
	cs.state = sockConnected
	cs.known = true
	cs.flags = l.flags &^ (netcall.FlagShutRead | netcall.FlagShutWrite)
	cs.rcvBuf, cs.sndBuf = l.rcvBuf, l.sndBuf
	cs.parent = li
	if l.acceptTail < 0 {
		l.acceptHead = c
	} else {
		socks[l.acceptTail].next = c
	}
	l.acceptTail = c
	l.acceptLen++
	sockChanged(li)
	return uintptr(sockID(c))
}

// netRelease frees an orphaned socket once the stack is done with it.
func netRelease(id uint32) uintptr {
	i := sockByID(id)
	if i < 0 {
		return errno(linux.EBADF)
	}
	if socks[i].state != sockOrphan {
		return errno(linux.EBUSY)
	}
	freeSock(i)
	return 0
}
