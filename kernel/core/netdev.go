//go:build unigo_net

package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/drivers/ioapic"
	"unigo.dev/unigo/kernel/drivers/virtio/mmio"
	virtionet "unigo.dev/unigo/kernel/drivers/virtio/net"
	"unigo.dev/unigo/kernel/drivers/virtio/pci"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/net/netcall"
)

// The network device (virtio-net over virtio-mmio on microvm, virtio-pci
// with MSI-X on pc and q35) and the netcall system call through which the
// network stack reaches it and the sockets (docs/adr/0008-networking.md).

const (
	virtioIDNet  = 1
	vectorNetMSI = 80 // the network device's MSI-X vector on PCI (after the disks' 72..79, before the optional drivers' 81..88)
)

var (
	netMMIO mmio.Device
	netPCI  pci.Device
)

var netdev struct {
	present   bool
	d         virtionet.Device
	gsi       int   // -1 with MSI-X
	rxPending bool  // frames wait for the stack (OpRecv); cleared when OpRecv drains them
	rxBlocked bool  // the frame queue filled: received frames wait in the device
	rxMore    bool  // netDrain ran out of budget: frames may wait in the device
	rxMoreAt  int64 // when the timer re-polls for them (netIdle does sooner)
	mtu       int   // the IP MTU
}

// netConfig holds the unigo.net.* command-line parameters (without the
// prefix), space separated, for the stack.
var (
	netConfig    [512]byte
	netConfigLen int
)

// netParam records one unigo.net.KEY=VALUE parameter. Boot only.
// unigo.net.ports=LO-HI (the ephemeral port range) and
// unigo.net.tcp=ktcp|gvisor (which TCP serves IPv4, ktnet.go) are the
// kernel's own; the others are the stack's.
func netParam(tok []byte) {
	if hasPrefix(tok, "unigo.net.ports=") {
		lo, hi, ok := parsePortRange(tok[len("unigo.net.ports="):])
		if !ok {
			klog.Warn("net").S("ignoring ").B(tok).S(": want LO-HI with 1024 <= LO <= HI <= 65535").End()
			return
		}
		ephemeralLo, ephemeralHi = lo, hi
		return
	}
	if hasPrefix(tok, "unigo.net.tcp=") {
		if !ktParam(tok[len("unigo.net.tcp="):]) {
			klog.Warn("net").S("ignoring ").B(tok).S(": want ktcp or gvisor").End()
		}
		return
	}
	kv := tok[len("unigo.net."):]
	if netConfigLen+len(kv)+1 > len(netConfig) {
		klog.Warn("net").S("too many unigo.net parameters: ignoring ").B(tok).End()
		return
	}
	if netConfigLen > 0 {
		netConfig[netConfigLen] = ' '
		netConfigLen++
	}
	netConfigLen += copy(netConfig[netConfigLen:], kv)
}

// initNetDevice finds and starts the first virtio network device. Boot only.
func initNetDevice(apic ioapic.IOAPIC, apicID uint8) {
	for i := 0; i < virtioMMIOSlots; i++ {
		d, id := mmio.Probe(directMapBase + virtioMMIOBase + uintptr(i)*512)
		if id != virtioIDNet {
			continue
		}
		netMMIO = d
		if startNet(&netMMIO, virtioMMIOIRQ+i) {
			apic.Route(netdev.gsi, uint8(vectorIRQBase+netdev.gsi), apicID, 0)
		}
		return
	}
	pci.MapMMIO = mapMMIO
	if d, ok := pci.Find(virtioIDNet, 0x1000); ok {
		netPCI = d
		if startNet(&netPCI, -1) {
			netPCI.EnableMSIX(0, vectorNetMSI, apicID)
		}
	}
}

func startNet(t virtionet.Transport, gsi int) bool {
	netdev.d.Slots = netSlots()
	if why := netdev.d.Init(t, allocPages); why != "" {
		klog.Warn("net").S("virtio-net device ignored: ").S(why).End()
		return false
	}
	if !initFrameQueue() {
		klog.Warn("net").S("virtio-net device ignored: out of memory for the frame queue").End()
		return false
	}
	netdev.present, netdev.gsi, netdev.mtu = true, gsi, virtionet.MaxFrame-ethHdrLen
	mac := netdev.d.MAC()
	var text [17]byte
	const hex = "0123456789abcdef"
	for k, b := range mac {
		text[3*k], text[3*k+1] = hex[b>>4], hex[b&15]
		if k < 5 {
			text[3*k+2] = ':'
		}
	}
	m := klog.Info("net").S("eth0: virtio-net, mac ").B(text[:])
	if gsi < 0 {
		m.S(", MSI-X").End()
	} else {
		m.S(", GSI ").I(int64(gsi)).End()
	}
	ktStart()
	onShutdown(netLogStats)
	return true
}

// netDeviceInterrupt handles I/O APIC interrupt gsi if it is the network
// device's.
func netDeviceInterrupt(gsi int) bool {
	if !netdev.present || gsi != netdev.gsi {
		return false
	}
	netInterrupt()
	return true
}

// netInterrupt handles the device's interrupt: it sorts the received
// frames (netDrain: ktcp's to ktcp, the others into the frame queue for
// the stack) and lets ktcp send (a transmit slot may have come back).
func netInterrupt() {
	if netdev.d.Interrupt() && !netdev.rxBlocked {
		netDrain(true)
		return
	}
	ktPoll()
}

