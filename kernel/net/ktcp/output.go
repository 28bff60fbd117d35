package ktcp

import "encoding/binary"

// HasOutput reports whether [Stack.Output] has a packet to write, so
// that a caller can skip finding a buffer for it.
func (s *Stack) HasOutput() bool { return s.txqHead != noConn || s.rstR != s.rstW }

// Output writes the next IPv4 packet to send into buf and returns its
// length, or 0 when there is nothing to send. The caller calls it until
// it returns 0, after Input, Tick and the socket calls. buf must hold a
// full packet (the MTU); now is the current time.
func (s *Stack) Output(buf []byte, now int64) int {
	s.now = now
	if len(buf) < s.cfg.MTU {
		return 0
	}
	if s.rstR != s.rstW {
		r := &s.rsts[s.rstR%uint32(len(s.rsts))]
		s.rstR++
		s.Stats.RstsOut++
		return s.build(buf, r.src, r.dst, r.sport, r.dport, r.seq, r.ack, r.flags, 0, nil, 0, 0)
	}
	for s.txqHead != noConn {
		c := &s.conns[s.txqHead]
		if n := s.emit(c, buf, now); n > 0 {
			return n
		}
		s.txqPop()
	}
	return 0
}

// emit builds the next segment of c, or returns 0.
func (s *Stack) emit(c *conn, buf []byte, now int64) int {
	switch c.state {
	case stSynSent, stSynRcvd:
		if c.sndNxt != c.iss {
			if c.flags&fAckNow != 0 && c.state == stSynRcvd {
				c.sndNxt = c.iss // answer with our SYN|ACK again
			} else {
				return 0
			}
		}
		flags := uint8(flagSYN)
		if c.state == stSynRcvd {
			flags |= flagACK
		}
		c.sndNxt = c.iss + 1
		if seqGT(c.sndNxt, c.sndMax) {
			c.sndMax = c.sndNxt
			c.flags |= fRttActive
			c.rttStart = now
			c.rttSeq = c.sndNxt
		}
		s.armRTO(c, now)
		return s.sendSeg(c, buf, c.iss, flags, 0, 0, true)
	case stListen, stClosed, stFree:
		return 0
	}

	// Keepalive probe: an ACK one below snd.una, which the peer answers
	// with an ACK (RFC 1122 4.2.3.6).
	if c.flags&fKeepProbe != 0 {
		c.flags &^= fKeepProbe
		return s.sendSeg(c, buf, c.sndUna-1, flagACK, 0, 0, false)
	}

	// Fast retransmit: the segment at snd.una, once.
	if c.flags&fRetxOne != 0 {
		c.flags &^= fRetxOne
		n := min(c.tx.used(), c.mss)
		flags := uint8(flagACK)
		if c.flags&fFinQueued != 0 && n == c.tx.used() && seqGT(c.sndMax, c.finSeq()) {
			flags |= flagFIN // the FIN was sent: resend it with the last bytes
		}
		if n > 0 || flags&flagFIN != 0 {
			s.Stats.Retransmits++
			end := c.sndUna + n
			if flags&flagFIN != 0 {
				end++
			}
			if seqLT(c.sndNxt, end) {
				c.sndNxt = end
			}
			s.armRTO(c, now)
			return s.sendSeg(c, buf, c.sndUna, flags, 0, n, false)
		}
	}

	// New (or, after a timeout, resent) data and the FIN.
	off := c.sndNxt - c.txSeq // bytes of tx already sent
	avail := uint32(0)
	if int32(off) >= 0 && off < c.tx.used() {
		avail = c.tx.used() - off
	}
	flight := c.sndNxt - c.sndUna
	wnd := min(c.sndWnd, c.cwnd)
	var n uint32
	if avail > 0 {
		if wnd > flight {
			n = min(avail, wnd-flight, c.mss)
			// Sender silly-window avoidance (RFC 1122 4.2.3.4): a small
			// segment only when it carries everything queued, or when
			// nothing is in flight.
			if n < c.mss && n < avail && flight > 0 {
				n = 0
			}
		} else if c.flags&fProbe != 0 && flight == 0 {
			n = 1 // zero-window probe (RFC 9293 §3.8.6.1)
			c.flags &^= fProbe
		}
	}
	flags := uint8(flagACK)
	if c.flags&fFinQueued != 0 && c.sndNxt+n == c.finSeq() {
		flags |= flagFIN
	}
	if n == 0 && flags&flagFIN == 0 {
		s.armPersist(c, now)
		if c.flags&fAckNow == 0 {
			return 0
		}
		return s.sendSeg(c, buf, c.sndNxt, flagACK, 0, 0, false)
	}
	seq := c.sndNxt
	end := seq + n
	if flags&flagFIN != 0 {
		end++
	}
	if seqLT(seq, c.sndMax) {
		s.Stats.Retransmits++
	}
	c.sndNxt = end
	if seqGT(end, c.sndMax) {
		if c.flags&fRttActive == 0 && !seqLT(seq, c.sndMax) {
			c.flags |= fRttActive
			c.rttStart = now
			c.rttSeq = end
		}
		c.sndMax = end
	}
	if n > 0 {
		c.quick = 0 // we answer: a request/response connection (Linux's pingpong)
	}
	s.armRTO(c, now)
	return s.sendSeg(c, buf, seq, flags, off, n, false)
}

