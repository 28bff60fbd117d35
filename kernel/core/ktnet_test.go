//go:build unigo_net

package core

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
	"unsafe"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/net/ktcp"
	"unigo.dev/unigo/kernel/net/netcall"
)

var (
	ktOurIP  = [4]byte{10, 0, 2, 15}
	ktGW     = [4]byte{10, 0, 2, 2}
	ktPeer   = [4]byte{10, 0, 2, 7}
	ktFar    = [4]byte{192, 0, 2, 9}
	ktPeerMA = [6]byte{2, 0, 0, 0, 0, 7}
	ktGWMA   = [6]byte{2, 0, 0, 0, 0, 2}
)

func sa4(ip [4]byte) netcall.Sockaddr {
	var a netcall.Sockaddr
	a[0] = linux.AF_INET
	copy(a[4:8], ip[:])
	return a
}

// ktnetSetup gives the frame path a Go-backed frame queue, eth0 at
// 10.0.2.15/24 with gateway 10.0.2.2, empty neighbour and hold tables,
// ktcp when withStack, and collects the frames it sends.
func ktnetSetup(t *testing.T, withStack bool) *[][]byte {
	mem := make([]byte, frameQueueMax)
	frameQ = ring{buf: uintptr(unsafe.Pointer(&mem[0])), size: frameQueueMax}
	neighs = [maxNeigh]neighbour{}
	for k := range held {
		held[k].n = 0
	}
	gw := sa4(ktGW)
	setIPv4([]netcall.Addr{{Sockaddr: sa4(ktOurIP), Prefix: 24}}, &gw)
	if withStack {
		ktStack = ktcp.New(ktcp.Config{MaxConns: 8, RxBuf: 4096, TxBuf: 4096})
	}
	var sent [][]byte
	ktTestTx = func(f []byte) { sent = append(sent, bytes.Clone(f)) }
	t.Cleanup(func() {
		_ = mem[0]
		frameQ = ring{}
		ktStack, ktTestTx = nil, nil
		ip4.n, ip4.hasGW = 0, false
		netdev.rxPending = false
	})
	return &sent
}

// ktFrameOf builds an Ethernet frame from src's MAC carrying an IPv4
// packet (proto) from src to dst, with valid checksums; TCP packets are
// SYNs to port 80.
func ktFrameOf(srcMAC [6]byte, src, dst [4]byte, proto uint8) []byte {
	const tl = header.TCPMinimumSize
	b := make([]byte, ethHdrLen+header.IPv4MinimumSize+tl)
	copy(b[0:6], []byte{0, 0, 0, 0, 0, 0})
	copy(b[6:12], srcMAC[:])
	b[12], b[13] = 0x08, 0x00
	ip := header.IPv4(b[ethHdrLen:])
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(ip)), TTL: 64, Protocol: proto,
		SrcAddr: tcpip.AddrFrom4(src), DstAddr: tcpip.AddrFrom4(dst)})
	ip.SetChecksum(^ip.CalculateChecksum())
	tcp := header.TCP(ip[header.IPv4MinimumSize:])
	tcp.Encode(&header.TCPFields{SrcPort: 1234, DstPort: 80, SeqNum: 1000, DataOffset: tl,
		Flags: header.TCPFlagSyn, WindowSize: 65535})
	xsum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, tcpip.AddrFrom4(src), tcpip.AddrFrom4(dst), tl)
	tcp.SetChecksum(^checksum.Checksum(tcp, xsum))
	return b
}

