package ktcp

import (
	"encoding/binary"
	"time"
)

// Segment arrival (RFC 9293 §3.10.7), with RFC 5961's defences.

// Input processes one IPv4 packet received at time now (nanoseconds on a
// monotonic clock). It returns false when the packet is not TCP over IPv4
// (the caller hands it to another protocol); TCP is always consumed:
// answered, or dropped when malformed, a fragment, or with a bad checksum
// (counted in Stats.Bad), so no other TCP ever sees it.
func (s *Stack) Input(pkt []byte, now int64) bool {
	var g segment
	payload, ok := parse(pkt, &g)
	if !ok {
		if len(pkt) < ipHdrLen || pkt[0]>>4 != 4 || pkt[9] != protoTCP {
			return false
		}
		s.Stats.Bad++
		return true
	}
	g.payload = payload
	s.now = now
	s.Stats.SegsIn++
	c := s.find(g.dst, g.src, g.dport, g.sport)
	if c == nil {
		s.noConn(&g)
		return true
	}
	switch c.state {
	case stSynSent:
		s.synSent(c, &g)
	case stTimeWait:
		if g.flags&(flagSYN|flagACK|flagRST) == flagSYN && seqGT(g.seq, c.rcvNxt) {
			// A new incarnation (RFC 9293 §3.10.7.4, RFC 6191's idea):
			// end TIME-WAIT and let the listener take the SYN. A
			// connection the application still holds (it shut down
			// first and has not closed) stays, closed and unhashed, so
			// its ID keeps reading EOF.
			if l := s.findListener(g.dst, g.dport); l != nil {
				s.finish(c)
				s.synListen(l, &g)
				return true
			}
		}
		s.synced(c, &g)
	default:
		s.synced(c, &g)
	}
	return true
}

// martian reports addresses no TCP segment may come from or go to (RFC
// 1122 4.2.3.10, RFC 1812 5.3.7; Linux's ip_route_input drops them as
// martians): a source or destination in 0/8, loopback 127/8, multicast
// 224/4 or the limited broadcast, or a packet from our own address to
// itself (a LAND attack). Answering them would reset or flood third
// parties. (A subnet's broadcast address is not ours: the kernel hands
// ktcp only packets for its own addresses.)
func martian(src, dst [4]byte) bool {
	return badAddr(src) || badAddr(dst) || src == dst
}

func badAddr(a [4]byte) bool {
	x := binary.BigEndian.Uint32(a[:])
	return x>>24 == 0 || x>>24 == 127 || x>>28 == 0xe || x == 0xffffffff
}

// noConn answers a segment for no connection: a SYN for a listener opens a
// half-open connection; anything else but a RST is answered with a RST
// (RFC 9293 §3.10.7.1).
func (s *Stack) noConn(g *segment) {
	if g.flags&flagRST != 0 {
		return
	}
	if martian(g.src, g.dst) {
		// Checked here, not for every segment: a connection's peer passed
		// this check when its SYN (or our Connect) made the connection.
		s.Stats.Bad++
		return
	}
	if g.flags&(flagSYN|flagACK) == flagSYN {
		if l := s.findListener(g.dst, g.dport); l != nil {
			s.synListen(l, g)
			return
		}
	}
	s.rstFor(g)
}

// rstFor queues the RST that answers g.
func (s *Stack) rstFor(g *segment) {
	if g.flags&flagACK != 0 {
		s.queueRST(g.dst, g.src, g.dport, g.sport, g.ack, 0, flagRST)
	} else {
		s.queueRST(g.dst, g.src, g.dport, g.sport, 0, g.seq+g.seqLen(), flagRST|flagACK)
	}
}

