//go:build unigo_net

package core

import (
	"bytes"
	"math/rand"
	"testing"
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/net/netcall"
)

// testRing returns a full-size ring backed by Go memory (kept alive by the
// test).
func testRing(t *testing.T) *ring {
	mem := make([]byte, sockBufSize)
	t.Cleanup(func() { _ = mem[0] })
	return &ring{buf: uintptr(unsafe.Pointer(&mem[0])), size: sockBufSize}
}

// goRingPages backs rings with Go memory for the test, failing allocations
// once budget bytes are in use; it reports the bytes in use.
func goRingPages(t *testing.T, budget uint32) *uint32 {
	var inUse uint32
	live := map[uintptr][]byte{}
	saved := ringPages
	ringPages.alloc = func(n uint32) (uintptr, bool) {
		if inUse+n > budget {
			return 0, false
		}
		b := make([]byte, n)
		va := uintptr(unsafe.Pointer(&b[0]))
		live[va] = b
		inUse += n
		return va, true
	}
	ringPages.free = func(va uintptr, n uint32) {
		if b, ok := live[va]; !ok || uint32(len(b)) != n {
			t.Fatalf("ring freed %#x (%d bytes), which it did not allocate with that size", va, n)
		}
		delete(live, va)
		inUse -= n
	}
	t.Cleanup(func() { ringPages = saved })
	return &inUse
}

// TestRingGrows streams through a ring that starts small: it grows to the
// full size under a bulk writer, keeps the byte order across every growth,
// and stays small (but correct) when memory is short.
func TestRingGrows(t *testing.T) {
	for _, tc := range []struct {
		name     string
		budget   uint32
		wantSize uint32
	}{
		{"memory enough", 1 << 20, sockBufSize},
		{"memory short", 3 * sockBufMin, 2 * sockBufMin}, // 4 KiB + 8 KiB live during the first growth
	} {
		t.Run(tc.name, func(t *testing.T) {
			inUse := goRingPages(t, tc.budget)
			var r ring
			if !r.alloc() || r.size != sockBufMin {
				t.Fatalf("alloc: size %d; want %d", r.size, sockBufMin)
			}
			rng := rand.New(rand.NewSource(2))
			var want, got []byte
			for round := 0; round < 300; round++ {
				n := min(rng.Intn(9000), int(r.free()))
				b := make([]byte, n)
				rng.Read(b)
				r.put(b)
				want = append(want, b...)
				if round%3 == 0 { // a slow reader
					out := make([]byte, rng.Intn(6000))
					got = append(got, out[:r.get(out)]...)
				}
			}
			if r.size != tc.wantSize {
				t.Errorf("ring size after a bulk stream = %d; want %d", r.size, tc.wantSize)
			}
			out := make([]byte, sockBufSize)
			got = append(got, out[:r.get(out)]...)
			if !bytes.Equal(got, want) {
				t.Fatalf("stream through a growing ring differs: %d bytes in, %d out", len(want), len(got))
			}
			r.release()
			if *inUse != 0 {
				t.Errorf("%d bytes still allocated after release", *inUse)
			}
		})
	}
}

// TestRingFitsDatagram grows an empty small ring for one large datagram.
func TestRingFitsDatagram(t *testing.T) {
	goRingPages(t, 1<<20)
	var r ring
	r.alloc()
	if r.fits(sockBufSize + 1) {
		t.Errorf("fits(%d) = true; want false (beyond the largest ring)", sockBufSize+1)
	}
	if !r.fits(sockBufSize) || r.size != sockBufSize {
		t.Errorf("fits(%d) with size %d; want true at size %d", sockBufSize, r.size, sockBufSize)
	}
	r.release()
}

func TestRingStream(t *testing.T) {
	r := testRing(t)
	rng := rand.New(rand.NewSource(1))
	var want, got []byte
	// Start near the 32-bit wrap of the counters.
	r.r, r.w = ^uint32(0)-1000, ^uint32(0)-1000
	for round := 0; round < 2000; round++ {
		n := rng.Intn(20000)
		if f := int(r.free()); n > f {
			n = f
		}
		b := make([]byte, n)
		rng.Read(b)
		r.put(b)
		want = append(want, b...)
		if r.used() > 0 {
			peek := make([]byte, 10)
			k := r.peek(0, peek)
			if !bytes.Equal(peek[:k], want[len(got):len(got)+k]) {
				t.Fatalf("round %d: peek differs", round)
			}
		}
		out := make([]byte, rng.Intn(30000))
		got = append(got, out[:r.get(out)]...)
	}
	out := make([]byte, sockBufSize)
	got = append(got, out[:r.get(out)]...)
	if !bytes.Equal(got, want) {
		t.Fatalf("stream through the ring differs: %d bytes in, %d out", len(want), len(got))
	}
}

