// Package random is the kernel's random number generator: a ChaCha20
// keystream (RFC 8439 block function) keyed from the CPU's RDSEED/RDRAND,
// rekeyed from its own output after every request (fast key erasure) and
// mixed with fresh hardware entropy when available. It backs getrandom(2),
// /dev/urandom and the AT_RANDOM bytes.
//
// Without RDRAND/RDSEED it falls back to TSC jitter, which is weak; boot
// logs a warning in that case.
package random

import (
	"encoding/binary"
	"math/bits"

	"unigo.dev/unigo/kernel/arch/amd64"
)

var (
	key     [8]uint32
	counter uint64
	nonce   [2]uint32 // state words 14-15; zero except in tests
	hw      bool      // hardware entropy available
	seeded  bool
)

// Source describes where the seed came from.
var Source string

// Init seeds the generator. It reports whether hardware entropy was used.
func Init() bool {
	hw = amd64.Features.RDSEED || amd64.Features.RDRAND
	Source = "tsc-jitter"
	for i := 0; i < 4; i++ {
		v, ok := hwRand()
		if !ok {
			v = jitter()
		} else if amd64.Features.RDSEED {
			Source = "rdseed"
		} else {
			Source = "rdrand"
		}
		key[2*i] ^= uint32(v)
		key[2*i+1] ^= uint32(v >> 32)
	}
	return hw
}

func hwRand() (uint64, bool) {
	if amd64.Features.RDSEED {
		if v, ok := amd64.Rdseed(); ok {
			return v, true
		}
	}
	if amd64.Features.RDRAND {
		return amd64.Rdrand()
	}
	return 0, false
}

// jitter gathers entropy from TSC timing noise of a memory-touching loop.
func jitter() uint64 {
	var acc uint64
	var buf [64]uint64
	for i := 0; i < 256; i++ {
		t0 := amd64.Rdtsc()
		for j := range buf {
			buf[j] += uint64(j) ^ acc
		}
		d := amd64.Rdtsc() - t0
		acc = bits.RotateLeft64(acc, 7) ^ d
	}
	return acc
}

func quarter(a, b, c, d uint32) (uint32, uint32, uint32, uint32) {
	a += b
	d = bits.RotateLeft32(d^a, 16)
	c += d
	b = bits.RotateLeft32(b^c, 12)
	a += b
	d = bits.RotateLeft32(d^a, 8)
	c += d
	b = bits.RotateLeft32(b^c, 7)
	return a, b, c, d
}

// block computes one 64-byte ChaCha20 block for the current key and counter.
func block(out *[64]byte) {
	var s [16]uint32
	s[0], s[1], s[2], s[3] = 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574
	copy(s[4:12], key[:])
	s[12] = uint32(counter)
	s[13] = uint32(counter >> 32)
	s[14], s[15] = nonce[0], nonce[1]
	counter++
	x := s
	for i := 0; i < 10; i++ {
		x[0], x[4], x[8], x[12] = quarter(x[0], x[4], x[8], x[12])
		x[1], x[5], x[9], x[13] = quarter(x[1], x[5], x[9], x[13])
		x[2], x[6], x[10], x[14] = quarter(x[2], x[6], x[10], x[14])
		x[3], x[7], x[11], x[15] = quarter(x[3], x[7], x[11], x[15])
		x[0], x[5], x[10], x[15] = quarter(x[0], x[5], x[10], x[15])
		x[1], x[6], x[11], x[12] = quarter(x[1], x[6], x[11], x[12])
		x[2], x[7], x[8], x[13] = quarter(x[2], x[7], x[8], x[13])
		x[3], x[4], x[9], x[14] = quarter(x[3], x[4], x[9], x[14])
	}
	for i := range x {
		binary.LittleEndian.PutUint32(out[4*i:], x[i]+s[i])
	}
}

// Read fills b with random bytes. Init must have run (at boot).
func Read(b []byte) {
	var blk [64]byte
	for len(b) > 0 {
		block(&blk)
		n := copy(b, blk[:])
		b = b[n:]
	}
	// Fast key erasure: the next key comes from the stream, mixed with
	// fresh hardware entropy when there is some.
	block(&blk)
	for i := range key {
		key[i] = binary.LittleEndian.Uint32(blk[4*i:])
	}
	if v, ok := hwRand(); ok {
		key[0] ^= uint32(v)
		key[1] ^= uint32(v >> 32)
	}
	clear(blk[:])
}
