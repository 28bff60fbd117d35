// Package ktcp is a TCP (RFC 9293) for IPv4 written for the kernel's data
// path: segments in, data in and out, and timers run with no heap
// allocation, no goroutines and no locks, on fixed-size tables and byte
// rings that the caller provides, so that it can run in the trap and
// interrupt paths under ADR 0001's rules once it is wired in (ADR 0012).
//
// The caller drives it:
//   - [Stack.Input] takes one IPv4 packet (from the NIC) and the time;
//   - [Stack.Output] writes the next IPv4 packet to send into a frame
//     buffer, until it returns 0;
//   - [Stack.NextDeadline] tells when [Stack.Tick] must run next;
//   - the socket layer calls [Stack.Listen], [Stack.Accept],
//     [Stack.Connect], [Stack.Read], [Stack.Write], [Stack.Shutdown],
//     [Stack.Close] and [Stack.Events], and [Config.Wake] tells it which
//     connection's readiness may have changed.
//
// What it does: the full state machine with RFC 5961 RST, SYN and ACK
// checks; MSS and window scale (RFC 7323); delayed ACKs (RFC 1122
// 4.2.3.2) with a quick-ack phase at connection start; RFC 6298
// retransmission timeouts with Karn's rule; NewReno congestion control
// (RFC 5681, RFC 6582) with fast retransmit; zero-window probes; a bounded
// half-open table per listener that drops the oldest half-open connection
// under a SYN flood. Out-of-order segments are kept in the receive ring
// at their place beyond the in-order bytes, in up to four ranges (more are
// dropped), and answered with an immediate duplicate ACK.
// Keepalive probes are available per connection. Not yet: timestamps,
// SACK, Nagle (sockets behave as TCP_NODELAY), urgent data.
//
// A Stack is not safe for concurrent use: the kernel calls it with
// interrupts off.
package ktcp

import (
	"encoding/binary"
	"time"
)

// ID names a connection or a listener: a table index and a generation, so
// that a stale ID is refused after its slot has been reused.
type ID int32

const noConn = -1

func (id ID) index() int32 { return int32(id) & 0xffff }

// Errno is an error of the socket interface, with Linux's numbers.
type Errno uint8

// Errors (Linux's errno values, include/uapi/asm-generic/errno*.h).
const (
	OK           Errno = 0
	EPIPE        Errno = 32
	EAGAIN       Errno = 11
	EINVAL       Errno = 22
	EBADF        Errno = 9
	ENOBUFS      Errno = 105
	EADDRINUSE   Errno = 98
	ENOTCONN     Errno = 107
	ETIMEDOUT    Errno = 110
	ECONNREFUSED Errno = 111
	ECONNRESET   Errno = 104
	EISCONN      Errno = 106
)

func (e Errno) Error() string {
	switch e {
	case OK:
		return "ok"
	case EPIPE:
		return "broken pipe"
	case EAGAIN:
		return "resource temporarily unavailable"
	case EINVAL:
		return "invalid argument"
	case EBADF:
		return "bad connection id"
	case ENOBUFS:
		return "no buffer space available"
	case EADDRINUSE:
		return "address already in use"
	case ENOTCONN:
		return "transport endpoint is not connected"
	case ETIMEDOUT:
		return "connection timed out"
	case ECONNREFUSED:
		return "connection refused"
	case ECONNRESET:
		return "connection reset by peer"
	case EISCONN:
		return "transport endpoint is already connected"
	}
	return "unknown error"
}

// Readiness bits returned by [Stack.Events], with epoll's values.
const (
	EvIn    = 0x001
	EvOut   = 0x004
	EvErr   = 0x008
	EvHup   = 0x010
	EvRdHup = 0x2000
)

// TCP states (RFC 9293 §3.3.2). Closed slots are free.
const (
	stFree uint8 = iota
	stClosed
	stListen
	stSynSent
	stSynRcvd
	stEstablished
	stFinWait1
	stFinWait2
	stCloseWait
	stClosing
	stLastAck
	stTimeWait
)

var stateNames = [...]string{"FREE", "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
	"FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"}

// conn flags.
const (
	fAckNow    = 1 << iota // send an ACK with the next output
	fFinQueued             // the application closed its side: FIN after the data
	fRcvFin                // the peer's FIN arrived
	fProbe                 // send a zero-window probe
	fRetxOne               // retransmit the segment at snd.una (fast retransmit)
	fFastRec               // in NewReno fast recovery
	fRttActive             // timing one segment (Karn: never a retransmitted one)
	fOwned                 // the application holds the ID (accepted, connected or listening)
	fInTxq                 // on the output queue
	fWsOK                  // both sides sent window scale
	fPassive               // created by a listener
	fHashed                // in the four-tuple hash
	fKeepProbe             // send a keepalive probe
)

