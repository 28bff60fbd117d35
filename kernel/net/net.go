// Package net is unigo's network stack: gVisor's TCP/IP
// (gvisor.dev/gvisor/pkg/tcpip) running as ordinary goroutines in the
// program's own Go runtime, wired to the kernel's virtio-net device and to
// the kernel's socket buffers through the netcall system call (package
// netcall; the design is docs/adr/0008-networking.md).
//
// `unigo build` links this package into programs whose dependencies
// include the standard library's net package; others do not carry it. Its
// init function starts the stack before the program's main runs: IPv4,
// IPv6, ARP, ICMP (ping answers), TCP and UDP on eth0 (the virtio-net
// device, when there is one) and on a loopback interface (127.0.0.1/8,
// ::1), configured from the kernel command line:
//
//	unigo.net.ip=10.0.2.15/24   address and prefix of eth0 (repeatable: IPv4 and IPv6)
//	unigo.net.gw=10.0.2.2       default gateway
//	unigo.net.dns=10.0.2.3      name server, written to /etc/resolv.conf (repeatable)
//	unigo.net.dhcp=1            get the IPv4 address, gateway and name servers by DHCP
//	                            (before main runs; up to 30 s)
//	unigo.net.debug=1           log socket errors and state changes on stderr
//	unigo.net.ports=40000-40999 the ephemeral port range (read by the kernel's
//	                            socket layer; guests sharing one address get
//	                            disjoint ranges)
//	unigo.net.tcp=gvisor        IPv4 TCP on gVisor's TCP instead of the kernel's
//	                            (ktcp; read by the kernel, docs/adr/0012-kernel-tcp.md)
//
// # Concurrency
//
// gVisor runs its own goroutines (TCP timers, segment processors). The
// bridge between the kernel's sockets and gVisor's endpoints is one
// goroutine (bridge.run). It sleeps in the runtime's netpoller, waiting
// for the kernel's eventfd to become readable; gVisor's readiness
// callbacks that find it asleep wake it through the runtime alone, by
// setting the eventfd's read deadline in the past (bridge.wake).
// Nothing polls: an idle stack leaves the CPU idle.
package net

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/loopback"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"unigo.dev/unigo/kernel/net/netcall"
)

const (
	nicEth  tcpip.NICID = 1
	nicLoop tcpip.NICID = 2
)

func init() {
	if err := start(); err != nil {
		logf("%v", err)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "unigo: net: "+format+"\n", args...)
}

// config is the parsed unigo.net.* parameters.
type config struct {
	addrs []netip.Prefix
	gw    []netip.Addr
	dns   []netip.Addr
	dhcp  bool
	debug bool
}

// debug turns on logging of socket errors and state changes.
var debug bool

func debugf(format string, args ...any) {
	if debug {
		logf(format, args...)
	}
}

// parseConfig parses "key=value key=value" (the kernel hands over the
// unigo.net.* parameters without their prefix).
func parseConfig(s string) (config, error) {
	var c config
	for _, kv := range strings.Fields(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return c, fmt.Errorf("unigo.net.%s: want key=value", kv)
		}
		switch k {
		case "ip":
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return c, fmt.Errorf("unigo.net.ip=%s: want an address with a prefix length, like 10.0.2.15/24", v)
			}
			c.addrs = append(c.addrs, p)
		case "gw":
			a, err := netip.ParseAddr(v)
			if err != nil {
				return c, fmt.Errorf("unigo.net.gw=%s: not an IP address", v)
			}
			c.gw = append(c.gw, a)
		case "dns":
			a, err := netip.ParseAddr(v)
			if err != nil {
				return c, fmt.Errorf("unigo.net.dns=%s: not an IP address", v)
			}
			c.dns = append(c.dns, a)
		case "dhcp":
			c.dhcp = v == "1"
		case "debug":
			c.debug = v == "1"
		default:
			return c, fmt.Errorf("unigo.net.%s: unknown parameter", k)
		}
	}
	return c, nil
}

