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
// checks and rate-limited challenge ACKs (RFC 5961 §7, as Linux); MSS and window scale (RFC 7323); delayed ACKs (RFC 1122
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
// Memory: [Init] sets a Stack up in place, without the Go heap, on tables
// the caller carves from kernel memory ([TableBytes]: the connection
// table, the four-tuple hash and the listener list, 376 bytes per
// connection); the kernel calls it at boot, before the Go runtime runs.
// [New] does the same on the Go heap for hosted use. Ring memory comes
// through Config.AllocRing and goes back through Config.FreeRing, and only
// connections that can carry data hold it: an active open from [Stack.Connect]
// (ENOBUFS without memory), a passive one from its final handshake ACK (a
// RST without memory, counted in Stats.RingDrops; its SYN|ACK already
// advertised the window of the ring it will take). Half-open connections
// (a SYN flood) hold none, and rings go back as soon as a connection can
// carry no more data either way (TIME-WAIT, CLOSED, an abort or a reset;
// a receive ring once the application has read it). Rings start small
// (Config.InitBuf, 4 KiB) and double up to Config.RxBuf and TxBuf as the
// data need them, so a request/response connection holds 8 KiB. Stats.RingBytes is
// what the connections hold. The tables and rings hold no Go pointers.
//
// A Stack is not safe for concurrent use: the kernel calls it with
// interrupts off.
package ktcp

import (
	"encoding/binary"
	"time"
	"unsafe"
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
	ENETUNREACH  Errno = 101
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
	case ENETUNREACH:
		return "network is unreachable"
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
	fTxWait                // a Write did not fit: wake the writer when there is room (Linux's SOCK_NOSPACE)
	fShutWait              // Shutdown before the handshake completed: the FIN follows it
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

	rx, tx       ring
	rxMax, txMax uint32 // the sizes rings may grow to (Config.InitBuf)
	grewAt       uint32 // rcvAdv when the receive ring last grew

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

	oowNext int64 // answers to invalid segments resume (oowAck); 0: now

	// Keepalive (RFC 1122 4.2.3.6): off when keepIdle is 0.
	keepIdle, keepIntvl int64
	keepAt, lastRecv    int64
	keepCnt, keepProbes uint8
}

// seqRange is [start, end) in sequence space.
type seqRange struct{ start, end uint32 }

// Config sizes a stack. Zero fields take the defaults.
type Config struct {
	MaxConns int // connections and listeners (default 256, at most 65535)
	RxBuf    int // receive ring per connection, at most (default 64 KiB; a power of two in [4 KiB, 1 MiB])
	TxBuf    int // send ring per connection, at most (default 64 KiB; a power of two in [4 KiB, 1 MiB])
	// InitBuf is the size rings start at (default 4 KiB; a power of two in
	// [4 KiB, 1 MiB]); they double, up to RxBuf and TxBuf, when the
	// connection's data need them: the receive ring when the window limits
	// the transfer, the send ring when a Write does not fit. <0: rings are
	// taken at full size.
	InitBuf    int
	MTU        int // IP MTU (default 1500)
	Secret     [16]byte
	TimeWait   time.Duration // 2*MSL (default 60 s, as Linux)
	FinTimeout time.Duration // FIN-WAIT-2 of a closed connection (default 60 s)
	DelayedAck time.Duration // delayed-ACK bound (default 40 ms, as Linux)
	MinRTO     time.Duration // default 200 ms (Linux; RFC 6298 allows below 1 s)
	InitRTO    time.Duration // default 1 s (RFC 6298)
	QuickAcks  int           // segments acknowledged at once at connection start (default 16; <0: none)
	// ChallengeAcks bounds the challenge ACKs per second of the whole
	// stack (RFC 5961 §7; as Linux's tcp_challenge_ack_limit, default 1000,
	// raised by a random part of up to as many again each second; <0: no
	// stack-wide bound). Each connection also answers at most one invalid
	// segment per 500 ms (Linux's tcp_invalid_ratelimit).
	ChallengeAcks int
	// Wake is called when a connection's or listener's readiness may have
	// changed. It must not call back into the stack.
	Wake func(ID)
	// AllocRing returns n bytes of ring memory (n is a power of two of at
	// least 4096; the bytes need not be zeroed), or false when there are
	// none; FreeRing gives them back. A connection takes its two rings only
	// when it can carry data (see the package documentation). Both nil:
	// the stack carves rings from a pool that [New] allocates on the Go
	// heap (hosted use); a stack set up with [Init] then has no ring
	// memory and refuses connections with ENOBUFS.
	AllocRing func(n int) (base uintptr, ok bool)
	FreeRing  func(base uintptr, n int)
}

