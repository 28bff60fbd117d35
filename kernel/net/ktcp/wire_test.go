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

// TestInputClaims checks what Input takes: all TCP over IPv4, valid or
// not, and nothing else.
func TestInputClaims(t *testing.T) {
	good := craft(seg{sport: 1, dport: 9, seq: 1, flags: flagSYN, ws: -1})
	bad := craft(seg{sport: 1, dport: 9, seq: 1, flags: flagSYN, ws: -1, badSum: true})
	frag := append([]byte(nil), good...)
	frag[6] = 0x20 // MF
	udp := append([]byte(nil), good...)
	udp[9] = 17
	for _, tc := range []struct {
		name    string
		pkt     []byte
		want    bool
		wantBad uint64
	}{
		{"tcp", good, true, 0},
		{"tcp-bad-checksum", bad, true, 1},
		{"tcp-fragment", frag, true, 1},
		{"udp", udp, false, 0},
		{"short", good[:10], false, 0},
		{"ipv6", append([]byte{0x60}, good[1:]...), false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{MaxConns: 2})
			if got := s.Input(tc.pkt, 1); got != tc.want || s.Stats.Bad != tc.wantBad {
				t.Errorf("Input = %v (Bad %d); want %v (Bad %d)", got, s.Stats.Bad, tc.want, tc.wantBad)
			}
		})
	}
}
