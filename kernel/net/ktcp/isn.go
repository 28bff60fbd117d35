package ktcp

import (
	"encoding/binary"
	"math/bits"
)

// isn returns the initial sequence number of a connection as RFC 6528
// asks: a 4 µs clock plus a keyed hash (SipHash-2-4) of the four-tuple, so
// that off-path attackers cannot predict it and a reused four-tuple starts
// above the previous incarnation.
func (s *Stack) isn(laddr, raddr [4]byte, lport, rport uint16, now int64) uint32 {
	var m [12]byte
	copy(m[0:], laddr[:])
	copy(m[4:], raddr[:])
	binary.BigEndian.PutUint16(m[8:], lport)
	binary.BigEndian.PutUint16(m[10:], rport)
	return uint32(siphash(s.k0, s.k1, m[:])) + uint32(now/4000)
}

// siphash is SipHash-2-4 (Aumasson and Bernstein) of a message of at most
// 15 bytes, which is all the stack hashes.
func siphash(k0, k1 uint64, m []byte) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	i := 0
	for ; i+8 <= len(m); i += 8 {
		w := binary.LittleEndian.Uint64(m[i:])
		v3 ^= w
		round()
		round()
		v0 ^= w
	}
	b := uint64(len(m)) << 56
	for j := 0; i+j < len(m); j++ {
		b |= uint64(m[i+j]) << (8 * j)
	}
	v3 ^= b
	round()
	round()
	v0 ^= b
	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}
