//go:build unigo_net

package core

// socketRingKiB returns the memory held by the sockets' byte rings.
func socketRingKiB() uint64 {
	var n uint64
	for i := range socks {
		if socks[i].rx.buf != 0 {
			n += sockBufPages * 4
		}
		if socks[i].tx.buf != 0 {
			n += sockBufPages * 4
		}
	}
	return n
}
