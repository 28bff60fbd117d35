package ktcp

// Timers. Each connection has three deadlines (retransmission or persist,
// delayed ACK, and TIME-WAIT or FIN-WAIT-2); the stack keeps only a hint
// of the earliest, which may be early (a timer was stopped since) but is
// never late. The kernel programs its timer for [Stack.NextDeadline] and
// calls [Stack.Tick] then.

// NextDeadline returns when Tick must run next (0: no timer armed).
func (s *Stack) NextDeadline() int64 { return s.nextAt }

// Tick runs the timers due at now.
func (s *Stack) Tick(now int64) {
	s.now = now
	if s.nextAt == 0 || now < s.nextAt {
		return
	}
	next := int64(0)
	for i := range s.conns[:s.hw] {
		c := &s.conns[i]
		if c.state <= stListen || c.rtoAt == 0 && c.ackAt == 0 && c.closeAt == 0 && c.keepAt == 0 {
			continue
		}
		if c.closeAt != 0 && now >= c.closeAt {
			c.closeAt = 0
			if c.state == stTimeWait || c.state == stFinWait2 && c.flags&fOwned == 0 {
				s.finish(c)
				continue
			}
		}
		if c.ackAt != 0 && now >= c.ackAt {
			c.ackAt = 0
			s.ackNow(c)
		}
		if c.rtoAt != 0 && now >= c.rtoAt {
			c.rtoAt = 0
			if !s.timeout(c, now) {
				continue
			}
		}
		if c.keepAt != 0 && now >= c.keepAt && !s.keepalive(c, now) {
			continue
		}
		for _, at := range [4]int64{c.rtoAt, c.ackAt, c.closeAt, c.keepAt} {
			if at != 0 && (next == 0 || at < next) {
				next = at
			}
		}
	}
	s.nextAt = next
}

// timeout handles an expired retransmission or persist timer (RFC 6298
// §5.4-5.6, RFC 5681 §3.1). It returns false when it ended the connection.
func (s *Stack) timeout(c *conn, now int64) bool {
	c.retries++
	limit := uint8(dataRetries)
	if c.state == stSynSent || c.state == stSynRcvd {
		limit = synRetries
	}
	if c.retries > limit {
		s.Stats.Timeouts++
		if c.state == stSynRcvd && c.flags&fPassive != 0 {
			s.dropChild(&s.conns[c.parent], c)
			return false
		}
		s.abortErr(c, ETIMEDOUT)
		return false
	}
	c.rto = min(c.rto*2, maxRTO) // back off
	c.flags &^= fRttActive       // Karn: no sample from a retransmitted segment
	switch c.state {
	case stSynSent, stSynRcvd:
		c.sndNxt = c.iss
		s.txqPush(c)
		return true
	}
	flight := c.sndMax - c.sndUna
	if c.sndWnd == 0 && c.pending()+(c.sndNxt-c.sndUna) > 0 {
		c.sndNxt = c.sndUna
		c.flags |= fProbe // persist timer
		s.txqPush(c)
		return true
	}
	if flight == 0 {
		return true
	}
	c.ssthresh = max(flight/2, 2*c.mss)
	c.cwnd = c.mss
	c.flags &^= fFastRec | fRetxOne
	c.recover = c.sndMax
	c.dupAcks = 0
	c.sndNxt = c.sndUna // go back N
	s.txqPush(c)
	return true
}

// abortErr resets a connection that timed out and records the error.
func (s *Stack) abortErr(c *conn, err Errno) {
	if c.state >= stSynRcvd && c.state != stTimeWait {
		s.queueRST(c.laddr, c.raddr, c.lport, c.rport, c.sndNxt, 0, flagRST)
	}
	s.fail(c, err)
}

// keepalive runs an expired keepalive timer: after keepIdle without a
// segment from the peer, up to keepCnt probes keepIntvl apart, then the
// connection times out (Linux's tcp_keepalive_*). It returns false when it
// ended the connection.
func (s *Stack) keepalive(c *conn, now int64) bool {
	c.keepAt = 0
	if c.keepIdle == 0 || c.state != stEstablished && c.state != stCloseWait {
		return true
	}
	if idle := now - c.lastRecv; idle < c.keepIdle {
		c.keepProbes = 0
		c.keepAt = c.lastRecv + c.keepIdle
		return true
	}
	if c.sndMax != c.sndUna {
		c.keepAt = now + c.keepIntvl // data in flight: the RTO watches the peer
		return true
	}
	s.shrinkTx(c) // idle: a send ring that grew goes back to its first size
	if c.keepProbes >= c.keepCnt {
		s.Stats.Timeouts++
		s.abortErr(c, ETIMEDOUT)
		return false
	}
	c.keepProbes++
	c.flags |= fKeepProbe
	s.txqPush(c)
	c.keepAt = now + c.keepIntvl
	return true
}