func TestRingDatagrams(t *testing.T) {
	r := testRing(t)
	var from netcall.Sockaddr
	from[0], from[2], from[3] = linux.AF_INET, 0x12, 0x34
	var sizes []int
	for i := 0; r.free() > dgramHdr+1500; i++ {
		b := bytes.Repeat([]byte{byte(i)}, i%1500)
		r.putDgram(b, &from)
		sizes = append(sizes, len(b))
	}
	for i, n := range sizes {
		var a netcall.Sockaddr
		if l, ok := r.peekDgram(&a); !ok || l != n || a != from {
			t.Fatalf("datagram %d: peek = %d, %v, %v; want %d from %v", i, l, ok, a, n, from)
		}
		small := make([]byte, 7)
		if i%2 == 0 {
			if l := r.getDgram(small, &a, true); l != n {
				t.Fatalf("datagram %d: peeking getDgram = %d; want %d", i, l, n)
			}
		}
		if l := r.getDgram(small, &a, false); l != n || (n > 0 && small[0] != byte(i)) {
			t.Fatalf("datagram %d: getDgram = %d (first byte %d); want %d", i, l, small[0], n)
		}
	}
	if r.used() != 0 {
		t.Errorf("%d bytes left after reading every datagram", r.used())
	}
	if l := r.getDgram(nil, &from, false); l != -1 {
		t.Errorf("getDgram on an empty ring = %d; want -1", l)
	}
}

func addr4(ip [4]byte, port uint16) netcall.Sockaddr {
	var a netcall.Sockaddr
	a[0] = linux.AF_INET
	setPort(&a, port)
	copy(a[4:], ip[:])
	return a
}

func addr6(ip [16]byte, port uint16) netcall.Sockaddr {
	var a netcall.Sockaddr
	a[0] = linux.AF_INET6
	setPort(&a, port)
	copy(a[8:], ip[:])
	return a
}

var (
	any4  = [4]byte{}
	lo4   = [4]byte{127, 0, 0, 1}
	eth4  = [4]byte{10, 0, 2, 15}
	any6  = [16]byte{}
	lo6   = [16]byte{15: 1}
	map4  = [16]byte{10: 0xff, 11: 0xff, 12: 127, 15: 1} // ::ffff:127.0.0.1
	reuse = uint16(netcall.FlagReuseAddr)
)

func resetSocks() {
	for i := range socks {
		socks[i] = sock{}
	}
	pendHead, pendTail = -1, -1
	netstack.attached = false
}

// holder makes a socket holding addr's port.
func holder(family uint16, typ uint8, addr netcall.Sockaddr, flags uint16, state uint8) int32 {
	i := newSock(family, uint16(typ), 0)
	s := &socks[i]
	s.local, s.flags, s.state, s.port = addr, flags, state, true
	return i
}

