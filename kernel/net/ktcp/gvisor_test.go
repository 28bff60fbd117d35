package ktcp

// Interop against gVisor's TCP (gvisor.dev/gvisor/pkg/tcpip): our stack
// at 10.0.0.1 and a gVisor stack at 10.0.0.2 joined by gVisor's channel
// link endpoint, with seeded drops, duplicates and reordering on the link.

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

var ourAddr, gvAddr = [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}

// impair is what the link does to frames (probabilities per frame).
type impair struct {
	drop, dup, reorder float64
}

type gvLink struct {
	t     *testing.T
	st    *stack.Stack
	ep    *channel.Endpoint
	start time.Time

	mu      sync.Mutex
	cond    *sync.Cond
	k       *Stack
	buf     []byte
	rnd     *rand.Rand
	imp     impair
	held    [2][]byte // a frame held back per direction (reordering)
	segsOut int       // segments our stack sent
	// onInput runs (with mu held) after each frame our stack took in,
	// before its output is sent: an application running in the kernel's
	// receive path.
	onInput func(k *Stack)

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

const (
	dirOut = 0 // our stack → gVisor
	dirIn  = 1 // gVisor → our stack
)

func newGVLink(t *testing.T, cfg Config, imp impair, seed int64) *gvLink {
	t.Helper()
	st := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol},
	})
	ep := channel.New(4096, 1500, "")
	if err := st.CreateNIC(1, ep); err != nil {
		t.Fatalf("CreateNIC: %v", err)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddrFrom4(gvAddr).WithPrefix()}
	if err := st.AddProtocolAddress(1, pa, stack.AddressProperties{}); err != nil {
		t.Fatalf("AddProtocolAddress: %v", err)
	}
	st.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: 1}})
	cfg.Secret[3] = byte(seed)
	l := &gvLink{t: t, st: st, ep: ep, start: time.Now(), k: New(cfg), buf: make([]byte, 1500),
		rnd: rand.New(rand.NewSource(seed)), imp: imp}
	l.cond = sync.NewCond(&l.mu)
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.wg.Add(2)
	go l.reader(ctx)
	go l.ticker(ctx)
	t.Cleanup(l.close)
	return l
}

func (l *gvLink) close() {
	l.cancel()
	l.wg.Wait()
	l.st.Close()
	l.st.Wait()
}

func (l *gvLink) now() int64 { return int64(time.Since(l.start)) + int64(time.Second) }

// reader takes gVisor's frames to our stack.
func (l *gvLink) reader(ctx context.Context) {
	defer l.wg.Done()
	for {
		pkt := l.ep.ReadContext(ctx)
		if pkt == nil {
			return
		}
		v := pkt.ToView()
		b := append([]byte(nil), v.AsSlice()...)
		v.Release()
		pkt.DecRef()
		l.mu.Lock()
		l.pass(dirIn, b)
		l.pump()
		l.mu.Unlock()
		l.cond.Broadcast()
	}
}

// ticker runs our timers and releases held frames.
func (l *gvLink) ticker(ctx context.Context) {
	defer l.wg.Done()
	tk := time.NewTicker(time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		l.mu.Lock()
		for d := range l.held {
			if b := l.held[d]; b != nil {
				l.held[d] = nil
				l.deliver(d, b)
			}
		}
		l.k.Tick(l.now())
		l.pump()
		l.mu.Unlock()
		l.cond.Broadcast()
	}
}

// pass applies the link's impairments to a frame going in direction d.
func (l *gvLink) pass(d int, b []byte) {
	r := l.rnd.Float64()
	switch {
	case r < l.imp.drop:
		return
	case r < l.imp.drop+l.imp.dup:
		l.deliver(d, b)
		l.deliver(d, b)
	case r < l.imp.drop+l.imp.dup+l.imp.reorder && l.held[d] == nil:
		l.held[d] = b // overtaken by the next frame
		return
	default:
		l.deliver(d, b)
	}
	if h := l.held[d]; h != nil {
		l.held[d] = nil
		l.deliver(d, h)
	}
}