func newStack() *stack.Stack {
	st := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ipv6.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6},
		HandleLocal:        true,
		Clock:              newClock(),
	})
	sack := tcpip.TCPSACKEnabled(true)
	st.SetTransportProtocolOption(tcp.ProtocolNumber, &sack)
	// Modest buffers: guests are small.
	rcv := tcpip.TCPReceiveBufferSizeRangeOption{Min: 4 << 10, Default: 128 << 10, Max: 1 << 20}
	st.SetTransportProtocolOption(tcp.ProtocolNumber, &rcv)
	snd := tcpip.TCPSendBufferSizeRangeOption{Min: 4 << 10, Default: 64 << 10, Max: 1 << 20}
	st.SetTransportProtocolOption(tcp.ProtocolNumber, &snd)
	return st
}

func protoAddr(p netip.Prefix) tcpip.ProtocolAddress {
	proto := ipv4.ProtocolNumber
	if p.Addr().Is6() {
		proto = ipv6.ProtocolNumber
	}
	return tcpip.ProtocolAddress{Protocol: proto, AddressWithPrefix: tcpip.AddressWithPrefix{
		Address: tcpip.AddrFromSlice(p.Addr().AsSlice()), PrefixLen: p.Bits()}}
}

func subnet(p netip.Prefix) tcpip.Subnet {
	pm := p.Masked()
	s, err := tcpip.NewSubnet(tcpip.AddrFromSlice(pm.Addr().AsSlice()), tcpip.MaskFromBytes(prefixMask(p)))
	if err != nil {
		panic(err)
	}
	return s
}

func prefixMask(p netip.Prefix) []byte {
	m := make([]byte, p.Addr().BitLen()/8)
	for i := 0; i < p.Bits(); i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

// start brings the stack up and attaches it to the kernel.
func start() error {
	var info netcall.Info
	if _, e := call(netcall.OpInfo, ptr(&info), 0, 0, 0); e == syscall.ENOSYS {
		return nil // not on the unigo kernel (a hosted test binary)
	} else if e != 0 {
		return fmt.Errorf("netcall: %v", e)
	}
	cfg, err := parseConfig(string(info.Config[:info.ConfigLen]))
	if err != nil {
		return err
	}
	debug = cfg.debug
	st := newStack()

	// Loopback.
	if err := st.CreateNIC(nicLoop, loopback.New()); err != nil {
		return fmt.Errorf("loopback: %v", err)
	}
	for _, p := range []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8"), netip.MustParsePrefix("::1/128")} {
		if err := st.AddProtocolAddress(nicLoop, protoAddr(p), stack.AddressProperties{}); err != nil {
			return fmt.Errorf("loopback address %v: %v", p, err)
		}
	}
	routes := []tcpip.Route{
		{Destination: subnet(netip.MustParsePrefix("127.0.0.0/8")), NIC: nicLoop},
		{Destination: subnet(netip.MustParsePrefix("::1/128")), NIC: nicLoop},
	}

	var l *link
	var kernelAddrs []netcall.Addr
	var kernelGW netip.Addr
	if info.HasDevice != 0 {
		l = newLink(info.MAC, info.MTU)
		if err := st.CreateNIC(nicEth, l); err != nil {
			return fmt.Errorf("eth0: %v", err)
		}
		for _, p := range cfg.addrs {
			if err := st.AddProtocolAddress(nicEth, protoAddr(p), stack.AddressProperties{}); err != nil {
				return fmt.Errorf("eth0 address %v: %v", p, err)
			}
			routes = append(routes, tcpip.Route{Destination: subnet(p), NIC: nicEth})
			kernelAddrs = append(kernelAddrs, addrOf(p))
		}
		for _, gw := range cfg.gw {
			dst := netip.MustParsePrefix("0.0.0.0/0")
			if gw.Is6() {
				dst = netip.MustParsePrefix("::/0")
			}
			routes = append(routes, tcpip.Route{Destination: subnet(dst), Gateway: tcpip.AddrFromSlice(gw.AsSlice()), NIC: nicEth})
			if gw.Is4() && !kernelGW.IsValid() {
				kernelGW = gw
			}
		}
	} else if len(cfg.addrs) > 0 {
		logf("no network device: ignoring unigo.net.ip (run with -p or --net)")
	}
	st.SetRouteTable(routes)
	if len(kernelAddrs) > 0 {
		if err := setKernelAddrs(kernelAddrs, kernelGW); err != nil {
			return err
		}
	}
	if len(cfg.dns) > 0 {
		writeResolvConf(cfg.dns)
	}

	b := newBridge(st, l)
	fd, _, e := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		return fmt.Errorf("eventfd: %v", e)
	}
	if _, e := call(netcall.OpAttach, fd, 0, 0, 0); e != 0 {
		return fmt.Errorf("attach: %v", e)
	}
	// The bridge waits for the eventfd in the runtime's netpoller; it
	// never reads it (OpPoll consumes the signal).
	b.evfd = os.NewFile(fd, "unigo-net")
	go b.run()
	if cfg.dhcp && l != nil {
		if err := configureDHCP(st, l, cfg.dns); err != nil {
			return fmt.Errorf("dhcp: %v", err)
		}
	}
	return nil
}

