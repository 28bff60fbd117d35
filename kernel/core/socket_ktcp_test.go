//go:build unigo_net

package core

import (
	"bytes"
	"testing"
	"unsafe"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/mm/vma"
	"unigo.dev/unigo/kernel/net/ktcp"
	"unigo.dev/unigo/kernel/net/netcall"
)

// The kernel's socket system calls on the kernel's TCP (socket_ktcp.go),
// hosted: ktStack is a real ktcp stack whose packets (through ktOut, as
// the contract with ktnet.go has it) go to a second ktcp stack, the
// "network" peer at 10.0.2.2; the guest is 10.0.2.15. The program's
// memory is a Go buffer registered as a user area, so the system calls
// check and copy as in a guest.

var (
	ktGuestIP = [4]byte{10, 0, 2, 15}
	ktPeerIP  = [4]byte{10, 0, 2, 2}
)

// ktEnv is one test's world.
type ktEnv struct {
	t      *testing.T
	peer   *ktcp.Stack
	toPeer [][]byte
	now    int64
	mem    []byte  // the program's memory
	base   uintptr // its first page-aligned address
	brk    uintptr // next free byte for umem
}

func newKtEnv(t *testing.T) *ktEnv {
	t.Helper()
	savedVmas, savedHint := vmas, userHint
	pool := make([]byte, 64*int(vma.NodeSize))
	e := &ktEnv{t: t, mem: make([]byte, 4<<20)}
	e.base = (uintptr(unsafe.Pointer(&e.mem[0])) + 4095) &^ 4095
	e.brk = e.base
	vmas = vma.Tree{}
	vmas.Init(uintptr(unsafe.Pointer(&pool[0])), 64)
	if err := vmas.Insert(vma.Area{Start: e.base, End: e.base + 4<<20 - 4096, Prot: vma.ProtRead | vma.ProtWrite}); err != vma.OK {
		t.Fatalf("vma insert: %v", err)
	}
	userHint = userAreaHint{}
	resetSocks()
	resetEpoll()
	fds = [maxFDs]fdEntry{}
	ktOwner = [ktOwners]uint32{}
	netstack.attached = true
	netstack.naddrs = 1
	netstack.addrs[0] = addr4(ktGuestIP, 0)
	savedIP4 := ip4
	setIPv4([]netcall.Addr{{Sockaddr: addr4(ktGuestIP, 0), Prefix: 24}}, nil)
	ktStack = ktcp.New(ktcp.Config{MaxConns: 32, RxBuf: 16 << 10, TxBuf: 16 << 10, Wake: ktSockWake,
		Secret: [16]byte{1}})
	e.peer = ktcp.New(ktcp.Config{MaxConns: 32, RxBuf: 16 << 10, TxBuf: 16 << 10, Secret: [16]byte{2}})
	ktOut = func(pkt []byte) { e.toPeer = append(e.toPeer, append([]byte(nil), pkt...)) }
	t.Cleanup(func() {
		ktStack, ktOut = nil, nil
		vmas, userHint = savedVmas, savedHint
		runtimeKeep(pool, e.mem)
		resetSocks()
		resetEpoll()
		fds = [maxFDs]fdEntry{}
		netstack.naddrs = 0
		ip4 = savedIP4
	})
	return e
}

//go:noinline
func runtimeKeep(...[]byte) {}

// uptr is kptr for the test's program memory (not inlined: go1.26's
// compiler crashed inlining a copy through it).
//
//go:noinline
func uptr(p uintptr) unsafe.Pointer { return kptr(p) }

// umem copies b into the program's memory and returns its address.
func (e *ktEnv) umem(b []byte) uintptr {
	p := e.brk
	copy(unsafe.Slice((*byte)(uptr(p)), len(b)), b)
	e.brk += uintptr(len(b)+15) &^ 15
	return p
}

// ubuf reserves n bytes of program memory.
func (e *ktEnv) ubuf(n int) uintptr { return e.umem(make([]byte, n)) }

func (e *ktEnv) bytesAt(p uintptr, n int) []byte {
	return append([]byte(nil), unsafe.Slice((*byte)(uptr(p)), n)...)
}

// pump moves packets both ways until both stacks are quiet; with drop,
// the guest's packets are lost instead.
func (e *ktEnv) pump() {
	var buf [2048]byte
	for round := 0; round < 1000; round++ {
		ktPoll()
		moved := false
		for len(e.toPeer) > 0 {
			p := e.toPeer[0]
			e.toPeer = e.toPeer[1:]
			e.peer.Input(p, e.now)
			moved = true
		}
		for {
			n := e.peer.Output(buf[:], e.now)
			if n == 0 {
				break
			}
			ktStack.Input(buf[:n], e.now)
			moved = true
		}
		if !moved {
			return
		}
	}
	e.t.Fatal("the stacks never went quiet")
}

func (e *ktEnv) sockaddr(ip [4]byte, port uint16) (uintptr, uintptr) {
	a := addr4(ip, port)
	return e.umem(a[:16]), 16
}

func (e *ktEnv) sockaddr6(ip [16]byte, port uint16) (uintptr, uintptr) {
	a := addr6(ip, port)
	return e.umem(a[:28]), 28
}

// sys runs a system call and returns its result as a signed value.
func sys(h sysHandler, args ...uintptr) int {
	var a sysArgs
	copy(a[:], args)
	return int(h(a))
}

func (e *ktEnv) must(what string, r int) int {
	e.t.Helper()
	if r < 0 {
		e.t.Fatalf("%s: %v", what, linux.Errno(-r))
	}
	return r
}

func wantErr(t *testing.T, what string, r int, want linux.Errno) {
	t.Helper()
	if r != -int(want) {
		got := "success"
		if r < 0 {
			got = linux.Errno(-r).Error()
		}
		t.Fatalf("%s = %d (%s); want %v", what, r, got, want)
	}
}