func (l *gvLink) deliver(d int, b []byte) {
	if d == dirIn {
		l.k.Input(b, l.now())
		if l.onInput != nil {
			l.onInput(l.k)
		}
		return
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(b)})
	l.ep.InjectInbound(ipv4.ProtocolNumber, pkt)
	pkt.DecRef()
}

// pump sends everything our stack has to send. Preconditions: l.mu held.
func (l *gvLink) pump() {
	for {
		n := l.k.Output(l.buf, l.now())
		if n == 0 {
			return
		}
		l.segsOut++
		l.pass(dirOut, append([]byte(nil), l.buf[:n]...))
	}
}

// do runs f on our stack and sends what it queued.
func (l *gvLink) do(f func(k *Stack)) {
	l.mu.Lock()
	f(l.k)
	l.pump()
	l.mu.Unlock()
	l.cond.Broadcast()
}

// wait waits until f (run with mu held) is true.
func (l *gvLink) wait(what string, f func(k *Stack) bool) {
	l.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	l.mu.Lock()
	defer l.mu.Unlock()
	for !f(l.k) {
		if time.Now().After(deadline) {
			l.t.Fatalf("timed out waiting for %s", what)
		}
		l.cond.Wait() // the ticker broadcasts every millisecond
	}
}

func (l *gvLink) gvFull(port uint16) tcpip.FullAddress {
	return tcpip.FullAddress{NIC: 1, Addr: tcpip.AddrFrom4(gvAddr), Port: port}
}

func (l *gvLink) dialUs(port uint16) (*gonet.TCPConn, error) {
	return gonet.DialTCP(l.st, tcpip.FullAddress{Addr: tcpip.AddrFrom4(ourAddr), Port: port}, ipv4.ProtocolNumber)
}

// readAll reads our connection until EOF, hashing it.
func (l *gvLink) readAll(id ID) ([32]byte, int, Errno) {
	h := sha256.New()
	total := 0
	buf := make([]byte, 32<<10)
	for {
		var n int
		var err Errno
		l.wait("data or EOF", func(k *Stack) bool {
			n, err = k.Read(id, buf)
			return err != EAGAIN
		})
		if err != OK {
			return [32]byte{}, total, err
		}
		if n == 0 {
			var sum [32]byte
			copy(sum[:], h.Sum(nil))
			return sum, total, OK
		}
		h.Write(buf[:n])
		total += n
	}
}

// writeAll writes data to our connection, then closes it.
func (l *gvLink) writeAll(id ID, data []byte) Errno {
	for len(data) > 0 {
		var n int
		var err Errno
		l.wait("room to write", func(k *Stack) bool {
			n, err = k.Write(id, data)
			if err == OK {
				l.pump()
			}
			return err != EAGAIN
		})
		if err != OK {
			return err
		}
		data = data[n:]
	}
	var err Errno
	l.do(func(k *Stack) { err = k.Close(id, l.now()) })
	return err
}

func testData(n int, seed int64) ([]byte, [32]byte) {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b, sha256.Sum256(b)
}

// acceptOne waits for a connection on our listener.
func (l *gvLink) acceptOne(lid ID) ID {
	var c ID
	l.wait("a connection to accept", func(k *Stack) bool {
		var err Errno
		c, err = k.Accept(lid)
		return err == OK
	})
	return c
}

