package ktcp

// What the kernel's socket layer asks of a connection besides moving data
// (MSG_PEEK, FIONREAD/SIOCINQ, SIOCOUTQ, connect's completion).

// Peek copies received bytes, from skip bytes past the next one to read,
// into b without consuming them (MSG_PEEK). With nothing there its
// results are those of [Stack.Read].
func (s *Stack) Peek(id ID, skip int, b []byte) (int, Errno) {
	c := s.lookupID(id)
	if c == nil || c.state == stListen {
		return 0, EBADF
	}
	switch {
	case skip < 0:
		return 0, EINVAL
	case c.rx.used() == 0:
		return s.Read(id, b[:0:0]) // EOF, an error or EAGAIN
	case uint32(skip) >= c.rx.used():
		return 0, EAGAIN
	}
	return c.rx.peek(s.mem, uint32(skip), b), OK
}

// Unread returns the received bytes not yet read (FIONREAD, SIOCINQ).
func (s *Stack) Unread(id ID) int {
	c := s.lookupID(id)
	if c == nil || c.state == stListen {
		return 0
	}
	return int(c.rx.used())
}

// Unsent returns the bytes written and not yet acknowledged (SIOCOUTQ).
func (s *Stack) Unsent(id ID) int {
	c := s.lookupID(id)
	if c == nil || c.state == stListen {
		return 0
	}
	return int(c.tx.used())
}

// Established reports whether a connection's handshake completed (it is
// ESTABLISHED or past it), so that connect(2) is done.
func (s *Stack) Established(id ID) bool {
	c := s.lookupID(id)
	return c != nil && c.state >= stEstablished
}
