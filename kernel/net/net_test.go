package net

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"

	"unigo.dev/unigo/kernel/net/netcall"
)

func TestParseConfig(t *testing.T) {
	c, err := parseConfig("ip=10.0.2.15/24 gw=10.0.2.2 dns=10.0.2.3 dns=::1 ip=fd00::2/64 dhcp=1 debug=1")
	want := config{
		addrs: []netip.Prefix{netip.MustParsePrefix("10.0.2.15/24"), netip.MustParsePrefix("fd00::2/64")},
		gw:    []netip.Addr{netip.MustParseAddr("10.0.2.2")},
		dns:   []netip.Addr{netip.MustParseAddr("10.0.2.3"), netip.MustParseAddr("::1")},
		dhcp:  true, debug: true,
	}
	if err != nil || !reflect.DeepEqual(c, want) {
		t.Errorf("parseConfig = %+v, %v; want %+v", c, err, want)
	}
	for _, bad := range []string{"ip=10.0.2.15", "gw=host", "dns=1.2.3", "mtu=9000", "ip"} {
		if _, err := parseConfig(bad); err == nil {
			t.Errorf("parseConfig(%q): no error", bad)
		}
	}
}

func TestSockaddrRoundTrip(t *testing.T) {
	tests := []struct {
		family uint16
		addr   tcpip.FullAddress
	}{
		{afInet, tcpip.FullAddress{Addr: tcpip.AddrFrom4([4]byte{10, 0, 2, 15}), Port: 8080}},
		{afInet6, tcpip.FullAddress{Addr: tcpip.AddrFrom16([16]byte{0: 0xfd, 15: 2}), Port: 443}},
		{afInet, tcpip.FullAddress{Port: 53}}, // wildcard
	}
	for _, tt := range tests {
		sa := sockaddr(tt.family, tt.addr)
		if got := fullAddr(&sa); got != tt.addr {
			t.Errorf("fullAddr(sockaddr(%v)) = %v", tt.addr, got)
		}
	}
	// IPv4 on an AF_INET6 socket becomes v4-mapped.
	sa := sockaddr(afInet6, tcpip.FullAddress{Addr: tcpip.AddrFrom4([4]byte{127, 0, 0, 1}), Port: 1})
	if binary.LittleEndian.Uint16(sa[:]) != afInet6 || sa[18] != 0xff || sa[19] != 0xff || sa[20] != 127 || sa[23] != 1 {
		t.Errorf("v4-mapped sockaddr = % x", sa[:])
	}
	var zero netcall.Sockaddr
	if got := fullAddr(&zero); got != (tcpip.FullAddress{}) {
		t.Errorf("fullAddr of AF_UNSPEC = %v", got)
	}
}

// serverMessage builds a DHCP server answer.
func serverMessage(typ byte, xid uint32, mac []byte, yi [4]byte, opts ...byte) []byte {
	m := make([]byte, 240)
	m[0] = 2
	binary.BigEndian.PutUint32(m[4:], xid)
	copy(m[16:], yi[:])
	copy(m[28:], mac)
	copy(m[236:], dhcpCookie)
	m = append(m, optMsgType, 1, typ)
	m = append(m, opts...)
	return append(m, optEnd)
}

func TestDHCPMessages(t *testing.T) {
	mac := []byte{0x52, 0x54, 0, 1, 2, 3}
	req := dhcpMessage(dhcpRequest, 0x1234, mac, netip.MustParseAddr("10.0.2.15"), netip.MustParseAddr("10.0.2.2"))
	if req[0] != 1 || binary.BigEndian.Uint32(req[4:]) != 0x1234 || req[10]&0x80 == 0 || string(req[28:34]) != string(mac) {
		t.Errorf("request header wrong: % x", req[:34])
	}
	if string(req[240:243]) != string([]byte{optMsgType, 1, dhcpRequest}) || string(req[243:249]) != string([]byte{optReqIP, 4, 10, 0, 2, 15}) {
		t.Errorf("request options wrong: % x", req[240:])
	}

	ack := serverMessage(dhcpAck, 0x1234, mac, [4]byte{10, 0, 2, 15},
		optSubnet, 4, 255, 255, 255, 0, optRouter, 4, 10, 0, 2, 2, optDNS, 8, 10, 0, 2, 3, 8, 8, 8, 8,
		optServerID, 4, 10, 0, 2, 2, optLease, 4, 0, 1, 0x51, 0x80, 0)
	typ, l, err := parseDHCP(ack, 0x1234, mac)
	want := lease{addr: netip.MustParsePrefix("10.0.2.15/24"), router: netip.MustParseAddr("10.0.2.2"),
		dns: []netip.Addr{netip.MustParseAddr("10.0.2.3"), netip.MustParseAddr("8.8.8.8")}, server: netip.MustParseAddr("10.0.2.2"), time: 86400 * time.Second}
	if err != nil || typ != dhcpAck || !reflect.DeepEqual(l, want) {
		t.Errorf("parseDHCP(ack) = %d, %+v, %v; want ACK %+v", typ, l, err, want)
	}
	for name, m := range map[string][]byte{
		"other xid":       serverMessage(dhcpAck, 0x9999, mac, [4]byte{10, 0, 2, 15}),
		"other mac":       serverMessage(dhcpAck, 0x1234, []byte{1, 2, 3, 4, 5, 6}, [4]byte{10, 0, 2, 15}),
		"short":           ack[:200],
		"truncated":       append(serverMessage(dhcpAck, 0x1234, mac, [4]byte{})[:243], optDNS, 200, 1),
		"no message type": append(serverMessage(dhcpAck, 0x1234, mac, [4]byte{})[:240:240], optEnd),
		"a request":       req,
	} {
		if _, _, err := parseDHCP(m, 0x1234, mac); err == nil {
			t.Errorf("parseDHCP(%s): no error", name)
		}
	}
}

func TestMonotonic(t *testing.T) {
	for _, ns := range []int64{0, 1, 999, 1e9 + 7, 86400e9 * 365, -5} {
		want := tcpip.MonotonicTime{}.Add(time.Duration(ns))
		if got := monotonic(ns); got != want {
			t.Errorf("monotonic(%d) = %v; want %v", ns, got, want)
		}
	}
	c := newClock()
	a := c.NowMonotonic()
	b := c.NowMonotonic()
	if b.Before(a) || a.Before(tcpip.MonotonicTime{}) {
		t.Errorf("NowMonotonic went back: %v then %v", a, b)
	}
}
