package num

import (
	"strconv"
	"testing"
)

func TestUintHex(t *testing.T) {
	for _, v := range []uint64{0, 1, 9, 10, 255, 4096, 1<<63 + 12345, ^uint64(0)} {
		var d [20]byte
		var h [16]byte
		if got, want := string(Uint(&d, v)), strconv.FormatUint(v, 10); got != want {
			t.Errorf("Uint(%d) = %s", v, got)
		}
		if got, want := string(Hex(&h, v)), strconv.FormatUint(v, 16); got != want {
			t.Errorf("Hex(%d) = %s; want %s", v, got, want)
		}
	}
}