func TestPortConflict(t *testing.T) {
	type sk struct {
		family uint16
		typ    uint8
		addr   netcall.Sockaddr
		flags  uint16
		state  uint8
	}
	tcp4 := func(a netcall.Sockaddr, f uint16, st uint8) sk { return sk{linux.AF_INET, linux.SOCK_STREAM, a, f, st} }
	tcp6 := func(a netcall.Sockaddr, f uint16, st uint8) sk {
		return sk{linux.AF_INET6, linux.SOCK_STREAM, a, f, st}
	}
	udp4 := func(a netcall.Sockaddr, f uint16) sk { return sk{linux.AF_INET, linux.SOCK_DGRAM, a, f, sockOpen} }
	v6only := uint16(netcall.FlagV6Only)
	tests := []struct {
		name     string
		old, new sk
		conflict bool
	}{
		{"same address", tcp4(addr4(lo4, 80), 0, sockOpen), tcp4(addr4(lo4, 80), 0, sockOpen), true},
		{"other port", tcp4(addr4(lo4, 80), 0, sockOpen), tcp4(addr4(lo4, 81), 0, sockOpen), false},
		{"other address", tcp4(addr4(lo4, 80), 0, sockOpen), tcp4(addr4(eth4, 80), 0, sockOpen), false},
		{"wildcard covers", tcp4(addr4(any4, 80), 0, sockOpen), tcp4(addr4(eth4, 80), 0, sockOpen), true},
		{"covered by wildcard", tcp4(addr4(eth4, 80), 0, sockOpen), tcp4(addr4(any4, 80), 0, sockOpen), true},
		{"tcp and udp apart", tcp4(addr4(lo4, 80), 0, sockOpen), udp4(addr4(lo4, 80), 0), false},
		{"both reuseaddr", tcp4(addr4(lo4, 80), reuse, sockOpen), tcp4(addr4(lo4, 80), reuse, sockOpen), false},
		{"reuseaddr but listening", tcp4(addr4(lo4, 80), reuse, sockListening), tcp4(addr4(lo4, 80), reuse, sockOpen), true},
		{"one reuseaddr", tcp4(addr4(lo4, 80), reuse, sockOpen), tcp4(addr4(lo4, 80), 0, sockOpen), true},
		{"both reuseport", tcp4(addr4(lo4, 80), netcall.FlagReusePort, sockListening), tcp4(addr4(lo4, 80), netcall.FlagReusePort, sockOpen), false},
		{"udp reuseaddr", udp4(addr4(any4, 53), reuse), udp4(addr4(any4, 53), reuse), false},
		{"dual-stack v6 wildcard vs v4", tcp6(addr6(any6, 80), 0, sockListening), tcp4(addr4(lo4, 80), 0, sockOpen), true},
		{"v6only wildcard vs v4", tcp6(addr6(any6, 80), v6only, sockListening), tcp4(addr4(lo4, 80), 0, sockOpen), false},
		{"v6 loopback vs v4", tcp6(addr6(lo6, 80), 0, sockOpen), tcp4(addr4(lo4, 80), 0, sockOpen), false},
		{"v4-mapped vs v4", tcp6(addr6(map4, 80), 0, sockOpen), tcp4(addr4(lo4, 80), 0, sockOpen), true},
		{"v4 wildcard vs v6 loopback", tcp4(addr4(any4, 80), 0, sockOpen), tcp6(addr6(lo6, 80), 0, sockOpen), false},
		{"v6 wildcards", tcp6(addr6(any6, 80), v6only, sockOpen), tcp6(addr6(lo6, 80), 0, sockOpen), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resetSocks()
			holder(tt.old.family, tt.old.typ, tt.old.addr, tt.old.flags, tt.old.state)
			i := newSock(tt.new.family, uint16(tt.new.typ), 0)
			s := &socks[i]
			s.local, s.flags, s.state = tt.new.addr, tt.new.flags, tt.new.state
			if got := portConflict(i); got != tt.conflict {
				t.Errorf("portConflict = %v; want %v", got, tt.conflict)
			}
			e := bindPort(i)
			if (e == linux.EADDRINUSE) != tt.conflict || (e == 0) != s.port {
				t.Errorf("bindPort = %v (holds port: %v); want conflict %v", e, s.port, tt.conflict)
			}
		})
	}
}

func TestEphemeralPorts(t *testing.T) {
	resetSocks()
	nextPort = ephemeralLo
	holder(linux.AF_INET, linux.SOCK_STREAM, addr4(any4, ephemeralLo+1), 0, sockListening)
	seen := map[uint16]bool{}
	for k := 0; k < 50; k++ {
		i := newSock(linux.AF_INET, linux.SOCK_STREAM, 0)
		socks[i].local = addr4(lo4, 0)
		if e := bindPort(i); e != 0 {
			t.Fatalf("bindPort: %v", e)
		}
		p := saPort(&socks[i].local)
		if p < ephemeralLo || p > ephemeralHi || seen[p] || p == ephemeralLo+1 {
			t.Fatalf("ephemeral port %d: out of range, repeated or taken", p)
		}
		seen[p] = true
	}
}

func TestSockIDs(t *testing.T) {
	resetSocks()
	i := newSock(linux.AF_INET, linux.SOCK_STREAM, 0)
	id := sockID(i)
	if sockByID(id) != i {
		t.Fatalf("sockByID(sockID(%d)) = %d", i, sockByID(id))
	}
	freeSock(i)
	if sockByID(id) != -1 {
		t.Error("a freed socket's id still resolves")
	}
	j := newSock(linux.AF_INET, linux.SOCK_DGRAM, 0)
	if j != i || sockByID(id) != -1 || sockByID(sockID(j)) != j {
		t.Errorf("slot %d reused as %d: stale id resolves %d, new id %d", i, j, sockByID(id), sockByID(sockID(j)))
	}
}