// conn is a connection or a listener. Fields link by index, never by
// pointer.
type conn struct {
	self  int32 // index in the table
	gen   uint16
	state uint8
	err   Errno
	flags uint32

	laddr, raddr [4]byte
	lport, rport uint16
	hnext        int32 // hash chain
	txqNext      int32

	// A listener's half-open (SYN-RECEIVED) and accept queues, linked
	// through the children's qnext, oldest first.
	parent              int32
	qnext               int32
	synHead, synTail    int32
	accHead, accTail    int32
	nsyn, nacc, backlog int32

	// Send side (RFC 9293 §3.3.1). sndMax is the highest sequence number
	// sent; snd.nxt falls back to snd.una after a timeout (go-back-N).
	iss, sndUna, sndNxt, sndMax uint32
	txSeq                       uint32 // sequence number of tx's first byte
	sndWnd, maxSndWnd           uint32
	sndWl1, sndWl2              uint32
	sndShift, rcvShift          uint8
	mss                         uint32 // send MSS

	// Receive side.
	irs, rcvNxt, rcvAdv uint32 // rcvAdv: right edge of the window advertised

	rx, tx ring

	// Retransmission (RFC 6298), times in ns.
	srtt, rttvar, rto int64
	rttSeq            uint32
	rttStart          int64
	retries           uint8

	// Congestion control (RFC 5681, RFC 6582).
	cwnd, ssthresh, recover uint32
	dupAcks                 uint32

	// Out-of-order ranges held in rx beyond its write position.
	ooo  [4]seqRange
	nooo uint8

	// Delayed ACK.
	unackedBytes uint32
	quick        uint8 // segments still acknowledged at once (quick-ack)

	// Timers: 0 when off.
	rtoAt, ackAt, closeAt int64
	born                  int64

	// Keepalive (RFC 1122 4.2.3.6): off when keepIdle is 0.
	keepIdle, keepIntvl int64
	keepAt, lastRecv    int64
	keepCnt, keepProbes uint8
}

// seqRange is [start, end) in sequence space.
type seqRange struct{ start, end uint32 }

// Config sizes a stack. Zero fields take the defaults.
type Config struct {
	MaxConns   int    // connections and listeners (default 256, at most 65535)
	RxBuf      int    // receive ring per connection (default 64 KiB; a power of two)
	TxBuf      int    // send ring per connection (default 64 KiB; a power of two)
	Mem        []byte // ring memory, MaxConns*(RxBuf+TxBuf) bytes; allocated when nil
	MTU        int    // IP MTU (default 1500)
	Secret     [16]byte
	TimeWait   time.Duration // 2*MSL (default 60 s, as Linux)
	FinTimeout time.Duration // FIN-WAIT-2 of a closed connection (default 60 s)
	DelayedAck time.Duration // delayed-ACK bound (default 40 ms, as Linux)
	MinRTO     time.Duration // default 200 ms (Linux; RFC 6298 allows below 1 s)
	InitRTO    time.Duration // default 1 s (RFC 6298)
	QuickAcks  int           // segments acknowledged at once at connection start (default 16; <0: none)
	// Wake is called when a connection's or listener's readiness may have
	// changed. It must not call back into the stack.
	Wake func(ID)
}

// Stats counts what the stack did.
type Stats struct {
	SegsIn, SegsOut, Retransmits, Bad, RstsOut, SynDrops, OOODrops, Timeouts uint64
}

// rstReq is a RST for a segment that belongs to no connection.
type rstReq struct {
	src, dst     [4]byte
	sport, dport uint16
	seq, ack     uint32
	flags        uint8
}

// Stack is one TCP instance. The zero value is unusable: call [New].
type Stack struct {
	cfg      Config
	mem      []byte
	conns    []conn
	hash     []int32
	hmask    uint32
	free     int32 // free list through hnext
	txqHead  int32
	txqTail  int32
	lst      []int32 // listener indices; len fixed at New
	nlst     int
	rsts     [16]rstReq
	rstR     uint32
	rstW     uint32
	k0, k1   uint64
	ipID     uint16
	portNext uint16
	nextAt   int64 // earliest armed timer (may be early, never late)
	now      int64 // time of the current Input/Tick/Output
	mss      uint32
	Stats    Stats
}

const (
	maxRTO      = int64(60 * time.Second)
	synRetries  = 6  // Linux tcp_syn_retries
	dataRetries = 15 // Linux tcp_retries2
	initCwndSeg = 10 // RFC 6928
	defaultMSS  = 536
)

