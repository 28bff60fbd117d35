package ktcp

// State-machine tests with crafted segments. Segments are built and
// decoded with gVisor's header package, an implementation independent of
// ours, so checksums and layouts are checked too.

import (
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

var peerAddr = [4]byte{10, 0, 0, 2}

// seg describes a crafted segment from the peer (10.0.0.2) to us (10.0.0.1).
type seg struct {
	sport, dport uint16
	seq, ack     uint32
	flags        uint8
	wnd          uint16
	mss          uint16 // 0: no option
	ws           int    // -1: no option
	data         []byte
	badSum       bool
	src, dst     *[4]byte // nil: peerAddr, ourAddr
}

func craft(s seg) []byte {
	var opts []byte
	if s.mss != 0 {
		opts = append(opts, optMSS, 4, byte(s.mss>>8), byte(s.mss))
	}
	if s.ws >= 0 && s.flags&flagSYN != 0 {
		opts = append(opts, optNOP, optWScale, 3, byte(s.ws))
	}
	for len(opts)%4 != 0 {
		opts = append(opts, optNOP)
	}
	src, dst := peerAddr, ourAddr
	if s.src != nil {
		src = *s.src
	}
	if s.dst != nil {
		dst = *s.dst
	}
	tl := header.TCPMinimumSize + len(opts) + len(s.data)
	b := make([]byte, header.IPv4MinimumSize+tl)
	ip := header.IPv4(b)
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(b)), TTL: 64, Protocol: uint8(header.TCPProtocolNumber),
		SrcAddr: tcpip.AddrFrom4(src), DstAddr: tcpip.AddrFrom4(dst)})
	ip.SetChecksum(^ip.CalculateChecksum())
	t := header.TCP(b[header.IPv4MinimumSize:])
	t.Encode(&header.TCPFields{SrcPort: s.sport, DstPort: s.dport, SeqNum: s.seq, AckNum: s.ack,
		DataOffset: uint8(header.TCPMinimumSize + len(opts)), Flags: header.TCPFlags(s.flags), WindowSize: s.wnd})
	copy(t[header.TCPMinimumSize:], opts)
	copy(t[header.TCPMinimumSize+len(opts):], s.data)
	xsum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, tcpip.AddrFrom4(src), tcpip.AddrFrom4(dst), uint16(tl))
	xsum = checksum.Checksum(t, xsum)
	if s.badSum {
		xsum++
	}
	t.SetChecksum(^xsum)
	return b
}

// out is a segment our stack sent, decoded by gVisor.
type out struct {
	seq, ack uint32
	flags    uint8
	wnd      uint16
	mss      uint16
	ws       int
	data     int
}

// drain collects everything the stack sends now, checking each packet's
// checksums with gVisor's code.
func drain(t *testing.T, s *Stack, now int64) []out {
	t.Helper()
	buf := make([]byte, 1500)
	var res []out
	for {
		n := s.Output(buf, now)
		if n == 0 {
			return res
		}
		ip := header.IPv4(buf[:n])
		if !ip.IsValid(n) || ip.CalculateChecksum() != 0xffff {
			t.Fatalf("bad IPv4 header from our stack: % x", buf[:n])
		}
		tcp := header.TCP(ip.Payload())
		if !tcp.IsChecksumValid(ip.SourceAddress(), ip.DestinationAddress(),
			checksum.Checksum(tcp.Payload(), 0), uint16(len(tcp.Payload()))) {
			t.Fatalf("bad TCP checksum from our stack: % x", buf[:n])
		}
		o := out{seq: tcp.SequenceNumber(), ack: tcp.AckNumber(), flags: uint8(tcp.Flags()), wnd: tcp.WindowSize(),
			ws: -1, data: len(tcp.Payload())}
		if o.flags&flagSYN != 0 {
			so := header.ParseSynOptions(tcp.Options(), o.flags&flagACK != 0)
			o.mss = so.MSS
			o.ws = so.WS
		}
		res = append(res, o)
	}
}

const peerISN = 1000