func TestPendingQueue(t *testing.T) {
	resetSocks()
	a := newSock(linux.AF_INET, linux.SOCK_STREAM, 0)
	b := newSock(linux.AF_INET, linux.SOCK_STREAM, 0)
	c := newSock(linux.AF_INET, linux.SOCK_STREAM, 0)
	post(a, netcall.EvListen)
	post(b, netcall.EvConnect)
	post(a, netcall.EvOpts)
	post(c, netcall.EvSend)
	unqueue(b)
	var order []int32
	for i := pendHead; i >= 0; i = socks[i].pendNext {
		order = append(order, i)
	}
	if len(order) != 2 || order[0] != a || order[1] != c || pendTail != c {
		t.Fatalf("queue %v (tail %d); want [%d %d]", order, pendTail, a, c)
	}
	if socks[a].pend != netcall.EvListen|netcall.EvOpts || !socks[a].known {
		t.Errorf("socket a: pend %#x known %v", socks[a].pend, socks[a].known)
	}
	unqueue(c)
	if pendTail != a {
		t.Errorf("tail after removing the last = %d; want %d", pendTail, a)
	}
}

func TestSockReadiness(t *testing.T) {
	resetSocks()
	i := newSock(linux.AF_INET, linux.SOCK_STREAM, 0)
	s := &socks[i]
	if ev := sockReadiness(i); ev != linux.EPOLLOUT|linux.EPOLLHUP {
		t.Errorf("fresh stream socket: %#x; want OUT|HUP as Linux", ev)
	}
	s.state = sockConnecting
	if ev := sockReadiness(i); ev != 0 {
		t.Errorf("connecting: %#x; want nothing", ev)
	}
	s.state = sockConnected
	if ev := sockReadiness(i); ev != linux.EPOLLOUT {
		t.Errorf("connected, idle: %#x; want OUT", ev)
	}
	s.rxEOF = true
	if ev := sockReadiness(i); ev != linux.EPOLLOUT|linux.EPOLLIN|linux.EPOLLRDHUP {
		t.Errorf("peer closed: %#x; want IN|OUT|RDHUP", ev)
	}
	s.err, s.hup = linux.ECONNRESET, true
	if ev := sockReadiness(i); ev&(linux.EPOLLERR|linux.EPOLLHUP) != linux.EPOLLERR|linux.EPOLLHUP {
		t.Errorf("reset: %#x; want ERR|HUP", ev)
	}
	s.state, s.err = sockListening, 0
	if ev := sockReadiness(i); ev != 0 {
		t.Errorf("listening, empty queue: %#x", ev)
	}
	s.acceptLen = 1
	if ev := sockReadiness(i); ev != linux.EPOLLIN {
		t.Errorf("listening with a connection: %#x; want IN", ev)
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi uint16
		ok     bool
	}{
		{"40000-40999", 40000, 40999, true},
		{"1024-65535", 1024, 65535, true},
		{"5000-5000", 5000, 5000, true},
		{"1023-2000", 0, 0, false},
		{"2000-1999", 0, 0, false},
		{"40000-70000", 0, 0, false},
		{"40000", 0, 0, false},
		{"-40000", 0, 0, false},
		{"40000-", 0, 0, false},
		{"4a000-5000", 0, 0, false},
		{"400000-500000", 0, 0, false},
		{"1-2-3", 0, 0, false},
	}
	for _, tt := range tests {
		lo, hi, ok := parsePortRange([]byte(tt.in))
		if lo != tt.lo || hi != tt.hi || ok != tt.ok {
			t.Errorf("parsePortRange(%q) = %d, %d, %v; want %d, %d, %v", tt.in, lo, hi, ok, tt.lo, tt.hi, tt.ok)
		}
	}
}

func TestEphemeralPortRange(t *testing.T) {
	defer func(lo, hi uint16) { ephemeralLo, ephemeralHi = lo, hi }(ephemeralLo, ephemeralHi)
	netParam([]byte("unigo.net.ports=40000-40003"))
	if ephemeralLo != 40000 || ephemeralHi != 40003 {
		t.Fatalf("unigo.net.ports=40000-40003 gave %d-%d", ephemeralLo, ephemeralHi)
	}
	resetSocks()
	for k := 0; k < 4; k++ {
		i := newSock(linux.AF_INET, linux.SOCK_STREAM, 0)
		socks[i].local = addr4(lo4, 0)
		if e := bindPort(i); e != 0 {
			t.Fatalf("bindPort %d: %v", k, e)
		}
		if p := saPort(&socks[i].local); p < 40000 || p > 40003 {
			t.Fatalf("ephemeral port %d outside 40000-40003", p)
		}
	}
	i := newSock(linux.AF_INET, linux.SOCK_STREAM, 0)
	socks[i].local = addr4(lo4, 0)
	if e := bindPort(i); e != linux.EADDRINUSE {
		t.Fatalf("a fifth bind in a range of 4 = %v; want EADDRINUSE", e)
	}
}

