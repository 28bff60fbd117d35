//go:build !unigo_net

package core

// socketRingKiB returns the memory held by the sockets' byte rings: none
// without networking.
func socketRingKiB() uint64 { return 0 }