// listen opens a nonblocking listener on the wildcard address and port
// of the family.
func (e *ktEnv) listen(family uintptr, port uint16) int {
	addr, alen := e.sockaddr(any4, port)
	if family == linux.AF_INET6 {
		addr, alen = e.sockaddr6(any6, port)
	}
	fd := e.must("socket", sys(sysSocket, family, linux.SOCK_STREAM|linux.SOCK_NONBLOCK, 0))
	e.must("bind", sys(sysBind, uintptr(fd), addr, alen))
	e.must("listen", sys(sysListen, uintptr(fd), 16))
	return fd
}

// peerConnect opens a connection from the peer to the guest's port.
// accepted listens on port, connects the peer to it and accepts the
// connection (non-blocking): the listener, the peer's connection and
// the accepted socket.
func (e *ktEnv) accepted(port uint16) (fd int, pid ktcp.ID, cfd int) {
	fd = e.listen(linux.AF_INET, port)
	pid = e.peerConnect(port)
	cfd = e.must("accept", sys(sysAccept4, uintptr(fd), 0, 0, linux.SOCK_NONBLOCK))
	return fd, pid, cfd
}

func (e *ktEnv) peerConnect(port uint16) ktcp.ID {
	id, er := e.peer.Connect(ktPeerIP, 0, ktGuestIP, port, e.now)
	if er != ktcp.OK {
		e.t.Fatalf("peer connect: %v", er)
	}
	e.pump()
	return id
}

func (e *ktEnv) write(fd int, b []byte) int {
	return sys(sysWrite, uintptr(fd), e.umem(b), uintptr(len(b)))
}

func (e *ktEnv) read(fd int, n int) ([]byte, int) {
	p := e.ubuf(n)
	r := sys(sysRead, uintptr(fd), p, uintptr(n))
	if r < 0 {
		return nil, r
	}
	return e.bytesAt(p, r), r
}

func (e *ktEnv) peerRead(id ktcp.ID) []byte {
	var out []byte
	b := make([]byte, 4096)
	for {
		n, _ := e.peer.Read(id, b)
		if n == 0 {
			return out
		}
		out = append(out, b[:n]...)
	}
}

func (e *ktEnv) peerWrite(id ktcp.ID, b []byte) {
	if n, er := e.peer.Write(id, b); n != len(b) {
		e.t.Fatalf("peer write: %d of %d, %v", n, len(b), er)
	}
	e.pump()
}

func (e *ktEnv) readiness(fd int) uint32 {
	_, fi, ok := fileOf(uintptr(fd))
	if !ok {
		e.t.Fatalf("fd %d not open", fd)
	}
	return readiness(fi)
}

// TestKtcpListenAcceptEcho: a dual-stack listener ([::]:8080, as Go's
// net.Listen(":8080")) gets a ktcp listener too; a connection from the
// network is accepted as a socket on ktcp with the peer's address
// v4-mapped; data go both ways through read/write and recvfrom/sendto;
// readiness follows; the peer's FIN reads as EOF, ours follows close.
func TestKtcpListenAcceptEcho(t *testing.T) {
	for _, tc := range []struct {
		name   string
		family uintptr
		v6only bool
		ktcp   bool
	}{
		{"AF_INET6 dual-stack wildcard", linux.AF_INET6, false, true},
		{"AF_INET wildcard", linux.AF_INET, false, true},
		{"AF_INET6 v6only", linux.AF_INET6, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newKtEnv(t)
			fd := e.must("socket", sys(sysSocket, tc.family, linux.SOCK_STREAM|linux.SOCK_NONBLOCK, 0))
			if tc.v6only {
				one := e.umem([]byte{1, 0, 0, 0})
				e.must("IPV6_V6ONLY", sys(sysSetsockopt, uintptr(fd), linux.SOL_IPV6, linux.IPV6_V6ONLY, one, 4))
			}
			var a, l uintptr
			if tc.family == linux.AF_INET6 {
				a, l = e.sockaddr6(any6, 8080)
			} else {
				a, l = e.sockaddr(any4, 8080)
			}
			e.must("bind", sys(sysBind, uintptr(fd), a, l))
			e.must("listen", sys(sysListen, uintptr(fd), 16))
			s, _, _, _ := sockOf(uintptr(fd))
			if (s.ktl >= 0) != tc.ktcp {
				t.Fatalf("ktcp listener: %v; want %v", s.ktl >= 0, tc.ktcp)
			}
			wantErr(t, "accept4 with nothing queued", sys(sysAccept4, uintptr(fd), 0, 0, 0), linux.EAGAIN)
			if !tc.ktcp {
				return
			}
			if ev := e.readiness(fd); ev != 0 {
				t.Fatalf("idle listener readiness %#x", ev)
			}
			pid := e.peerConnect(8080)
			if !e.peer.Established(pid) {
				t.Fatal("the peer's connection is not established")
			}
			if ev := e.readiness(fd); ev != linux.EPOLLIN {
				t.Fatalf("listener with a connection: readiness %#x; want IN", ev)
			}
			sa := e.ubuf(28)
			sl := e.umem([]byte{28, 0, 0, 0})
			cfd := e.must("accept4", sys(sysAccept4, uintptr(fd), sa, sl, linux.SOCK_NONBLOCK))
			_, pport, _, _ := e.peer.Addrs(pid)
			var want netcall.Sockaddr
			if tc.family == linux.AF_INET6 {
				want = addr6([16]byte{10: 0xff, 11: 0xff, 12: 10, 14: 2, 15: 2}, pport)
			} else {
				want = addr4(ktPeerIP, pport)
			}
			wl := 16
			if tc.family == linux.AF_INET6 {
				wl = 28
			}
			if got := e.bytesAt(sa, wl); !bytes.Equal(got, want[:wl]) || *(*uint32)(uptr(sl)) != uint32(wl) {
				t.Fatalf("accepted peer address % x (len %d); want % x", got, *(*uint32)(uptr(sl)), want[:wl])
			}
			if ev := e.readiness(fd); ev != 0 {
				t.Fatalf("listener after accept: readiness %#x", ev)
			}
			cs, _, _, _ := sockOf(uintptr(cfd))
			if cs.kt < 0 {
				t.Fatal("accepted socket is not on ktcp")
			}
			if ev := e.readiness(cfd); ev != linux.EPOLLOUT {
				t.Fatalf("idle connection readiness %#x; want OUT", ev)
			}
			_, r := e.read(cfd, 100)
			wantErr(t, "read with nothing", r, linux.EAGAIN)

			e.peerWrite(pid, []byte("GET / HTTP/1.1\r\n\r\n"))
			if ev := e.readiness(cfd); ev != linux.EPOLLIN|linux.EPOLLOUT {
				t.Fatalf("connection with data: readiness %#x; want IN|OUT", ev)
			}
			p := e.ubuf(8)
			if r := sys(sysRecvfrom, uintptr(cfd), p, 8, linux.MSG_PEEK, 0, 0); r != 8 || string(e.bytesAt(p, 8)) != "GET / HT" {
				t.Fatalf("MSG_PEEK: %d %q", r, e.bytesAt(p, r))
			}
			var fion uint32 = sockFionread(cs.index())
			if fion != 18 {
				t.Fatalf("FIONREAD %d; want 18", fion)
			}
			got, _ := e.read(cfd, 100)
			if string(got) != "GET / HTTP/1.1\r\n\r\n" {
				t.Fatalf("read %q", got)
			}
			resp := bytes.Repeat([]byte("x"), 3000)
			if n := e.write(cfd, resp); n != len(resp) {
				t.Fatalf("write = %d", n)
			}
			e.pump()
			if got := e.peerRead(pid); !bytes.Equal(got, resp) {
				t.Fatalf("peer got %d bytes; want %d", len(got), len(resp))
			}
			// The peer closes: EOF, RDHUP.
			e.peer.Close(pid, e.now)
			e.pump()
			if ev := e.readiness(cfd); ev&(linux.EPOLLIN|linux.EPOLLRDHUP) != linux.EPOLLIN|linux.EPOLLRDHUP {
				t.Fatalf("after the peer's FIN: readiness %#x; want IN|RDHUP", ev)
			}
			if _, r := e.read(cfd, 10); r != 0 {
				t.Fatalf("read after FIN = %d; want 0 (EOF)", r)
			}
			e.must("close", sys(sysClose, uintptr(cfd)))
			e.pump()
			if st := e.peer.Events(pid); st&ktcp.EvHup == 0 && st != ktcp.EvErr|ktcp.EvHup {
				t.Logf("peer events after our close %#x", st)
			}
			e.must("close listener", sys(sysClose, uintptr(fd)))
			if ktStackListeners(t) != 0 {
				t.Fatal("a ktcp listener survived close")
			}
		})
	}
}

