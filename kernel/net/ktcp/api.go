package ktcp

// The socket layer's interface. Every call takes the current time only
// where the protocol needs it (ISNs, timers).

// Listen opens a listener on addr:port (addr zero: every local address)
// with a bounded half-open table and accept queue of backlog entries each.
func (s *Stack) Listen(addr [4]byte, port uint16, backlog int) (ID, Errno) {
	if port == 0 || backlog <= 0 {
		return -1, EINVAL
	}
	if s.findListener(addr, port) != nil {
		return -1, EADDRINUSE
	}
	if s.nlst == len(s.lst) {
		return -1, ENOBUFS
	}
	c := s.alloc()
	if c == nil {
		return -1, ENOBUFS
	}
	c.state = stListen
	c.laddr = addr
	c.lport = port
	c.backlog = int32(backlog)
	c.flags |= fOwned
	s.lst[s.nlst] = s.index(c)
	s.nlst++
	return s.idOf(c), OK
}

// SetBacklog changes a listener's backlog (listen(2) again): the bound of
// its accept queue and of its half-open connections. Connections already
// queued stay.
func (s *Stack) SetBacklog(lid ID, backlog int) Errno {
	l := s.lookupID(lid)
	if l == nil || l.state != stListen {
		return EBADF
	}
	if backlog <= 0 {
		return EINVAL
	}
	l.backlog = int32(backlog)
	return OK
}

// Accept takes the oldest established connection from a listener's queue.
func (s *Stack) Accept(lid ID) (ID, Errno) {
	l := s.lookupID(lid)
	if l == nil || l.state != stListen {
		return -1, EINVAL
	}
	if l.accHead == noConn {
		return -1, EAGAIN
	}
	c := &s.conns[l.accHead]
	l.accHead = c.qnext
	if l.accHead == noConn {
		l.accTail = noConn
	}
	l.nacc--
	c.qnext = noConn
	c.parent = noConn
	c.flags |= fOwned
	return s.idOf(c), OK
}

// Connect opens a connection from laddr:lport to raddr:rport; lport 0
// picks an ephemeral port (the kernel's port table will pass the port it
// chose). The SYN leaves with the next [Stack.Output].
func (s *Stack) Connect(laddr [4]byte, lport uint16, raddr [4]byte, rport uint16, now int64) (ID, Errno) {
	s.now = now
	if rport == 0 {
		return -1, EINVAL
	}
	if martian(laddr, raddr) {
		return -1, ENETUNREACH // multicast, broadcast, loopback, 0/8 or ourselves: never on the wire (Linux: ENETUNREACH)
	}
	if lport != 0 && s.find(laddr, raddr, lport, rport) != nil {
		return -1, EADDRINUSE
	}
	for i := 0; lport == 0 && i < 28232; i++ {
		p := s.portNext
		s.portNext++
		if s.portNext < 32768 || s.portNext >= 61000 {
			s.portNext = 32768
		}
		if s.find(laddr, raddr, p, rport) == nil && s.findListener(laddr, p) == nil {
			lport = p
		}
	}
	if lport == 0 {
		return -1, EADDRINUSE
	}
	c := s.alloc()
	if c == nil {
		return -1, ENOBUFS
	}
	if !s.takeRings(c) {
		s.release(c)
		return -1, ENOBUFS
	}
	c.laddr, c.raddr, c.lport, c.rport = laddr, raddr, lport, rport
	c.state = stSynSent
	c.flags |= fOwned
	s.initSend(c, now)
	s.hashIn(c)
	s.txqPush(c)
	return s.idOf(c), OK
}

// initSend sets the send side up before the SYN.
func (s *Stack) initSend(c *conn, now int64) {
	c.iss = s.isn(c.laddr, c.raddr, c.lport, c.rport, now)
	c.sndUna, c.sndNxt, c.sndMax = c.iss, c.iss, c.iss
	c.txSeq = c.iss + 1
	c.recover = c.iss
	c.setRcvShift()
	c.mss = defaultMSS
	c.quick = uint8(s.cfg.QuickAcks)
}

// setRcvShift picks the window scale that fits the receive ring into the
// 16-bit window field.
func (c *conn) setRcvShift() {
	c.rcvShift = 0
	for c.rcvShift < maxWScale && c.rxMax>>c.rcvShift > 0xffff {
		c.rcvShift++
	}
}