func ktARP(op uint8, senderMAC [6]byte, sender, target [4]byte) []byte {
	b := make([]byte, ethMinFrame)
	copy(b[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(b[6:12], senderMAC[:])
	b[12], b[13] = 0x08, 0x06
	a := b[ethHdrLen:]
	a[1], a[2], a[4], a[5], a[7] = 1, 0x08, 6, 4, op
	copy(a[8:14], senderMAC[:])
	copy(a[14:18], sender[:])
	copy(a[24:28], target[:])
	return b
}

func TestKtnetDemux(t *testing.T) {
	ipv6 := make([]byte, 74)
	ipv6[12], ipv6[13] = 0x86, 0xdd
	for _, tc := range []struct {
		name     string
		stack    bool
		frame    []byte
		want     int
		learnt   [4]byte // a neighbour the frame teaches (zero: none)
		learntMA [6]byte
	}{
		{"tcp for us", true, ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 6), frameKtcp, [4]byte{}, [6]byte{}},
		{"tcp for us via the gateway", true, ktFrameOf(ktGWMA, ktFar, ktOurIP, 6), frameKtcp, [4]byte{}, [6]byte{}},
		{"tcp for another address", true, ktFrameOf(ktPeerMA, ktPeer, [4]byte{10, 0, 2, 99}, 6), frameDropped, [4]byte{}, [6]byte{}},
		{"tcp with ktcp off", false, ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 6), frameQueued, [4]byte{}, [6]byte{}},
		{"udp", true, ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 17), frameQueued, [4]byte{}, [6]byte{}},
		{"icmp", true, ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 1), frameQueued, [4]byte{}, [6]byte{}},
		{"ipv6", true, ipv6, frameQueued, [4]byte{}, [6]byte{}},
		{"arp request", true, ktARP(1, ktPeerMA, ktPeer, ktOurIP), frameQueued, ktPeer, ktPeerMA},
		{"arp reply", false, ktARP(2, ktGWMA, ktGW, ktOurIP), frameQueued, ktGW, ktGWMA},
		{"arp from off-link", true, ktARP(1, ktPeerMA, ktFar, ktOurIP), frameQueued, [4]byte{}, [6]byte{}},
		{"runt", true, []byte{1, 2, 3}, frameQueued, [4]byte{}, [6]byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ktnetSetup(t, tc.stack)
			if got := ktDemux(tc.frame, 1); got != tc.want {
				t.Fatalf("ktDemux = %d; want %d", got, tc.want)
			}
			queued := make([]byte, 4096)
			n := frameQueueGet(queued)
			if tc.want == frameQueued {
				if n != 2+len(tc.frame) || !bytes.Equal(queued[2:n], tc.frame) || int(queued[0])|int(queued[1])<<8 != len(tc.frame) {
					t.Errorf("queue holds % x; want the frame behind its length", queued[:n])
				}
			} else if n != 0 {
				t.Errorf("queue holds %d bytes; want none", n)
			}
			var learnt []neighbour
			for _, nb := range neighs {
				if nb.state == neighKnown {
					learnt = append(learnt, nb)
				}
			}
			switch {
			case tc.learnt == [4]byte{} && len(learnt) != 0:
				t.Errorf("learnt %v; want nothing", learnt)
			case tc.learnt != [4]byte{} && (len(learnt) != 1 || learnt[0].ip != tc.learnt || learnt[0].mac != tc.learntMA):
				t.Errorf("learnt %v; want %v at %x", learnt, tc.learnt, tc.learntMA)
			}
			if tc.want == frameKtcp && ktStack.Stats.SegsIn != 1 {
				t.Errorf("ktcp took %d segments; want 1", ktStack.Stats.SegsIn)
			}
		})
	}
}

func TestKtnetFrameQueue(t *testing.T) {
	ktnetSetup(t, false)
	// Fill it with frames of varying sizes, taking some out now and then
	// with small buffers, so that records wrap around the ring's end.
	next, want := 0, 0
	frame := func(i int) []byte {
		f := make([]byte, 60+i*37%1455)
		for k := range f {
			f[k] = byte(i + k)
		}
		return f
	}
	buf := make([]byte, 3000)
	for round := 0; round < 50; round++ {
		for frameQueuePut(frame(next)) {
			next++
		}
		if !netdev.rxPending {
			t.Fatal("rxPending not set by a queued frame")
		}
		for k := 0; k < 100; k++ {
			n := frameQueueGet(buf)
			if n == 0 {
				break
			}
			for off := 0; off < n; {
				m := int(buf[off]) | int(buf[off+1])<<8
				if !bytes.Equal(buf[off+2:off+2+m], frame(want)) {
					t.Fatalf("frame %d garbled", want)
				}
				want++
				off += 2 + m
			}
			if n+2+virtioMaxFrame <= len(buf) && frameQ.used() != 0 {
				t.Fatalf("frameQueueGet stopped with %d bytes of room and frames queued", len(buf)-n)
			}
		}
	}
	if want < 1000 {
		t.Errorf("only %d frames went through", want)
	}
}