// TestGVisorBulk moves several MiB each way between our stack and
// gVisor's, over a clean and over a lossy, duplicating, reordering link,
// with connections opened from either side, and checks every byte.
func TestGVisorBulk(t *testing.T) {
	const size = 4 << 20
	lossy := impair{drop: 0.02, dup: 0.01, reorder: 0.02}
	for _, tc := range []struct {
		name   string
		imp    impair
		weDial bool // our stack opens the connection
		weSend bool // our stack sends the data
		seed   int64
		size   int
		rxBuf  int
		grow   bool // rings start at 4 KiB and grow (the default), or at full size
	}{
		{"gvisor-dials/we-send/clean", impair{}, false, true, 1, size, 0, false},
		{"gvisor-dials/gvisor-sends/clean", impair{}, false, false, 2, size, 0, false},
		{"we-dial/we-send/clean", impair{}, true, true, 3, size, 0, false},
		{"we-dial/gvisor-sends/clean", impair{}, true, false, 4, size, 0, false},
		{"gvisor-dials/we-send/lossy", lossy, false, true, 5, size / 4, 0, false},
		{"gvisor-dials/gvisor-sends/lossy", lossy, false, false, 6, size / 4, 0, false},
		{"we-dial/we-send/lossy", lossy, true, true, 7, size / 4, 0, false},
		{"we-dial/gvisor-sends/lossy/small-window", lossy, true, false, 8, size / 4, 4096, false},
		{"gvisor-dials/gvisor-sends/clean/growing", impair{}, false, false, 9, size, 0, true},
		{"gvisor-dials/we-send/lossy/growing", lossy, false, true, 10, size / 4, 0, true},
		{"we-dial/gvisor-sends/lossy/growing", lossy, true, false, 11, size / 4, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{MaxConns: 16, RxBuf: tc.rxBuf, InitRTO: 200 * time.Millisecond}
			if !tc.grow {
				cfg.InitBuf = -1 // rings at full size from the start
			}
			l := newGVLink(t, cfg, tc.imp, tc.seed)
			data, want := testData(tc.size, tc.seed)
			var gc net.Conn
			var id ID
			if tc.weDial {
				gl, err := gonet.ListenTCP(l.st, l.gvFull(8080), ipv4.ProtocolNumber)
				if err != nil {
					t.Fatal(err)
				}
				defer gl.Close()
				l.do(func(k *Stack) { id, _ = k.Connect(ourAddr, 0, gvAddr, 8080, l.now()) })
				if gc, err = gl.Accept(); err != nil {
					t.Fatal(err)
				}
			} else {
				var lid ID
				l.do(func(k *Stack) { lid, _ = k.Listen(ourAddr, 80, 8) })
				var err error
				if gc, err = l.dialUs(80); err != nil {
					t.Fatal(err)
				}
				id = l.acceptOne(lid)
			}
			defer gc.Close()
			if tc.weSend {
				done := make(chan [32]byte)
				go func() {
					h := sha256.New()
					if _, err := io.Copy(h, gc); err != nil {
						t.Errorf("gVisor read: %v", err)
					}
					var s [32]byte
					copy(s[:], h.Sum(nil))
					done <- s
				}()
				if err := l.writeAll(id, data); err != OK {
					t.Fatalf("writing: %v", err)
				}
				if got := <-done; got != want {
					t.Errorf("gVisor received a different stream (sha256 %x; want %x)", got, want)
				}
			} else {
				go func() {
					if _, err := gc.Write(data); err != nil {
						t.Errorf("gVisor write: %v", err)
					}
					gc.Close()
				}()
				got, n, err := l.readAll(id)
				if err != OK || got != want {
					t.Errorf("received %d bytes, err %v, sha256 %x; want %d, %x", n, err, got, len(data), want)
				}
				l.do(func(k *Stack) { k.Close(id, l.now()) })
			}
			l.mu.Lock()
			t.Logf("stats: %+v", l.k.Stats)
			if c := l.k.conns[id.index()]; tc.grow && max(c.rx.size, c.tx.size) != 64<<10 && c.state != stFree {
				t.Errorf("rings after the transfer: %d, %d; want one grown to 64 KiB", c.rx.size, c.tx.size)
			}
			l.mu.Unlock()
		})
	}
}