// established returns a stack with a listener on port 80 and a connection
// from the peer's port 1234 in ESTABLISHED, and our ISS.
func established(t *testing.T, cfg Config) (*Stack, ID, uint32, int64) {
	t.Helper()
	now := int64(time.Second)
	s := New(cfg)
	lid, err := s.Listen(ourAddr, 80, 4)
	if err != OK {
		t.Fatal(err)
	}
	s.Input(craft(seg{sport: 1234, dport: 80, seq: peerISN, flags: flagSYN, wnd: 65535, mss: 1460, ws: 7}), now)
	o := drain(t, s, now)
	if len(o) != 1 || o[0].flags != flagSYN|flagACK {
		t.Fatalf("answer to a SYN = %+v; want one SYN|ACK", o)
	}
	iss := o[0].seq
	s.Input(craft(seg{sport: 1234, dport: 80, seq: peerISN + 1, ack: iss + 1, flags: flagACK, wnd: 512, ws: -1}), now)
	id, err := s.Accept(lid)
	if err != OK {
		t.Fatalf("Accept = %v", err)
	}
	if st := s.State(id); st != "ESTABLISHED" {
		t.Fatalf("state = %s", st)
	}
	return s, id, iss, now
}

func TestHandshakeOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mss     uint16
		ws      int
		wantWS  int
		wantMSS uint32
	}{
		{"mss-and-ws", 1200, 7, 1, 1200},
		{"no-options", 0, -1, -1, defaultMSS},
		{"ws-too-big", 9000, 15, 1, 1460},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{MaxConns: 4})
			s.Listen([4]byte{}, 80, 4)
			s.Input(craft(seg{sport: 1, dport: 80, seq: 7, flags: flagSYN, wnd: 1000, mss: tc.mss, ws: tc.ws}), 1)
			o := drain(t, s, 1)
			if len(o) != 1 || o[0].flags != flagSYN|flagACK || o[0].ack != 8 || o[0].mss != 1460 || o[0].ws != tc.wantWS {
				t.Fatalf("SYN|ACK = %+v; want ack 8, MSS 1460, WS %d", o, tc.wantWS)
			}
			c := s.find(ourAddr, peerAddr, 80, 1)
			if c.mss != tc.wantMSS {
				t.Errorf("send MSS = %d; want %d", c.mss, tc.wantMSS)
			}
		})
	}
}

func TestNoConnection(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   seg
		want []out
	}{
		{"syn-closed-port", seg{sport: 5, dport: 81, seq: 100, flags: flagSYN, ws: -1},
			[]out{{seq: 0, ack: 101, flags: flagRST | flagACK, ws: -1}}},
		{"ack-closed-port", seg{sport: 5, dport: 81, seq: 100, ack: 555, flags: flagACK, ws: -1},
			[]out{{seq: 555, flags: flagRST, ws: -1}}},
		{"data-closed-port", seg{sport: 5, dport: 81, seq: 100, flags: flagPSH, data: []byte("abc"), ws: -1},
			[]out{{seq: 0, ack: 103, flags: flagRST | flagACK, ws: -1}}},
		{"rst-closed-port", seg{sport: 5, dport: 81, seq: 100, flags: flagRST, ws: -1}, nil},
		{"bad-checksum", seg{sport: 5, dport: 80, seq: 100, flags: flagSYN, ws: -1, badSum: true}, nil},
		{"ack-to-listener", seg{sport: 5, dport: 80, seq: 100, ack: 9, flags: flagACK, ws: -1},
			[]out{{seq: 9, flags: flagRST, ws: -1}}},
		// Martian sources and destinations are dropped unanswered (RFC 1122
		// 4.2.3.10; Linux's ip_route_input drops them before TCP).
		{"syn-from-broadcast", seg{sport: 5, dport: 80, seq: 100, flags: flagSYN, ws: -1, src: &[4]byte{255, 255, 255, 255}}, nil},
		{"syn-from-multicast", seg{sport: 5, dport: 80, seq: 100, flags: flagSYN, ws: -1, src: &[4]byte{224, 0, 0, 1}}, nil},
		{"syn-from-zero", seg{sport: 5, dport: 80, seq: 100, flags: flagSYN, ws: -1, src: &[4]byte{}}, nil},
		{"syn-from-loopback", seg{sport: 5, dport: 80, seq: 100, flags: flagSYN, ws: -1, src: &[4]byte{127, 0, 0, 1}}, nil},
		{"land", seg{sport: 80, dport: 80, seq: 100, flags: flagSYN, ws: -1, src: &ourAddr}, nil},
		{"syn-to-multicast", seg{sport: 5, dport: 80, seq: 100, flags: flagSYN, ws: -1, dst: &[4]byte{239, 1, 2, 3}}, nil},
		{"ack-to-broadcast", seg{sport: 5, dport: 81, seq: 100, ack: 9, flags: flagACK, ws: -1, dst: &[4]byte{255, 255, 255, 255}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{MaxConns: 4})
			s.Listen([4]byte{}, 80, 4)
			if !s.Input(craft(tc.in), 1) {
				t.Fatal("Input did not take a TCP segment")
			}
			got := drain(t, s, 1)
			if len(got) != len(tc.want) {
				t.Fatalf("sent %+v; want %+v", got, tc.want)
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if g.seq != w.seq || g.ack != w.ack || g.flags != w.flags {
					t.Errorf("segment %d = %+v; want %+v", i, g, w)
				}
			}
		})
	}
}