// sysNetcall is the netcall system call (package netcall); the network
// stack is its only caller.
func sysNetcall(a sysArgs) uintptr {
	switch a[0] {
	case netcall.OpAttach:
		return netAttach(a[1])
	case netcall.OpInfo:
		return netInfo(a[1])
	case netcall.OpAddrs:
		return netAddrs(a[1], a[2], a[3])
	}
	if !netstack.attached {
		return errno(linux.ENOTCONN)
	}
	switch a[0] {
	case netcall.OpRecv:
		b, ok := userBytes(a[1], a[2], true)
		if !ok {
			return errno(linux.EFAULT)
		}
		return netRecv(b)
	case netcall.OpSend:
		b, ok := userBytes(a[1], a[2], false)
		if !ok {
			return errno(linux.EFAULT)
		}
		return netSend(b)
	case netcall.OpPoll:
		var rx []byte
		if a[3] != 0 {
			b, ok := userBytes(a[3], a[4], true)
			if !ok {
				return errno(linux.EFAULT)
			}
			rx = b
		}
		var tx []byte
		if a[5] != 0 {
			b, ok := userBytes(a[5], netcall.PollTxSize, true)
			if !ok {
				return errno(linux.EFAULT)
			}
			tx = b
		}
		return netPoll(a[1], a[2], rx, tx)
	case netcall.OpPush, netcall.OpPull:
		b, ok := userBytes(a[2], a[3], a[0] == netcall.OpPull)
		if !ok {
			return errno(linux.EFAULT)
		}
		if a[0] == netcall.OpPush {
			return netPush(uint32(a[1]), b, a[4])
		}
		return netPull(uint32(a[1]), b, a[4])
	case netcall.OpState:
		return netState(uint32(a[1]), a[2], a[3], a[4])
	case netcall.OpAccept:
		return netAccept(uint32(a[1]), a[2])
	case netcall.OpRelease:
		return netRelease(uint32(a[1]))
	}
	return errno(linux.EINVAL)
}

// netAttach registers the stack's eventfd.
func netAttach(fd uintptr) uintptr {
	if netstack.attached {
		return errno(linux.EBUSY)
	}
	f, fi, ok := fileOf(fd)
	if !ok || f.kind != kindEventfd {
		return errno(linux.EBADF)
	}
	f.refs++ // the kernel keeps the eventfd even if the program closes it
	netstack.attached = true
	netstack.evfd = f.obj
	eventfds[f.obj].file = fi
	klog.Info("net").S("network stack attached").End()
	if netdev.present {
		netdev.rxPending = true
	}
	netSignal()
	return 0
}

func netInfo(p uintptr) uintptr {
	if !userRange(p, unsafe.Sizeof(netcall.Info{}), true) {
		return errno(linux.EFAULT)
	}
	info := (*netcall.Info)(kptr(p))
	*info = netcall.Info{}
	if netdev.present {
		info.MAC = netdev.d.MAC()
		info.HasDevice = 1
		info.MTU = uint32(netdev.mtu)
	}
	info.ConfigLen = uint32(copy(info.Config[:], netConfig[:netConfigLen]))
	return 0
}

// netRecv copies queued frames into b, each behind a 2-byte length; it
// stops early only when the next frame does not fit (so fewer than
// 2+MaxFrame bytes are left). When the frame queue had filled, it takes
// the frames waiting in the device after it.
func netRecv(b []byte) uintptr {
	if !netdev.present {
		return 0
	}
	n := 0
	for {
		n += frameQueueGet(b[n:])
		if frameQ.used() != 0 || !netdev.rxBlocked {
			break
		}
		netDrain(false)
	}
	netdev.rxPending = frameQ.used() != 0 || netdev.rxBlocked
	return uintptr(n)
}

// netSend queues the frames in b for transmission.
func netSend(b []byte) uintptr {
	if !netdev.present {
		return errno(linux.ENODEV)
	}
	sent := 0
	for len(b) >= 2 {
		m := int(b[0]) | int(b[1])<<8
		if m > len(b)-2 {
			break
		}
		if netdev.d.Send(b[2 : 2+m]) {
			sent++
		}
		b = b[2+m:]
	}
	netdev.d.Flush()
	return uintptr(sent)
}

// netAddrs records the interface addresses (for bind checks, and with
// their prefixes for ktcp's routes) and the default gateway gw (0: none).
func netAddrs(p, n, gw uintptr) uintptr {
	if n > uintptr(len(netstack.addrs)) {
		n = uintptr(len(netstack.addrs))
	}
	const size = unsafe.Sizeof(netcall.Addr{})
	if !userRange(p, n*size, false) || gw != 0 && !userRange(gw, unsafe.Sizeof(netcall.Sockaddr{}), false) {
		return errno(linux.EFAULT)
	}
	var addrs [len(netstack.addrs)]netcall.Addr
	for k := uintptr(0); k < n; k++ {
		addrs[k] = *(*netcall.Addr)(kptr(p + k*size))
		netstack.addrs[k] = addrs[k].Sockaddr
	}
	netstack.naddrs = int(n)
	var g *netcall.Sockaddr
	if gw != 0 {
		g = (*netcall.Sockaddr)(kptr(gw))
	}
	setIPv4(addrs[:n], g)
	return 0
}

// parsePortRange parses "LO-HI" with 1024 <= LO <= HI <= 65535.
func parsePortRange(b []byte) (lo, hi uint16, ok bool) {
	var v [2]uint32
	k, digits := 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9' && digits < 5:
			v[k] = v[k]*10 + uint32(c-'0')
			digits++
		case c == '-' && k == 0 && digits > 0:
			k, digits = 1, 0
		default:
			return 0, 0, false
		}
	}
	if k != 1 || digits == 0 || v[0] < 1024 || v[0] > v[1] || v[1] > 65535 {
		return 0, 0, false
	}
	return uint16(v[0]), uint16(v[1]), true
}
