//go:build unigo_net

package core

// socketRingKiB returns the memory held by the sockets' byte rings (the
// kernel TCP's included).
func socketRingKiB() uint64 {
	var n uint64
	for i := range socks {
		n += uint64(socks[i].rx.size>>10) + uint64(socks[i].tx.size>>10)
	}
	if ktStack != nil {
		n += ktStack.Stats.RingBytes >> 10 // the kernel TCP's connections
	}
	return n
}