// TestEstablished feeds one crafted segment to an established connection
// and checks the answer and the state (RFC 9293 §3.10.7.4, RFC 5961).
func TestEstablished(t *testing.T) {
	rcv := uint32(peerISN + 1)
	for _, tc := range []struct {
		name      string
		in        func(iss uint32) seg
		wantFlags []uint8 // flags of the answers
		wantAck   uint32  // ack of the first answer (0: any)
		wantState string
		wantErr   Errno
		wantRead  int
	}{
		{"rst-exact", func(iss uint32) seg { return seg{seq: rcv, flags: flagRST} }, nil, 0, "CLOSED", ECONNRESET, 0},
		{"rst-in-window", func(iss uint32) seg { return seg{seq: rcv + 10, flags: flagRST} },
			[]uint8{flagACK}, rcv, "ESTABLISHED", OK, 0},
		{"rst-outside-window", func(iss uint32) seg { return seg{seq: rcv + 1<<20, flags: flagRST} },
			nil, 0, "ESTABLISHED", OK, 0},
		{"syn-challenge", func(iss uint32) seg { return seg{seq: rcv + 5, flags: flagSYN} },
			[]uint8{flagACK}, rcv, "ESTABLISHED", OK, 0},
		{"ack-unsent-data", func(iss uint32) seg { return seg{seq: rcv, ack: iss + 100, flags: flagACK} },
			[]uint8{flagACK}, rcv, "ESTABLISHED", OK, 0},
		{"old-seq", func(iss uint32) seg {
			return seg{seq: rcv - 10, ack: iss + 1, flags: flagACK | flagPSH, data: []byte("xy")}
		}, []uint8{flagACK}, rcv, "ESTABLISHED", OK, 0},
		{"out-of-order-data", func(iss uint32) seg {
			return seg{seq: rcv + 100, ack: iss + 1, flags: flagACK, data: []byte("late")}
		}, []uint8{flagACK}, rcv, "ESTABLISHED", OK, 0},
		{"in-order-data-delayed-ack", func(iss uint32) seg {
			return seg{seq: rcv, ack: iss + 1, flags: flagACK, data: []byte("hello")}
		}, nil, 0, "ESTABLISHED", OK, 5},
		{"overlapping-data", func(iss uint32) seg {
			return seg{seq: rcv - 2, ack: iss + 1, flags: flagACK, data: []byte("..hello")}
		}, nil, 0, "ESTABLISHED", OK, 5},
		{"fin", func(iss uint32) seg { return seg{seq: rcv, ack: iss + 1, flags: flagACK | flagFIN} },
			[]uint8{flagACK}, rcv + 1, "CLOSE-WAIT", OK, 0},
		{"data-and-fin", func(iss uint32) seg {
			return seg{seq: rcv, ack: iss + 1, flags: flagACK | flagFIN, data: []byte("bye")}
		}, []uint8{flagACK}, rcv + 4, "CLOSE-WAIT", OK, 3},
		{"no-ack-flag", func(iss uint32) seg { return seg{seq: rcv, data: []byte("x")} },
			nil, 0, "ESTABLISHED", OK, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, id, iss, now := established(t, Config{MaxConns: 4, QuickAcks: -1})
			in := tc.in(iss)
			in.sport, in.dport, in.wnd, in.ws = 1234, 80, 512, -1
			s.Input(craft(in), now)
			got := drain(t, s, now)
			if len(got) != len(tc.wantFlags) {
				t.Fatalf("sent %+v; want flags %v", got, tc.wantFlags)
			}
			for i, f := range tc.wantFlags {
				if got[i].flags != f {
					t.Errorf("segment %d flags = %#x; want %#x", i, got[i].flags, f)
				}
			}
			if len(got) > 0 && tc.wantAck != 0 && got[0].ack != tc.wantAck {
				t.Errorf("ack = %d; want %d", got[0].ack, tc.wantAck)
			}
			if st := s.State(id); st != tc.wantState {
				t.Errorf("state = %s; want %s", st, tc.wantState)
			}
			if err := s.Err(id); err != tc.wantErr {
				t.Errorf("Err = %v; want %v", err, tc.wantErr)
			}
			n, _ := s.Read(id, make([]byte, 100))
			if n != tc.wantRead {
				t.Errorf("Read = %d bytes; want %d", n, tc.wantRead)
			}
		})
	}
}

