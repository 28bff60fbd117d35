package ktcp

import (
	"testing"
	"time"
	"unsafe"
)

// testRings is a ring allocator for tests: at most limit blocks out at a
// time, each checked on its way back.
type testRings struct {
	t     *testing.T
	limit int
	out   map[uintptr]int
	keep  [][]byte // keeps the blocks alive (the stack holds addresses)
	fails int
}

func newTestRings(t *testing.T, limit int) *testRings {
	return &testRings{t: t, limit: limit, out: map[uintptr]int{}}
}

func (r *testRings) config(cfg Config) Config {
	cfg.AllocRing = r.alloc
	cfg.FreeRing = r.free
	return cfg
}

func (r *testRings) alloc(n int) (uintptr, bool) {
	if n < 4096 || n&(n-1) != 0 {
		r.t.Errorf("AllocRing(%d): not a power of two >= 4096", n)
	}
	if len(r.out) >= r.limit {
		r.fails++
		return 0, false
	}
	b := make([]byte, n)
	r.keep = append(r.keep, b)
	base := uintptr(unsafe.Pointer(&b[0]))
	r.out[base] = n
	return base, true
}

func (r *testRings) free(base uintptr, n int) {
	if m, ok := r.out[base]; !ok || m != n {
		r.t.Errorf("FreeRing(%#x, %d): not out (out with %d, %v)", base, n, m, ok)
	}
	delete(r.out, base)
}

