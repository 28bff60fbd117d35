//go:build !unigo_net

package core

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/drivers/ioapic"
)

// A kernel without networking, for programs that do not use package net
// (unigo build adds the unigo_net build tag to those that do; see
// docs/adr/0008-networking.md). As on a Linux kernel built without
// CONFIG_INET, socket(2) fails with EAFNOSUPPORT, so no socket file can
// exist and the other socket calls only see descriptors that are not
// sockets. The network device is left alone.

const vectorNetMSI = 80 // reserved for the network device (netdev.go)

func initNetDevice(ioapic.IOAPIC, uint8) {}
func netParam([]byte)                    {}
func netDeviceInterrupt(int) bool        { return false }
func netInterrupt()                      {}
func sysNetcall(sysArgs) uintptr         { return errno(linux.ENOSYS) }
func ktDeadline() int64                  { return 0 }
func ktTimer(int64)                      {}
func netIdle()                           {}

// No socket file exists in this kernel; these complete the file code's
// switches.
func sockClosed(int32)                {}
func sockReadiness(int32) uint32      { return 0 }
func sockRead(*file, []byte) uintptr  { return errno(linux.EBADF) }
func sockWrite(*file, []byte) uintptr { return errno(linux.EBADF) }
func sockFionread(int32) uint32       { return 0 }
func sockOutq(int32) uint32           { return 0 }

// sysSocket implements Linux syscall socket(2) without networking.
func sysSocket(sysArgs) uintptr { return errno(linux.EAFNOSUPPORT) }

// sysSocketpair implements Linux syscall socketpair(2) without networking.
func sysSocketpair(sysArgs) uintptr { return errno(linux.EAFNOSUPPORT) }

// notSocket answers a socket call on fd: no descriptor is a socket here.
func notSocket(fd uintptr) uintptr {
	if _, _, ok := fileOf(fd); !ok {
		return errno(linux.EBADF)
	}
	return errno(linux.ENOTSOCK)
}

func sysBind(a sysArgs) uintptr        { return notSocket(a[0]) }
func sysListen(a sysArgs) uintptr      { return notSocket(a[0]) }
func sysAccept4(a sysArgs) uintptr     { return notSocket(a[0]) }
func sysAccept(a sysArgs) uintptr      { return notSocket(a[0]) }
func sysConnect(a sysArgs) uintptr     { return notSocket(a[0]) }
func sysGetsockname(a sysArgs) uintptr { return notSocket(a[0]) }
func sysGetpeername(a sysArgs) uintptr { return notSocket(a[0]) }
func sysShutdown(a sysArgs) uintptr    { return notSocket(a[0]) }
func sysSendto(a sysArgs) uintptr      { return notSocket(a[0]) }
func sysRecvfrom(a sysArgs) uintptr    { return notSocket(a[0]) }
func sysSendmsg(a sysArgs) uintptr     { return notSocket(a[0]) }
func sysRecvmsg(a sysArgs) uintptr     { return notSocket(a[0]) }
func sysSetsockopt(a sysArgs) uintptr  { return notSocket(a[0]) }
func sysGetsockopt(a sysArgs) uintptr  { return notSocket(a[0]) }