// TestDelayedAck checks RFC 1122 4.2.3.2 / RFC 5681 §4.2: one segment is
// acknowledged after the delay, the second full-sized one at once, and a
// response written in time carries the ACK.
func TestDelayedAck(t *testing.T) {
	s, id, iss, now := established(t, Config{MaxConns: 4, QuickAcks: -1, DelayedAck: 40 * time.Millisecond})
	rcv := uint32(peerISN + 1)
	full := make([]byte, 1460)
	s.Input(craft(seg{sport: 1234, dport: 80, seq: rcv, ack: iss + 1, flags: flagACK, wnd: 512, ws: -1, data: full[:100]}), now)
	if o := drain(t, s, now); len(o) != 0 {
		t.Fatalf("sent %+v at once; want the ACK delayed", o)
	}
	if d := s.NextDeadline(); d != now+int64(40*time.Millisecond) {
		t.Fatalf("NextDeadline = %d; want now+40ms = %d", d, now+int64(40*time.Millisecond))
	}
	s.Tick(now + int64(39*time.Millisecond))
	if o := drain(t, s, now); len(o) != 0 {
		t.Fatalf("ACK sent before its deadline: %+v", o)
	}
	s.Tick(now + int64(40*time.Millisecond))
	if o := drain(t, s, now); len(o) != 1 || o[0].ack != rcv+100 {
		t.Fatalf("after the delay: %+v; want one ACK of %d", o, rcv+100)
	}
	rcv += 100
	// Two full-sized segments: the second is acknowledged at once.
	s.Input(craft(seg{sport: 1234, dport: 80, seq: rcv, ack: iss + 1, flags: flagACK, wnd: 512, ws: -1, data: full}), now)
	if o := drain(t, s, now); len(o) != 0 {
		t.Fatalf("first full segment: sent %+v; want nothing", o)
	}
	s.Input(craft(seg{sport: 1234, dport: 80, seq: rcv + 1460, ack: iss + 1, flags: flagACK, wnd: 512, ws: -1, data: full}), now)
	if o := drain(t, s, now); len(o) != 1 || o[0].ack != rcv+2920 {
		t.Fatalf("second full segment: sent %+v; want one ACK of %d", o, rcv+2920)
	}
	rcv += 2920
	s.Read(id, make([]byte, 8192))
	drain(t, s, now) // a window update may follow the read
	// A request answered at once: one segment carries data and the ACK.
	s.Input(craft(seg{sport: 1234, dport: 80, seq: rcv, ack: iss + 1, flags: flagACK, wnd: 512, ws: -1, data: []byte("GET")}), now)
	s.Write(id, []byte("200 OK"))
	o := drain(t, s, now)
	if len(o) != 1 || o[0].data != 6 || o[0].ack != rcv+3 {
		t.Fatalf("response: sent %+v; want one segment with 6 bytes acknowledging %d", o, rcv+3)
	}
}

// TestSynFlood fills the half-open table and checks that it stays bounded,
// that the oldest half-open connection makes room, and that a real client
// still connects.
func TestSynFlood(t *testing.T) {
	s := New(Config{MaxConns: 16})
	lid, _ := s.Listen(ourAddr, 80, 4)
	for i := range 1000 {
		s.Input(craft(seg{sport: uint16(2000 + i), dport: 80, seq: uint32(i * 7919), flags: flagSYN, wnd: 1000, ws: -1}), 1)
	}
	drain(t, s, 1)
	l := s.lookupID(lid)
	if l.nsyn != 4 || s.countState(stSynRcvd) != 4 {
		t.Fatalf("half-open: %d (slots %d); want 4", l.nsyn, s.countState(stSynRcvd))
	}
	if s.Stats.SynDrops != 996 {
		t.Errorf("SynDrops = %d; want 996", s.Stats.SynDrops)
	}
	if s.Stats.RingBytes != 0 {
		t.Errorf("RingBytes under a SYN flood = %d; want 0 (half-open connections hold no rings)", s.Stats.RingBytes)
	}
	// A real client.
	s.Input(craft(seg{sport: 9999, dport: 80, seq: 5, flags: flagSYN, wnd: 1000, ws: -1}), 2)
	o := drain(t, s, 2)
	if len(o) != 1 || o[0].flags != flagSYN|flagACK {
		t.Fatalf("real client's SYN answered with %+v", o)
	}
	s.Input(craft(seg{sport: 9999, dport: 80, seq: 6, ack: o[0].seq + 1, flags: flagACK, wnd: 1000, ws: -1}), 2)
	if _, err := s.Accept(lid); err != OK {
		t.Fatalf("Accept after the flood = %v", err)
	}
	// The flood's half-open connections time out and free their slots.
	for now := int64(2); s.NextDeadline() != 0; {
		now = s.NextDeadline()
		s.Tick(now)
		drain(t, s, now)
	}
	if n := s.countState(stSynRcvd); n != 0 {
		t.Errorf("half-open after the SYN|ACK retries = %d; want 0", n)
	}
}