// synListen takes a SYN on a listener. Half-open connections are bounded
// per listener by the backlog and a quarter of the table, and in all by
// half of the table, so that a SYN flood (on one port or many, whatever
// the backlog) never takes the slots of established connections and of
// the program's own connects: under a flood the oldest half-open
// connection (of this listener, or past the global bound of any) makes
// room for the newest, so a real client's retransmitted SYN still gets
// in while the table turns over.
func (s *Stack) synListen(l *conn, g *segment) {
	if l.nacc >= l.backlog {
		s.Stats.SynDrops++ // the application is not accepting: drop, as Linux
		return
	}
	switch {
	case l.nsyn >= min(l.backlog, int32(max(1, len(s.conns)/4))):
		s.Stats.SynDrops++
		s.dropChild(l, &s.conns[l.synHead])
	case s.halfOpen() >= max(1, len(s.conns)/2):
		s.Stats.SynDrops++
		s.dropOldestHalfOpen()
	}
	c := s.alloc()
	if c == nil && s.dropOldestHalfOpen() {
		s.Stats.SynDrops++
		c = s.alloc()
	}
	if c == nil {
		s.Stats.SynDrops++
		return
	}
	c.laddr, c.raddr, c.lport, c.rport = g.dst, g.src, g.dport, g.sport
	c.state = stSynRcvd
	c.flags |= fPassive
	c.parent = l.self
	c.setBuffers(s, l.rxMax, l.txMax) // the listener's (SetBuffers), taken at the final ACK
	s.initSend(c, s.now)
	s.acceptSyn(c, g)
	// Append to the half-open list.
	if l.synTail == noConn {
		l.synHead = c.self
	} else {
		s.conns[l.synTail].qnext = c.self
	}
	l.synTail = c.self
	l.nsyn++
	s.hashIn(c)
	s.txqPush(c)
}

// acceptSyn records the peer's SYN: its sequence number, window and options.
func (s *Stack) acceptSyn(c *conn, g *segment) {
	c.irs = g.seq
	c.rcvNxt = g.seq + 1
	c.rcvAdv = c.rcvNxt
	c.sndWnd = uint32(g.wnd) // never scaled in a SYN (RFC 7323 §2.2)
	c.maxSndWnd = c.sndWnd
	c.sndWl1, c.sndWl2 = g.seq, g.ack
	if g.mss != 0 {
		c.mss = uint32(g.mss)
	}
	if c.mss > s.mss {
		c.mss = s.mss
	}
	if c.mss < 64 {
		c.mss = 64
	}
	if g.wscale >= 0 {
		c.flags |= fWsOK
		c.sndShift = uint8(g.wscale)
	} else {
		c.rcvShift = 0
	}
	c.cwnd = initCwndSeg * c.mss
}

// halfOpen returns the number of half-open passive connections.
func (s *Stack) halfOpen() int {
	n := 0
	for _, i := range s.lst[:s.nlst] {
		n += int(s.conns[i].nsyn)
	}
	return n
}

// dropOldestHalfOpen frees the oldest half-open passive connection of any
// listener; it reports whether there was one.
func (s *Stack) dropOldestHalfOpen() bool {
	var old *conn
	for _, i := range s.lst[:s.nlst] {
		if h := s.conns[i].synHead; h != noConn && (old == nil || s.conns[h].born < old.born) {
			old = &s.conns[h]
		}
	}
	if old == nil {
		return false
	}
	s.dropChild(&s.conns[old.parent], old)
	return true
}

// unlinkChild takes a passive connection off its listener's queues.
func (s *Stack) unlinkChild(c *conn) {
	if c.parent == noConn {
		return
	}
	l := &s.conns[c.parent]
	for _, q := range [2]struct {
		head, tail *int32
		n          *int32
	}{{&l.synHead, &l.synTail, &l.nsyn}, {&l.accHead, &l.accTail, &l.nacc}} {
		prev := int32(noConn)
		for i := *q.head; i != noConn; i = s.conns[i].qnext {
			if i == c.self {
				if prev == noConn {
					*q.head = c.qnext
				} else {
					s.conns[prev].qnext = c.qnext
				}
				if *q.tail == i {
					*q.tail = prev
				}
				*q.n--
				c.qnext = noConn
				c.parent = noConn
				return
			}
			prev = i
		}
	}
	c.parent = noConn
}

func (s *Stack) dropChild(l *conn, c *conn) {
	s.unlinkChild(c)
	s.release(c)
}

