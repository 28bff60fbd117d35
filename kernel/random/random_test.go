package random

import (
	"encoding/hex"
	"testing"
)

// TestBlockRFC8439 checks the block function against RFC 8439 §2.3.2:
// key 00..1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00, block count 1.
// Our 64-bit counter spans state words 12-13, so word 13 (the first nonce
// word) is its high half.
func TestBlockRFC8439(t *testing.T) {
	for i := range key {
		key[i] = uint32(4*i) | uint32(4*i+1)<<8 | uint32(4*i+2)<<16 | uint32(4*i+3)<<24
	}
	counter = 1 | 0x09000000<<32
	nonce = [2]uint32{0x4a000000, 0}
	defer func() { nonce = [2]uint32{} }()
	var out [64]byte
	block(&out)
	const want = "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e" +
		"d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"
	if got := hex.EncodeToString(out[:]); got != want {
		t.Fatalf("block = %s; want %s", got, want)
	}
	if counter != 2|0x09000000<<32 {
		t.Fatalf("counter = %#x after one block", counter)
	}
}

func TestReadNoAllocAndRekeys(t *testing.T) {
	b := make([]byte, 100)
	if n := testing.AllocsPerRun(100, func() { Read(b) }); n != 0 {
		t.Fatalf("Read allocates %v times", n)
	}
	k0 := key
	Read(b[:1])
	if key == k0 {
		t.Fatal("key unchanged after Read: no fast key erasure")
	}
}
