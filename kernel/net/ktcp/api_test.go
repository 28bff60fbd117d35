package ktcp

import (
	"bytes"
	"testing"
	"time"
)

// TestPeekReadableUnsent checks MSG_PEEK, FIONREAD and SIOCOUTQ.
func TestPeekReadableUnsent(t *testing.T) {
	p := newPair(t, Config{MaxConns: 8, RxBuf: 4096, TxBuf: 4096})
	l, ca, cb := p.connect(80)
	buf := make([]byte, 64)
	if n, err := p.b.Peek(cb, buf); n != 0 || err != EAGAIN {
		t.Errorf("Peek with nothing received = %d, %v; want 0, EAGAIN", n, err)
	}
	msg := []byte("hello, world")
	p.a.Write(ca, msg)
	if got := p.a.Unsent(ca); got != len(msg) {
		t.Errorf("Unsent before output = %d; want %d", got, len(msg))
	}
	p.flush()
	if got := p.a.Unsent(ca); got != 0 {
		t.Errorf("Unsent after the ACK = %d; want 0", got)
	}
	if got := p.b.Readable(cb); got != len(msg) {
		t.Errorf("Readable = %d; want %d", got, len(msg))
	}
	for range 2 {
		if n, err := p.b.Peek(cb, buf[:5]); err != OK || string(buf[:n]) != "hello" {
			t.Errorf("Peek = %q, %v; want \"hello\"", buf[:n], err)
		}
	}
	for _, tc := range []struct {
		off  int
		want string
		err  Errno
	}{{0, "hello", OK}, {7, "world", OK}, {10, "ld", OK}, {12, "", OK}, {100, "", OK}, {-1, "", EINVAL}} {
		if n, err := p.b.PeekAt(cb, tc.off, buf[:5]); err != tc.err || string(buf[:n]) != tc.want {
			t.Errorf("PeekAt(%d) = %q, %v; want %q, %v", tc.off, buf[:n], err, tc.want, tc.err)
		}
	}
	if n, err := p.b.Read(cb, buf); err != OK || !bytes.Equal(buf[:n], msg) {
		t.Errorf("Read after Peek = %q, %v; want %q", buf[:n], err, msg)
	}
	if got := p.b.Readable(cb); got != 0 {
		t.Errorf("Readable after Read = %d; want 0", got)
	}
	p.a.Shutdown(ca)
	p.flush()
	if n, err := p.b.Peek(cb, buf); n != 0 || err != OK {
		t.Errorf("Peek at EOF = %d, %v; want 0, OK", n, err)
	}
	if got := p.b.Readable(l) + p.b.Unsent(l) + p.b.Readable(-1); got != 0 {
		t.Errorf("Readable/Unsent of a listener and a bad ID = %d; want 0", got)
	}
	if _, err := p.b.Peek(l, buf); err != EBADF {
		t.Errorf("Peek on a listener = %v; want EBADF", err)
	}
}

// TestSetBuffers checks per-connection ring sizes: a listener passes its
// sizes to the connections it accepts (their SYN|ACK advertises them), an
// active open takes them before its SYN leaves, and not later.
func TestSetBuffers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rx, tx    int
		wantRx    uint32
		wantTx    uint32
		wantWnd   uint16
		wantShift int
	}{
		{"small", 1000, 5000, 4096, 8192, 4096, 0},
		{"default", 0, 0, 64 << 10, 64 << 10, 65535, 1},
		{"large", 3 << 20, 1 << 20, 1 << 20, 1 << 20, 65535, 5},
		{"odd", 100 << 10, 4096, 128 << 10, 4096, 65535, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rings := newTestRings(t, 64)
			s := New(rings.config(Config{MaxConns: 8, InitBuf: -1})) // rings at full size
			lid, _ := s.Listen(ourAddr, 80, 4)
			if err := s.SetBuffers(lid, tc.rx, tc.tx); err != OK {
				t.Fatalf("SetBuffers(listener) = %v", err)
			}
			s.Input(craft(seg{sport: 1234, dport: 80, seq: peerISN, flags: flagSYN, wnd: 65535, mss: 1460, ws: 7}), 1)
			o := drain(t, s, 1)
			if len(o) != 1 || o[0].wnd != tc.wantWnd || o[0].ws != tc.wantShift {
				t.Fatalf("SYN|ACK = %+v; want window %d, scale %d", o, tc.wantWnd, tc.wantShift)
			}
			s.Input(craft(seg{sport: 1234, dport: 80, seq: peerISN + 1, ack: o[0].seq + 1, flags: flagACK, wnd: 512, ws: -1}), 1)
			id, err := s.Accept(lid)
			if err != OK {
				t.Fatal(err)
			}
			c := s.lookupID(id)
			if c.rx.size != tc.wantRx || c.tx.size != tc.wantTx || s.Stats.RingBytes != uint64(tc.wantRx+tc.wantTx) {
				t.Errorf("accepted rings %d, %d (RingBytes %d); want %d, %d", c.rx.size, c.tx.size,
					s.Stats.RingBytes, tc.wantRx, tc.wantTx)
			}
			// Established: the sizes rings may grow to, within the window
			// scale; the rings themselves stay.
			if err := s.SetBuffers(id, 4096, 1<<20); err != OK {
				t.Errorf("SetBuffers on an established connection = %v", err)
			}
			if c.rx.size != tc.wantRx || c.rxMax != 4096 || c.txMax != 1<<20 {
				t.Errorf("after SetBuffers(4096, 1 MiB): rx %d, rx max %d, tx max %d", c.rx.size, c.rxMax, c.txMax)
			}
			s.SetBuffers(id, 1<<20, 0)
			if want := min(uint32(1<<20), 0x10000<<tc.wantShift); c.rxMax != want {
				t.Errorf("receive ring may grow to %d; want %d (window scale %d)", c.rxMax, want, tc.wantShift)
			}

			// Active open: before the SYN leaves.
			cid, err := s.Connect(ourAddr, 0, peerAddr, 443, 1)
			if err != OK {
				t.Fatal(err)
			}
			if err := s.SetBuffers(cid, tc.rx, tc.tx); err != OK {
				t.Fatalf("SetBuffers after Connect = %v", err)
			}
			c = s.lookupID(cid)
			if c.rx.size != tc.wantRx || c.tx.size != tc.wantTx || len(rings.out) != 4 {
				t.Errorf("connecting rings %d, %d (%d blocks out); want %d, %d, 4 blocks", c.rx.size, c.tx.size,
					len(rings.out), tc.wantRx, tc.wantTx)
			}
			o = drain(t, s, 1)
			if len(o) != 1 || o[0].flags != flagSYN || o[0].wnd != tc.wantWnd || o[0].ws != tc.wantShift {
				t.Fatalf("SYN = %+v; want window %d, scale %d", o, tc.wantWnd, tc.wantShift)
			}
			if err := s.SetBuffers(cid, 8192, 8192); err != OK || c.rx.size != tc.wantRx {
				t.Errorf("SetBuffers after the SYN left = %v, ring %d; want OK, the ring kept", err, c.rx.size)
			}
		})
	}
}

