package net

import (
	"sync"
	"syscall"
	"unsafe"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"unigo.dev/unigo/kernel/net/netcall"
)

// call makes a netcall system call. The kernel never blocks in one, so
// the runtime need not know about it (RawSyscall).
func call(op uintptr, a1, a2, a3, a4 uintptr) (uintptr, syscall.Errno) {
	return call5(op, a1, a2, a3, a4, 0)
}

func call5(op uintptr, a1, a2, a3, a4, a5 uintptr) (uintptr, syscall.Errno) {
	r, _, e := syscall.RawSyscall6(netcall.Sys, op, a1, a2, a3, a4, a5)
	return r, e
}

func ptr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

func bytesPtr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}

// link is the gVisor link endpoint of the virtio-net device: Ethernet
// frames go to and come from the kernel through OpSend and OpRecv.
type link struct {
	mac tcpip.LinkAddress
	mtu uint32

	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher

	txMu sync.Mutex
	tx   []byte // framing buffer for OpSend

	rx []byte // OpRecv buffer (the rx loop only)
}

var _ stack.LinkEndpoint = (*link)(nil)

const maxFrame = 1514

func newLink(mac [6]byte, mtu uint32) *link {
	return &link{mac: tcpip.LinkAddress(mac[:]), mtu: mtu, tx: make([]byte, 0, 64<<10), rx: make([]byte, 64<<10)}
}

func (l *link) MTU() uint32                    { return l.mtu }
func (l *link) SetMTU(mtu uint32)              { l.mtu = mtu }
func (l *link) MaxHeaderLength() uint16        { return header.EthernetMinimumSize }
func (l *link) LinkAddress() tcpip.LinkAddress { return l.mac }
func (l *link) SetLinkAddress(a tcpip.LinkAddress) {
	l.mac = a
}
func (l *link) Capabilities() stack.LinkEndpointCapabilities {
	return stack.CapabilityResolutionRequired
}
func (l *link) Attach(d stack.NetworkDispatcher) {
	l.mu.Lock()
	l.dispatcher = d
	l.mu.Unlock()
}
func (l *link) IsAttached() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.dispatcher != nil
}
func (l *link) Wait()                                   {}
func (l *link) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }
func (l *link) Close()                                  {}
func (l *link) SetOnCloseAction(func())                 {}

// AddHeader writes the Ethernet header.
func (l *link) AddHeader(pkt *stack.PacketBuffer) {
	eth := header.Ethernet(pkt.LinkHeader().Push(header.EthernetMinimumSize))
	src := pkt.EgressRoute.LocalLinkAddress
	if src == "" {
		src = l.mac
	}
	eth.Encode(&header.EthernetFields{SrcAddr: src, DstAddr: pkt.EgressRoute.RemoteLinkAddress, Type: pkt.NetworkProtocolNumber})
}

// ParseHeader consumes the Ethernet header.
func (l *link) ParseHeader(pkt *stack.PacketBuffer) bool {
	_, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	return ok
}

// WritePackets sends frames through the kernel, in one system call per
// batch.
func (l *link) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	l.txMu.Lock()
	defer l.txMu.Unlock()
	b := l.tx[:0]
	n := 0
	for _, pkt := range pkts.AsSlice() {
		size := pkt.Size()
		if size > maxFrame {
			continue
		}
		if len(b)+2+size > cap(b) {
			l.flush(b)
			b = b[:0]
		}
		b = append(b, byte(size), byte(size>>8))
		b = appendFrame(b, pkt)
		n++
	}
	l.flush(b)
	l.tx = b[:0]
	return n, nil
}

// appendFrame appends the bytes of pkt from its first header on: what
// pkt.AsSlices returns, without allocating the slice of slices.
func appendFrame(b []byte, pkt *stack.PacketBuffer) []byte {
	views, off := pkt.AsViewList()
	for v := views.Front(); v != nil; v = v.Next() {
		s := v.AsSlice()
		if off >= len(s) {
			off -= len(s)
			continue
		}
		b = append(b, s[off:]...)
		off = 0
	}
	return b
}

func (l *link) flush(b []byte) {
	if len(b) > 0 {
		call(netcall.OpSend, bytesPtr(b), uintptr(len(b)), 0, 0)
	}
}

// receive delivers every waiting frame to the stack.
func (l *link) receive() {
	for {
		r, e := call(netcall.OpRecv, bytesPtr(l.rx), uintptr(len(l.rx)), 0, 0)
		if e != 0 || r == 0 {
			return
		}
		l.deliverAll(l.rx[:r])
		if len(l.rx)-int(r) >= 2+maxFrame {
			return // OpRecv stopped for want of frames, not of room
		}
	}
}

// deliverAll delivers the frames in b (OpRecv's framing; a zero length
// ends them early).
func (l *link) deliverAll(b []byte) {
	l.mu.RLock()
	d := l.dispatcher
	l.mu.RUnlock()
	for len(b) >= 2 {
		n := int(b[0]) | int(b[1])<<8
		if n == 0 || n > len(b)-2 {
			return
		}
		if d != nil && n >= header.EthernetMinimumSize {
			l.deliver(d, b[2:2+n])
		}
		b = b[2+n:]
	}
}

func (l *link) deliver(d stack.NetworkDispatcher, frame []byte) {
	// The packet type and the protocol come from the frame itself, not
	// from the packet buffer's link header (each header access pulls
	// the buffer up).
	var pktType tcpip.PacketType
	switch dst := tcpip.LinkAddress(frame[:6]); {
	case dst == header.EthernetBroadcastAddress:
		pktType = tcpip.PacketBroadcast
	case header.IsMulticastEthernetAddress(dst):
		pktType = tcpip.PacketMulticast
	case dst == l.mac:
		pktType = tcpip.PacketHost
	default:
		pktType = tcpip.PacketOtherHost
	}
	proto := tcpip.NetworkProtocolNumber(uint16(frame[12])<<8 | uint16(frame[13]))
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
	if _, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize); ok {
		pkt.PktType = pktType
		d.DeliverNetworkPacket(proto, pkt)
	}
	pkt.DecRef()
}
