package ktcp

import (
	"bytes"
	"math/rand"
	"testing"
	"time"
)

// pair is two stacks joined by an in-memory link and a simulated clock.
type pair struct {
	t      *testing.T
	a, b   *Stack
	now    int64
	buf    []byte
	frames [][]byte // in flight, in order; index 0 first
	to     []*Stack
	// filter, when set, sees every frame: return false to drop it.
	filter func(from *Stack, pkt []byte) bool
	sent   map[*Stack]int
}

var addrA, addrB = [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}

func newPair(t *testing.T, cfg Config) *pair {
	ca, cb := cfg, cfg
	ca.Secret[0], cb.Secret[0] = 1, 2
	return &pair{t: t, a: New(ca), b: New(cb), now: int64(time.Second), buf: make([]byte, 2048),
		sent: map[*Stack]int{}}
}

func (p *pair) other(s *Stack) *Stack {
	if s == p.a {
		return p.b
	}
	return p.a
}

// flush moves frames until both stacks are quiet.
func (p *pair) flush() {
	for range 100000 {
		moved := false
		for _, s := range []*Stack{p.a, p.b} {
			for {
				n := s.Output(p.buf, p.now)
				if n == 0 {
					break
				}
				pkt := append([]byte(nil), p.buf[:n]...)
				p.sent[s]++
				if p.filter != nil && !p.filter(s, pkt) {
					continue
				}
				p.frames = append(p.frames, pkt)
				p.to = append(p.to, p.other(s))
			}
		}
		for len(p.frames) > 0 {
			f, to := p.frames[0], p.to[0]
			p.frames, p.to = p.frames[1:], p.to[1:]
			to.Input(f, p.now)
			moved = true
		}
		if !moved {
			return
		}
	}
	p.t.Fatal("link never went quiet")
}

// advance moves the clock by d, running timers on the way.
func (p *pair) advance(d time.Duration) {
	end := p.now + int64(d)
	for {
		next := int64(0)
		for _, s := range []*Stack{p.a, p.b} {
			if at := s.NextDeadline(); at != 0 && (next == 0 || at < next) {
				next = at
			}
		}
		if next == 0 || next > end {
			break
		}
		if next > p.now {
			p.now = next
		}
		p.a.Tick(p.now)
		p.b.Tick(p.now)
		p.flush()
	}
	p.now = end
	p.flush()
}

// connect opens a connection from a to a listener on b.
func (p *pair) connect(port uint16) (l, ca, cb ID) {
	l, err := p.b.Listen(addrB, port, 16)
	if err != OK {
		p.t.Fatalf("Listen = %v", err)
	}
	ca, err = p.a.Connect(addrA, 0, addrB, port, p.now)
	if err != OK {
		p.t.Fatalf("Connect = %v", err)
	}
	p.flush()
	cb, err = p.b.Accept(l)
	if err != OK {
		p.t.Fatalf("Accept = %v (client %s)", err, p.a.State(ca))
	}
	if p.a.State(ca) != "ESTABLISHED" || p.b.State(cb) != "ESTABLISHED" {
		p.t.Fatalf("states after handshake: %s, %s", p.a.State(ca), p.b.State(cb))
	}
	return l, ca, cb
}