// New creates a stack. It allocates (at boot); nothing after it does.
func New(cfg Config) *Stack {
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 256
	}
	if cfg.MaxConns > 0xffff {
		cfg.MaxConns = 0xffff
	}
	if cfg.RxBuf <= 0 {
		cfg.RxBuf = 64 << 10
	}
	if cfg.TxBuf <= 0 {
		cfg.TxBuf = 64 << 10
	}
	cfg.RxBuf = pow2(cfg.RxBuf)
	cfg.TxBuf = pow2(cfg.TxBuf)
	if cfg.MTU <= 0 {
		cfg.MTU = 1500
	}
	if cfg.TimeWait <= 0 {
		cfg.TimeWait = 60 * time.Second
	}
	if cfg.FinTimeout <= 0 {
		cfg.FinTimeout = 60 * time.Second
	}
	if cfg.DelayedAck <= 0 {
		cfg.DelayedAck = 40 * time.Millisecond
	}
	if cfg.MinRTO <= 0 {
		cfg.MinRTO = 200 * time.Millisecond
	}
	if cfg.InitRTO <= 0 {
		cfg.InitRTO = time.Second
	}
	switch {
	case cfg.QuickAcks == 0:
		cfg.QuickAcks = 16
	case cfg.QuickAcks < 0:
		cfg.QuickAcks = 0
	case cfg.QuickAcks > 255:
		cfg.QuickAcks = 255
	}
	need := cfg.MaxConns * (cfg.RxBuf + cfg.TxBuf)
	if len(cfg.Mem) < need {
		cfg.Mem = make([]byte, need)
	}
	s := &Stack{cfg: cfg, mem: cfg.Mem, txqHead: noConn, txqTail: noConn}
	s.conns = make([]conn, cfg.MaxConns)
	h := pow2(cfg.MaxConns)
	s.hash = make([]int32, h)
	s.hmask = uint32(h - 1)
	for i := range s.hash {
		s.hash[i] = noConn
	}
	for i := range s.conns {
		c := &s.conns[i]
		c.rx = ring{off: uint32(i * (cfg.RxBuf + cfg.TxBuf)), size: uint32(cfg.RxBuf)}
		c.tx = ring{off: c.rx.off + uint32(cfg.RxBuf), size: uint32(cfg.TxBuf)}
		c.hnext = int32(i + 1)
		c.self = int32(i)
	}
	s.conns[len(s.conns)-1].hnext = noConn
	s.lst = make([]int32, 64)
	s.k0 = binary.LittleEndian.Uint64(cfg.Secret[:8])
	s.k1 = binary.LittleEndian.Uint64(cfg.Secret[8:])
	s.portNext = uint16(32768 + s.k0%28232)
	s.mss = uint32(cfg.MTU - ipHdrLen - tcpHdrLen)
	return s
}

func pow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// lookupID returns the connection an ID names, or nil when the ID is
// stale or was given up with Close.
func (s *Stack) lookupID(id ID) *conn {
	i := id.index()
	if id < 0 || int(i) >= len(s.conns) {
		return nil
	}
	c := &s.conns[i]
	if c.state == stFree || c.flags&fOwned == 0 || c.gen&0x7fff != uint16(uint32(id)>>16)&0x7fff {
		return nil
	}
	return c
}

func (s *Stack) idOf(c *conn) ID {
	i := s.index(c)
	return ID(uint32(c.gen&0x7fff)<<16 | uint32(i))
}

func (s *Stack) index(c *conn) int32 { return c.self }

// alloc takes a free slot; with none free it ends the TIME-WAIT that
// would end first (as Linux does past tcp_max_tw_buckets); it returns nil
// when the table is full of live connections.
func (s *Stack) alloc() *conn {
	if s.free == noConn {
		var old *conn
		for i := range s.conns {
			c := &s.conns[i]
			if c.state == stTimeWait && c.flags&fOwned == 0 && (old == nil || c.closeAt < old.closeAt) {
				old = c
			}
		}
		if old == nil {
			return nil
		}
		s.release(old)
	}
	i := s.free
	c := &s.conns[i]
	s.free = c.hnext
	gen := c.gen + 1
	rx, tx := c.rx, c.tx
	*c = conn{self: i, gen: gen, state: stClosed, hnext: noConn, txqNext: noConn, parent: noConn, qnext: noConn,
		synHead: noConn, synTail: noConn, accHead: noConn, accTail: noConn}
	c.rx = ring{off: rx.off, size: rx.size}
	c.tx = ring{off: tx.off, size: tx.size}
	c.rto = int64(s.cfg.InitRTO)
	c.ssthresh = 1 << 30
	c.born = s.now
	return c
}