// Read moves received bytes into b. At the end of the stream it returns
// 0 and OK; with nothing to read yet, EAGAIN.
func (s *Stack) Read(id ID, b []byte) (int, Errno) {
	c := s.lookupID(id)
	if c == nil || c.state == stListen {
		return 0, EBADF
	}
	if c.rx.used() == 0 {
		switch {
		case c.flags&fRcvFin != 0:
			return 0, OK // the FIN came first: EOF, as Linux (SOCK_DONE before sk_err)
		case c.err != OK:
			return 0, c.err
		case c.state == stSynSent || c.state == stSynRcvd:
			return 0, EAGAIN
		case c.state == stClosed:
			return 0, ENOTCONN
		}
		return 0, EAGAIN
	}
	n := c.rx.get(b)
	if c.state == stClosed || c.state == stTimeWait {
		s.ringsDone(c) // the last bytes of a finished connection were read
	} else {
		s.windowUpdate(c)
	}
	return n, OK
}

// Peek copies received bytes into b without consuming them (MSG_PEEK);
// it returns what Read would, and leaves the window alone.
func (s *Stack) Peek(id ID, b []byte) (int, Errno) { return s.PeekAt(id, 0, b) }

// PeekAt is Peek from off bytes past the next byte to read (MSG_PEEK into
// the second and later buffers of a readv). With fewer than off+1 bytes
// received but some, it returns 0 and OK; with none, what Read would.
func (s *Stack) PeekAt(id ID, off int, b []byte) (int, Errno) {
	c := s.lookupID(id)
	if c == nil || c.state == stListen {
		return 0, EBADF
	}
	if off < 0 {
		return 0, EINVAL
	}
	if c.rx.used() == 0 {
		return s.Read(id, b) // EOF, the error or EAGAIN: nothing is consumed
	}
	if uint64(off) >= uint64(c.rx.used()) {
		return 0, OK
	}
	return c.rx.peek(uint32(off), b), OK
}

// Readable returns how many received bytes wait to be read (FIONREAD,
// SIOCINQ); 0 for a listener or a stale ID.
func (s *Stack) Readable(id ID) int {
	c := s.lookupID(id)
	if c == nil || c.state == stListen {
		return 0
	}
	return int(c.rx.used())
}

// Unsent returns how many written bytes the peer has not acknowledged
// yet, sent or not (SIOCOUTQ, as Linux: write_seq - snd_una); 0 for a
// listener or a stale ID.
func (s *Stack) Unsent(id ID) int {
	c := s.lookupID(id)
	if c == nil || c.state == stListen {
		return 0
	}
	return int(c.tx.used())
}

// SetBuffers sets the receive and send ring sizes (the sizes they may grow
// to, with Config.InitBuf) of a listener (for the connections it will
// accept: SO_RCVBUF/SO_SNDBUF before listen or on the listening socket),
// of an active open whose SYN has not left yet (call it right after
// Connect, before the stack's output runs: SO_RCVBUF/SO_SNDBUF before
// connect; its rings are taken again at the new sizes, ENOBUFS keeping the
// old ones when the memory is not there), or of a connection (the sizes
// its rings may grow to from now on: rings never shrink, and the receive
// ring stays within what the window scale chosen at the SYN can
// advertise). Sizes are rounded up to a power of two within [4 KiB,
// 1 MiB]; 0 keeps a size.
func (s *Stack) SetBuffers(id ID, rx, tx int) Errno {
	c := s.lookupID(id)
	if c == nil {
		return EBADF
	}
	if rx < 0 || tx < 0 {
		return EINVAL
	}
	nrx, ntx := c.rxMax, c.txMax
	if rx > 0 {
		nrx = uint32(ringSize(rx))
	}
	if tx > 0 {
		ntx = uint32(ringSize(tx))
	}
	switch {
	case c.state == stListen:
		c.rxMax, c.txMax = nrx, ntx
		return OK
	case c.state != stSynSent || c.sndMax != c.iss:
		// The SYN is out: the window scale is fixed.
		c.rxMax = min(nrx, 0x10000<<c.rcvShift)
		c.txMax = ntx
		return OK
	case nrx == c.rxMax && ntx == c.txMax:
		return OK
	}
	nr, nt := ring{size: s.initSize(nrx)}, ring{size: s.initSize(ntx)}
	if !s.takeRing(&nr) {
		return ENOBUFS
	}
	if !s.takeRing(&nt) {
		s.freeRing(&nr)
		return ENOBUFS
	}
	s.freeRing(&c.rx)
	s.freeRing(&c.tx)
	c.rx, c.tx = nr, nt
	c.rxMax, c.txMax = nrx, ntx
	c.setRcvShift()
	return OK
}