func TestKtnetNeighbours(t *testing.T) {
	ktnetSetup(t, false)
	ip := func(k int) [4]byte { return [4]byte{10, 0, 2, byte(20 + k)} }
	for k := 0; k < maxNeigh+5; k++ {
		neighLearn(ip(k), []byte{2, 0, 0, 0, 1, byte(k)}, true, 0)
	}
	for k := 0; k < maxNeigh+5; k++ {
		nb := neighFind(ip(k))
		if k < 5 && nb != nil {
			t.Errorf("%v still known after %d newer neighbours", ip(k), maxNeigh)
		}
		if k >= 5 && (nb == nil || nb.mac[5] != byte(k)) {
			t.Errorf("%v: %v; want known at ...:%02x", ip(k), nb, k)
		}
	}
	// Relearning refreshes: the refreshed entry outlives older ones.
	neighLearn(ip(5), []byte{2, 0, 0, 0, 2, 5}, true, 0)
	neighLearn(ip(100), []byte{2, 0, 0, 0, 1, 100}, true, 0)
	if nb := neighFind(ip(5)); nb == nil || nb.mac[4] != 2 {
		t.Errorf("refreshed %v: %v; want the new address", ip(5), nb)
	}
	if neighFind(ip(6)) != nil {
		t.Errorf("%v survived; it was the oldest", ip(6))
	}
	for _, tc := range []struct {
		ip  [4]byte
		mac []byte
	}{
		{ktFar, []byte{2, 0, 0, 0, 0, 1}},                   // off-link
		{ktOurIP, []byte{2, 0, 0, 0, 0, 1}},                 // ours
		{[4]byte{10, 0, 2, 3}, []byte{1, 0, 0x5e, 0, 0, 1}}, // multicast MAC
	} {
		neighLearn(tc.ip, tc.mac, true, 0)
		if neighFind(tc.ip) != nil {
			t.Errorf("learnt %v at % x", tc.ip, tc.mac)
		}
	}
}

// TestKtnetResolve sends ktcp's packets: to a known neighbour at once, to
// an unknown one after an ARP request (one per second), held until the
// reply, off-link through the gateway, and never to broadcast addresses.
func TestKtnetResolve(t *testing.T) {
	sent := ktnetSetup(t, true)
	pkt := func(dst [4]byte) []byte {
		p := ktFrameOf([6]byte{}, ktOurIP, dst, 6)
		clear(p[:ethHdrLen])
		f := make([]byte, virtioMaxFrame) // a transmit slot
		return f[:copy(f, p)]
	}
	// Unknown on-link peer: an ARP request, the packet held.
	f := pkt(ktPeer)
	n := ktFrame(f, len(f)-ethHdrLen, 1e9)
	if n != ethMinFrame || f[12] != 0x08 || f[13] != 0x06 || f[ethHdrLen+7] != 1 ||
		!bytes.Equal(f[ethHdrLen+14:ethHdrLen+18], ktOurIP[:]) || !bytes.Equal(f[ethHdrLen+24:ethHdrLen+28], ktPeer[:]) {
		t.Fatalf("ktFrame to an unknown peer = %d, % x; want an ARP request for it", n, f[:n])
	}
	f = pkt(ktPeer)
	if n := ktFrame(f, len(f)-ethHdrLen, 1.5e9); n != 0 {
		t.Errorf("second packet within a second: ktFrame = %d; want 0 (held, no request)", n)
	}
	f = pkt(ktPeer)
	if n := ktFrame(f, len(f)-ethHdrLen, 2.1e9); n != ethMinFrame {
		t.Errorf("a packet after a second: ktFrame = %d; want another ARP request", n)
	}
	// The reply sends the three held packets, oldest first.
	ktDemux(ktARP(2, ktPeerMA, ktPeer, ktOurIP), 3e9)
	if len(*sent) != 3 {
		t.Fatalf("the ARP reply sent %d frames; want the 3 held", len(*sent))
	}
	for _, g := range *sent {
		want := pkt(ktPeer)
		copy(want[0:6], ktPeerMA[:])
		want[12], want[13] = 0x08, 0x00
		if !bytes.Equal(g, want) {
			t.Errorf("held frame sent as % x; want % x", g, want)
		}
	}
	// Known now: at once.
	f = pkt(ktPeer)
	if n := ktFrame(f, len(f)-ethHdrLen, 3e9); n != len(f) || !bytes.Equal(f[0:6], ktPeerMA[:]) {
		t.Errorf("to a known peer: ktFrame = %d, dst % x; want the frame to %x", n, f[0:6], ktPeerMA)
	}
	// Off-link: the gateway's address is asked for.
	f = pkt(ktFar)
	if n := ktFrame(f, len(f)-ethHdrLen, 3e9); n != ethMinFrame || !bytes.Equal(f[ethHdrLen+24:ethHdrLen+28], ktGW[:]) {
		t.Errorf("off-link: ktFrame = %d, % x; want an ARP request for the gateway", n, f[:n])
	}
	for _, dst := range [][4]byte{{255, 255, 255, 255}, {10, 0, 2, 255}, {224, 0, 0, 1}} {
		f = pkt(dst)
		if n := ktFrame(f, len(f)-ethHdrLen, 3e9); n != 0 {
			t.Errorf("to %v: ktFrame = %d; want 0 (dropped)", dst, n)
		}
	}
	// More than heldPerNeigh packets for one address: the newest stay.
	ip := [4]byte{10, 0, 2, 50}
	for k := 0; k < heldPerNeigh+3; k++ {
		f = pkt(ip)
		f[ethHdrLen+4] = byte(k) // the IP ID tells them apart
		ktFrame(f, len(f)-ethHdrLen, 4e9)
	}
	*sent = nil
	neighLearn(ip, []byte{2, 0, 0, 0, 0, 50}, true, 0)
	if len(*sent) != heldPerNeigh {
		t.Fatalf("sent %d held packets; want %d", len(*sent), heldPerNeigh)
	}
	for k, g := range *sent {
		if g[ethHdrLen+4] != byte(3+k) {
			t.Errorf("held packet %d has ID %d; want %d", k, g[ethHdrLen+4], 3+k)
		}
	}
}