func TestPairHandshakeDataClose(t *testing.T) {
	p := newPair(t, Config{MaxConns: 8, RxBuf: 4096, TxBuf: 4096})
	_, ca, cb := p.connect(80)
	msg := []byte("GET / HTTP/1.1\r\n\r\n")
	if n, err := p.a.Write(ca, msg); n != len(msg) || err != OK {
		t.Fatalf("Write = %d, %v", n, err)
	}
	p.flush()
	got := make([]byte, 100)
	n, err := p.b.Read(cb, got)
	if err != OK || !bytes.Equal(got[:n], msg) {
		t.Fatalf("Read = %q, %v; want %q", got[:n], err, msg)
	}
	if err := p.a.Close(ca, p.now); err != OK {
		t.Fatal(err)
	}
	p.flush()
	if n, err := p.b.Read(cb, got); n != 0 || err != OK {
		t.Fatalf("Read at EOF = %d, %v; want 0, OK", n, err)
	}
	if st := p.b.State(cb); st != "CLOSE-WAIT" {
		t.Fatalf("server state = %s; want CLOSE-WAIT", st)
	}
	p.b.Close(cb, p.now)
	p.flush()
	if st := p.b.State(cb); st != "INVALID" {
		t.Errorf("server after LAST-ACK = %s; want freed", st)
	}
	if st := p.a.State(ca); st != "INVALID" {
		t.Errorf("closed client = %s; want freed (its ID was given up)", st)
	}
	// The client's slot stays in TIME-WAIT for 2MSL.
	if n := p.a.countState(stTimeWait); n != 1 {
		t.Errorf("client TIME-WAIT slots = %d; want 1", n)
	}
	p.advance(61 * time.Second)
	if n := p.a.countState(stTimeWait); n != 0 {
		t.Errorf("TIME-WAIT slots after 2MSL = %d; want 0", n)
	}
}

func (s *Stack) countState(st uint8) int {
	n := 0
	for i := range s.conns {
		if s.conns[i].state == st {
			n++
		}
	}
	return n
}

// TestTimeWaitRecycled checks that a table full of TIME-WAIT slots still
// takes new connections.
func TestTimeWaitRecycled(t *testing.T) {
	p := newPair(t, Config{MaxConns: 4, RxBuf: 4096, TxBuf: 4096})
	l, err := p.b.Listen(addrB, 80, 4)
	if err != OK {
		t.Fatal(err)
	}
	for i := range 10 {
		ca, err := p.a.Connect(addrA, 0, addrB, 80, p.now)
		if err != OK {
			t.Fatalf("connection %d: Connect = %v", i, err)
		}
		p.flush()
		cb, err := p.b.Accept(l)
		if err != OK {
			t.Fatalf("connection %d: Accept = %v", i, err)
		}
		p.a.Close(ca, p.now) // the client closes first: TIME-WAIT on its side
		p.flush()
		p.b.Close(cb, p.now)
		p.flush()
		p.now += int64(time.Second)
	}
	if n := p.a.countState(stTimeWait); n != 4 {
		t.Errorf("client TIME-WAIT slots = %d; want 4 (the table)", n)
	}
}

// TestSequenceWrap moves data across the 2^32 wrap of the client's
// sequence numbers (the clock is set so that its ISS lands just below).
func TestSequenceWrap(t *testing.T) {
	p := newPair(t, Config{MaxConns: 4, RxBuf: 8192, TxBuf: 8192})
	h := p.a.isn(addrA, addrB, p.a.portNext, 80, 0)
	p.now = int64(uint32(0xffffffff-3000-h))*4000 + 2000
	_, ca, cb := p.connect(80)
	if c := p.a.lookupID(ca); c.iss < 0xffff0000 {
		t.Fatalf("ISS = %#x; want just below 2^32", c.iss)
	}
	data, _ := testData(100<<10, 3)
	var got []byte
	buf := make([]byte, 4096)
	for off := 0; off < len(data) || len(got) < len(data); {
		n, _ := p.a.Write(ca, data[off:])
		off += n
		p.flush()
		readEach(p.b, cb, buf, func(d []byte) { got = append(got, d...) })
		p.flush()
		p.advance(50 * time.Millisecond)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("received %d bytes, different from the %d sent", len(got), len(data))
	}
	if c := p.a.lookupID(ca); c.sndUna > 0x10000000 {
		t.Errorf("snd.una = %#x; want past the wrap", c.sndUna)
	}
}