// ktStackListeners counts the ktcp listeners the sockets hold.
func ktStackListeners(t *testing.T) int {
	n := 0
	for i := range socks {
		if socks[i].state != sockFree && socks[i].ktl >= 0 {
			n++
		}
	}
	return n
}

func (s *sock) index() int32 {
	return int32((uintptr(unsafe.Pointer(s)) - uintptr(unsafe.Pointer(&socks[0]))) / unsafe.Sizeof(socks[0]))
}

// TestKtcpRouting: which sockets go to ktcp. Loopback and the guest's own
// addresses stay with gVisor (connect posts to the bridge); an external
// IPv4 peer, also v4-mapped on an AF_INET6 socket, goes to ktcp.
func TestKtcpRouting(t *testing.T) {
	for _, tc := range []struct {
		name   string
		family uintptr
		addr   netcall.Sockaddr
		ktcp   bool
	}{
		{"external IPv4", linux.AF_INET, addr4(ktPeerIP, 80), true},
		{"v4-mapped external", linux.AF_INET6, addr6([16]byte{10: 0xff, 11: 0xff, 12: 10, 14: 2, 15: 2}, 80), true},
		{"loopback", linux.AF_INET, addr4(lo4, 80), false},
		{"own address", linux.AF_INET, addr4(ktGuestIP, 80), false},
		{"IPv6", linux.AF_INET6, addr6([16]byte{0: 0xfd, 15: 2}, 80), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newKtEnv(t)
			fd := e.must("socket", sys(sysSocket, tc.family, linux.SOCK_STREAM|linux.SOCK_NONBLOCK, 0))
			l := uintptr(16)
			if tc.family == linux.AF_INET6 {
				l = 28
			}
			r := sys(sysConnect, uintptr(fd), e.umem(tc.addr[:l]), l)
			s, _, _, _ := sockOf(uintptr(fd))
			if (s.kt >= 0) != tc.ktcp {
				t.Fatalf("connect = %d; on ktcp %v, want %v", r, s.kt >= 0, tc.ktcp)
			}
			if tc.ktcp && r != -int(linux.EINPROGRESS) {
				t.Fatalf("nonblocking connect = %d; want EINPROGRESS", r)
			}
			if !tc.ktcp && s.known != true && r != -int(linux.ENETUNREACH) {
				t.Fatalf("connect = %d: neither posted to the bridge nor unreachable", r)
			}
		})
	}
}