// TestKtnetSynAck runs a SYN from the wire through the frame path into a
// ktcp listener and its SYN-ACK back out to the sender's MAC, learnt from
// the ARP request the sender asked for our address with.
func TestKtnetSynAck(t *testing.T) {
	sent := ktnetSetup(t, true)
	if _, e := ktStack.Listen([4]byte{}, 80, 4); e != ktcp.OK {
		t.Fatalf("Listen: %v", e)
	}
	ktDemux(ktARP(1, ktPeerMA, ktPeer, ktOurIP), 1e9)
	ktDemux(ktARP(1, ktPeerMA, [4]byte{10, 0, 2, 8}, ktOurIP), 1e9)
	frameQueueGet(make([]byte, 4096))
	if got := ktDemux(ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 6), 1e9); got != frameKtcp {
		t.Fatalf("ktDemux = %d; want frameKtcp", got)
	}
	ktPoll()
	if len(*sent) != 1 {
		t.Fatalf("sent %d frames; want the SYN-ACK", len(*sent))
	}
	f := (*sent)[0]
	ip := header.IPv4(f[ethHdrLen:])
	tcp := header.TCP(ip.Payload())
	if !bytes.Equal(f[0:6], ktPeerMA[:]) || f[12] != 0x08 || f[13] != 0 || ip.DestinationAddress() != tcpip.AddrFrom4(ktPeer) ||
		tcp.Flags() != header.TCPFlagSyn|header.TCPFlagAck || tcp.AckNumber() != 1001 {
		t.Errorf("sent % x; want a SYN-ACK for 1001 to %x", f, ktPeerMA)
	}
	// ktOut takes the packets instead of the device when set.
	var pkts [][]byte
	ktOut = func(p []byte) { pkts = append(pkts, bytes.Clone(p)) }
	defer func() { ktOut = nil }()
	if got := ktDemux(ktFrameOf(ktPeerMA, [4]byte{10, 0, 2, 8}, ktOurIP, 6), 1e9); got != frameKtcp {
		t.Fatalf("ktDemux = %d; want frameKtcp", got)
	}
	ktPoll()
	if len(pkts) != 1 || header.IPv4(pkts[0]).DestinationAddress() != tcpip.AddrFrom4([4]byte{10, 0, 2, 8}) {
		t.Errorf("ktOut got %d packets; want the second SYN-ACK", len(pkts))
	}
}