// windowUpdate sends an ACK when reading opened the window enough to be
// worth telling (receiver-side silly-window avoidance, RFC 1122
// 4.2.3.3): by two segments or half the ring.
func (s *Stack) windowUpdate(c *conn) {
	if c.flags&fRcvFin != 0 || c.state < stEstablished {
		return
	}
	right := c.rcvNxt + c.rcvWnd()>>c.rcvShift<<c.rcvShift
	grow := right - c.rcvAdv
	if int32(grow) <= 0 {
		return
	}
	if grow >= 2*c.mss || grow >= c.rx.size/2 {
		c.flags |= fAckNow
		s.txqPush(c)
	}
}

// Write queues bytes from b for sending and returns how many fit (EAGAIN
// when none did).
func (s *Stack) Write(id ID, b []byte) (int, Errno) {
	c := s.lookupID(id)
	if c == nil || c.state == stListen {
		return 0, EBADF
	}
	if c.err != OK {
		return 0, c.err
	}
	if c.flags&fShutWait != 0 {
		return 0, EPIPE
	}
	switch c.state {
	case stEstablished, stCloseWait:
	case stSynSent, stSynRcvd:
		return 0, EAGAIN
	default:
		return 0, EPIPE
	}
	if c.flags&fFinQueued != 0 {
		return 0, EPIPE
	}
	n := c.tx.put(b)
	for n < len(b) && s.grow(&c.tx, c.txMax, c.tx.used()) {
		n += c.tx.put(b[n:])
	}
	if n < len(b) {
		c.flags |= fTxWait
	}
	if n == 0 {
		return 0, EAGAIN
	}
	s.txqPush(c)
	return n, OK
}

// Shutdown closes the sending side: a FIN follows the queued data (for a
// connection still opening, once the handshake completes).
func (s *Stack) Shutdown(id ID) Errno {
	c := s.lookupID(id)
	if c == nil {
		return EBADF
	}
	return s.shutdown(c)
}

func (s *Stack) shutdown(c *conn) Errno {
	switch c.state {
	case stEstablished:
		c.state = stFinWait1
	case stCloseWait:
		c.state = stLastAck
	case stSynSent, stSynRcvd:
		// The handshake is under way: the FIN leaves once it completes
		// (queued after any data, as for an established connection),
		// so the peer sees the stream end.
		c.flags |= fShutWait
		return OK
	default:
		return ENOTCONN
	}
	c.flags |= fFinQueued
	s.txqPush(c)
	return OK
}

// Close gives the ID up. A connection with unread data is reset (RFC
// 2525 §2.17, as Linux does); otherwise it closes gracefully and frees
// itself when done (TIME-WAIT, or a FIN-WAIT-2 timeout).
func (s *Stack) Close(id ID, now int64) Errno {
	s.now = now
	c := s.lookupID(id)
	if c == nil {
		return EBADF
	}
	c.flags &^= fOwned
	switch c.state {
	case stListen:
		s.closeListener(c)
		return OK
	case stSynSent, stClosed:
		s.release(c)
		return OK
	}
	if c.rx.used() > 0 || c.state == stSynRcvd { // SYN-RECEIVED: a simultaneous open
		s.abort(c)
		return OK
	}
	s.freeRing(&c.rx) // data arriving from now on reset the connection (synced)
	switch c.state {
	case stEstablished, stCloseWait:
		s.shutdown(c)
	case stFinWait2:
		c.closeAt = now + int64(s.cfg.FinTimeout)
		s.arm(c.closeAt)
	}
	return OK
}

// Abort resets a connection and frees it.
func (s *Stack) Abort(id ID) Errno {
	c := s.lookupID(id)
	if c == nil || c.state == stListen {
		return EBADF
	}
	s.abort(c)
	return OK
}

