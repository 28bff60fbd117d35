package ktcp

import (
	"bytes"
	"testing"
	"time"
)

// TestRingGrowthKeepsOutOfOrder grows a receive ring that holds
// out-of-order bytes beyond a hole and checks that they survive the move.
func TestRingGrowthKeepsOutOfOrder(t *testing.T) {
	rings := newTestRings(t, 16)
	s, id, iss, now := established(t, rings.config(Config{MaxConns: 4, InitBuf: 4096, QuickAcks: -1}))
	c := s.lookupID(id)
	if c.rx.size != 4096 || c.rxMax != 64<<10 || c.rcvShift != 1 {
		t.Fatalf("rings start at %d (max %d, shift %d); want 4096 (65536, 1)", c.rx.size, c.rxMax, c.rcvShift)
	}
	data, _ := testData(3500, 3)
	rcv := uint32(peerISN + 1)
	in := func(off, end int) {
		s.Input(craft(seg{sport: 1234, dport: 80, seq: rcv + uint32(off), ack: iss + 1, flags: flagACK, wnd: 512, ws: -1,
			data: data[off:end]}), now)
		drain(t, s, now)
	}
	in(3000, 3500) // beyond the hole
	in(0, 2100)    // in order: more than half the ring, so it doubles
	if c.rx.size != 8192 || c.nooo != 1 {
		t.Fatalf("after 2100 bytes: ring %d, %d out-of-order ranges; want 8192, 1", c.rx.size, c.nooo)
	}
	in(2100, 3000) // fills the hole
	got := make([]byte, 4000)
	n, err := s.Read(id, got)
	if err != OK || !bytes.Equal(got[:n], data) {
		t.Fatalf("Read = %d bytes, %v; want the 3500 bytes sent", n, err)
	}
	if s.Stats.RingBytes != uint64(c.rx.size)+4096 || len(rings.out) != 2 {
		t.Errorf("ring %d, RingBytes %d, %d blocks out; want 2 blocks (the old rings went back)", c.rx.size,
			s.Stats.RingBytes, len(rings.out))
	}
}

// TestRingGrowth checks rings that start small (Config.InitBuf): a
// request/response connection keeps them small, a bulk transfer to a slow
// reader grows both to their maximum, and without memory to grow the
// transfer still completes in the small rings.
func TestRingGrowth(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limit     int // ring blocks the allocator hands out
		wantRings uint64
	}{
		{"grows", 1 << 10, 2 * (64 << 10)},
		{"no-memory", 4, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rings := newTestRings(t, tc.limit)
			p := newPair(t, rings.config(Config{MaxConns: 8, InitBuf: 4096}))
			_, ca, cb := p.connect(80)
			buf := make([]byte, 64<<10)
			for range 100 {
				p.a.Write(ca, []byte("GET / HTTP/1.1\r\n\r\n"))
				p.flush()
				p.b.Read(cb, buf)
				p.b.Write(cb, make([]byte, 1000))
				p.flush()
				p.a.Read(ca, buf)
			}
			if a, b := p.a.Stats.RingBytes, p.b.Stats.RingBytes; a != 8192 || b != 8192 {
				t.Fatalf("request/response: RingBytes %d, %d; want 8192 each (two 4 KiB rings)", a, b)
			}
			data, _ := testData(1<<20, 5)
			var got []byte
			for off := 0; len(got) < len(data); {
				n, _ := p.a.Write(ca, data[off:])
				off += n
				p.flush()
				m, _ := p.b.Read(cb, buf[:1000]) // a slow reader
				got = append(got, buf[:m]...)
				if n == 0 && m == 0 {
					p.advance(200 * time.Millisecond)
				}
			}
			if !bytes.Equal(got, data) {
				t.Fatal("the stream changed")
			}
			ca2, cb2 := p.a.lookupID(ca), p.b.lookupID(cb)
			if tc.wantRings != 0 && (ca2.tx.size != 64<<10 || cb2.rx.size != 64<<10) {
				t.Errorf("after the transfer: sender's send ring %d, receiver's receive ring %d; want 64 KiB",
					ca2.tx.size, cb2.rx.size)
			}
			if tc.wantRings == 0 && (ca2.tx.size != 4096 || cb2.rx.size != 4096) {
				t.Errorf("without memory: rings %d, %d; want 4096", ca2.tx.size, cb2.rx.size)
			}
			p.a.Close(ca, p.now)
			p.b.Close(cb, p.now)
			p.flush()
			if p.a.Stats.RingBytes != 0 || p.b.Stats.RingBytes != 0 || len(rings.out) != 0 {
				t.Errorf("after closing: RingBytes %d, %d, %d blocks out", p.a.Stats.RingBytes, p.b.Stats.RingBytes, len(rings.out))
			}
		})
	}
}

