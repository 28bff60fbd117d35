package core

import "testing"

func TestMemoryLimitFor(t *testing.T) {
	const KiB, MiB = 1 << 10, 1 << 20
	tests := []struct {
		free  uint64
		limit uint64
		ok    bool
	}{
		{3860 * KiB, (3860*KiB - MiB - 3860*KiB/8) &^ (KiB - 1), true}, // a 16 MiB guest running the HTTP server
		{20 * MiB, 20*MiB - MiB - 20*MiB/8, true},
		{2*MiB + 1, 0, false}, // no room for the reserve
		{0, 0, false},
		{1000*MiB + 3, (1000*MiB + 3 - MiB - (1000*MiB+3)/8) &^ (KiB - 1), true},
	}
	for _, tc := range tests {
		limit, ok := memoryLimitFor(tc.free)
		if limit != tc.limit || ok != tc.ok {
			t.Errorf("memoryLimitFor(%d) = %d, %v; want %d, %v", tc.free, limit, ok, tc.limit, tc.ok)
		}
		if ok && limit%KiB != 0 {
			t.Errorf("memoryLimitFor(%d) = %d; want whole KiB (the value is written in KiB)", tc.free, limit)
		}
	}
}

func TestPutDecimal(t *testing.T) {
	for _, tc := range []struct {
		v    uint64
		want string
	}{{0, "0"}, {7, "7"}, {2354, "2354"}, {18446744073709551615, "18446744073709551615"}} {
		var b [20]byte
		if got := string(b[:putDecimal(b[:], tc.v)]); got != tc.want {
			t.Errorf("putDecimal(%d) = %q; want %q", tc.v, got, tc.want)
		}
	}
}