// TestKtcpConnect: a nonblocking connect to a listening peer completes
// (EPOLLOUT, SO_ERROR 0, getpeername), to a closed port fails with
// ECONNREFUSED through SO_ERROR and EPOLLERR; the local port comes from
// the kernel's ephemeral range.
func TestKtcpConnect(t *testing.T) {
	for _, tc := range []struct {
		name    string
		listen  bool
		wantErr linux.Errno
	}{
		{"established", true, 0},
		{"refused", false, linux.ECONNREFUSED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newKtEnv(t)
			var lid ktcp.ID
			if tc.listen {
				var er ktcp.Errno
				if lid, er = e.peer.Listen(ktPeerIP, 80, 8); er != ktcp.OK {
					t.Fatal(er)
				}
			}
			fd := e.must("socket", sys(sysSocket, linux.AF_INET, linux.SOCK_STREAM|linux.SOCK_NONBLOCK, 0))
			a, l := e.sockaddr(ktPeerIP, 80)
			wantErr(t, "connect", sys(sysConnect, uintptr(fd), a, l), linux.EINPROGRESS)
			if ev := e.readiness(fd); ev != 0 {
				t.Fatalf("connecting: readiness %#x", ev)
			}
			wantErr(t, "connect again", sys(sysConnect, uintptr(fd), a, l), linux.EALREADY)
			e.pump()
			ev := e.readiness(fd)
			v := e.ubuf(4)
			vl := e.umem([]byte{4, 0, 0, 0})
			e.must("SO_ERROR", sys(sysGetsockopt, uintptr(fd), linux.SOL_SOCKET, linux.SO_ERROR, v, vl))
			if got := linux.Errno(*(*int32)(uptr(v))); got != tc.wantErr {
				t.Fatalf("SO_ERROR = %v; want %v", got, tc.wantErr)
			}
			sa := e.ubuf(16)
			sl := e.umem([]byte{16, 0, 0, 0})
			if tc.wantErr != 0 {
				if ev&linux.EPOLLERR == 0 {
					t.Fatalf("refused: readiness %#x; want ERR", ev)
				}
				wantErr(t, "getpeername", sys(sysGetpeername, uintptr(fd), sa, sl), linux.ENOTCONN)
				return
			}
			if ev != linux.EPOLLOUT {
				t.Fatalf("connected: readiness %#x; want OUT", ev)
			}
			e.must("getpeername", sys(sysGetpeername, uintptr(fd), sa, sl))
			if want := addr4(ktPeerIP, 80); !bytes.Equal(e.bytesAt(sa, 16), want[:16]) {
				t.Fatalf("getpeername % x", e.bytesAt(sa, 16))
			}
			e.must("getsockname", sys(sysGetsockname, uintptr(fd), sa, sl))
			loc := (*netcall.Sockaddr)(uptr(sa))
			if ip, _ := saV4(loc); ip != ktGuestIP || saPort(loc) < ephemeralLo || saPort(loc) > ephemeralHi {
				t.Fatalf("local address %v:%d; want %v and an ephemeral port", ip, saPort(loc), ktGuestIP)
			}
			pid, er := e.peer.Accept(lid)
			if er != ktcp.OK {
				t.Fatalf("peer accept: %v", er)
			}
			// writev of two buffers, then the peer answers.
			iov := e.ubuf(32)
			b1, b2 := e.umem([]byte("hello, ")), e.umem([]byte("world"))
			*(*[4]uint64)(uptr(iov)) = [4]uint64{uint64(b1), 7, uint64(b2), 5}
			if n := sys(sysWritev, uintptr(fd), iov, 2); n != 12 {
				t.Fatalf("writev = %d", n)
			}
			e.pump()
			if got := e.peerRead(pid); string(got) != "hello, world" {
				t.Fatalf("peer got %q", got)
			}
			// shutdown(SHUT_WR): the peer reads EOF; we can still read.
			e.must("shutdown", sys(sysShutdown, uintptr(fd), linux.SHUT_WR))
			e.pump()
			if n, er := e.peer.Read(pid, make([]byte, 10)); n != 0 || er != ktcp.OK {
				t.Fatalf("peer read after our FIN: %d %v; want EOF", n, er)
			}
			wantErr(t, "write after SHUT_WR", sys(sysSendto, uintptr(fd), b1, 7, linux.MSG_NOSIGNAL, 0, 0), linux.EPIPE)
			e.peerWrite(pid, []byte("bye"))
			if got, _ := e.read(fd, 10); string(got) != "bye" {
				t.Fatalf("read after SHUT_WR %q", got)
			}
		})
	}
}

// TestKtcpReset: the peer resets the connection; the program sees
// ECONNRESET once (readiness ERR|HUP), then EOF; writes give EPIPE.
// close with SO_LINGER 0 resets the peer's side.
func TestKtcpReset(t *testing.T) {
	e := newKtEnv(t)
	fd, pid, cfd := e.accepted(9000)
	e.peer.Abort(pid)
	e.pump()
	if ev := e.readiness(cfd); ev&(linux.EPOLLERR|linux.EPOLLHUP) != linux.EPOLLERR|linux.EPOLLHUP {
		t.Fatalf("reset: readiness %#x; want ERR|HUP", ev)
	}
	_, r := e.read(cfd, 10)
	wantErr(t, "read after RST", r, linux.ECONNRESET)
	if _, r := e.read(cfd, 10); r != 0 {
		t.Fatalf("second read after RST = %d; want 0", r)
	}
	p := e.umem([]byte("x"))
	wantErr(t, "write after RST", sys(sysSendto, uintptr(cfd), p, 1, linux.MSG_NOSIGNAL, 0, 0), linux.EPIPE)

	// SO_LINGER {1, 0}: close sends a RST.
	pid = e.peerConnect(9000)
	cfd = e.must("accept", sys(sysAccept4, uintptr(fd), 0, 0, linux.SOCK_NONBLOCK))
	lg := e.umem([]byte{1, 0, 0, 0, 0, 0, 0, 0})
	e.must("SO_LINGER", sys(sysSetsockopt, uintptr(cfd), linux.SOL_SOCKET, linux.SO_LINGER, lg, 8))
	e.must("close", sys(sysClose, uintptr(cfd)))
	e.pump()
	if er := e.peer.Err(pid); er != ktcp.ECONNRESET {
		t.Fatalf("peer after our SO_LINGER 0 close: %v; want ECONNRESET", er)
	}
}