// synSent handles a segment in SYN-SENT (RFC 9293 §3.10.7.3).
func (s *Stack) synSent(c *conn, g *segment) {
	ackOK := false
	if g.flags&flagACK != 0 {
		if seqLEQ(g.ack, c.iss) || seqGT(g.ack, c.sndMax) {
			if g.flags&flagRST == 0 {
				s.rstFor(g)
			}
			return
		}
		ackOK = true
	}
	if g.flags&flagRST != 0 {
		if ackOK {
			s.fail(c, ECONNREFUSED)
		}
		return
	}
	if g.flags&flagSYN == 0 {
		return
	}
	s.acceptSyn(c, g)
	if ackOK {
		c.sndUna = g.ack
		s.ackedSyn(c, s.now)
		c.state = stEstablished
		c.flags |= fAckNow
		s.shutWaited(c)
		s.txqPush(c)
		s.wake(c)
		return
	}
	// Simultaneous open: answer with SYN|ACK from the same ISS.
	c.state = stSynRcvd
	c.sndNxt = c.iss
	s.txqPush(c)
}

// ackedSyn finishes the handshake's bookkeeping when our SYN is acknowledged.
func (s *Stack) ackedSyn(c *conn, now int64) {
	if c.flags&fRttActive != 0 && c.retries == 0 {
		s.rttSample(c, now-c.rttStart)
	}
	c.flags &^= fRttActive
	c.retries = 0
	c.rtoAt = 0
	if seqLT(c.sndNxt, c.sndUna) {
		c.sndNxt = c.sndUna
	}
}

// synced handles a segment in every state after SYN-SENT.
func (s *Stack) synced(c *conn, g *segment) {
	wnd := c.rcvWnd()
	segLen := g.seqLen()

	// RST (RFC 5961 §3.2): exactly at rcv.nxt resets; elsewhere in the
	// window draws a challenge ACK; outside it is ignored.
	if g.flags&flagRST != 0 {
		if g.seq == c.rcvNxt {
			switch {
			case c.state == stSynRcvd && c.flags&fPassive != 0:
				s.dropChild(&s.conns[c.parent], c)
			case c.state == stSynRcvd:
				s.fail(c, ECONNREFUSED) // an active open (RFC 9293 §3.10.7.4)
			case c.state == stCloseWait:
				s.fail(c, EPIPE) // Linux's tcp_reset: the peer had closed already
			default:
				s.fail(c, ECONNRESET)
			}
		} else if inWindow(g.seq, c.rcvNxt, max(wnd, 1)) {
			s.oowAck(c, g, true)
		}
		return
	}

	// SYN-RECEIVED: a retransmitted SYN means our SYN|ACK was lost.
	if c.state == stSynRcvd && g.flags&flagSYN != 0 && g.seq == c.irs {
		if g.flags&flagACK != 0 && g.ack == c.iss+1 { // simultaneous open
			c.sndUna = g.ack
			if s.established(c, g) {
				s.ackNow(c)
			}
			return
		}
		c.sndNxt = c.iss
		s.txqPush(c)
		return
	}

	// Sequence check (RFC 9293 §3.10.7.4, the four cases).
	ok := false
	switch {
	case segLen == 0 && wnd == 0:
		ok = g.seq == c.rcvNxt
	case segLen == 0:
		ok = inWindow(g.seq, c.rcvNxt, wnd)
	case wnd == 0:
		// Nothing fits, but ACKs on a zero window still count.
		ok = g.seq == c.rcvNxt
	default:
		ok = inWindow(g.seq, c.rcvNxt, wnd) || inWindow(g.seq+segLen-1, c.rcvNxt, wnd)
	}
	if !ok {
		if c.state == stTimeWait && g.flags&flagFIN != 0 {
			c.closeAt = s.now + int64(s.cfg.TimeWait) // a retransmitted FIN restarts 2MSL
			s.arm(c.closeAt)
		}
		s.oowAck(c, g, false)
		return
	}

	c.lastRecv = s.now

	// SYN in a synchronized state (RFC 5961 §4): challenge ACK.
	if g.flags&flagSYN != 0 {
		s.oowAck(c, g, true)
		return
	}
	if g.flags&flagACK == 0 {
		return
	}

	// Trim to the window: bytes before rcv.nxt were received already;
	// bytes beyond the window are not taken.
	data := g.payload
	fin := g.flags&flagFIN != 0
	if d := c.rcvNxt - g.seq; int32(d) > 0 {
		if d > uint32(len(data)) {
			// All old, the FIN too (it sits before rcv.nxt): a duplicate.
			data = data[:0]
			fin = false
			s.ackNow(c)
		} else {
			data = data[d:]
		}
	}
	if uint32(len(data)) > wnd {
		data = data[:wnd]
		fin = false
	}

	if !s.processAck(c, g) {
		return
	}

	// Data (ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2).
	if len(data) > 0 || fin {
		if c.state != stEstablished && c.state != stFinWait1 && c.state != stFinWait2 {
			return // the peer's FIN came already: nothing more is taken
		}
		if len(data) > 0 && c.flags&fOwned == 0 && c.parent == noConn {
			// New data after the application closed: nobody will read
			// them, so the connection is reset (RFC 1122 4.2.2.13; Linux's
			// TCPAbortOnData). A closed connection holds no receive ring.
			s.rstFor(g)
			s.release(c)
			return
		}
		if seqGT(g.seq, c.rcvNxt) {
			// Out of order: kept in the ring beyond the in-order bytes
			// when a range is free, else dropped (a FIN too); either way an
			// immediate duplicate ACK tells the sender (RFC 5681 §4.2).
			if !s.keepOOO(c, g.seq, data) {
				s.Stats.OOODrops++
			}
			s.ackNow(c)
			return
		}
	}
	if len(data) > 0 {
		c.rx.put(data)
		c.rcvNxt += uint32(len(data))
		if c.nooo > 0 {
			// The bytes filled a hole: take the ranges that now follow.
			if n := s.joinOOO(c); n > 0 {
				c.rx.w += n
				c.rcvNxt += n
				c.quick = max(c.quick, 1) // ACK a filled hole at once
			}
		}
		if c.rx.size < c.rxMax && c.rxLimits() {
			s.growRx(c)
		}
		c.unackedBytes += uint32(len(data))
		switch {
		case c.quick > 0:
			c.quick--
			s.ackNow(c)
		case c.unackedBytes >= 2*c.mss:
			s.ackNow(c)
		case c.ackAt == 0:
			c.ackAt = s.now + int64(s.cfg.DelayedAck)
			s.arm(c.ackAt)
		}
		s.wake(c)
	}
	if fin {
		c.rcvNxt++
		c.flags |= fRcvFin
		s.ackNow(c)
		switch c.state {
		case stEstablished:
			c.state = stCloseWait
		case stFinWait1:
			c.state = stClosing
		case stFinWait2:
			s.timeWait(c)
		}
		s.wake(c)
	}
}

