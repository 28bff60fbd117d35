//go:build unigo_net

package core

import "unigo.dev/unigo/kernel/net/ktcp"

// PLACEHOLDER of the netpath branch's ktnet.go (ADR 0012, the contract in
// the session brief): the netpath engineer owns this file and their
// version replaces this one on merge. Here ktStack stays nil at boot, so
// IPv4 TCP stays with gVisor; hosted tests set ktStack and ktOut.

// ktStack is the kernel's TCP for IPv4 (nil: off).
var ktStack *ktcp.Stack

// ktOut, in hosted tests only, takes each IPv4 packet ktPoll drains.
var ktOut func(pkt []byte)

var ktFrame [2048]byte

// ktPoll drains ktStack's output (to ktOut here).
func ktPoll() {
	if ktStack == nil {
		return
	}
	for {
		n := ktStack.Output(ktFrame[:], nanotime())
		if n == 0 {
			return
		}
		if ktOut != nil {
			ktOut(ktFrame[:n])
		}
	}
}

// ktLocalIPv4 reports whether ip is one of the guest's addresses.
func ktLocalIPv4(ip [4]byte) bool {
	for k := 0; k < netstack.naddrs; k++ {
		a := &netstack.addrs[k]
		if saFamily(a) == 2 && [4]byte(a[4:8]) == ip {
			return true
		}
	}
	return false
}

// ktSourceIPv4 returns the source address for a connection to dst.
func ktSourceIPv4(dst [4]byte) ([4]byte, bool) {
	for k := 0; k < netstack.naddrs; k++ {
		a := &netstack.addrs[k]
		if saFamily(a) == 2 {
			return [4]byte(a[4:8]), true
		}
	}
	return [4]byte{}, false
}