// armRTO starts the retransmission timer unless it runs.
func (s *Stack) armRTO(c *conn, now int64) {
	if c.rtoAt == 0 {
		c.rtoAt = now + c.rto
		s.arm(c.rtoAt)
	}
}

// armPersist starts the persist timer when data waits on a zero window.
func (s *Stack) armPersist(c *conn, now int64) {
	if c.sndWnd == 0 && c.sndNxt == c.sndUna && c.pending() > 0 {
		s.armRTO(c, now)
	}
}

// sendSeg builds a segment of c: n bytes from tx at offset off.
func (s *Stack) sendSeg(c *conn, buf []byte, seq uint32, flags uint8, off, n uint32, syn bool) int {
	wnd := c.rcvWnd()
	if syn {
		wnd = min(wnd, 0xffff) // never scaled (RFC 7323 §2.2)
		if flags&flagACK != 0 {
			c.rcvAdv = c.rcvNxt + wnd // the SYN|ACK's window: the peer's first flight
		}
	} else {
		wnd = min(wnd>>c.rcvShift, 0xffff)
		c.rcvAdv = c.rcvNxt + wnd<<c.rcvShift
	}
	ack := uint32(0)
	if flags&flagACK != 0 {
		ack = c.rcvNxt
		c.flags &^= fAckNow
		c.ackAt = 0
		c.unackedBytes = 0
	}
	if n > 0 {
		flags |= flagPSH
	}
	return s.build(buf, c.laddr, c.raddr, c.lport, c.rport, seq, ack, flags, uint16(wnd), c, off, n)
}

// build writes an IPv4 packet with a TCP segment; data come from c's tx
// ring when n > 0; SYNs carry MSS and window-scale options.
func (s *Stack) build(buf []byte, src, dst [4]byte, sport, dport uint16, seq, ack uint32, flags uint8,
	wnd uint16, c *conn, off, n uint32) int {
	optLen := 0
	if flags&flagSYN != 0 {
		optLen = 8
		if c.state == stSynRcvd && c.flags&fWsOK == 0 {
			optLen = 4
		}
	}
	tcpLen := tcpHdrLen + optLen + int(n)
	total := ipHdrLen + tcpLen
	ip := buf[:ipHdrLen]
	ip[0] = 0x45
	ip[1] = 0
	binary.BigEndian.PutUint16(ip[2:], uint16(total))
	s.ipID++
	binary.BigEndian.PutUint16(ip[4:], s.ipID)
	binary.BigEndian.PutUint16(ip[6:], 0x4000) // DF
	ip[8] = 64
	ip[9] = protoTCP
	ip[10], ip[11] = 0, 0
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	binary.BigEndian.PutUint16(ip[10:], fold(sum(ip, 0)))

	t := buf[ipHdrLen:total]
	binary.BigEndian.PutUint16(t[0:], sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	t[12] = byte((tcpHdrLen + optLen) / 4 << 4)
	t[13] = flags
	binary.BigEndian.PutUint16(t[14:], wnd)
	t[16], t[17], t[18], t[19] = 0, 0, 0, 0
	if optLen > 0 {
		o := t[tcpHdrLen:]
		o[0], o[1] = optMSS, 4
		binary.BigEndian.PutUint16(o[2:], uint16(s.mss))
		if optLen == 8 {
			o[4], o[5], o[6], o[7] = optNOP, optWScale, 3, c.rcvShift
		}
	}
	if n > 0 {
		c.tx.peek(off, t[tcpHdrLen+optLen:])
	}
	binary.BigEndian.PutUint16(t[16:], fold(sum(t, pseudo(src, dst, tcpLen))))
	s.Stats.SegsOut++
	return total
}