// processAck handles the ACK field (RFC 9293 §3.10.7.4 "fifth"). It
// returns false when the segment is finished with.
func (s *Stack) processAck(c *conn, g *segment) bool {
	if c.state == stSynRcvd {
		if !seqGT(g.ack, c.sndUna) || seqGT(g.ack, c.sndMax) {
			s.rstFor(g)
			return false
		}
		c.sndUna = g.ack
		if !s.established(c, g) {
			return false
		}
	}
	// RFC 5961 §5.2: an ACK for data never sent, or older than the largest
	// window, draws an ACK and is dropped.
	if seqGT(g.ack, c.sndMax) || seqLT(g.ack, c.sndUna-max(c.maxSndWnd, 1)) {
		s.oowAck(c, g, true)
		return false
	}
	wnd := uint32(g.wnd) << c.sndShift
	if wnd == 0 && c.sndWnd == 0 {
		c.retries = 0 // the peer answers our probes
	}
	acked := g.ack - c.sndUna
	if int32(acked) > 0 {
		s.newAck(c, g.ack, acked)
	} else if acked == 0 && len(g.payload) == 0 && g.flags&(flagSYN|flagFIN) == 0 &&
		wnd == c.sndWnd && c.sndMax != c.sndUna {
		s.dupAck(c)
	}
	// Window update (RFC 9293 §3.10.7.4: SND.WL1/WL2).
	if seqLT(c.sndWl1, g.seq) || c.sndWl1 == g.seq && seqLEQ(c.sndWl2, g.ack) {
		opened := wnd > c.sndWnd
		c.sndWnd = wnd
		c.sndWl1, c.sndWl2 = g.seq, g.ack
		if wnd > c.maxSndWnd {
			c.maxSndWnd = wnd
		}
		if opened && c.pending() > 0 {
			c.flags &^= fProbe
			if c.sndNxt == c.sndUna {
				c.rtoAt = 0
				c.retries = 0
			}
			s.txqPush(c)
		}
	}
	switch c.state {
	case stFinWait1:
		if c.finAcked() {
			s.freeRing(&c.tx) // everything sent was acknowledged: no more to send
			c.state = stFinWait2
			if c.flags&fOwned == 0 {
				c.closeAt = s.now + int64(s.cfg.FinTimeout)
				s.arm(c.closeAt)
			}
			s.wake(c)
		}
	case stClosing:
		if c.finAcked() {
			s.timeWait(c)
			return false
		}
	case stLastAck:
		if c.finAcked() {
			s.finish(c)
			return false
		}
	case stTimeWait:
		return false
	}
	return true
}