// Stats counts what the stack did.
type Stats struct {
	SegsIn, SegsOut, Retransmits, Bad, RstsOut, SynDrops, OOODrops, Timeouts uint64
	// RingDrops counts handshakes answered with a RST because no ring
	// memory was left when they completed.
	RingDrops uint64
	// RingBytes is the ring memory the connections hold now.
	RingBytes uint64
	// AcksLimited counts challenge and duplicate ACKs not sent (rate limits).
	AcksLimited uint64
}

// rstReq is a RST for a segment that belongs to no connection.
type rstReq struct {
	src, dst     [4]byte
	sport, dport uint16
	seq, ack     uint32
	flags        uint8
}

// Stack is one TCP instance. The zero value is unusable: set it up with
// [Init] (in place, no heap) or create one with [New].
type Stack struct {
	cfg      Config
	conns    []conn  // in the caller's tables (Init)
	hash     []int32 // in the caller's tables
	hmask    uint32
	free     int32 // free list through hnext
	hw       int32 // slots ever taken: every slot at or above it is free
	txqHead  int32
	txqTail  int32
	lst      []int32 // listener indices, in the caller's tables
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
	chalSec  int64 // the second of chalLeft
	chalLeft int64 // challenge ACKs left in it (-1: draw a new budget)
	pool     pool  // New's ring memory when Config.AllocRing is nil
	Stats    Stats
}

const (
	maxRTO      = int64(60 * time.Second)
	synRetries  = 6  // Linux tcp_syn_retries
	dataRetries = 15 // Linux tcp_retries2
	initCwndSeg = 10 // RFC 6928
	// invalidRateLimit spaces a connection's answers to invalid segments
	// (Linux's tcp_invalid_ratelimit).
	invalidRateLimit = int64(500 * time.Millisecond)
	defaultMSS       = 536
	minRing          = 4 << 10
	maxRing          = 1 << 20
	tableAlign       = 8 // conn holds 64-bit fields
)

// normalize fills in the defaults.
func (cfg *Config) normalize() {
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
	cfg.RxBuf = ringSize(cfg.RxBuf)
	cfg.TxBuf = ringSize(cfg.TxBuf)
	switch {
	case cfg.InitBuf == 0:
		cfg.InitBuf = minRing
	case cfg.InitBuf < 0:
		cfg.InitBuf = 0
	default:
		cfg.InitBuf = ringSize(cfg.InitBuf)
	}
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
	if cfg.ChallengeAcks == 0 {
		cfg.ChallengeAcks = 1000
	}
}

// ringSize rounds a ring size up to a power of two within [4 KiB, 1 MiB].
func ringSize(n int) int {
	return pow2(min(max(n, minRing), maxRing))
}

// tableLayout returns the byte offsets of the hash and the listener list
// in the tables, and their total size, all past an aligned start.
func tableLayout(cfg *Config) (hashOff, lstOff, total int) {
	hashOff = cfg.MaxConns * int(unsafe.Sizeof(conn{}))
	lstOff = hashOff + 4*pow2(cfg.MaxConns)
	total = lstOff + 4*cfg.MaxConns
	return
}