// abort sends a RST for a synchronized connection and frees it.
func (s *Stack) abort(c *conn) {
	if c.state >= stSynRcvd && c.state != stTimeWait {
		s.queueRST(c.laddr, c.raddr, c.lport, c.rport, c.sndNxt, 0, flagRST)
	}
	s.release(c)
}

func (s *Stack) closeListener(l *conn) {
	for _, list := range [2]int32{l.synHead, l.accHead} {
		for i := list; i != noConn; {
			c := &s.conns[i]
			i = c.qnext
			s.abort(c)
		}
	}
	for k, i := range s.lst[:s.nlst] {
		if i == l.self {
			s.nlst--
			s.lst[k] = s.lst[s.nlst]
			break
		}
	}
	s.release(l)
}

// Events returns a connection's or listener's readiness (EvIn, EvOut, ...).
// EvOut needs free room of at least half the queued bytes (Linux's
// sk_stream_is_writeable); a connection without it remembers that someone
// asked, and [Config.Wake] tells when the room is there.
func (s *Stack) Events(id ID) uint32 {
	c := s.lookupID(id)
	if c == nil {
		return EvErr | EvHup
	}
	if c.state == stListen {
		if c.accHead != noConn {
			return EvIn
		}
		return 0
	}
	var ev uint32
	if c.rx.used() > 0 || c.flags&fRcvFin != 0 {
		ev |= EvIn
	}
	if c.flags&fRcvFin != 0 {
		ev |= EvRdHup
	}
	if (c.state == stEstablished || c.state == stCloseWait) && c.flags&fFinQueued == 0 {
		if c.writable() {
			ev |= EvOut
		} else {
			c.flags |= fTxWait // a poller waits for room: wake it (Linux's tcp_poll sets SOCK_NOSPACE)
		}
	}
	if c.err != OK {
		ev |= EvErr | EvIn | EvOut | EvHup
	}
	if c.state == stClosed || c.state == stTimeWait || c.flags&fRcvFin != 0 && c.flags&fFinQueued != 0 {
		ev |= EvHup
	}
	return ev
}

// Err returns the error that ended a connection (ECONNRESET, ETIMEDOUT,
// ECONNREFUSED) or OK.
func (s *Stack) Err(id ID) Errno {
	c := s.lookupID(id)
	if c == nil {
		return EBADF
	}
	return c.err
}

// Addrs returns a connection's local and remote address and port.
func (s *Stack) Addrs(id ID) (laddr [4]byte, lport uint16, raddr [4]byte, rport uint16) {
	c := s.lookupID(id)
	if c == nil {
		return
	}
	return c.laddr, c.lport, c.raddr, c.rport
}

// queueRST queues a RST (or RST|ACK) to send; when the small queue is full
// the RST is dropped, as a rate limit.
func (s *Stack) queueRST(src, dst [4]byte, sport, dport uint16, seq, ack uint32, flags uint8) {
	if s.rstW-s.rstR == uint32(len(s.rsts)) {
		return
	}
	s.rsts[s.rstW%uint32(len(s.rsts))] = rstReq{src: src, dst: dst, sport: sport, dport: dport, seq: seq, ack: ack, flags: flags}
	s.rstW++
}

// SetKeepalive turns keepalive probes on (idle > 0) or off (idle 0): after
// idle without a segment from the peer, up to count probes interval
// apart, then ETIMEDOUT. Go's net package sets it on every TCP connection
// (15 s idle, 15 s interval, 9 probes by default).
func (s *Stack) SetKeepalive(id ID, idle, interval int64, count int, now int64) Errno {
	c := s.lookupID(id)
	if c == nil || c.state == stListen {
		return EBADF
	}
	if idle < 0 || interval <= 0 && idle > 0 || count < 0 || count > 255 {
		return EINVAL
	}
	c.keepIdle, c.keepIntvl, c.keepCnt = idle, interval, uint8(count)
	c.keepProbes = 0
	c.keepAt = 0
	if idle > 0 {
		if c.lastRecv == 0 {
			c.lastRecv = now
		}
		c.keepAt = now + idle
		s.arm(c.keepAt)
	}
	return OK
}