// TestGVisorRequestResponse serves requests from gVisor with the server
// running in our receive path (as the kernel will: the read and the
// response happen before the output is sent) and checks that each
// response leaves as ONE segment carrying the delayed ACK.
func TestGVisorRequestResponse(t *testing.T) {
	l := newGVLink(t, Config{MaxConns: 16}, impair{}, 9)
	var lid, srv ID = -1, -1
	l.do(func(k *Stack) { lid, _ = k.Listen(ourAddr, 80, 8) })
	buf := make([]byte, 4096)
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
	l.onInput = func(k *Stack) {
		if srv < 0 {
			if c, err := k.Accept(lid); err == OK {
				srv = c
			}
			return
		}
		if n, err := k.Read(srv, buf); err == OK && n > 0 {
			k.Write(srv, resp)
		}
	}
	gc, err := l.dialUs(80)
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	req := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	got := make([]byte, len(resp))
	const warmup, n = 20, 200
	var before int
	for i := range warmup + n {
		if i == warmup {
			l.mu.Lock()
			before = l.segsOut
			l.mu.Unlock()
		}
		if _, err := gc.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(gc, got); err != nil {
			t.Fatal(err)
		}
	}
	l.mu.Lock()
	segs := l.segsOut - before
	l.mu.Unlock()
	if segs != n {
		t.Errorf("%d segments sent for %d responses; want exactly one per response (the ACK of the request rides on it)", segs, n)
	}
}

// TestGVisorClose closes from either side and from both at once.
func TestGVisorClose(t *testing.T) {
	for _, tc := range []struct {
		name      string
		who       string // "us", "gvisor", "both"
		wantState string // ours, in the end (before we give the ID up)
	}{
		{"we-close-first", "us", "TIME-WAIT"},
		{"gvisor-closes-first", "gvisor", "CLOSED"},
		{"simultaneous", "both", "TIME-WAIT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newGVLink(t, Config{MaxConns: 16}, impair{}, 10)
			var lid ID
			l.do(func(k *Stack) { lid, _ = k.Listen(ourAddr, 80, 8) })
			gc, err := l.dialUs(80)
			if err != nil {
				t.Fatal(err)
			}
			id := l.acceptOne(lid)
			seen := map[string]bool{}
			l.mu.Lock()
			l.onInput = func(k *Stack) { seen[k.State(id)] = true }
			l.mu.Unlock()
			switch tc.who {
			case "us":
				l.do(func(k *Stack) { k.Shutdown(id) })
				if _, err := gc.Read(make([]byte, 1)); err != io.EOF {
					t.Fatalf("gVisor read after our FIN: %v; want EOF", err)
				}
				gc.Close()
			case "gvisor":
				gc.Close()
				l.wait("CLOSE-WAIT", func(k *Stack) bool { return k.State(id) == "CLOSE-WAIT" })
				l.do(func(k *Stack) { k.Shutdown(id) })
			case "both":
				// Hold our stack while both FINs leave, so they cross.
				l.mu.Lock()
				l.k.Shutdown(id)
				gc.Close()
				time.Sleep(20 * time.Millisecond)
				l.pump()
				l.mu.Unlock()
			}
			l.wait(tc.wantState, func(k *Stack) bool { return k.State(id) == tc.wantState })
			l.mu.Lock()
			if tc.who == "both" && !seen["CLOSING"] {
				t.Errorf("states seen: %v; want CLOSING (the FINs crossed)", seen)
			}
			l.mu.Unlock()
			l.do(func(k *Stack) { k.Close(id, l.now()) })
		})
	}
}

// TestGVisorRefused checks RSTs for closed ports both ways.
func TestGVisorRefused(t *testing.T) {
	l := newGVLink(t, Config{MaxConns: 16}, impair{}, 11)
	if _, err := l.dialUs(81); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("gVisor dialing a closed port of ours: %v; want connection refused", err)
	}
	var id ID
	l.do(func(k *Stack) { id, _ = k.Connect(ourAddr, 0, gvAddr, 9, l.now()) })
	l.wait("refusal", func(k *Stack) bool { return k.Err(id) != OK })
	if err := l.k.Err(id); err != ECONNREFUSED {
		t.Errorf("connecting to a closed gVisor port: %v; want ECONNREFUSED", err)
	}
}
