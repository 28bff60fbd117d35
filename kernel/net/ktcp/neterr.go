package ktcp

import "encoding/binary"

// Errors from the network below TCP: ICMP errors about our segments and
// next hops that do not answer ARP. The frame path (kernel/core/ktnet.go)
// sees those packets and events and reports them here.

// EHOSTUNREACH is connect's error when the peer's next hop cannot be
// reached (Linux: after failed neighbour resolution, or an ICMP host
// unreachable).
const EHOSTUNREACH Errno = 113

// minPMTU is the smallest path MTU an ICMP "fragmentation needed" may set
// (Linux's net.ipv4.route.min_pmtu, 552): a forged ICMP must not make a
// connection crawl with tiny segments.
const minPMTU = 552

// ICMPError handles an ICMPv4 destination unreachable (type 3; msg is
// the IP payload, its checksum not checked yet) addressed to us, quoting
// a segment of one of our connections, which must lie in the
// connection's flight (RFC 5927 §4.1: an attacker must know the sequence
// numbers).
//
// A "fragmentation needed" (code 4, RFC 1191) lowers that connection's
// MSS to the next hop's MTU and resends the segments in flight in the new
// size: the packets carry DF, and a path with a smaller MTU than ours
// would otherwise drop them for good. Any other code ends a connection
// still in SYN-SENT, as Linux's tcp_v4_err: connect fails with
// ENETUNREACH (network codes), ECONNREFUSED (port unreachable) or
// EHOSTUNREACH (the others); later it is a soft error, left to the
// retransmission timer, as on Linux.
//
// It reports whether the message was about one of our connections (the
// caller need not pass it on); the caller calls Output then.
func (s *Stack) ICMPError(msg []byte) bool {
	// type, code, checksum, unused, next-hop MTU, then the quoted IP
	// header and at least 8 bytes of its payload.
	if len(msg) < 8+ipHdrLen+8 || msg[0] != 3 || msg[1] > 15 || fold(sum(msg, 0)) != 0 {
		return false
	}
	q := msg[8:]
	ihl := int(q[0]&0x0f) * 4
	if q[0]>>4 != 4 || ihl < ipHdrLen || len(q) < ihl+8 || q[9] != protoTCP {
		return false
	}
	var src, dst [4]byte
	copy(src[:], q[12:16])
	copy(dst[:], q[16:20])
	t := q[ihl:]
	c := s.find(src, dst, binary.BigEndian.Uint16(t[0:]), binary.BigEndian.Uint16(t[2:]))
	if c == nil || c.state < stSynSent {
		return false
	}
	seq := binary.BigEndian.Uint32(t[4:])
	if !seqLEQ(c.sndUna, seq) || !seqLT(seq, c.sndMax) {
		return false // not in flight: stale, or forged
	}
	if msg[1] != 4 {
		if c.state == stSynSent {
			err := EHOSTUNREACH
			switch msg[1] {
			case 0, 6, 9, 11: // net unreachable, unknown, prohibited, for TOS
				err = ENETUNREACH
			case 3:
				err = ECONNREFUSED
			}
			s.fail(c, err)
		}
		return true
	}
	// A router older than RFC 1191 reports 0: the minimum then, as Linux.
	mtu := max(uint32(binary.BigEndian.Uint16(msg[6:])), minPMTU)
	mss := mtu - ipHdrLen - tcpHdrLen
	if mss >= c.mss {
		return true
	}
	c.mss = mss
	if c.sndMax != c.sndUna {
		// Resend the flight in the new size (Linux's
		// tcp_simple_retransmit): a loss, not congestion.
		c.flags &^= fRttActive // Karn: no sample from a resent segment
		c.sndNxt = c.sndUna
		s.txqPush(c)
	}
	return true
}

// HopUnreachable fails every connection still in SYN-SENT whose peer
// unreachable(peer) reports as reached through a next hop that did not
// answer ARP, with EHOSTUNREACH (Linux: an ARP failure sends the queued
// packets' senders a local ICMP host unreachable, which ends a
// connection still in SYN-SENT). Established connections are left to
// their retransmission timer, as on Linux. It returns how many it
// failed. unreachable must be a top-level function (no closure: the
// caller runs in trap context).
func (s *Stack) HopUnreachable(unreachable func(peer [4]byte) bool) int {
	n := 0
	for i := range s.conns[:s.hw] {
		c := &s.conns[i]
		if c.state == stSynSent && unreachable(c.raddr) {
			s.fail(c, EHOSTUNREACH)
			n++
		}
	}
	return n
}