// TestKtnetPointToPoint: a /32 address with an off-link gateway (as
// clouds configure) reaches the gateway; on a /31 both addresses are
// hosts (RFC 3021), no broadcast.
func TestKtnetPointToPoint(t *testing.T) {
	sent := ktnetSetup(t, true)
	gw := sa4([4]byte{169, 254, 0, 1})
	setIPv4([]netcall.Addr{{Sockaddr: sa4(ktOurIP), Prefix: 32}}, &gw)
	f := make([]byte, virtioMaxFrame)
	p := ktFrameOf([6]byte{}, ktOurIP, ktFar, 6)
	n := copy(f, p) - ethHdrLen
	if m := ktFrame(f, n, 1e9); m != ethMinFrame || !bytes.Equal(f[ethHdrLen+24:ethHdrLen+28], []byte{169, 254, 0, 1}) {
		t.Fatalf("ktFrame = %d, % x; want an ARP request for the off-link gateway", m, f[:m])
	}
	ktDemux(ktARP(2, ktGWMA, [4]byte{169, 254, 0, 1}, ktOurIP), 2e9)
	if len(*sent) != 1 || !bytes.Equal((*sent)[0][0:6], ktGWMA[:]) {
		t.Fatalf("after the gateway's reply: sent %d frames; want the held packet to %x", len(*sent), ktGWMA)
	}
	setIPv4([]netcall.Addr{{Sockaddr: sa4([4]byte{10, 9, 0, 0}), Prefix: 31}}, nil)
	neighLearn([4]byte{10, 9, 0, 1}, ktPeerMA[:], true, 0)
	p = ktFrameOf([6]byte{}, [4]byte{10, 9, 0, 0}, [4]byte{10, 9, 0, 1}, 6)
	n = copy(f, p) - ethHdrLen
	if m := ktFrame(f, n, 3e9); m != ethHdrLen+n {
		t.Errorf("to the /31 peer: ktFrame = %d; want the frame (%d)", m, ethHdrLen+n)
	}
}

func TestKtnetSourceAddress(t *testing.T) {
	ktnetSetup(t, false)
	for _, tc := range []struct {
		dst  [4]byte
		want [4]byte
	}{
		{ktPeer, ktOurIP},
		{ktFar, ktOurIP},
	} {
		if got, ok := ktSourceIPv4(tc.dst); !ok || got != tc.want {
			t.Errorf("ktSourceIPv4(%v) = %v, %v; want %v", tc.dst, got, ok, tc.want)
		}
	}
	if !ktLocalIPv4(ktOurIP) || ktLocalIPv4(ktPeer) {
		t.Error("ktLocalIPv4 wrong")
	}
	setIPv4(nil, nil)
	if _, ok := ktSourceIPv4(ktPeer); ok {
		t.Error("ktSourceIPv4 ok with no address")
	}
}

func TestKtnetNoAllocs(t *testing.T) {
	ktnetSetup(t, true)
	ktTestTx = func([]byte) {}
	ktStack.Listen([4]byte{}, 80, 4)
	syn := ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 6)
	udp := ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 17)
	buf := make([]byte, 4096)
	if n := testing.AllocsPerRun(100, func() {
		ktDemux(syn, 1e9)
		ktDemux(udp, 1e9)
		frameQueueGet(buf)
		ktPoll()
	}); n != 0 {
		t.Errorf("the frame path allocates %v times per run", n)
	}
}

const virtioMaxFrame = 1514