// pending is the number of queued bytes not yet sent (plus the FIN).
func (c *conn) pending() uint32 {
	end := c.txSeq + c.tx.used()
	if c.flags&fFinQueued != 0 {
		end++
	}
	return end - c.sndNxt
}

// newAck handles an ACK that acknowledges new data.
func (s *Stack) newAck(c *conn, ack, acked uint32) {
	if seqGT(ack, c.sndNxt) {
		c.sndNxt = ack // acknowledges segments sent before a timeout's go-back-N
	}
	// Free the acknowledged bytes; the SYN and FIN take sequence space but
	// no ring space.
	if d := ack - c.txSeq; int32(d) > 0 {
		if d > c.tx.used() {
			d = c.tx.used()
		}
		c.tx.r += d
		c.txSeq += d
	}
	flight := c.sndMax - c.sndUna
	c.sndUna = ack
	if c.flags&fRttActive != 0 && seqGEQ(ack, c.rttSeq) {
		s.rttSample(c, s.now-c.rttStart)
		c.flags &^= fRttActive
	}
	c.retries = 0
	if c.srtt != 0 {
		c.rto = c.rtoFromSRTT(int64(s.cfg.MinRTO))
	}

	// Congestion control.
	if c.flags&fFastRec != 0 {
		if seqGEQ(ack, c.recover) {
			// Full acknowledgment (RFC 6582 §3.2 step 3): deflate.
			c.flags &^= fFastRec
			c.cwnd = min(c.ssthresh, max(c.sndMax-c.sndUna, c.mss)+c.mss)
		} else {
			// Partial acknowledgment: retransmit the next hole, deflate
			// by the amount acknowledged, add back one segment.
			c.flags |= fRetxOne
			if c.cwnd > acked {
				c.cwnd -= acked
			} else {
				c.cwnd = 0
			}
			c.cwnd += c.mss
		}
	} else {
		c.dupAcks = 0
		if c.cwnd < c.ssthresh {
			c.cwnd += min(acked, c.mss)
		} else {
			c.cwnd += max(c.mss*c.mss/c.cwnd, 1)
		}
		_ = flight
	}
	if c.sndUna == c.sndMax {
		c.rtoAt = 0
	} else {
		c.rtoAt = s.now + c.rto
		s.arm(c.rtoAt)
	}
	if c.pending() > 0 || c.flags&fRetxOne != 0 {
		s.txqPush(c)
	}
	if c.flags&fTxWait != 0 && c.writable() {
		// Only a writer that found the ring full is told (Linux's
		// tcp_check_space): an ACK is no event for a reader or an idle
		// writer, and so draws no epoll wake-up.
		c.flags &^= fTxWait
		s.wake(c)
	}
}

