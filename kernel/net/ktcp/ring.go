package ktcp

// ring is a byte ring in the stack's memory (Config.Mem), named by offset
// and size so that a connection holds no pointer: the kernel can keep the
// connection table and the ring memory in kernel memory (ADR 0001). r and w
// run freely; size is a power of two.
type ring struct {
	off, size uint32
	r, w      uint32
}

func (q *ring) used() uint32 { return q.w - q.r }
func (q *ring) free() uint32 { return q.size - (q.w - q.r) }

// put appends up to len(b) bytes and returns how many fit.
func (q *ring) put(mem []byte, b []byte) int {
	n := q.free()
	if uint32(len(b)) < n {
		n = uint32(len(b))
	}
	q.copyIn(mem, q.w, b[:n])
	q.w += n
	return int(n)
}

// copyIn writes b at ring position pos (which must be writable).
func (q *ring) copyIn(mem []byte, pos uint32, b []byte) {
	m := pos & (q.size - 1)
	buf := mem[q.off : q.off+q.size]
	c := copy(buf[m:], b)
	copy(buf, b[c:])
}

// peek copies bytes from position skip past r into b without consuming them.
func (q *ring) peek(mem []byte, skip uint32, b []byte) int {
	avail := q.used() - skip
	n := uint32(len(b))
	if avail < n {
		n = avail
	}
	m := (q.r + skip) & (q.size - 1)
	buf := mem[q.off : q.off+q.size]
	c := copy(b[:n], buf[m:])
	copy(b[c:n], buf)
	return int(n)
}

// get consumes up to len(b) bytes into b.
func (q *ring) get(mem []byte, b []byte) int {
	n := q.peek(mem, 0, b)
	q.r += uint32(n)
	return n
}