// TestConnectMartian checks that addresses that never go on the wire are
// refused (Linux answers connect to multicast and broadcast with
// ENETUNREACH; loopback and our own address are the socket layer's to
// route elsewhere).
func TestConnectMartian(t *testing.T) {
	s := New(Config{MaxConns: 4})
	for _, dst := range [][4]byte{{224, 0, 0, 1}, {255, 255, 255, 255}, {127, 0, 0, 1}, {0, 0, 0, 0}, ourAddr} {
		if _, err := s.Connect(ourAddr, 0, dst, 80, 1); err != ENETUNREACH {
			t.Errorf("Connect to %v = %v; want ENETUNREACH", dst, err)
		}
	}
	if _, err := s.Connect(ourAddr, 0, peerAddr, 80, 1); err != OK || s.countState(stSynSent) != 1 {
		t.Errorf("Connect to a peer = %v", err)
	}
}

// TestSetBuffersNoMemory checks that a resize without memory keeps the old
// rings.
func TestSetBuffersNoMemory(t *testing.T) {
	rings := newTestRings(t, 3)
	s := New(rings.config(Config{MaxConns: 8, RxBuf: 4096, TxBuf: 4096}))
	cid, err := s.Connect(ourAddr, 0, peerAddr, 443, 1)
	if err != OK {
		t.Fatal(err)
	}
	if err := s.SetBuffers(cid, 1<<20, 1<<20); err != ENOBUFS {
		t.Errorf("SetBuffers without memory = %v; want ENOBUFS", err)
	}
	if c := s.lookupID(cid); c.rx.base == 0 || c.rx.size != 4096 || len(rings.out) != 2 || s.Stats.RingBytes != 8192 {
		t.Errorf("after a failed resize: rx %+v, %d blocks out, RingBytes %d", c.rx, len(rings.out), s.Stats.RingBytes)
	}
	if err := s.SetBuffers(cid, -1, 0); err != EINVAL {
		t.Errorf("SetBuffers(-1) = %v; want EINVAL", err)
	}
	if err := s.SetBuffers(-1, 0, 0); err != EBADF {
		t.Errorf("SetBuffers(bad ID) = %v; want EBADF", err)
	}
}

// TestWriteWake checks that ACKs wake only a writer that found the send
// ring full (or a poller that found it not writable), once a third of
// the ring is free, as Linux's SOCK_NOSPACE and sk_stream_is_writeable.
func TestWriteWake(t *testing.T) {
	woke := map[ID]int{}
	p := newPair(t, Config{MaxConns: 8, RxBuf: 4096, TxBuf: 4096, Wake: func(id ID) { woke[id]++ }})
	_, ca, cb := p.connect(80)
	buf := make([]byte, 4096)
	// Request/response: the ACKs of our data wake nobody.
	for range 5 {
		clear(woke)
		p.a.Write(ca, []byte("request"))
		p.flush()
		p.b.Read(cb, buf)
		p.advance(100 * time.Millisecond) // the delayed ACK
		if woke[ca] != 0 {
			t.Fatalf("writer woken %d times by ACKs of data it could write in full", woke[ca])
		}
	}
	// A writer that fills the ring: the receiver does not read, so the
	// window closes with the ring full.
	for {
		n, err := p.a.Write(ca, buf)
		if err == EAGAIN {
			break
		}
		if n == 0 || err != OK {
			t.Fatalf("Write = %d, %v", n, err)
		}
		p.flush()
	}
	if ev := p.a.Events(ca); ev&EvOut != 0 {
		t.Fatalf("Events with a full ring = %#x; want no EvOut", ev)
	}
	clear(woke)
	// The receiver reads a little at a time; the writer wakes once, when
	// a third of its ring is free.
	for p.a.Unsent(ca) > 0 {
		if n, _ := p.b.Read(cb, buf[:512]); n == 0 {
			p.advance(time.Second)
			continue
		}
		p.flush()
		free := 4096 - p.a.Unsent(ca)
		if ev := p.a.Events(ca); (ev&EvOut != 0) != (free >= (4096-free)/2) {
			t.Fatalf("free %d: Events = %#x", free, ev)
		}
		if woke[ca] > 0 {
			break
		}
	}
	if woke[ca] != 1 || p.a.Events(ca)&EvOut == 0 {
		t.Errorf("writer woken %d times, Events %#x; want once, writable", woke[ca], p.a.Events(ca))
	}
}
