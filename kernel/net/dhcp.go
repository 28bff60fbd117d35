package net

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// A DHCPv4 client (RFC 2131, RFC 2132): DISCOVER, OFFER, REQUEST, ACK at
// boot, over a gVisor UDP endpoint on port 68 with the broadcast flag set
// (so servers broadcast their answers to a client without an address).
// The lease is not renewed: it is meant for guests that live shorter than
// their lease (QEMU's user networking leases for 24 hours).

const (
	dhcpDiscover = 1
	dhcpOffer    = 2
	dhcpRequest  = 3
	dhcpAck      = 5
	dhcpNak      = 6

	optSubnet   = 1
	optRouter   = 3
	optDNS      = 6
	optReqIP    = 50
	optLease    = 51
	optMsgType  = 53
	optServerID = 54
	optParams   = 55
	optEnd      = 255
)

var dhcpCookie = []byte{99, 130, 83, 99}

// lease is what the server gave.
type lease struct {
	addr   netip.Prefix
	router netip.Addr
	dns    []netip.Addr
	server netip.Addr
	time   time.Duration
}

// dhcpMessage builds a client message of type typ.
func dhcpMessage(typ byte, xid uint32, mac []byte, reqIP, server netip.Addr) []byte {
	m := make([]byte, 240, 300)
	m[0], m[1], m[2] = 1, 1, 6 // BOOTREQUEST, Ethernet, 6-byte addresses
	binary.BigEndian.PutUint32(m[4:], xid)
	binary.BigEndian.PutUint16(m[10:], 0x8000) // broadcast replies
	copy(m[28:], mac)
	copy(m[236:], dhcpCookie)
	m = append(m, optMsgType, 1, typ)
	if reqIP.IsValid() {
		ip := reqIP.As4()
		m = append(m, optReqIP, 4)
		m = append(m, ip[:]...)
	}
	if server.IsValid() {
		ip := server.As4()
		m = append(m, optServerID, 4)
		m = append(m, ip[:]...)
	}
	m = append(m, optParams, 4, optSubnet, optRouter, optDNS, optLease, optEnd)
	return m
}

// parseDHCP reads a server message for our xid and MAC: its type, the
// address offered, and the options we asked for.
func parseDHCP(m []byte, xid uint32, mac []byte) (typ byte, l lease, err error) {
	if len(m) < 240 || m[0] != 2 || binary.BigEndian.Uint32(m[4:]) != xid || !bytes.Equal(m[28:34], mac) || !bytes.Equal(m[236:240], dhcpCookie) {
		return 0, l, errors.New("not an answer to us")
	}
	yi := netip.AddrFrom4([4]byte(m[16:20]))
	mask := 24
	opts := m[240:]
	for len(opts) > 0 {
		code := opts[0]
		if code == optEnd {
			break
		}
		if code == 0 {
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || len(opts) < 2+int(opts[1]) {
			return 0, l, errors.New("truncated option")
		}
		v := opts[2 : 2+int(opts[1])]
		opts = opts[2+len(v):]
		switch {
		case code == optMsgType && len(v) == 1:
			typ = v[0]
		case code == optSubnet && len(v) == 4:
			m := binary.BigEndian.Uint32(v)
			mask = 0
			for m&0x80000000 != 0 {
				mask++
				m <<= 1
			}
		case code == optRouter && len(v) >= 4:
			l.router = netip.AddrFrom4([4]byte(v[:4]))
		case code == optDNS && len(v) >= 4:
			for k := 0; k+4 <= len(v); k += 4 {
				l.dns = append(l.dns, netip.AddrFrom4([4]byte(v[k:k+4])))
			}
		case code == optServerID && len(v) == 4:
			l.server = netip.AddrFrom4([4]byte(v))
		case code == optLease && len(v) == 4:
			l.time = time.Duration(binary.BigEndian.Uint32(v)) * time.Second
		}
	}
	if typ == 0 {
		return 0, l, errors.New("no message type")
	}
	l.addr = netip.PrefixFrom(yi, mask)
	return typ, l, nil
}

// runDHCP gets a lease for NIC nic (MAC mac) within timeout.
func runDHCP(st *stack.Stack, nic tcpip.NICID, mac []byte, timeout time.Duration) (lease, error) {
	// Until there is an address, send from 0.0.0.0 and route broadcasts
	// out of the NIC.
	any := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: header.IPv4Any, PrefixLen: 0}}
	if err := st.AddProtocolAddress(nic, any, stack.AddressProperties{}); err != nil {
		return lease{}, fmt.Errorf("temporary address: %v", err)
	}
	defer st.RemoveAddress(nic, header.IPv4Any)
	st.AddRoute(tcpip.Route{Destination: header.IPv4EmptySubnet, NIC: nic})
	defer st.RemoveRoutes(func(r tcpip.Route) bool { return r.Destination == header.IPv4EmptySubnet && r.Gateway.Len() == 0 })

	var wq waiter.Queue
	ep, err := st.NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if err != nil {
		return lease{}, fmt.Errorf("endpoint: %v", err)
	}
	defer ep.Close()
	ep.SocketOptions().SetBroadcast(true)
	if err := ep.Bind(tcpip.FullAddress{NIC: nic, Port: 68}); err != nil {
		return lease{}, fmt.Errorf("bind port 68: %v", err)
	}
	ready := make(chan struct{}, 1)
	entry := waiter.NewFunctionEntry(waiter.ReadableEvents, func(waiter.EventMask) {
		select {
		case ready <- struct{}{}:
		default:
		}
	})
	wq.EventRegister(&entry)
	defer wq.EventUnregister(&entry)

	var xidb [4]byte
	rand.Read(xidb[:])
	xid := binary.BigEndian.Uint32(xidb[:])
	to := tcpip.FullAddress{NIC: nic, Addr: header.IPv4Broadcast, Port: 67}
	send := func(m []byte) error {
		var r bytes.Reader
		r.Reset(m)
		if _, err := ep.Write(&r, tcpip.WriteOptions{To: &to}); err != nil {
			return fmt.Errorf("send: %v", err)
		}
		return nil
	}
	// wait reads answers until one of type want (or a NAK) or the deadline.
	wait := func(want byte, d time.Duration) (byte, lease, bool) {
		deadline := time.After(d)
		for {
			var w sliceWriter
			if _, err := ep.Read(&w, tcpip.ReadOptions{}); err == nil {
				if typ, l, err := parseDHCP(w.buf, xid, mac); err == nil && (typ == want || typ == dhcpNak) {
					return typ, l, true
				}
				continue
			}
			select {
			case <-ready:
			case <-deadline:
				return 0, lease{}, false
			}
		}
	}
	end := time.Now().Add(timeout)
	for try := time.Second; time.Now().Before(end); try = min(2*try, 8*time.Second) {
		if err := send(dhcpMessage(dhcpDiscover, xid, mac, netip.Addr{}, netip.Addr{})); err != nil {
			return lease{}, err
		}
		_, offer, ok := wait(dhcpOffer, try)
		if !ok {
			continue
		}
		if err := send(dhcpMessage(dhcpRequest, xid, mac, offer.addr.Addr(), offer.server)); err != nil {
			return lease{}, err
		}
		typ, ack, ok := wait(dhcpAck, try)
		if ok && typ == dhcpAck {
			if !ack.server.IsValid() {
				ack.server = offer.server
			}
			return ack, nil
		}
	}
	return lease{}, fmt.Errorf("no lease within %v", timeout)
}