// dupAck counts duplicate ACKs; the third starts fast retransmit and
// NewReno fast recovery (RFC 5681 §3.2, RFC 6582 §3.2).
func (s *Stack) dupAck(c *conn) {
	c.dupAcks++
	if c.flags&fFastRec != 0 {
		c.cwnd += c.mss // inflate: a segment left the network
		s.txqPush(c)
		return
	}
	if c.dupAcks == 3 && seqGEQ(c.sndUna, c.recover) { // RFC 6582 §3.2 step 2
		flight := c.sndMax - c.sndUna
		c.ssthresh = max(flight/2, 2*c.mss)
		c.cwnd = c.ssthresh + 3*c.mss
		c.recover = c.sndMax
		c.flags |= fFastRec | fRetxOne
		c.flags &^= fRttActive
		s.txqPush(c)
	}
}

// established moves a handshake to ESTABLISHED; a passive connection
// takes its rings now and goes to its listener's accept queue. Without
// ring memory the handshake is answered with a RST and the connection
// dropped (counted in Stats.RingDrops); it returns false then.
func (s *Stack) established(c *conn, g *segment) bool {
	if !s.takeRings(c) {
		s.Stats.RingDrops++
		s.queueRST(c.laddr, c.raddr, c.lport, c.rport, g.ack, 0, flagRST)
		if c.flags&fPassive != 0 {
			s.dropChild(&s.conns[c.parent], c)
		} else {
			s.release(c)
		}
		return false
	}
	s.ackedSyn(c, s.now)
	c.state = stEstablished
	s.shutWaited(c)
	if c.parent != noConn {
		l := &s.conns[c.parent]
		s.unlinkChild(c)
		c.parent = l.self
		c.qnext = noConn
		if l.accTail == noConn {
			l.accHead = c.self
		} else {
			s.conns[l.accTail].qnext = c.self
		}
		l.accTail = c.self
		l.nacc++
		if s.cfg.Wake != nil {
			s.cfg.Wake(s.idOf(l))
		}
	}
	s.wake(c)
	return true
}

// shutWaited sends the FIN of a Shutdown made during the handshake, now
// that the connection is established.
func (s *Stack) shutWaited(c *conn) {
	if c.flags&fShutWait != 0 {
		c.flags &^= fShutWait
		s.shutdown(c)
	}
}

// oowAck answers an invalid segment with an ACK: a challenge ACK (RFC
// 5961 §3.2, §4.2, §5.2: a RST in the window but not at rcv.nxt, a SYN, an
// unacceptable ACK) or a duplicate ACK for an out-of-window segment (RFC
// 9293 §3.10.7.4). As Linux (tcp_oow_rate_limited, tcp_invalid_ratelimit)
// each connection answers at most one such segment per 500 ms, so that
// blind attackers and ACK loops cannot make it flood; out-of-window data
// and FINs are always answered (the peer retransmits because our ACK was
// lost, and no ACK loop carries data). Challenge ACKs also draw on a
// stack-wide budget per second (RFC 5961 §7, Config.ChallengeAcks).
func (s *Stack) oowAck(c *conn, g *segment, challenge bool) {
	if !challenge && g.flags&flagSYN == 0 && g.seqLen() != 0 {
		s.ackNow(c)
		return
	}
	if c.oowNext != 0 && s.now < c.oowNext || challenge && !s.challengeBudget() {
		s.Stats.AcksLimited++
		return
	}
	c.oowNext = s.now + invalidRateLimit
	s.ackNow(c)
}

// challengeBudget takes one challenge ACK from the stack-wide budget of
// this second: Config.ChallengeAcks plus a random part of up to as many
// again, drawn anew each second (Linux 4.7's answer to CVE-2016-5696,
// where an exact shared budget let an off-path attacker count another
// connection's challenge ACKs).
func (s *Stack) challengeBudget() bool {
	if s.cfg.ChallengeAcks < 0 {
		return true
	}
	if sec := s.now / int64(time.Second); sec != s.chalSec || s.chalLeft < 0 {
		s.chalSec = sec
		var m [8]byte
		binary.LittleEndian.PutUint64(m[:], uint64(sec))
		l := uint64(s.cfg.ChallengeAcks)
		s.chalLeft = int64(l + siphash(s.k1, s.k0, m[:])%l)
	}
	if s.chalLeft == 0 {
		return false
	}
	s.chalLeft--
	return true
}

func (s *Stack) ackNow(c *conn) {
	c.flags |= fAckNow
	s.txqPush(c)
}