// TestSynFloodBounds floods several listeners with big backlogs: each
// keeps at most a quarter of the table half-open, all of them at most
// half, and the program's own connect still finds a slot.
func TestSynFloodBounds(t *testing.T) {
	s := New(Config{MaxConns: 32})
	var lids [3]ID
	for k := range lids {
		lids[k], _ = s.Listen(ourAddr, uint16(80+k), 4096)
	}
	for i := range 300 {
		s.Input(craft(seg{sport: uint16(2000 + i), dport: uint16(80 + i%3), seq: uint32(i * 7919), flags: flagSYN, wnd: 1000, ws: -1}), int64(1+i))
	}
	drain(t, s, 400)
	for k, lid := range lids {
		if n := s.lookupID(lid).nsyn; n > 8 {
			t.Errorf("listener %d: %d half-open; want at most 8 (a quarter of 32)", k, n)
		}
	}
	if n := s.countState(stSynRcvd); n != 16 || s.halfOpen() != 16 {
		t.Errorf("half-open: %d slots, %d counted; want 16 (half of 32)", n, s.halfOpen())
	}
	if _, err := s.Connect(ourAddr, 0, peerAddr, 443, 400); err != OK {
		t.Fatalf("Connect during a SYN flood on three ports = %v", err)
	}
	// The newest SYNs were kept: the oldest made room.
	if c := s.find(ourAddr, peerAddr, 80+299%3, 2000+299); c == nil || c.state != stSynRcvd {
		t.Errorf("the newest SYN has no half-open connection")
	}
}

// TestRetransmit checks the RTO (RFC 6298: 1 s initially, doubling) and
// the reset after the retries run out.
func TestRetransmit(t *testing.T) {
	s, id, iss, now := established(t, Config{MaxConns: 4, QuickAcks: -1})
	s.Write(id, []byte("data"))
	if o := drain(t, s, now); len(o) != 1 || o[0].seq != iss+1 || o[0].data != 4 {
		t.Fatalf("sent %+v", o)
	}
	// The handshake gave an RTT sample of 0: RTO = max(MinRTO, ...) = 200 ms.
	want := now + int64(200*time.Millisecond)
	if d := s.NextDeadline(); d != want {
		t.Fatalf("RTO deadline = %d; want %d", d, want)
	}
	at := want
	for i := range dataRetries {
		s.Tick(at)
		o := drain(t, s, at)
		if len(o) != 1 || o[0].seq != iss+1 || o[0].data != 4 {
			t.Fatalf("retransmission %d: sent %+v", i, o)
		}
		next := s.NextDeadline()
		if i < 8 && next-at != int64(400*time.Millisecond)<<i {
			t.Fatalf("retransmission %d: next RTO after %v; want %v", i, time.Duration(next-at), 400*time.Millisecond<<i)
		}
		at = next
	}
	s.Tick(at)
	if o := drain(t, s, at); len(o) != 1 || o[0].flags != flagRST {
		t.Fatalf("after the last retry: sent %+v; want a RST", o)
	}
	if err := s.Err(id); err != ETIMEDOUT {
		t.Errorf("Err = %v; want ETIMEDOUT", err)
	}
}