// TestKtnetGatewayMACFromOffLinkTCP: a TCP frame from an off-link source
// whose Ethernet source is not the gateway (a second router, asymmetric
// routing, a spoofer on a bridged tap), or from an on-link host via
// another MAC, changes no neighbour entry: neighbours are learnt from
// ARP only, as Linux does.
func TestKtnetGatewayMACFromOffLinkTCP(t *testing.T) {
	ktnetSetup(t, true)
	ktDemux(ktARP(2, ktGWMA, ktGW, ktOurIP), 0)
	ktDemux(ktARP(2, ktPeerMA, ktPeer, ktOurIP), 0)
	if n := neighFind(ktGW); n == nil || n.mac != ktGWMA {
		t.Fatal("the gateway was not learnt from its ARP reply")
	}
	other := [6]byte{2, 0, 0, 0, 0, 0x66}
	ktDemux(ktFrameOf(other, ktFar, ktOurIP, 6), 0)
	ktDemux(ktFrameOf(other, ktPeer, ktOurIP, 6), 0)
	ktDemux(ktFrameOf(other, [4]byte{10, 0, 2, 9}, ktOurIP, 6), 0)
	if n := neighFind(ktGW); n == nil || n.mac != ktGWMA {
		t.Fatalf("the gateway's MAC is %x after a TCP frame from %v via %x; want %x (learnt from ARP)",
			n.mac, ktFar, other, ktGWMA)
	}
	if n := neighFind(ktPeer); n == nil || n.mac != ktPeerMA {
		t.Fatalf("%v's MAC is %x after a TCP frame from it via %x; want %x", ktPeer, n.mac, other, ktPeerMA)
	}
	if n := neighFind([4]byte{10, 0, 2, 9}); n != nil {
		t.Fatalf("learnt %v from a TCP frame", n.ip)
	}
}

// TestKtnetARPChurnEvictsGateway: ARP requests between other hosts of a
// busy LAN (broadcast, not for us) create no neighbour entries, so they
// cannot push the gateway out of the table; and an entry in use is
// refreshed, so that new neighbours replace idle ones first.
func TestKtnetARPChurnEvictsGateway(t *testing.T) {
	ktnetSetup(t, true)
	ktDemux(ktARP(2, ktGWMA, ktGW, ktOurIP), 0)
	for k := 0; k < maxNeigh; k++ {
		mac := [6]byte{2, 0, 0, 0, 1, byte(k)}
		// host 10.0.2.(100+k) asks who has 10.0.2.(200-k): not us
		ktDemux(ktARP(1, mac, [4]byte{10, 0, 2, byte(100 + k)}, [4]byte{10, 0, 2, byte(200 - k)}), 0)
	}
	if n := neighFind(ktGW); n == nil || n.state != neighKnown {
		t.Fatal("the gateway's neighbour entry was evicted by ARP requests between other hosts")
	}
	if n := neighFind([4]byte{10, 0, 2, 100}); n != nil {
		t.Errorf("learnt %v from a request for another host", n.ip)
	}
	// A known entry is updated by any ARP from it (its MAC changed).
	newMA := [6]byte{2, 0, 0, 0, 0, 0x22}
	ktDemux(ktARP(1, newMA, ktGW, [4]byte{10, 0, 2, 99}), 0)
	if n := neighFind(ktGW); n == nil || n.mac != newMA {
		t.Fatalf("the gateway's entry was not updated by its gratuitous/other ARP")
	}
	// Hosts that ask us fill the table; the gateway, in use, stays.
	f := make([]byte, virtioMaxFrame)
	p := ktFrameOf([6]byte{}, ktOurIP, ktFar, 6)
	for k := 0; k < 2*maxNeigh; k++ {
		ktFrame(f, copy(f, p)-ethHdrLen, 1e9)
		mac := [6]byte{2, 0, 0, 0, 2, byte(k)}
		ktDemux(ktARP(1, mac, [4]byte{10, 0, 2, byte(20 + k)}, ktOurIP), 0)
	}
	if n := neighFind(ktGW); n == nil || n.state != neighKnown {
		t.Fatal("the gateway, in use, was evicted by new neighbours")
	}
}