// release unhashes a connection and frees its slot. A slot on the output
// queue is skipped there (its generation changes).
func (s *Stack) release(c *conn) {
	if c.state == stFree {
		return
	}
	if c.flags&fHashed != 0 {
		s.unhash(c)
	}
	if c.flags&fInTxq != 0 {
		s.txqRemove(c)
	}
	c.state = stFree
	c.flags = 0
	c.hnext = s.free
	s.free = s.index(c)
}

func (s *Stack) bucket(laddr, raddr [4]byte, lport, rport uint16) uint32 {
	h := binary.LittleEndian.Uint32(raddr[:]) ^ binary.LittleEndian.Uint32(laddr[:])*0x9e3779b1 ^
		(uint32(lport)<<16|uint32(rport))*0x85ebca6b
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	return h & s.hmask
}

func (s *Stack) hashIn(c *conn) {
	b := s.bucket(c.laddr, c.raddr, c.lport, c.rport)
	c.hnext = s.hash[b]
	s.hash[b] = s.index(c)
	c.flags |= fHashed
}

func (s *Stack) unhash(c *conn) {
	b := s.bucket(c.laddr, c.raddr, c.lport, c.rport)
	i := s.index(c)
	p := &s.hash[b]
	for *p != noConn {
		if *p == i {
			*p = c.hnext
			break
		}
		p = &s.conns[*p].hnext
	}
	c.hnext = noConn
	c.flags &^= fHashed
}

func (s *Stack) find(laddr, raddr [4]byte, lport, rport uint16) *conn {
	for i := s.hash[s.bucket(laddr, raddr, lport, rport)]; i != noConn; {
		c := &s.conns[i]
		if c.lport == lport && c.rport == rport && c.raddr == raddr && c.laddr == laddr {
			return c
		}
		i = c.hnext
	}
	return nil
}

func (s *Stack) findListener(laddr [4]byte, port uint16) *conn {
	for _, i := range s.lst[:s.nlst] {
		c := &s.conns[i]
		if c.lport == port && (c.laddr == [4]byte{} || c.laddr == laddr) {
			return c
		}
	}
	return nil
}

// txqPush puts a connection on the output queue.
func (s *Stack) txqPush(c *conn) {
	if c.flags&fInTxq != 0 {
		return
	}
	c.flags |= fInTxq
	i := s.index(c)
	c.txqNext = noConn
	if s.txqTail == noConn {
		s.txqHead = i
	} else {
		s.conns[s.txqTail].txqNext = i
	}
	s.txqTail = i
}

func (s *Stack) txqPop() {
	c := &s.conns[s.txqHead]
	s.txqHead = c.txqNext
	if s.txqHead == noConn {
		s.txqTail = noConn
	}
	c.flags &^= fInTxq
	c.txqNext = noConn
}

func (s *Stack) txqRemove(c *conn) {
	i := s.index(c)
	prev := int32(noConn)
	for j := s.txqHead; j != noConn; j = s.conns[j].txqNext {
		if j == i {
			if prev == noConn {
				s.txqHead = c.txqNext
			} else {
				s.conns[prev].txqNext = c.txqNext
			}
			if s.txqTail == i {
				s.txqTail = prev
			}
			break
		}
		prev = j
	}
	c.flags &^= fInTxq
	c.txqNext = noConn
}

func (s *Stack) wake(c *conn) {
	if s.cfg.Wake != nil && c.flags&fOwned != 0 {
		s.cfg.Wake(s.idOf(c))
	}
}

// arm records a deadline in the stack's earliest-deadline hint.
func (s *Stack) arm(at int64) {
	if at != 0 && (s.nextAt == 0 || at < s.nextAt) {
		s.nextAt = at
	}
}

// rcvWnd is the receive window to advertise: the ring's free room.
func (c *conn) rcvWnd() uint32 { return c.rx.free() }

// finSeq is the sequence number of our FIN (valid once fFinQueued).
func (c *conn) finSeq() uint32 { return c.txSeq + c.tx.used() }

// finAcked reports whether the peer acknowledged our FIN.
func (c *conn) finAcked() bool {
	return c.flags&fFinQueued != 0 && c.sndUna == c.finSeq()+1
}

// State returns the name of a connection's state (RFC 9293), for tests
// and diagnostics.
func (s *Stack) State(id ID) string {
	c := s.lookupID(id)
	if c == nil {
		return "INVALID"
	}
	return stateNames[c.state]
}
