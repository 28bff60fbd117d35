package ktcp

import (
	"math/bits"
	"unsafe"
)

// ring is a byte ring in memory from Config.AllocRing (or New's pool),
// named by base address and size so that a connection holds no Go
// pointer: the connection table lives in kernel memory (ADR 0001). base is
// 0 while the connection holds no memory; size is then the size it will
// take. r and w run freely; size is a power of two.
type ring struct {
	base uintptr
	size uint32
	r, w uint32
}

// ptr converts an address into an unsafe.Pointer through memory, so that
// vet's unsafeptr check stays quiet (as kernel/mm.Ptr). The memory is
// kernel memory or New's pool, which the Stack keeps alive.
func ptr(a uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&a)) }

func (q *ring) buf() []byte { return unsafe.Slice((*byte)(ptr(q.base)), q.size) }

func (q *ring) used() uint32 { return q.w - q.r }
func (q *ring) free() uint32 { return q.size - (q.w - q.r) }

// put appends up to len(b) bytes and returns how many fit.
func (q *ring) put(b []byte) int {
	n := q.free()
	if uint32(len(b)) < n {
		n = uint32(len(b))
	}
	q.copyIn(q.w, b[:n])
	q.w += n
	return int(n)
}

// copyIn writes b at ring position pos (which must be writable).
func (q *ring) copyIn(pos uint32, b []byte) {
	if len(b) == 0 {
		return
	}
	m := pos & (q.size - 1)
	buf := q.buf()
	c := copy(buf[m:], b)
	copy(buf, b[c:])
}

// peek copies bytes from position skip past r into b without consuming them.
func (q *ring) peek(skip uint32, b []byte) int {
	avail := q.used() - skip
	n := uint32(len(b))
	if avail < n {
		n = avail
	}
	if n == 0 {
		return 0
	}
	m := (q.r + skip) & (q.size - 1)
	buf := q.buf()
	c := copy(b[:n], buf[m:])
	copy(b[c:n], buf)
	return int(n)
}

// get consumes up to len(b) bytes into b.
func (q *ring) get(b []byte) int {
	n := q.peek(0, b)
	q.r += uint32(n)
	return n
}

// takeRings gives a connection its two rings, of the sizes recorded in
// them, when it starts to carry data: an active open at Connect, a passive
// one when its handshake completes. It reports false (and holds nothing)
// when the memory is not there.
func (s *Stack) takeRings(c *conn) bool {
	if c.rx.base != 0 {
		return true
	}
	if !s.takeRing(&c.rx) {
		return false
	}
	if !s.takeRing(&c.tx) {
		s.freeRing(&c.rx)
		return false
	}
	return true
}

func (s *Stack) takeRing(q *ring) bool {
	var base uintptr
	ok := false
	if s.cfg.AllocRing != nil {
		base, ok = s.cfg.AllocRing(int(q.size))
	} else {
		base, ok = s.pool.alloc(q.size)
	}
	if !ok || base == 0 {
		return false
	}
	q.base, q.r, q.w = base, 0, 0
	s.Stats.RingBytes += uint64(q.size)
	return true
}

// freeRing gives a ring's memory back; the ring keeps its size and reads
// as empty.
func (s *Stack) freeRing(q *ring) {
	if q.base == 0 {
		return
	}
	if s.cfg.FreeRing != nil {
		s.cfg.FreeRing(q.base, int(q.size))
	} else if s.cfg.AllocRing == nil {
		s.pool.release(q.base, q.size)
	}
	s.Stats.RingBytes -= uint64(q.size)
	q.base, q.r, q.w = 0, 0, 0
}

// ringsDone gives back the rings of a connection that can carry no more
// data either way (TIME-WAIT, CLOSED): the send ring at once, the receive
// ring once the application has read it (or will not: it gave the ID up
// and the connection is not waiting on an accept queue). Earlier, the
// send ring goes when our FIN is acknowledged (FIN-WAIT-2) and the
// receive ring when the application closes (Close).
func (s *Stack) ringsDone(c *conn) {
	s.freeRing(&c.tx)
	if c.rx.used() == 0 || c.flags&fOwned == 0 && c.parent == noConn {
		s.freeRing(&c.rx)
	}
}

// setBuffers records a connection's ring sizes: max to grow to, and the
// size to start at (Config.InitBuf).
func (c *conn) setBuffers(s *Stack, rxMax, txMax uint32) {
	c.rxMax, c.txMax = rxMax, txMax
	c.rx.size, c.tx.size = s.initSize(rxMax), s.initSize(txMax)
}