// TestKtnetICMPFragNeeded: an ICMP "fragmentation needed" quoting one of
// ktcp's segments goes to ktcp (which lowers that connection's MSS:
// ktcp's TestICMPFragNeeded), not to gVisor; one quoting a segment ktcp
// does not know goes to gVisor as before.
func TestKtnetICMPFragNeeded(t *testing.T) {
	sent := ktnetSetup(t, true)
	ktDemux(ktARP(1, ktPeerMA, ktPeer, ktOurIP), 0)
	frameQueueGet(make([]byte, 4096))
	if _, e := ktStack.Connect(ktOurIP, 40000, ktPeer, 80, 1e9); e != ktcp.OK {
		t.Fatalf("Connect: %v", e)
	}
	ktPoll()
	if len(*sent) != 1 {
		t.Fatalf("sent %d frames; want the SYN", len(*sent))
	}
	icmp := func(quoted []byte) []byte {
		f := ktFrameOf(ktGWMA, ktGW, ktOurIP, 1)[:ethHdrLen+20]
		m := make([]byte, 8+28)
		m[0], m[1], m[6], m[7] = 3, 4, 0x03, 0xe8 // MTU 1000
		copy(m[8:], quoted[ethHdrLen:ethHdrLen+28])
		binary.BigEndian.PutUint16(m[2:], ^checksum.Checksum(m, 0))
		f = append(f, m...)
		ip := header.IPv4(f[ethHdrLen:])
		ip.SetTotalLength(uint16(len(ip)))
		ip.SetChecksum(0)
		ip.SetChecksum(^ip.CalculateChecksum())
		return f
	}
	if got := ktDemux(icmp((*sent)[0]), 1e9); got != frameKtcp {
		t.Errorf("ICMP fragmentation needed about ktcp's SYN: ktDemux = %d; want frameKtcp", got)
	}
	other := ktFrameOf([6]byte{}, ktOurIP, ktPeer, 6)
	if got := ktDemux(icmp(other), 1e9); got != frameQueued {
		t.Errorf("ICMP fragmentation needed about an unknown segment: ktDemux = %d; want frameQueued", got)
	}
	// Hostile lengths: the IP total length below the headers or beyond
	// the frame (gVisor's to judge, no crash here).
	for _, tl := range []uint16{0, 19, 27, 2000} {
		f := icmp((*sent)[0])
		binary.BigEndian.PutUint16(f[ethHdrLen+2:], tl)
		if got := ktDemux(f, 1e9); got != frameQueued {
			t.Errorf("ICMP with IP total length %d: ktDemux = %d; want frameQueued", tl, got)
		}
	}
}

// TestKtnetARPFailure: when the next hop does not answer ARP for
// arpFailAfter, the connections opening through it fail with
// EHOSTUNREACH (as Linux, instead of retrying the SYN for two minutes);
// those through other hops go on, and the next packet for the dead hop
// starts a new resolution.
func TestKtnetARPFailure(t *testing.T) {
	sent := ktnetSetup(t, true)
	ktDemux(ktARP(2, ktGWMA, ktGW, ktOurIP), 0)
	dead, e := ktStack.Connect(ktOurIP, 40000, ktPeer, 80, 1e9)
	if e != ktcp.OK {
		t.Fatalf("Connect: %v", e)
	}
	far, e := ktStack.Connect(ktOurIP, 40001, ktFar, 80, 1e9)
	if e != ktcp.OK {
		t.Fatalf("Connect: %v", e)
	}
	for ktStack.Output(make([]byte, 2048), 1e9) > 0 { // the SYNs, sent below by hand
	}
	pkt := func(dst [4]byte) []byte {
		p := ktFrameOf([6]byte{}, ktOurIP, dst, 6)
		f := make([]byte, virtioMaxFrame)
		return f[:copy(f, p)]
	}
	for _, at := range []int64{1e9, 2e9, 3.5e9} {
		f := pkt(ktPeer)
		if n := ktFrame(f, len(f)-ethHdrLen, at); n != ethMinFrame {
			t.Fatalf("at %v: ktFrame = %d; want an ARP request", at, n)
		}
		f = pkt(ktFar)
		ktFrame(f, len(f)-ethHdrLen, at)
		ktPoll()
		if e := ktStack.Err(dead); e != ktcp.OK {
			t.Fatalf("the connection failed at %v with %v, before the resolution did", at, e)
		}
	}
	// The SYN's retransmission finds the resolution failed (ktFrame
	// from ktPoll's output loop).
	f := pkt(ktPeer)
	if n := ktFrame(f, len(f)-ethHdrLen, 4e9); n != 0 {
		t.Errorf("after %v of unanswered ARP: ktFrame = %d; want 0", time.Duration(arpFailAfter), n)
	}
	ktPoll()
	if e := ktStack.Err(dead); e != ktcp.EHOSTUNREACH {
		t.Errorf("the connection through the silent hop: %v (%s); want EHOSTUNREACH", e, ktStack.State(dead))
	}
	if st := ktStack.State(far); st != "SYN-SENT" {
		t.Errorf("the connection through the gateway is %s; want SYN-SENT", st)
	}
	for _, h := range held {
		if h.n != 0 && h.ip == ktPeer {
			t.Error("packets still held for the silent hop")
		}
	}
	*sent = nil
	f = pkt(ktPeer)
	if n := ktFrame(f, len(f)-ethHdrLen, 5e9); n != ethMinFrame {
		t.Errorf("a new packet for the hop: ktFrame = %d; want a new ARP request", n)
	}
}

