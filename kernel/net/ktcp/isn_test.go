package ktcp

import "testing"

// TestSipHash checks the reference vectors of the SipHash paper (key
// 00..0f, message 00..len-1).
func TestSipHash(t *testing.T) {
	var m [15]byte
	for i := range m {
		m[i] = byte(i)
	}
	const k0, k1 = 0x0706050403020100, 0x0f0e0d0c0b0a0908
	for _, tc := range []struct {
		n    int
		want uint64
	}{
		{0, 0x726fdb47dd0e0e31},
		{8, 0x93f5f5799a932462},
		{15, 0xa129ca6149be45e5},
	} {
		if got := siphash(k0, k1, m[:tc.n]); got != tc.want {
			t.Errorf("siphash(len %d) = %#x; want %#x", tc.n, got, tc.want)
		}
	}
}