func (s *Stack) initSize(max uint32) uint32 {
	if s.cfg.InitBuf == 0 || uint32(s.cfg.InitBuf) >= max {
		return max
	}
	return uint32(s.cfg.InitBuf)
}

// grow doubles a ring (not beyond max), keeping the bytes at ring
// positions [r, r+keep) where they were; without memory it reports false
// and the ring stays as it was.
func (s *Stack) grow(q *ring, max, keep uint32) bool {
	if q.base == 0 || q.size >= max {
		return false
	}
	nq := ring{size: q.size * 2}
	if !s.takeRing(&nq) {
		return false
	}
	nq.r, nq.w = q.r, q.w
	old := q.buf()
	m := q.r & (q.size - 1)
	first := min(keep, q.size-m)
	nq.copyIn(q.r, old[m:m+first])
	nq.copyIn(q.r+first, old[:keep-first])
	o := *q
	*q = nq
	s.freeRing(&o)
	return true
}

// rxLimits reports whether the receive ring limits the transfer, so that
// it should grow: the peer's data left less than a quarter of the window
// we advertised, or less than a segment (the peer sends as fast as the
// window lets it, however fast the application reads: the idea of Linux's
// receive-buffer auto-tuning), unless the ring grew since that window was
// advertised; or the data filled half the ring before the application
// read.
func (c *conn) rxLimits() bool {
	return int32(c.rcvAdv-c.rcvNxt) < int32(max(c.rx.size/4, c.mss)) && c.rcvAdv != c.grewAt ||
		c.rx.used() >= c.rx.size/2
}

// growRx doubles the receive ring, keeping the out-of-order bytes beyond
// the in-order ones (when rxLimits).
func (s *Stack) growRx(c *conn) {
	keep := c.rx.used()
	for i := 0; i < int(c.nooo); i++ {
		keep = max(keep, c.rx.used()+(c.ooo[i].end-c.rcvNxt))
	}
	if s.grow(&c.rx, c.rxMax, keep) {
		c.grewAt = c.rcvAdv
	}
}

// shrinkTx gives an idle connection's grown, empty send ring back for one
// of the size it started at (the next Write grows it again as needed);
// without memory for the small ring the large one stays. (A receive ring
// cannot shrink: the window it advertised would shrink with it.)
func (s *Stack) shrinkTx(c *conn) {
	small := s.initSize(c.txMax)
	if c.tx.used() != 0 || c.tx.base == 0 || c.tx.size <= small {
		return
	}
	nq := ring{size: small}
	if !s.takeRing(&nq) {
		return
	}
	nq.r, nq.w = c.tx.r, c.tx.w
	o := c.tx
	c.tx = nq
	s.freeRing(&o)
}

// pool is New's ring memory for hosted use: blocks of a power-of-two size
// are cut from mem in order and, once freed, kept on a free list per
// size, linked through their first word (an address, not a Go pointer);
// when mem is cut, larger free blocks are split (never merged again).
type pool struct {
	mem   []byte
	next  uintptr     // bytes of mem cut so far
	lists [21]uintptr // free blocks of 1<<k bytes
}

func (p *pool) alloc(n uint32) (uintptr, bool) {
	k := bits.TrailingZeros32(n)
	if k >= len(p.lists) || len(p.mem) == 0 {
		return 0, false
	}
	if b := p.lists[k]; b != 0 {
		p.lists[k] = *(*uintptr)(ptr(b))
		return b, true
	}
	if uintptr(len(p.mem))-p.next >= uintptr(n) {
		b := uintptr(unsafe.Pointer(unsafe.SliceData(p.mem))) + p.next
		p.next += uintptr(n)
		return b, true
	}
	// The pool is cut: split a larger free block (rings of connections
	// that grew come back as large blocks).
	for j := k + 1; j < len(p.lists); j++ {
		if b := p.lists[j]; b != 0 {
			p.lists[j] = *(*uintptr)(ptr(b))
			for ; j > k; j-- {
				p.release(b+uintptr(1)<<(j-1), uint32(1)<<(j-1)) // the upper half
			}
			return b, true
		}
	}
	return 0, false
}

func (p *pool) release(b uintptr, n uint32) {
	k := bits.TrailingZeros32(n)
	*(*uintptr)(ptr(b)) = p.lists[k]
	p.lists[k] = b
}