// TestKtnetNeighbourAging: a known entry used for neighStale without an
// ARP from its address is probed (a unicast ARP request, at most one a
// second) while packets still go to it; a reply keeps it; probes
// unanswered for arpFailAfter make it resolve anew (a broadcast request,
// packets held), so that a next hop whose MAC changed is found again.
func TestKtnetNeighbourAging(t *testing.T) {
	sent := ktnetSetup(t, true)
	ktDemux(ktARP(2, ktGWMA, ktGW, ktOurIP), 1e9)
	if _, e := ktStack.Connect(ktOurIP, 40000, ktFar, 80, 1e9); e != ktcp.OK {
		t.Fatalf("Connect: %v", e)
	}
	isProbe := func(f []byte, dst [6]byte) bool {
		return f[12] == 0x08 && f[13] == 0x06 && bytes.Equal(f[0:6], dst[:]) && bytes.Equal(f[ethHdrLen+24:ethHdrLen+28], ktGW[:])
	}
	// Fresh: the SYN goes to the gateway, no probe.
	ktPoll()
	if len(*sent) != 1 || ktProbePending || !bytes.Equal((*sent)[0][0:6], ktGWMA[:]) {
		t.Fatalf("sent %d frames; want the SYN to the gateway", len(*sent))
	}
	// Stale: the packet still goes out, and a unicast probe after it.
	stale := int64(1e9 + neighStale)
	f := make([]byte, virtioMaxFrame)
	p := ktFrameOf([6]byte{}, ktOurIP, ktFar, 6)
	*sent = nil
	if n := ktFrame(f, copy(f, p)-ethHdrLen, stale); n != len(p) || !bytes.Equal(f[0:6], ktGWMA[:]) {
		t.Fatalf("a stale entry: ktFrame = %d to %x; want the frame to %x", n, f[0:6], ktGWMA)
	}
	if !ktProbePending {
		t.Fatal("no probe asked for a stale entry")
	}
	ktSendProbe()
	if len(*sent) != 1 || !isProbe((*sent)[0], ktGWMA) {
		t.Fatalf("sent %x; want a unicast ARP request to the gateway", *sent)
	}
	// The reply keeps the entry: no more probes.
	ktDemux(ktARP(2, ktGWMA, ktGW, ktOurIP), stale+5e8)
	ktFrame(f, copy(f, p)-ethHdrLen, stale+2e9)
	if ktProbePending {
		t.Fatal("probed again after the reply")
	}
	// Stale again; the gateway changed its MAC and never answers.
	stale += 5e8 + neighStale
	for _, at := range []int64{stale, stale + 1e9, stale + 2e9} {
		ktProbePending = false
		if n := ktFrame(f, copy(f, p)-ethHdrLen, at); n != len(p) {
			t.Fatalf("at %v: ktFrame = %d; want the frame (probing)", at, n)
		}
		if !ktProbePending {
			t.Fatalf("at %v: no probe", at)
		}
	}
	ktProbePending = false
	n := ktFrame(f, copy(f, p)-ethHdrLen, stale+3e9)
	if n != ethMinFrame || !bytes.Equal(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) {
		t.Fatalf("probes unanswered: ktFrame = %d to %x; want a broadcast ARP request", n, f[0:6])
	}
	newMA := [6]byte{2, 0, 0, 0, 0, 0x22}
	*sent = nil
	ktDemux(ktARP(2, newMA, ktGW, ktOurIP), stale+3.1e9)
	if len(*sent) != 1 || !bytes.Equal((*sent)[0][0:6], newMA[:]) {
		t.Fatalf("after the new reply: sent %d frames; want the held packet to %x", len(*sent), newMA)
	}
}