// TestKtcpPortTable: the kernel's port table stays the authority: a
// second listener on the port is refused with EADDRINUSE, an explicit
// bind's port is the connection's local port, and closing the listener
// frees the port (and ktcp's listener) at once.
func TestKtcpPortTable(t *testing.T) {
	e := newKtEnv(t)
	fd := e.listen(linux.AF_INET6, 7000)
	fd2 := e.must("socket", sys(sysSocket, linux.AF_INET, linux.SOCK_STREAM, 0))
	a, l := e.sockaddr(any4, 7000)
	wantErr(t, "bind to a listening port", sys(sysBind, uintptr(fd2), a, l), linux.EADDRINUSE)
	e.must("close", sys(sysClose, uintptr(fd)))
	e.must("bind after close", sys(sysBind, uintptr(fd2), a, l))
	e.must("listen", sys(sysListen, uintptr(fd2), 4))
	pid := e.peerConnect(7000)
	if !e.peer.Established(pid) {
		t.Fatal("no connection to the new listener")
	}

	// A bound port is the connection's source port.
	lid, _ := e.peer.Listen(ktPeerIP, 81, 4)
	fd3 := e.must("socket", sys(sysSocket, linux.AF_INET, linux.SOCK_STREAM|linux.SOCK_NONBLOCK, 0))
	a, l = e.sockaddr(any4, 45678)
	e.must("bind", sys(sysBind, uintptr(fd3), a, l))
	a, l = e.sockaddr(ktPeerIP, 81)
	wantErr(t, "connect", sys(sysConnect, uintptr(fd3), a, l), linux.EINPROGRESS)
	e.pump()
	cid, er := e.peer.Accept(lid)
	if er != ktcp.OK {
		t.Fatalf("peer accept: %v", er)
	}
	if _, _, _, rp := e.peer.Addrs(cid); rp != 45678 {
		t.Fatalf("source port %d; want the bound 45678", rp)
	}
}

// TestKtcpEpollEdge: an edge-triggered epoll sees the connection become
// readable each time data arrive after it was drained (no lost edge),
// and not when the program only reads.
func TestKtcpEpollEdge(t *testing.T) {
	e := newKtEnv(t)
	_, pid, cfd := e.accepted(8081)
	_, fi, _ := fileOf(uintptr(cfd))
	ep, _ := testEpoll(t)
	testAdd(t, ep, fi, linux.EPOLLIN|linux.EPOLLOUT|linux.EPOLLRDHUP|linux.EPOLLET)
	collect(ep) // the initial state
	for round := 0; round < 3; round++ {
		e.peerWrite(pid, []byte("ping"))
		got := collect(ep)
		if got[uint64(fi)]&linux.EPOLLIN == 0 {
			t.Fatalf("round %d: no EPOLLIN edge after data arrived (%v)", round, got)
		}
		if b, _ := e.read(cfd, 10); string(b) != "ping" {
			t.Fatalf("read %q", b)
		}
		_, r := e.read(cfd, 10)
		wantErr(t, "drained read", r, linux.EAGAIN)
		if got := collect(ep); len(got) != 0 {
			t.Fatalf("round %d: an event after only reading: %v", round, got)
		}
	}
}

// TestKtcpBulk moves 1 MiB each way through 16 KiB rings with
// nonblocking reads and writes that hit EAGAIN, in both directions.
func TestKtcpBulk(t *testing.T) {
	e := newKtEnv(t)
	_, pid, cfd := e.accepted(8082)
	data := make([]byte, 1<<20)
	for k := range data {
		data[k] = byte(k * 7 / 3)
	}
	// Guest → peer.
	src := e.umem(data)
	var sent int
	var got []byte
	for sent < len(data) {
		n := sys(sysWrite, uintptr(cfd), src+uintptr(sent), uintptr(len(data)-sent))
		if n < 0 && n != -int(linux.EAGAIN) {
			t.Fatalf("write: %v", linux.Errno(-n))
		}
		if n > 0 {
			sent += n
		}
		e.pump()
		got = append(got, e.peerRead(pid)...)
		e.pump()
	}
	for k := 0; k < 10 && len(got) < len(data); k++ {
		e.pump()
		got = append(got, e.peerRead(pid)...)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("peer got %d bytes, differing; want %d", len(got), len(data))
	}
	// Peer → guest.
	dst := e.ubuf(1 << 20)
	var off, recvd int
	for recvd < len(data) {
		if off < len(data) {
			n, _ := e.peer.Write(pid, data[off:])
			off += n
		}
		e.pump()
		n := sys(sysRead, uintptr(cfd), dst+uintptr(recvd), uintptr(len(data)-recvd))
		if n < 0 && n != -int(linux.EAGAIN) {
			t.Fatalf("read: %v", linux.Errno(-n))
		}
		if n > 0 {
			recvd += n
		}
		e.pump()
	}
	if !bytes.Equal(e.bytesAt(dst, len(data)), data) {
		t.Fatal("guest read data differ")
	}
}

// TestKtcpFault: bad buffers give EFAULT and lose no data.
func TestKtcpFault(t *testing.T) {
	e := newKtEnv(t)
	_, pid, cfd := e.accepted(8083)
	e.peerWrite(pid, []byte("data"))
	wantErr(t, "recvfrom into unmapped memory", sys(sysRecvfrom, uintptr(cfd), 0x1000, 4, 0, 0, 0), linux.EFAULT)
	wantErr(t, "sendto from unmapped memory", sys(sysSendto, uintptr(cfd), 0x1000, 4, 0, 0, 0), linux.EFAULT)
	if b, _ := e.read(cfd, 10); string(b) != "data" {
		t.Fatalf("read after EFAULT %q", b)
	}
}

