package ktcp

// Established reports whether a connection's handshake completed (it is
// ESTABLISHED or past it), so that the socket layer's connect(2) is done.
func (s *Stack) Established(id ID) bool {
	c := s.lookupID(id)
	return c != nil && c.state >= stEstablished
}
