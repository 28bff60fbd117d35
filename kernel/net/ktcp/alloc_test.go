package ktcp

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// exchange is a client and a server stack joined directly, for
// allocation and cost measurements of the steady state.
type exchange struct {
	c, s     *Stack
	cid, sid ID
	now      int64
	buf      []byte
	rbuf     []byte
	req      []byte
	resp     []byte
	segs     int
}

func newExchange(tb testing.TB) *exchange {
	e := &exchange{c: New(Config{MaxConns: 8, Secret: [16]byte{1}}), s: New(Config{MaxConns: 8, Secret: [16]byte{2}}),
		now: int64(time.Second), buf: make([]byte, 1500), rbuf: make([]byte, 4096),
		req:  []byte("GET / HTTP/1.1\r\nHost: example\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"),
		resp: make([]byte, 140)}
	lid, _ := e.s.Listen(addrB, 80, 8)
	e.cid, _ = e.c.Connect(addrA, 0, addrB, 80, e.now)
	e.move(e.c, e.s)
	e.move(e.s, e.c)
	e.move(e.c, e.s)
	var err Errno
	if e.sid, err = e.s.Accept(lid); err != OK {
		tb.Fatalf("Accept = %v", err)
	}
	for range 40 { // past the quick-ack phase
		e.round(tb)
	}
	return e
}

// move sends everything from one stack to the other.
func (e *exchange) move(from, to *Stack) {
	for {
		n := from.Output(e.buf, e.now)
		if n == 0 {
			return
		}
		e.segs++
		to.Input(e.buf[:n], e.now)
	}
}

// round is one request and its response, as a kernel would drive them:
// the server reads and answers before its output runs, the client's ACK
// of the response is delayed and rides on the next request.
func (e *exchange) round(tb testing.TB) {
	e.now += int64(100 * time.Microsecond)
	if n, err := e.c.Write(e.cid, e.req); n != len(e.req) || err != OK {
		tb.Fatalf("client Write = %d, %v", n, err)
	}
	e.move(e.c, e.s)
	if n, err := e.s.Read(e.sid, e.rbuf); n != len(e.req) || err != OK {
		tb.Fatalf("server Read = %d, %v", n, err)
	}
	e.s.Write(e.sid, e.resp)
	e.move(e.s, e.c)
	if n, err := e.c.Read(e.cid, e.rbuf); n != len(e.resp) || err != OK {
		tb.Fatalf("client Read = %d, %v", n, err)
	}
	e.move(e.c, e.s)
	e.c.Tick(e.now)
	e.s.Tick(e.now)
}

// TestSteadyStateAllocs checks that segments in and out, reads, writes
// and timers allocate nothing once connections exist.
func TestSteadyStateAllocs(t *testing.T) {
	e := newExchange(t)
	if a := testing.AllocsPerRun(1000, func() { e.round(t) }); a != 0 {
		t.Errorf("request/response round: %v allocations; want 0", a)
	}
	// Bulk: full segments, window updates, delayed ACK timers.
	data := make([]byte, 16<<10)
	if a := testing.AllocsPerRun(200, func() {
		e.now += int64(50 * time.Millisecond)
		e.c.Write(e.cid, data)
		e.move(e.c, e.s)
		for {
			n, _ := e.s.Read(e.sid, e.rbuf)
			if n == 0 {
				break
			}
		}
		e.move(e.s, e.c)
		e.c.Tick(e.now)
		e.s.Tick(e.now)
		e.move(e.s, e.c)
		e.move(e.c, e.s)
	}); a != 0 {
		t.Errorf("bulk round: %v allocations; want 0", a)
	}
	// Retransmission timers.
	if a := testing.AllocsPerRun(50, func() {
		e.c.Write(e.cid, e.req)
		e.c.Output(e.buf, e.now) // lost
		e.now += int64(2 * time.Second)
		e.c.Tick(e.now)
		e.move(e.c, e.s)
		e.move(e.s, e.c)
		e.s.Read(e.sid, e.rbuf)
	}); a != 0 {
		t.Errorf("retransmission: %v allocations; want 0", a)
	}
}

// BenchmarkRequestResponse measures one request/response exchange over a
// kept-alive connection through both stacks (client and server sides:
// 2 segments per exchange, since the client's ACK is delayed onto the
// next request): ns/op here; instructions with TestRounds under valgrind
// (ADR 0012).
func BenchmarkRequestResponse(b *testing.B) {
	e := newExchange(b)
	segs := e.segs
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		e.round(b)
	}
	b.ReportMetric(float64(e.segs-segs)/float64(b.N), "segs/op")
}

// TestRounds runs $KTCP_ROUNDS exchanges (skipped without it): the loop
// whose instructions ADR 0012 counts with valgrind's callgrind
// (--toggle-collect on exchange.round), outside the benchmark framework,
// whose timers use an instruction valgrind does not know.
func TestRounds(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("KTCP_ROUNDS"))
	if err != nil {
		t.Skip("set KTCP_ROUNDS=N to run N request/response exchanges (for instruction counts)")
	}
	e := newExchange(t)
	for range n {
		e.round(t)
	}
}
