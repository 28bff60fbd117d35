package ktcp

import (
	"math/rand"
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip/checksum"
)

// TestChecksum compares our checksum with gVisor's for every length up to
// 200 bytes and a few accumulators.
func TestChecksum(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	b := make([]byte, 200)
	for n := range len(b) + 1 {
		r.Read(b[:n])
		for _, init := range []uint16{0, 1, 0xfffe, 0xffff} {
			want := ^checksum.Checksum(b[:n], init)
			if got := fold(sum(b[:n], uint64(init))); got != want {
				t.Fatalf("checksum of %d bytes from %#x = %#04x; want %#04x", n, init, got, want)
			}
		}
	}
	for range 1000 { // all ones: the carries
		for i := range b {
			b[i] = 0xff
		}
		n := r.Intn(len(b))
		if got, want := fold(sum(b[:n], 0)), ^checksum.Checksum(b[:n], 0); got != want {
			t.Fatalf("checksum of %d 0xff bytes = %#04x; want %#04x", n, got, want)
		}
	}
}