// TestKtcpQueues: SIOCOUTQ counts written bytes until the peer
// acknowledges them, FIONREAD the bytes that wait to be read.
func TestKtcpQueues(t *testing.T) {
	e := newKtEnv(t)
	_, pid, cfd := e.accepted(8084)
	v := e.ubuf(4)
	ioctl := func(req uintptr) uint32 {
		e.must("ioctl", sys(sysIoctl, uintptr(cfd), req, v))
		return *(*uint32)(uptr(v))
	}
	if n := e.write(cfd, make([]byte, 1000)); n != 1000 {
		t.Fatalf("write = %d", n)
	}
	if q := ioctl(linux.TIOCOUTQ); q != 1000 {
		t.Fatalf("SIOCOUTQ before the ACK = %d; want 1000", q)
	}
	e.pump()
	if q := ioctl(linux.TIOCOUTQ); q != 0 {
		t.Fatalf("SIOCOUTQ after the ACK = %d; want 0", q)
	}
	e.peerWrite(pid, make([]byte, 300))
	if q := ioctl(linux.FIONREAD); q != 300 {
		t.Fatalf("FIONREAD = %d; want 300", q)
	}
}

// TestKtcpRecvmsg: recvmsg scatters over iovecs, with MSG_PEEK too (the
// second iovec's bytes come from past the first's), and MSG_WAITALL on a
// nonblocking socket returns what there is; msg_name gets the peer.
func TestKtcpRecvmsg(t *testing.T) {
	e := newKtEnv(t)
	_, pid, cfd := e.accepted(8085)
	e.peerWrite(pid, []byte("abcdefghij"))
	for _, tc := range []struct {
		name  string
		flags uintptr
		want  string
	}{
		{"peek", linux.MSG_PEEK, "abcdefg"},
		{"read", 0, "abcdefg"},
		{"waitall, nonblocking", linux.MSG_WAITALL | linux.MSG_DONTWAIT, "hij"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b1, b2 := e.ubuf(3), e.ubuf(4)
			iov := e.ubuf(32)
			*(*[4]uint64)(uptr(iov)) = [4]uint64{uint64(b1), 3, uint64(b2), 4}
			name := e.ubuf(16)
			hdr := e.ubuf(int(unsafe.Sizeof(linux.Msghdr{})))
			*(*linux.Msghdr)(uptr(hdr)) = linux.Msghdr{Name: uint64(name), Namelen: 16, Iov: uint64(iov), Iovlen: 2}
			n := e.must("recvmsg", sys(sysRecvmsg, uintptr(cfd), hdr, tc.flags))
			got := string(append(e.bytesAt(b1, min(n, 3)), e.bytesAt(b2, max(0, n-3))...))
			if got != tc.want {
				t.Fatalf("recvmsg = %q; want %q", got, tc.want)
			}
			_, pport, _, _ := e.peer.Addrs(pid)
			if want := addr4(ktPeerIP, pport); !bytes.Equal(e.bytesAt(name, 16), want[:16]) {
				t.Fatalf("msg_name % x; want % x", e.bytesAt(name, 16), want[:16])
			}
		})
	}
}

// ktcpSyn builds an IPv4 SYN from src:sport to dst:dport (no options).
func ktcpSyn(src, dst [4]byte, sport, dport uint16, seq uint32) []byte {
	const tl = header.TCPMinimumSize
	b := make([]byte, header.IPv4MinimumSize+tl)
	ip := header.IPv4(b)
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(ip)), TTL: 64, Protocol: 6,
		SrcAddr: tcpip.AddrFrom4(src), DstAddr: tcpip.AddrFrom4(dst)})
	ip.SetChecksum(^ip.CalculateChecksum())
	tcp := header.TCP(ip[header.IPv4MinimumSize:])
	tcp.Encode(&header.TCPFields{SrcPort: sport, DstPort: dport, SeqNum: seq, DataOffset: tl,
		Flags: header.TCPFlagSyn, WindowSize: 65535})
	xsum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, tcpip.AddrFrom4(src), tcpip.AddrFrom4(dst), tl)
	tcp.SetChecksum(^checksum.Checksum(tcp, xsum))
	return b
}

func (e *ktEnv) sockOfFD(fd int) int32 {
	_, fi, ok := fileOf(uintptr(fd))
	if !ok {
		e.t.Fatalf("fd %d not open", fd)
	}
	return files[fi].obj
}

// TestKtcpTimeWaitOwnedReleased: a socket that shut its side first and
// then got the peer's FIN holds a TIME-WAIT connection until close(2);
// a new SYN for the same four-tuple (the peer reusing its port, RFC 6191)
// ended TIME-WAIT by releasing the connection although the socket still
// owned it, so the socket's ID went stale: read(2) returned EBADF instead
// of 0 (EOF). (Review finding 6.)
func TestKtcpTimeWaitOwnedReleased(t *testing.T) {
	e := newKtEnv(t)
	_, pid, cfd := e.accepted(8090)
	_, _, _, pport := ktStack.Addrs(socks[e.sockOfFD(cfd)].kt)
	e.must("shutdown", sys(sysShutdown, uintptr(cfd), linux.SHUT_WR))
	e.pump()
	e.peer.Close(pid, e.now)
	e.pump()
	if st := ktStack.State(socks[e.sockOfFD(cfd)].kt); st != "TIME-WAIT" {
		t.Fatalf("guest state %s; want TIME-WAIT", st)
	}
	if _, r := e.read(cfd, 10); r != 0 {
		t.Fatalf("read at EOF = %d; want 0", r)
	}
	e.now += 5e9
	// The peer's new SYN from the same port, far ahead in sequence space.
	// (One of two sequence numbers half the space apart is after rcv.nxt.)
	ktStack.Input(ktcpSyn(ktPeerIP, ktGuestIP, pport, 8090, 0x10000000), e.now)
	ktStack.Input(ktcpSyn(ktPeerIP, ktGuestIP, pport, 8090, 0x90000000), e.now)
	ktPoll()
	e.toPeer = nil
	if _, r := e.read(cfd, 10); r != 0 {
		t.Fatalf("read at EOF after a new SYN for the TIME-WAIT's four-tuple = %d (%v); want 0", r, linux.Errno(-r))
	}
}