// configureDHCP gets a lease and configures eth0, the routes, the kernel's
// address list and the resolver from it (name servers given on the
// command line win).
func configureDHCP(st *stack.Stack, l *link, dns []netip.Addr) error {
	le, err := runDHCP(st, nicEth, []byte(l.mac), 30*time.Second)
	if err != nil {
		return err
	}
	if err := st.AddProtocolAddress(nicEth, protoAddr(le.addr), stack.AddressProperties{}); err != nil {
		return fmt.Errorf("address %v: %v", le.addr, err)
	}
	st.AddRoute(tcpip.Route{Destination: subnet(le.addr), NIC: nicEth})
	if le.router.IsValid() {
		st.AddRoute(tcpip.Route{Destination: subnet(netip.MustParsePrefix("0.0.0.0/0")), Gateway: tcpip.AddrFromSlice(le.router.AsSlice()), NIC: nicEth})
	}
	if err := setKernelAddrs([]netcall.Addr{addrOf(le.addr)}, le.router); err != nil {
		return err
	}
	if len(dns) == 0 {
		dns = le.dns
	}
	if len(dns) > 0 {
		writeResolvConf(dns)
	}
	debugf("dhcp: %v via %v from %v, name servers %v, lease %v", le.addr, le.router, le.server, le.dns, le.time)
	return nil
}

// setKernelAddrs tells the kernel eth0's addresses and IPv4 default
// gateway (invalid: none).
func setKernelAddrs(addrs []netcall.Addr, gw netip.Addr) error {
	var g uintptr
	var sa netcall.Sockaddr
	if gw.Is4() {
		sa = sockaddrOf(gw)
		g = ptr(&sa)
	}
	if _, e := call(netcall.OpAddrs, ptr(&addrs[0]), uintptr(len(addrs)), g, 0); e != 0 {
		return fmt.Errorf("registering the addresses: %v", e)
	}
	return nil
}

func addrOf(p netip.Prefix) netcall.Addr {
	return netcall.Addr{Sockaddr: sockaddrOf(p.Addr()), Prefix: uint8(p.Bits())}
}

func sockaddrOf(a netip.Addr) netcall.Sockaddr {
	if a.Is4() {
		return sockaddr(afInet, tcpip.FullAddress{Addr: tcpip.AddrFrom4(a.As4())})
	}
	return sockaddr(afInet6, tcpip.FullAddress{Addr: tcpip.AddrFrom16(a.As16())})
}

// writeResolvConf points the resolver at the name servers, unless the
// image brought its own /etc/resolv.conf.
func writeResolvConf(dns []netip.Addr) {
	const path = "/etc/resolv.conf"
	if old, err := os.ReadFile(path); err == nil && !strings.HasPrefix(string(old), "# no network configured") && !strings.HasPrefix(string(old), "# unigo") {
		return
	}
	var sb strings.Builder
	sb.WriteString("# unigo: from the kernel command line or DHCP\n")
	for _, a := range dns {
		fmt.Fprintf(&sb, "nameserver %s\n", a)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		logf("%s: %v", path, err)
	}
}
