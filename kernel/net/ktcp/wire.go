package ktcp

import (
	"encoding/binary"
	"math/bits"
)

// IPv4 (RFC 791) and TCP (RFC 9293 §3.1) header layout, written for this
// package: the hot path parses and builds headers in place, with no views,
// no pooled buffers and no allocation.

const (
	ipHdrLen  = 20 // we send no IP options
	tcpHdrLen = 20 // without options
	protoTCP  = 6

	// TCP flags (RFC 9293 §3.1).
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagPSH = 0x08
	flagACK = 0x10
	flagURG = 0x20

	// Options (RFC 9293 §3.2, RFC 7323 §2).
	optEnd    = 0
	optNOP    = 1
	optMSS    = 2
	optWScale = 3

	maxWScale = 14 // RFC 7323 §2.3
)

// segment is a parsed TCP/IPv4 segment. payload aliases the packet.
type segment struct {
	src, dst     [4]byte
	sport, dport uint16
	seq, ack     uint32
	flags        uint8
	wnd          uint16
	mss          uint16 // 0: no MSS option
	wscale       int8   // -1: no window-scale option
	payload      []byte
}

// seqLen is the sequence space the segment occupies: its data, SYN and FIN.
func (g *segment) seqLen() uint32 {
	n := uint32(len(g.payload))
	if g.flags&flagSYN != 0 {
		n++
	}
	if g.flags&flagFIN != 0 {
		n++
	}
	return n
}

// parse checks and decodes an IPv4 packet carrying TCP and returns the
// payload (not stored through g: a pointer store there would need a write
// barrier, which trap context must not run, ADR 0001). It rejects
// anything malformed: bad versions and lengths, fragments (the guest's
// peers use path-MTU discovery; reassembly stays with gVisor), and bad
// IPv4 or TCP checksums.
func parse(pkt []byte, g *segment) ([]byte, bool) {
	if len(pkt) < ipHdrLen+tcpHdrLen || pkt[0]>>4 != 4 {
		return nil, false
	}
	ihl := int(pkt[0]&0xf) * 4
	total := int(binary.BigEndian.Uint16(pkt[2:]))
	if ihl < ipHdrLen || total < ihl+tcpHdrLen || total > len(pkt) || pkt[9] != protoTCP {
		return nil, false
	}
	if binary.BigEndian.Uint16(pkt[6:])&0x3fff != 0 { // MF or a fragment offset
		return nil, false
	}
	if fold(sum(pkt[:ihl], 0)) != 0 {
		return nil, false
	}
	copy(g.src[:], pkt[12:16])
	copy(g.dst[:], pkt[16:20])
	t := pkt[ihl:total]
	doff := int(t[12]>>4) * 4
	if doff < tcpHdrLen || doff > len(t) {
		return nil, false
	}
	if fold(sum(t, pseudo(g.src, g.dst, len(t)))) != 0 {
		return nil, false
	}
	g.sport = binary.BigEndian.Uint16(t[0:])
	g.dport = binary.BigEndian.Uint16(t[2:])
	g.seq = binary.BigEndian.Uint32(t[4:])
	g.ack = binary.BigEndian.Uint32(t[8:])
	g.flags = t[13] & 0x3f
	g.wnd = binary.BigEndian.Uint16(t[14:])
	g.mss = 0
	g.wscale = -1
	if doff > tcpHdrLen && g.flags&flagSYN != 0 {
		parseOptions(t[tcpHdrLen:doff], g)
	}
	return t[doff:], true
}

// parseOptions reads MSS and window scale; it ignores unknown options and
// stops at a malformed one (RFC 9293 §3.2: "must be prepared to handle an
// illegal option length ... without crashing").
func parseOptions(o []byte, g *segment) {
	for len(o) > 0 {
		switch o[0] {
		case optEnd:
			return
		case optNOP:
			o = o[1:]
			continue
		}
		if len(o) < 2 || o[1] < 2 || int(o[1]) > len(o) {
			return
		}
		switch {
		case o[0] == optMSS && o[1] == 4:
			g.mss = binary.BigEndian.Uint16(o[2:])
		case o[0] == optWScale && o[1] == 3:
			ws := o[2]
			if ws > maxWScale {
				ws = maxWScale // RFC 7323 §2.3: use 14 and log
			}
			g.wscale = int8(ws)
		}
		o = o[o[1]:]
	}
}

// sum adds b to a big-endian ones-complement accumulator. The
// ones-complement sum does not depend on byte order (RFC 1071 §2(B)), so
// it adds b as little-endian 64-bit words with carries, folds the result
// to 16 bits and swaps its bytes once. b must start at an even offset of
// the checksummed data.
func sum(b []byte, acc uint64) uint64 {
	var s, c uint64
	for len(b) >= 32 {
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[8:]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[16:]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[24:]), c)
		b = b[32:]
	}
	for len(b) >= 8 {
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b), c)
		b = b[8:]
	}
	var t uint64
	if len(b) >= 4 {
		t = uint64(binary.LittleEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		t += uint64(binary.LittleEndian.Uint16(b)) << 32
		b = b[2:]
	}
	if len(b) == 1 {
		t += uint64(b[0]) << 48
	}
	s, c = bits.Add64(s, t, c)
	s, c = bits.Add64(s, 0, c)
	s += c
	s = (s >> 32) + (s & 0xffffffff)
	s = (s >> 16) + (s & 0xffff)
	s = (s >> 16) + (s & 0xffff)
	s = (s >> 16) + (s & 0xffff)
	return acc + uint64(bits.ReverseBytes16(uint16(s)))
}

// fold folds the accumulator to 16 bits and complements it.
func fold(acc uint64) uint16 {
	acc = (acc >> 32) + (acc & 0xffffffff)
	acc = (acc >> 32) + (acc & 0xffffffff)
	acc = (acc >> 16) + (acc & 0xffff)
	acc = (acc >> 16) + (acc & 0xffff)
	return ^uint16(acc)
}

// pseudo is the accumulator of the TCP pseudo-header (RFC 9293 §3.1).
func pseudo(src, dst [4]byte, tcpLen int) uint64 {
	return uint64(binary.BigEndian.Uint32(src[:])) + uint64(binary.BigEndian.Uint32(dst[:])) +
		protoTCP + uint64(tcpLen)
}