// TestKtcpShutRdKeepsQueuedData: after shutdown(SHUT_RD) Linux's
// tcp_recvmsg still returns the bytes already received (RCV_SHUTDOWN is
// checked only when nothing was copied), and so does this kernel's gVisor
// path (sockRecv checks FlagShutRead after reading the ring); ktRecv
// broke out before reading and returned 0, dropping them. (Finding 7.)
func TestKtcpShutRdKeepsQueuedData(t *testing.T) {
	e := newKtEnv(t)
	_, pid, cfd := e.accepted(8096)
	e.peerWrite(pid, []byte("hello"))
	e.must("shutdown", sys(sysShutdown, uintptr(cfd), linux.SHUT_RD))
	if b, r := e.read(cfd, 10); string(b) != "hello" {
		t.Fatalf("read after SHUT_RD with 5 bytes queued = %d %q; want \"hello\" (Linux, and the gVisor path)", r, b)
	}
	if b, r := e.read(cfd, 10); r != 0 {
		t.Fatalf("read after SHUT_RD with nothing queued = %d %q; want 0 (EOF)", r, b)
	}
}

// TestKtcpShutdownWhileConnecting: shutdown(SHUT_WR) on a socket whose
// nonblocking connect is under way returned 0 and marked the socket, but
// ktShutdown acted only on a connected socket: once the handshake
// completed no FIN ever left, the peer waited forever for EOF. Now the
// FIN follows the handshake (Linux disconnects a SYN-SENT socket instead;
// either way the peer must not be left with a connection that never
// ends). (Finding 5.)
func TestKtcpShutdownWhileConnecting(t *testing.T) {
	e := newKtEnv(t)
	lid, er := e.peer.Listen(ktPeerIP, 82, 4)
	if er != ktcp.OK {
		t.Fatalf("peer listen: %v", er)
	}
	c := e.must("socket", sys(sysSocket, linux.AF_INET, linux.SOCK_STREAM|linux.SOCK_NONBLOCK, 0))
	a, l := e.sockaddr(ktPeerIP, 82)
	wantErr(t, "connect", sys(sysConnect, uintptr(c), a, l), linux.EINPROGRESS)
	r := sys(sysShutdown, uintptr(c), linux.SHUT_WR)
	e.pump()
	pid, er := e.peer.Accept(lid)
	if er != ktcp.OK {
		if r == 0 {
			t.Fatalf("shutdown succeeded but the peer has no connection: %v", er)
		}
		return // refused and never connected: acceptable
	}
	n, rer := e.peer.Read(pid, make([]byte, 16))
	if n == 0 && rer == ktcp.EAGAIN && e.peer.Err(pid) == ktcp.OK {
		t.Fatalf("shutdown(SHUT_WR) during connect = %d; the connection then established and the peer never sees a FIN (state %s)",
			r, e.peer.State(pid))
	}
}

// TestKtcpSynFloodStarvesConnect: a listener with Go's backlog
// (SOMAXCONN, 4096: net.Listen passes it) let a SYN flood (spoofed
// sources that never answer the SYN-ACK) take every slot of ktcp's table,
// which is smaller than the backlog (1024 at most; 32 here); the
// program's outgoing connect then failed with ENOBUFS, which Linux (SYN
// cookies, a half-open queue bounded independently of the socket table)
// never does. (Finding 3.)
func TestKtcpSynFloodStarvesConnect(t *testing.T) {
	e := newKtEnv(t)
	fd := e.must("socket", sys(sysSocket, linux.AF_INET, linux.SOCK_STREAM|linux.SOCK_NONBLOCK, 0))
	a, l := e.sockaddr(any4, 80)
	e.must("bind", sys(sysBind, uintptr(fd), a, l))
	e.must("listen", sys(sysListen, uintptr(fd), linux.SOMAXCONN))
	for k := 0; k < 64; k++ {
		src := [4]byte{10, 0, 2, byte(100 + k%50)}
		ktStack.Input(ktcpSyn(src, ktGuestIP, uint16(20000+k), 80, uint32(k)*7919), e.now)
	}
	ktPoll()
	e.toPeer = nil // the SYN-ACKs go nowhere
	if _, er := e.peer.Listen(ktPeerIP, 81, 4); er != ktcp.OK {
		t.Fatalf("peer listen: %v", er)
	}
	c := e.must("socket", sys(sysSocket, linux.AF_INET, linux.SOCK_STREAM|linux.SOCK_NONBLOCK, 0))
	a, l = e.sockaddr(ktPeerIP, 81)
	if r := sys(sysConnect, uintptr(c), a, l); r != -int(linux.EINPROGRESS) {
		t.Fatalf("connect during a SYN flood on another port = %d (%v); want EINPROGRESS", r, linux.Errno(-r))
	}
}

// TestKtcpReuseportHandoff: two SO_REUSEPORT listeners on one port
// (a graceful restart: the new server starts, the old one closes); only
// the first gets a ktcp listener (ktListen ignores EADDRINUSE), and when
// it closed, connections from the network were refused although the
// second still listened; now the second takes the port over. (Finding 4.)
func TestKtcpReuseportHandoff(t *testing.T) {
	e := newKtEnv(t)
	one := e.umem([]byte{1, 0, 0, 0})
	var fds [2]int
	for k := range fds {
		fds[k] = e.must("socket", sys(sysSocket, linux.AF_INET, linux.SOCK_STREAM|linux.SOCK_NONBLOCK, 0))
		e.must("SO_REUSEPORT", sys(sysSetsockopt, uintptr(fds[k]), linux.SOL_SOCKET, linux.SO_REUSEPORT, one, 4))
		a, l := e.sockaddr(any4, 8095)
		e.must("bind", sys(sysBind, uintptr(fds[k]), a, l))
		e.must("listen", sys(sysListen, uintptr(fds[k]), 16))
	}
	e.must("close", sys(sysClose, uintptr(fds[0])))
	e.pump()
	pid := e.peerConnect(8095)
	if !e.peer.Established(pid) {
		t.Fatalf("connection to the remaining SO_REUSEPORT listener: %v (%s)", e.peer.Err(pid), e.peer.State(pid))
	}
}