// TestPollTx: OpPoll hands a stream socket's sent data over with its
// EvSend event, packed after the data of earlier events; the event keeps
// EvSend only when the ring holds more than fitted, and datagram sockets
// and other events are left to OpPull. Only draining a full ring tells
// epoll (a rising EPOLLOUT edge).
func TestPollTx(t *testing.T) {
	tests := []struct {
		name        string
		typ         uint16
		ops         uint32
		queued      int // bytes in the send ring
		txSize      int
		off         int
		wantLen     int
		wantSend    bool // EvSend still set
		wantChanged bool // the file's readiness sequence moved
		stackFull   bool // the stack said gVisor is full (StateTxFull)
	}{
		{"all fits", linux.SOCK_STREAM, netcall.EvSend, 100, 1024, 0, 100, false, false, false},
		{"after another socket's data", linux.SOCK_STREAM, netcall.EvSend, 100, 1024, 1000, 24, true, false, false},
		{"full ring drained", linux.SOCK_STREAM, netcall.EvSend, sockBufMin, 1024, 0, 1024, true, true, false},
		{"buffer already full", linux.SOCK_STREAM, netcall.EvSend | netcall.EvOpts, 100, 1024, 1024, 0, true, false, false},
		{"no EvSend", linux.SOCK_STREAM, netcall.EvOpts, 100, 1024, 0, 0, false, false, false},
		{"datagram", linux.SOCK_DGRAM, netcall.EvSend, 100, 1024, 0, 0, true, false, false},
		{"no tx buffer", linux.SOCK_STREAM, netcall.EvSend, 100, 0, 0, 0, true, false, false},
		// gVisor is full: the data stay in the ring (which fills and
		// makes writers wait) rather than pile up in the stack.
		{"stack backed up", linux.SOCK_STREAM, netcall.EvSend, 100, 1024, 0, 0, true, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resetSocks()
			goRingPages(t, 1<<20)
			i := newSock(linux.AF_INET, tc.typ, 0)
			s := &socks[i]
			s.state = sockConnected
			s.stackFull = tc.stackFull
			data := make([]byte, tc.queued)
			for k := range data {
				data[k] = byte(k)
			}
			if !s.tx.alloc() || !s.tx.fits(uint32(len(data))) {
				t.Fatal("no ring")
			}
			s.tx.put(data)
			s.pend = tc.ops
			const fi = 5
			s.file = fi
			// An epoll watching the file sees a readiness change as its
			// item going onto the ready list.
			epolls, epitems = [maxEpolls]epoll{}, [maxEpItems]epitem{}
			files[fi] = file{kind: kindSocket, refs: 1, obj: i}
			ep, epf := testEpoll(t)
			if epf == fi {
				t.Fatalf("the epoll took the socket's file %d", fi)
			}
			it := testAdd(t, ep, fi, linux.EPOLLIN|linux.EPOLLOUT|linux.EPOLLET)
			epitems[it].queued, epitems[it].rnext = false, 0
			epolls[ep].ready, epolls[ep].readyTail, epolls[ep].readyCount = 0, 0, 0
			var ev netcall.Event
			fillEvent(i, &ev)
			tx := make([]byte, tc.txSize)
			next := pollTx(i, &ev, tx, tc.off)
			if int(ev.TxLen) != tc.wantLen || next != tc.off+tc.wantLen {
				t.Fatalf("TxLen %d, next offset %d; want %d, %d", ev.TxLen, next, tc.wantLen, tc.off+tc.wantLen)
			}
			if tc.wantLen > 0 && (int(ev.TxOff) != tc.off || !bytes.Equal(tx[ev.TxOff:next], data[:tc.wantLen])) {
				t.Errorf("data at %d = %v; want the ring's first %d bytes at %d", ev.TxOff, tx[ev.TxOff:next], tc.wantLen, tc.off)
			}
			if got := ev.Ops&netcall.EvSend != 0; got != tc.wantSend {
				t.Errorf("EvSend kept = %v; want %v", got, tc.wantSend)
			}
			if ev.Ops&netcall.EvOpts != tc.ops&netcall.EvOpts {
				t.Errorf("ops %#x; other bits of %#x changed", ev.Ops, tc.ops)
			}
			if got := int(s.tx.used()); got != tc.queued-tc.wantLen {
				t.Errorf("ring holds %d bytes; want %d", got, tc.queued-tc.wantLen)
			}
			if got := epitems[it].queued; got != tc.wantChanged {
				t.Errorf("readiness changed = %v; want %v", got, tc.wantChanged)
			}
		})
	}
}