// TestInit checks the in-place setup: no allocation with the caller's
// tables, whatever their alignment, and a stack that works.
func TestInit(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		skew int
	}{
		{"defaults", Config{}, 0},
		{"kernel", Config{MaxConns: 1024}, 3},
		{"small", Config{MaxConns: 4, RxBuf: 4096, TxBuf: 4096}, 5},
		{"max", Config{MaxConns: 1 << 20}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := TableBytes(tc.cfg)
			tables := make([]byte, n+tc.skew)[tc.skew:]
			for i := range tables {
				tables[i] = 0xa5 // Init must not rely on zeroed tables
			}
			var s Stack
			if a := testing.AllocsPerRun(5, func() { Init(&s, tc.cfg, tables) }); a != 0 {
				t.Errorf("Init: %v allocations; want 0", a)
			}
			if len(s.conns) != min(max(tc.cfg.MaxConns, 256*boolInt(tc.cfg.MaxConns == 0)), 0xffff) {
				t.Errorf("conns = %d for MaxConns %d", len(s.conns), tc.cfg.MaxConns)
			}
			if tc.cfg.MaxConns == 1024 && n > 512<<10 {
				t.Errorf("TableBytes(1024 connections) = %d; want a few hundred KiB", n)
			}
			rings := newTestRings(t, 8)
			Init(&s, rings.config(tc.cfg), tables)
			lid, err := s.Listen(ourAddr, 80, 4)
			if err != OK {
				t.Fatalf("Listen = %v", err)
			}
			s.Input(craft(seg{sport: 1234, dport: 80, seq: peerISN, flags: flagSYN, wnd: 65535, mss: 1460, ws: 7}), 1)
			o := drain(t, &s, 1)
			if len(o) != 1 || o[0].flags != flagSYN|flagACK {
				t.Fatalf("answer to a SYN = %+v", o)
			}
			s.Input(craft(seg{sport: 1234, dport: 80, seq: peerISN + 1, ack: o[0].seq + 1, flags: flagACK, wnd: 512,
				ws: -1, data: []byte("hello")}), 1)
			id, err := s.Accept(lid)
			if err != OK {
				t.Fatalf("Accept = %v", err)
			}
			b := make([]byte, 16)
			if n, err := s.Read(id, b); string(b[:n]) != "hello" || err != OK {
				t.Errorf("Read = %q, %v", b[:n], err)
			}
			if s.Stats.RingBytes != 2*4096 || len(rings.out) != 2 {
				t.Errorf("RingBytes = %d, blocks out %d; want two 4 KiB rings (they start small)", s.Stats.RingBytes, len(rings.out))
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestInitShortTables checks that Init refuses tables shorter than
// TableBytes rather than writing past them.
func TestInitShortTables(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Init with short tables did not panic")
		}
	}()
	var s Stack
	Init(&s, Config{MaxConns: 8}, make([]byte, TableBytes(Config{MaxConns: 8})-8))
}

// TestRingLifetime opens and closes 10,000 connections between two stacks
// and checks that only connections that can carry data hold rings, and
// that every byte comes back: TIME-WAIT and closed slots hold none.
func TestRingLifetime(t *testing.T) {
	const conns = 10000
	rings := newTestRings(t, 1<<20)
	p := newPair(t, rings.config(Config{MaxConns: 16, RxBuf: 4096, TxBuf: 8192, InitBuf: -1}))
	l, err := p.b.Listen(addrB, 80, 8)
	if err != OK {
		t.Fatal(err)
	}
	msg := []byte("GET / HTTP/1.1\r\n\r\n")
	buf := make([]byte, 64)
	peak := uint64(0)
	for i := range conns {
		ca, err := p.a.Connect(addrA, 0, addrB, 80, p.now)
		if err != OK {
			t.Fatalf("connection %d: Connect = %v", i, err)
		}
		if got := p.a.Stats.RingBytes; got != 4096+8192 {
			t.Fatalf("connection %d: client RingBytes after Connect = %d; want %d", i, got, 4096+8192)
		}
		p.flush()
		cb, err := p.b.Accept(l)
		if err != OK {
			t.Fatalf("connection %d: Accept = %v", i, err)
		}
		p.a.Write(ca, msg)
		p.flush()
		if n, _ := p.b.Read(cb, buf); n != len(msg) {
			t.Fatalf("connection %d: Read = %d", i, n)
		}
		peak = max(peak, p.a.Stats.RingBytes+p.b.Stats.RingBytes)
		// Either side closes first; the first closer keeps TIME-WAIT.
		first, second, fid, sid := p.a, p.b, ca, cb
		if i%2 == 1 {
			first, second, fid, sid = p.b, p.a, cb, ca
		}
		first.Close(fid, p.now)
		p.flush()
		second.Read(sid, buf)
		second.Close(sid, p.now)
		p.flush()
		if first.countState(stTimeWait) == 0 {
			t.Fatalf("connection %d: no TIME-WAIT after an active close", i)
		}
		if a, b := p.a.Stats.RingBytes, p.b.Stats.RingBytes; a != 0 || b != 0 {
			t.Fatalf("connection %d: RingBytes after close = %d, %d; want 0 (TIME-WAIT holds no ring)", i, a, b)
		}
		p.now += int64(time.Millisecond)
	}
	if peak != 2*(4096+8192) {
		t.Errorf("peak RingBytes = %d; want %d", peak, 2*(4096+8192))
	}
	if len(rings.out) != 0 {
		t.Errorf("%d ring blocks never came back", len(rings.out))
	}
	p.advance(61 * time.Second)
	if n := p.a.countState(stTimeWait) + p.b.countState(stTimeWait); n != 0 {
		t.Errorf("TIME-WAIT after 2MSL: %d", n)
	}
}

// TestRingShortage checks what a stack does without ring memory: Connect
// fails with ENOBUFS and holds nothing; a passive open still answers the
// SYN (half-open connections hold no rings) and resets the handshake at
// the final ACK; an abort and a reset give the rings back.
func TestRingShortage(t *testing.T) {
	rings := newTestRings(t, 0)
	s := New(rings.config(Config{MaxConns: 8, InitBuf: -1}))
	if _, err := s.Connect(ourAddr, 0, peerAddr, 80, 1); err != ENOBUFS {
		t.Errorf("Connect without ring memory = %v; want ENOBUFS", err)
	}
	if n := s.countState(stSynSent); n != 0 || len(drain(t, s, 1)) != 0 {
		t.Errorf("a failed Connect left %d SYN-SENT slots or sent something", n)
	}
	lid, _ := s.Listen(ourAddr, 80, 4)
	s.Input(craft(seg{sport: 1234, dport: 80, seq: peerISN, flags: flagSYN, wnd: 65535, mss: 1460, ws: 7}), 1)
	o := drain(t, s, 1)
	if len(o) != 1 || o[0].flags != flagSYN|flagACK || o[0].wnd != 65535 || o[0].ws != 1 {
		t.Fatalf("answer to a SYN = %+v; want a SYN|ACK with the 64 KiB ring's window", o)
	}
	if s.Stats.RingBytes != 0 {
		t.Errorf("half-open RingBytes = %d; want 0", s.Stats.RingBytes)
	}
	iss := o[0].seq
	s.Input(craft(seg{sport: 1234, dport: 80, seq: peerISN + 1, ack: iss + 1, flags: flagACK, wnd: 512, ws: -1,
		data: []byte("x")}), 1)
	o = drain(t, s, 1)
	if len(o) != 1 || o[0].flags != flagRST || o[0].seq != iss+1 {
		t.Errorf("answer to the final ACK without ring memory = %+v; want a RST at %d", o, iss+1)
	}
	if s.Stats.RingDrops != 1 {
		t.Errorf("RingDrops = %d; want 1", s.Stats.RingDrops)
	}
	if _, err := s.Accept(lid); err != EAGAIN {
		t.Errorf("Accept = %v; want EAGAIN", err)
	}
	if n := s.countState(stSynRcvd) + s.countState(stEstablished); n != 0 {
		t.Errorf("%d slots left after the refused handshake", n)
	}

	// With memory: a reset connection and an aborted one give it back.
	rings.limit = 2
	id, err := s.Connect(ourAddr, 0, peerAddr, 80, 2)
	if err != OK || s.Stats.RingBytes != 128<<10 {
		t.Fatalf("Connect = %v, RingBytes %d", err, s.Stats.RingBytes)
	}
	if _, err := s.Connect(ourAddr, 0, peerAddr, 80, 2); err != ENOBUFS {
		t.Errorf("second Connect = %v; want ENOBUFS", err)
	}
	s.Abort(id)
	if s.Stats.RingBytes != 0 || len(rings.out) != 0 {
		t.Errorf("after Abort: RingBytes %d, %d blocks out", s.Stats.RingBytes, len(rings.out))
	}
	s2, id2, iss2, now := established(t, rings.config(Config{MaxConns: 4, InitBuf: -1}))
	s2.Input(craft(seg{sport: 1234, dport: 80, seq: peerISN + 1, ack: iss2 + 1, flags: flagRST | flagACK, ws: -1}), now)
	if s2.Err(id2) != ECONNRESET || s2.Stats.RingBytes != 0 {
		t.Errorf("after a RST: Err %v, RingBytes %d; want ECONNRESET, 0", s2.Err(id2), s2.Stats.RingBytes)
	}
	s2.Close(id2, now)
	if len(rings.out) != 0 {
		t.Errorf("%d ring blocks out after everything closed", len(rings.out))
	}
}

// TestRingsAtClose checks when a closing connection gives its rings back:
// the receive ring at Close, the send ring when the FIN is acknowledged;
// and that data arriving after Close resets the connection (RFC 1122
// 4.2.2.13, as Linux) instead of filling a ring nobody reads.
func TestRingsAtClose(t *testing.T) {
	const rx, tx = 4096, 8192
	for _, tc := range []struct {
		name      string
		dataAfter bool // the peer sends data after our Close
	}{
		{"graceful", false},
		{"data-after-close", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t, Config{MaxConns: 8, RxBuf: rx, TxBuf: tx, InitBuf: -1})
			_, ca, cb := p.connect(80)
			var seen [][]byte
			p.filter = func(from *Stack, pkt []byte) bool {
				if from == p.a {
					seen = append(seen, pkt)
				}
				return true
			}
			// Our last bytes and the FIN wait for the peer's ACK: a lost link.
			p.a.Write(ca, []byte("last words"))
			p.a.Close(ca, p.now)
			if got := p.a.Stats.RingBytes; got != tx {
				t.Errorf("RingBytes after Close with unacknowledged data = %d; want %d (the send ring)", got, tx)
			}
			p.flush()
			if st := p.a.countState(stFinWait2); st != 1 {
				t.Fatalf("client not in FIN-WAIT-2 (%d)", st)
			}
			if got := p.a.Stats.RingBytes; got != 0 {
				t.Errorf("RingBytes in FIN-WAIT-2 = %d; want 0", got)
			}
			p.b.Read(cb, make([]byte, 64))
			if !tc.dataAfter {
				p.b.Close(cb, p.now)
				p.flush()
				if p.a.countState(stTimeWait) != 1 || p.a.Stats.RingBytes != 0 || p.b.Stats.RingBytes != 0 {
					t.Errorf("after both closes: %d TIME-WAIT, RingBytes %d, %d", p.a.countState(stTimeWait),
						p.a.Stats.RingBytes, p.b.Stats.RingBytes)
				}
				return
			}
			seen = nil
			p.b.Write(cb, []byte("are you there?"))
			p.flush()
			if len(seen) != 1 || seen[0][ipHdrLen+13] != flagRST {
				t.Fatalf("client's answer to data after Close: %d segments, flags %#x; want one RST", len(seen), seen[0][ipHdrLen+13])
			}
			if p.b.Err(cb) != EPIPE { // reset in CLOSE-WAIT: EPIPE, as Linux
				t.Errorf("server Err = %v; want EPIPE", p.b.Err(cb))
			}
			if n := len(p.a.conns) - p.a.countState(stFree); n != 0 || p.a.Stats.RingBytes != 0 {
				t.Errorf("client after the reset: %d slots in use, RingBytes %d; want 0, 0", n, p.a.Stats.RingBytes)
			}
		})
	}
}

// TestPoolSplits checks New's hosted ring pool: once its memory is cut,
// small rings come from splitting larger free blocks.
func TestPoolSplits(t *testing.T) {
	p := pool{mem: make([]byte, 64<<10)}
	big, ok := p.alloc(64 << 10)
	if !ok {
		t.Fatal("64 KiB from a 64 KiB pool failed")
	}
	if _, ok := p.alloc(4096); ok {
		t.Fatal("allocated from an exhausted pool")
	}
	p.release(big, 64<<10)
	seen := map[uintptr]bool{}
	for i := range 16 {
		b, ok := p.alloc(4096)
		if !ok || seen[b] || b < big || b+4096 > big+64<<10 {
			t.Fatalf("block %d: %#x, %v (pool %#x)", i, b, ok, big)
		}
		seen[b] = true
	}
	if _, ok := p.alloc(4096); ok {
		t.Error("a 17th 4 KiB block from 64 KiB")
	}
}