// rttSample folds one round-trip measurement into SRTT and RTTVAR (RFC
// 6298 §2).
func (s *Stack) rttSample(c *conn, r int64) {
	if r <= 0 {
		r = 1
	}
	if c.srtt == 0 {
		c.srtt = r
		c.rttvar = r / 2
	} else {
		d := c.srtt - r
		if d < 0 {
			d = -d
		}
		c.rttvar = (3*c.rttvar + d) / 4
		c.srtt = (7*c.srtt + r) / 8
	}
	c.rto = c.rtoFromSRTT(int64(s.cfg.MinRTO))
}

func (c *conn) rtoFromSRTT(minRTO int64) int64 {
	rto := c.srtt + max(4*c.rttvar, 1e6) // G: 1 ms
	return min(max(rto, minRTO), maxRTO)
}

// timeWait enters TIME-WAIT for 2*MSL.
func (s *Stack) timeWait(c *conn) {
	c.state = stTimeWait
	c.rtoAt, c.ackAt = 0, 0
	c.closeAt = s.now + int64(s.cfg.TimeWait)
	s.arm(c.closeAt)
	s.ringsDone(c) // a TIME-WAIT slot costs only its table entry
	s.wake(c)
}

// finish ends a connection normally: it is freed unless the application
// still holds it.
func (s *Stack) finish(c *conn) {
	if c.flags&fOwned == 0 {
		s.unlinkChild(c)
		s.release(c)
		return
	}
	s.unhash(c)
	c.state = stClosed
	c.rtoAt, c.ackAt, c.closeAt = 0, 0, 0
	s.ringsDone(c)
	s.wake(c)
}

// fail ends a connection with an error (reset, refused, timed out).
func (s *Stack) fail(c *conn, err Errno) {
	c.err = err
	if c.flags&fOwned == 0 && c.parent != noConn {
		// Still on the accept queue: Linux hands such a connection to
		// accept, which then reads the error; we keep it too.
		c.state = stClosed
		s.unhash(c)
		c.rtoAt, c.ackAt, c.closeAt = 0, 0, 0
		s.ringsDone(c)
		return
	}
	s.finish(c)
}

// keepOOO stores an out-of-order segment in the receive ring at its place
// beyond the in-order bytes (the window guarantees the room) and records
// its range; up to len(conn.ooo) disjoint ranges are kept, so the
// reassembly queue costs no memory beyond the ring. It reports whether the
// bytes were kept.
func (s *Stack) keepOOO(c *conn, seq uint32, data []byte) bool {
	if len(data) == 0 {
		return false
	}
	off := seq - c.rcvNxt
	wnd := c.rcvWnd()
	if off >= wnd {
		return false
	}
	if uint32(len(data)) > wnd-off {
		data = data[:wnd-off]
	}
	start, end := seq, seq+uint32(len(data))
	// Merge with every range it touches.
	k := 0
	for i := 0; i < int(c.nooo); i++ {
		r := c.ooo[i]
		if seqLT(r.end, start) || seqGT(r.start, end) {
			c.ooo[k] = r
			k++
			continue
		}
		if seqLT(r.start, start) {
			start = r.start
		}
		if seqGT(r.end, end) {
			end = r.end
		}
	}
	if k == len(c.ooo) {
		return false // no free range: nothing was merged either
	}
	c.rx.copyIn(c.rx.w+off, data)
	c.ooo[k] = seqRange{start, end}
	c.nooo = uint8(k + 1)
	return true
}

// joinOOO removes the ranges that start at or before rcv.nxt and returns
// how many bytes beyond rcv.nxt they add.
func (s *Stack) joinOOO(c *conn) uint32 {
	var n uint32
	for again := true; again; {
		again = false
		for i := 0; i < int(c.nooo); i++ {
			r := c.ooo[i]
			if seqGT(r.start, c.rcvNxt+n) {
				continue
			}
			if seqGT(r.end, c.rcvNxt+n) {
				n = r.end - c.rcvNxt
			}
			c.nooo--
			c.ooo[i] = c.ooo[c.nooo]
			again = true
			break
		}
	}
	return n
}