// TableBytes returns how many bytes of tables [Init] needs for cfg: the
// connection table, the four-tuple hash and the listener list (376
// bytes per connection; MaxConns 1024 takes 376 KiB). Ring memory is
// separate (Config.AllocRing).
func TableBytes(cfg Config) int {
	cfg.normalize()
	_, _, total := tableLayout(&cfg)
	return total + tableAlign - 1
}

// Init sets s up in place for cfg, with its tables carved from tables
// (at least [TableBytes](cfg) bytes; they need not be zeroed, and they
// must stay alive and unmoved as long as s is used: kernel memory, or a
// Go slice the caller keeps). It does not allocate, so the kernel calls it
// at boot before the Go runtime runs (s a global); it stores the
// Config's functions and the table slices into s, so it is boot-only
// code under ADR 0001 (write barriers are off then). The tables hold no
// Go pointers.
func Init(s *Stack, cfg Config, tables []byte) {
	cfg.normalize()
	hashOff, lstOff, total := tableLayout(&cfg)
	skew := 0
	if len(tables) > 0 {
		skew = int(-uintptr(unsafe.Pointer(unsafe.SliceData(tables))) & (tableAlign - 1))
	}
	if len(tables) < total+skew {
		panic("ktcp: Init: tables shorter than TableBytes(cfg)")
	}
	t := tables[skew : skew+total]
	*s = Stack{cfg: cfg, txqHead: noConn, txqTail: noConn, chalLeft: -1}
	s.conns = unsafe.Slice((*conn)(unsafe.Pointer(&t[0])), cfg.MaxConns)
	s.hash = unsafe.Slice((*int32)(unsafe.Pointer(&t[hashOff])), pow2(cfg.MaxConns))
	s.lst = unsafe.Slice((*int32)(unsafe.Pointer(&t[lstOff])), cfg.MaxConns)
	s.hmask = uint32(len(s.hash) - 1)
	for i := range s.hash {
		s.hash[i] = noConn
	}
	for i := range s.conns {
		s.conns[i] = conn{self: int32(i), hnext: int32(i + 1)}
	}
	s.conns[len(s.conns)-1].hnext = noConn
	s.k0 = binary.LittleEndian.Uint64(cfg.Secret[:8])
	s.k1 = binary.LittleEndian.Uint64(cfg.Secret[8:])
	s.portNext = uint16(32768 + s.k0%28232)
	s.mss = uint32(cfg.MTU - ipHdrLen - tcpHdrLen)
}

// New creates a stack on the Go heap, for hosted use and tests: it
// allocates the tables and calls [Init]; with Config.AllocRing nil it also
// allocates a ring pool of MaxConns*(RxBuf+TxBuf) bytes, from which the
// connections take their rings as they need them. Nothing allocates after
// it.
func New(cfg Config) *Stack {
	s := new(Stack)
	Init(s, cfg, make([]byte, TableBytes(cfg)))
	if cfg.AllocRing == nil {
		s.pool.mem = make([]byte, s.cfg.MaxConns*(s.cfg.RxBuf+s.cfg.TxBuf))
	}
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
	if i >= s.hw {
		s.hw = i + 1 // the free list hands out low slots first: Tick scans up to here
	}
	gen := c.gen + 1
	*c = conn{self: i, gen: gen, state: stClosed, hnext: noConn, txqNext: noConn, parent: noConn, qnext: noConn,
		synHead: noConn, synTail: noConn, accHead: noConn, accTail: noConn}
	c.setBuffers(s, uint32(s.cfg.RxBuf), uint32(s.cfg.TxBuf)) // taken by takeRings when the connection can carry data
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
	s.freeRing(&c.rx)
	s.freeRing(&c.tx)
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

// writable reports whether the send ring has room enough to tell a
// writer: free space at least half the queued bytes, as Linux's
// sk_stream_is_writeable (a third of the buffer when it is full), so
// writers are not woken for every acknowledged segment.
func (c *conn) writable() bool { return c.tx.free() >= c.tx.used()/2 && c.tx.free() > 0 }

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