// TestKtcpListenAgainBacklog: listen(2) on a listening socket changes the
// backlog of its ktcp listener too: a full accept queue (backlog 1)
// drops a SYN, and after listen(fd, 4) the next connection gets in.
func TestKtcpListenAgainBacklog(t *testing.T) {
	e := newKtEnv(t)
	fd := e.must("socket", sys(sysSocket, linux.AF_INET, linux.SOCK_STREAM|linux.SOCK_NONBLOCK, 0))
	a, l := e.sockaddr(any4, 8097)
	e.must("bind", sys(sysBind, uintptr(fd), a, l))
	e.must("listen", sys(sysListen, uintptr(fd), 1))
	if p := e.peerConnect(8097); !e.peer.Established(p) {
		t.Fatalf("first connection: %s", e.peer.State(p))
	}
	if p := e.peerConnect(8097); e.peer.Established(p) {
		t.Fatal("second connection established with backlog 1 and one queued")
	}
	e.must("listen again", sys(sysListen, uintptr(fd), 4))
	if p := e.peerConnect(8097); !e.peer.Established(p) {
		t.Fatalf("connection after listen(fd, 4): %s; want ESTABLISHED (the backlog did not change)", e.peer.State(p))
	}
}

// TestKtcpConnectUnroutable: connect(2) to an address no TCP packet can
// go to fails at once with ENETUNREACH, as Linux, instead of sending
// nothing until the connect times out.
func TestKtcpConnectUnroutable(t *testing.T) {
	for _, tc := range []struct {
		name string
		ip   [4]byte
		gw   bool
		want linux.Errno
	}{
		{"subnet broadcast", [4]byte{10, 0, 2, 255}, true, linux.ENETUNREACH},
		{"limited broadcast", [4]byte{255, 255, 255, 255}, true, linux.ENETUNREACH},
		{"multicast", [4]byte{224, 0, 0, 1}, true, linux.ENETUNREACH},
		{"off-link without a gateway", [4]byte{192, 0, 2, 1}, false, linux.ENETUNREACH},
		{"off-link with a gateway", [4]byte{192, 0, 2, 1}, true, linux.EINPROGRESS},
		{"on-link", ktPeerIP, false, linux.EINPROGRESS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newKtEnv(t)
			var gw *netcall.Sockaddr
			if tc.gw {
				g := addr4([4]byte{10, 0, 2, 1}, 0)
				gw = &g
			}
			setIPv4([]netcall.Addr{{Sockaddr: addr4(ktGuestIP, 0), Prefix: 24}}, gw)
			c := e.must("socket", sys(sysSocket, linux.AF_INET, linux.SOCK_STREAM|linux.SOCK_NONBLOCK, 0))
			a, l := e.sockaddr(tc.ip, 80)
			wantErr(t, "connect", sys(sysConnect, uintptr(c), a, l), tc.want)
		})
	}
}

// TestKtcpBuffersOnConnected: SO_SNDBUF set on a connected socket lets
// its send ring grow past the stack's default, as Linux applies it to
// sk_sndbuf at once.
func TestKtcpBuffersOnConnected(t *testing.T) {
	e := newKtEnv(t)
	_, _, cfd := e.accepted(8098)
	v := e.umem([]byte{0, 0, 1, 0}) // 64 KiB: 128 KiB doubled
	e.must("SO_SNDBUF", sys(sysSetsockopt, uintptr(cfd), linux.SOL_SOCKET, linux.SO_SNDBUF, v, 4))
	n := e.write(cfd, make([]byte, 100<<10)) // nothing is acknowledged: it all stays queued
	if n <= 32<<10 {
		t.Fatalf("write of 100 KiB after SO_SNDBUF=64 KiB took %d bytes; want more than the default 16 KiB ring", n)
	}
}

// TestKtcpAcceptEMFILE: accept(2) without a free descriptor fails with
// EMFILE and leaves the connection queued, as Linux: once a descriptor is
// free the same connection is accepted and carries data.
func TestKtcpAcceptEMFILE(t *testing.T) {
	e := newKtEnv(t)
	fd := e.listen(linux.AF_INET, 8099)
	pid := e.peerConnect(8099)
	var dups []int
	for {
		d := sys(sysDup, uintptr(fd))
		if d < 0 {
			wantErr(t, "dup", d, linux.EMFILE)
			break
		}
		dups = append(dups, d)
	}
	wantErr(t, "accept with no free descriptor", sys(sysAccept4, uintptr(fd), 0, 0, linux.SOCK_NONBLOCK), linux.EMFILE)
	e.pump()
	if !e.peer.Established(pid) {
		t.Fatalf("the peer's connection after the failed accept: %s (%v); want ESTABLISHED", e.peer.State(pid), e.peer.Err(pid))
	}
	e.must("close", sys(sysClose, uintptr(dups[0])))
	cfd := e.must("accept", sys(sysAccept4, uintptr(fd), 0, 0, linux.SOCK_NONBLOCK))
	e.peerWrite(pid, []byte("still here"))
	if b, _ := e.read(cfd, 20); string(b) != "still here" {
		t.Fatalf("read on the connection accepted after EMFILE = %q; want \"still here\"", b)
	}
}