// TestSimultaneousOpen connects both stacks to each other at once (RFC
// 9293 §3.5, figure 8): SYNs cross, both answer SYN|ACK from SYN-RECEIVED,
// and both reach ESTABLISHED.
func TestSimultaneousOpen(t *testing.T) {
	p := newPair(t, Config{MaxConns: 4, RxBuf: 4096, TxBuf: 4096})
	ca, err := p.a.Connect(addrA, 5000, addrB, 6000, p.now)
	if err != OK {
		t.Fatal(err)
	}
	cb, err := p.b.Connect(addrB, 6000, addrA, 5000, p.now)
	if err != OK {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	p.filter = func(from *Stack, pkt []byte) bool {
		seen[p.a.State(ca)] = true
		return true
	}
	p.flush()
	if !seen["SYN-RECEIVED"] {
		t.Errorf("states seen: %v; want SYN-RECEIVED on the way", seen)
	}
	if sa, sb := p.a.State(ca), p.b.State(cb); sa != "ESTABLISHED" || sb != "ESTABLISHED" {
		t.Fatalf("states = %s, %s; want ESTABLISHED both", sa, sb)
	}
	p.a.Write(ca, []byte("ping"))
	p.flush()
	buf := make([]byte, 8)
	if n, _ := p.b.Read(cb, buf); string(buf[:n]) != "ping" {
		t.Errorf("Read = %q; want ping", buf[:n])
	}
}

// TestEventsAndWake checks the readiness the socket layer will see and
// that Wake names the listener and connections whose readiness changed.
func TestEventsAndWake(t *testing.T) {
	woke := map[ID]int{}
	cfg := Config{MaxConns: 8, RxBuf: 4096, TxBuf: 4096, Wake: func(id ID) { woke[id]++ }}
	p := newPair(t, cfg)
	l, ca, cb := p.connect(80)
	if woke[l] == 0 {
		t.Errorf("listener not woken for the connection on its queue")
	}
	if ev := p.b.Events(cb); ev != EvOut {
		t.Errorf("fresh connection: Events = %#x; want EvOut", ev)
	}
	clear(woke)
	p.a.Write(ca, []byte("x"))
	p.flush()
	if woke[cb] == 0 {
		t.Error("receiver not woken for data")
	}
	if ev := p.b.Events(cb); ev != EvIn|EvOut {
		t.Errorf("with data: Events = %#x; want EvIn|EvOut", ev)
	}
	p.b.Read(cb, make([]byte, 8))
	p.a.Shutdown(ca)
	p.flush()
	if ev := p.b.Events(cb); ev != EvIn|EvOut|EvRdHup {
		t.Errorf("after the peer's FIN: Events = %#x; want EvIn|EvOut|EvRdHup", ev)
	}
	p.a.Abort(ca)
	p.flush()
	if ev := p.b.Events(cb); ev&(EvErr|EvHup) != EvErr|EvHup {
		t.Errorf("after a RST: Events = %#x; want EvErr|EvHup set", ev)
	}
	// The FIN came before the RST: reads see EOF, writes EPIPE (Linux).
	if n, err := p.b.Read(cb, make([]byte, 8)); n != 0 || err != OK {
		t.Errorf("Read after FIN and RST = %d, %v; want EOF", n, err)
	}
	if _, err := p.b.Write(cb, []byte("y")); err != EPIPE {
		t.Errorf("Write after FIN and RST = %v; want EPIPE", err)
	}
	if p.b.Close(cb, p.now) != OK || p.b.Events(cb) != EvErr|EvHup {
		t.Errorf("closed ID still reports readiness %#x", p.b.Events(cb))
	}
}

// TestKeepalive checks probes after the idle time, that an answered probe
// keeps the connection, and that unanswered ones end it with ETIMEDOUT.
func TestKeepalive(t *testing.T) {
	p := newPair(t, Config{MaxConns: 4, RxBuf: 4096, TxBuf: 4096})
	_, ca, cb := p.connect(80)
	if err := p.a.SetKeepalive(ca, int64(15*time.Second), int64(5*time.Second), 3, p.now); err != OK {
		t.Fatal(err)
	}
	before := p.sent[p.a]
	p.advance(14 * time.Second)
	if p.sent[p.a] != before {
		t.Fatalf("%d segments before the idle time", p.sent[p.a]-before)
	}
	p.advance(2 * time.Second)
	if p.sent[p.a] != before+1 || p.sent[p.b] == 0 {
		t.Fatalf("after the idle time: %d probes; want 1 (answered)", p.sent[p.a]-before)
	}
	p.advance(time.Minute)
	if p.a.State(ca) != "ESTABLISHED" || p.a.Err(ca) != OK {
		t.Fatalf("answered probes: state %s, err %v", p.a.State(ca), p.a.Err(ca))
	}
	// The peer goes silent: 3 probes, then ETIMEDOUT and a RST.
	p.filter = func(from *Stack, pkt []byte) bool { return from == p.a }
	p.advance(time.Minute)
	if err := p.a.Err(ca); err != ETIMEDOUT {
		t.Errorf("silent peer: Err = %v; want ETIMEDOUT", err)
	}
	if p.b.State(cb) != "INVALID" && p.b.Err(cb) != ECONNRESET {
		t.Errorf("peer after the RST: %s, %v", p.b.State(cb), p.b.Err(cb))
	}
}

// TestBlindInjection sends a connection, while it moves data both ways,
// thousands of spoofed segments from its peer's address and port with
// guessed numbers (RSTs, SYNs, ACKs, data): RFC 5961's checks must keep
// it alive and its data intact (challenge ACKs are all it answers).
func TestBlindInjection(t *testing.T) {
	p := newPair(t, Config{MaxConns: 4, RxBuf: 8192, TxBuf: 8192})
	_, ca, cb := p.connect(80)
	_, lport, _, _ := p.a.Addrs(ca)
	r := rand.New(rand.NewSource(7))
	data, _ := testData(64<<10, 9)
	var got, echo []byte
	buf := make([]byte, 4096)
	for off := 0; len(got) < len(data); {
		n, _ := p.a.Write(ca, data[off:])
		off += n
		c := p.a.lookupID(ca)
		for range 50 {
			g := seg{sport: 80, dport: lport, seq: r.Uint32(), ack: r.Uint32(), wnd: 1000, ws: -1}
			if g.seq == c.rcvNxt {
				g.seq++
			}
			switch r.Intn(4) {
			case 0:
				g.flags = flagRST
			case 1:
				g.flags = flagSYN
			case 2:
				g.flags = flagACK
			case 3:
				g.flags = flagACK | flagPSH
				g.data = []byte("spoofed")
				// Data at a guessed sequence number outside the window.
				if inWindow(g.seq, c.rcvNxt, c.rcvWnd()+7) {
					g.seq += 1 << 30
				}
			}
			p.a.Input(craft(g), p.now)
		}
		p.flush()
		readEach(p.b, cb, buf, func(d []byte) {
			got = append(got, d...)
			p.b.Write(cb, d)
		})
		p.flush()
		readEach(p.a, ca, buf, func(d []byte) { echo = append(echo, d...) })
		p.advance(10 * time.Millisecond)
		if p.a.Err(ca) != OK || p.a.State(ca) != "ESTABLISHED" {
			t.Fatalf("after injection: %s, %v", p.a.State(ca), p.a.Err(ca))
		}
	}
	if !bytes.Equal(got, data) || !bytes.Equal(echo, data[:len(echo)]) {
		t.Fatalf("data changed by the injection (%d bytes, %d echoed)", len(got), len(echo))
	}
}

// readEach reads connection id through buf until it has nothing more,
// handing each piece to each.
func readEach(s *Stack, id ID, buf []byte, each func([]byte)) {
	for {
		m, err := s.Read(id, buf)
		if m == 0 || err != OK {
			return
		}
		each(buf[:m])
	}
}