// TestZeroWindowProbe checks that data waiting on a zero window is probed.
func TestZeroWindowProbe(t *testing.T) {
	s, id, iss, now := established(t, Config{MaxConns: 4, QuickAcks: -1})
	rcv := uint32(peerISN + 1)
	s.Input(craft(seg{sport: 1234, dport: 80, seq: rcv, ack: iss + 1, flags: flagACK, wnd: 0, ws: -1}), now)
	s.Write(id, []byte("waiting"))
	if o := drain(t, s, now); len(o) != 0 {
		t.Fatalf("sent %+v into a zero window", o)
	}
	at := s.NextDeadline()
	if at == 0 {
		t.Fatal("no persist timer")
	}
	s.Tick(at)
	o := drain(t, s, at)
	if len(o) != 1 || o[0].data != 1 || o[0].seq != iss+1 {
		t.Fatalf("probe = %+v; want one byte at %d", o, iss+1)
	}
	// The window opens: the rest follows.
	s.Input(craft(seg{sport: 1234, dport: 80, seq: rcv, ack: iss + 2, flags: flagACK, wnd: 1000, ws: -1}), at)
	o = drain(t, s, at)
	if len(o) != 1 || o[0].data != 6 || o[0].seq != iss+2 {
		t.Fatalf("after the window opened: %+v; want 6 bytes at %d", o, iss+2)
	}
}

// TestFastRetransmit checks that three duplicate ACKs resend the first
// unacknowledged segment at once (RFC 5681 §3.2).
func TestFastRetransmit(t *testing.T) {
	s, id, iss, now := established(t, Config{MaxConns: 4, QuickAcks: -1})
	rcv := uint32(peerISN + 1)
	// A big window: the handshake ACK said 512 unscaled (no WS from us? we
	// got WS 7 from the peer): 512<<7 = 64 KiB.
	s.Write(id, make([]byte, 5*1460))
	if o := drain(t, s, now); len(o) != 5 {
		t.Fatalf("sent %d segments; want 5", len(o))
	}
	dup := craft(seg{sport: 1234, dport: 80, seq: rcv, ack: iss + 1 + 1460, flags: flagACK, wnd: 512, ws: -1})
	s.Input(dup, now) // a new ACK
	for i := range 3 {
		s.Input(dup, now)
		o := drain(t, s, now)
		if i < 2 && len(o) != 0 {
			t.Fatalf("dup ACK %d: sent %+v", i+1, o)
		}
		if i == 2 && (len(o) != 1 || o[0].seq != iss+1+1460) {
			t.Fatalf("third dup ACK: sent %+v; want a retransmission at %d", o, iss+1+1460)
		}
	}
}

// TestOutOfOrder checks the reassembly in the receive ring: segments
// after a hole are kept (with an immediate duplicate ACK each), the one
// that fills the hole is acknowledged at once with everything after it,
// and the bytes read back in order; with all ranges in use, more are
// dropped.
func TestOutOfOrder(t *testing.T) {
	s, id, iss, now := established(t, Config{MaxConns: 4, QuickAcks: -1})
	rcv := uint32(peerISN + 1)
	send := func(off uint32, b string) []out {
		s.Input(craft(seg{sport: 1234, dport: 80, seq: rcv + off, ack: iss + 1, flags: flagACK, wnd: 512, ws: -1,
			data: []byte(b)}), now)
		return drain(t, s, now)
	}
	for _, c := range []struct {
		off  uint32
		data string
	}{{10, "klmno"}, {3, "defg"}, {20, "uvw"}, {12, "mnopqrst"}, {30, "EFG"}, {40, "OPQ"}, {50, "YZ"}} {
		if o := send(c.off, c.data); len(o) != 1 || o[0].ack != rcv {
			t.Fatalf("out-of-order %q: sent %+v; want a duplicate ACK of %d", c.data, o, rcv)
		}
	}
	if got := s.lookupID(id).nooo; got != 4 {
		t.Fatalf("ranges kept = %d; want 4: [3,7) [10,23) [30,33) [40,43)", got)
	}
	if s.Stats.OOODrops != 1 {
		t.Errorf("OOODrops = %d; want 1 (the fifth range)", s.Stats.OOODrops)
	}
	if o := send(0, "abc"); len(o) != 1 || o[0].ack != rcv+7 {
		t.Fatalf("filling the first hole: sent %+v; want an ACK of %d", o, rcv+7)
	}
	if o := send(7, "hij"); len(o) != 1 || o[0].ack != rcv+23 {
		t.Fatalf("filling the second hole: sent %+v; want an ACK of %d", o, rcv+23)
	}
	buf := make([]byte, 100)
	n, _ := s.Read(id, buf)
	if got, want := string(buf[:n]), "abcdefghijklmnopqrstuvw"; got != want {
		t.Errorf("read %q; want %q", got, want)
	}
}