// TestRingGrowthFastReader checks that a receive ring grows when the
// window, not the reader, limits a transfer: the application reads every
// segment as it arrives, but the sender fills the window in each round
// trip (Linux's receive-buffer auto-tuning grows it for the same reason).
func TestRingGrowthFastReader(t *testing.T) {
	p := newPair(t, Config{MaxConns: 8, InitBuf: 4096})
	_, ca, cb := p.connect(80)
	data, _ := testData(1<<20, 6)
	buf := make([]byte, 64<<10)
	pkt := make([]byte, 1500)
	var got []byte
	rounds := 0
	for off := 0; len(got) < len(data); rounds++ {
		n, _ := p.a.Write(ca, data[off:])
		off += n
		// One round trip: the sender's flight arrives and is read segment
		// by segment; the receiver's ACKs arrive at the end.
		for {
			k := p.a.Output(pkt, p.now)
			if k == 0 {
				break
			}
			p.b.Input(pkt[:k], p.now)
			m, _ := p.b.Read(cb, buf)
			got = append(got, buf[:m]...)
		}
		for {
			k := p.b.Output(pkt, p.now)
			if k == 0 {
				break
			}
			p.a.Input(pkt[:k], p.now)
		}
		p.now += int64(time.Millisecond)
		p.a.Tick(p.now)
		p.b.Tick(p.now)
		if rounds > 10000 {
			t.Fatal("the transfer does not progress")
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatal("the stream changed")
	}
	if c := p.b.lookupID(cb); c.rx.size != 64<<10 || rounds > 100 {
		t.Errorf("receive ring %d after %d round trips; want 64 KiB and at most 100 (4 KiB a round trip takes 256)", c.rx.size, rounds)
	}
}

// TestIdleSendRingShrinks checks that a send ring that grew for a bulk
// write goes back to its first size once the connection has been idle
// for the keepalive time, and grows again for the next bulk write.
func TestIdleSendRingShrinks(t *testing.T) {
	p := newPair(t, Config{MaxConns: 8, InitBuf: 4096})
	_, ca, cb := p.connect(80)
	p.a.SetKeepalive(ca, int64(15*time.Second), int64(15*time.Second), 9, p.now)
	buf := make([]byte, 64<<10)
	send := func() {
		data, _ := testData(200<<10, 8)
		for off := 0; off < len(data); {
			n, _ := p.a.Write(ca, data[off:])
			off += n
			p.flush()
			for {
				if m, _ := p.b.Read(cb, buf); m == 0 {
					break
				}
			}
			p.flush()
		}
	}
	send()
	c := p.a.lookupID(ca)
	if c.tx.size != 64<<10 {
		t.Fatalf("send ring after a bulk write = %d; want 64 KiB", c.tx.size)
	}
	p.advance(10 * time.Second)
	if c.tx.size != 64<<10 {
		t.Errorf("send ring shrank after 10 s idle (%d); want it kept until the keepalive time", c.tx.size)
	}
	p.advance(10 * time.Second)
	if c.tx.size != 4096 || p.a.Stats.RingBytes != uint64(c.rx.size)+4096 {
		t.Errorf("send ring after 20 s idle = %d (RingBytes %d); want 4096", c.tx.size, p.a.Stats.RingBytes)
	}
	if p.a.State(ca) != "ESTABLISHED" {
		t.Fatalf("state after idling = %s", p.a.State(ca))
	}
	send()
	if c.tx.size != 64<<10 {
		t.Errorf("send ring after the next bulk write = %d; want 64 KiB again", c.tx.size)
	}
}
