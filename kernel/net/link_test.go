package net

import (
	"bytes"
	"testing"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

func TestAppendFrame(t *testing.T) {
	payload := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	tests := []struct {
		name    string
		reserve int
		headers []int // sizes pushed: transport, network, link
		views   [][]byte
	}{
		{"headers and payload", 128, []int{20, 20, 14}, [][]byte{payload}},
		{"payload in several views", 80, []int{32, 20, 14}, [][]byte{payload[:5], payload[5:9], payload[9:]}},
		{"headers only", 54, []int{20, 20, 14}, nil},
		{"no reserve left over", 54, []int{20, 20, 14}, [][]byte{payload}},
	}
	for _, tt := range tests {
		var data buffer.Buffer
		for _, v := range tt.views {
			data.Append(buffer.NewViewWithData(v))
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{ReserveHeaderBytes: tt.reserve, Payload: data})
		hs := []func() stack.PacketHeader{pkt.TransportHeader, pkt.NetworkHeader, pkt.LinkHeader}
		for i, n := range tt.headers {
			h := hs[i]().Push(n)
			for k := range h {
				h[k] = byte(i*50 + k)
			}
		}
		var want []byte
		for _, s := range pkt.AsSlices() {
			want = append(want, s...)
		}
		got := appendFrame([]byte{0xee}, pkt)
		if !bytes.Equal(got[1:], want) || got[0] != 0xee || len(want) != pkt.Size() {
			t.Errorf("%s: appendFrame = % x; want ee % x (size %d)", tt.name, got, want, pkt.Size())
		}
		pkt.DecRef()
	}
}

// dispatcher records what the link delivers.
type dispatcher struct {
	proto   tcpip.NetworkProtocolNumber
	pktType tcpip.PacketType
	link    []byte
	rest    []byte
	n       int
}

func (d *dispatcher) DeliverNetworkPacket(proto tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	d.n++
	d.proto, d.pktType = proto, pkt.PktType
	d.link = append([]byte(nil), pkt.LinkHeader().Slice()...)
	d.rest = pkt.Data().AsRange().ToSlice()
}

func (d *dispatcher) DeliverLinkPacket(tcpip.NetworkProtocolNumber, *stack.PacketBuffer) {}

func TestDeliver(t *testing.T) {
	mac := [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}
	l := newLink(mac, 1500)
	tests := []struct {
		dst  []byte
		want tcpip.PacketType
	}{
		{mac[:], tcpip.PacketHost},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, tcpip.PacketBroadcast},
		{[]byte{0x33, 0x33, 0, 0, 0, 1}, tcpip.PacketMulticast},
		{[]byte{0x52, 0x54, 0, 0x12, 0x34, 0x57}, tcpip.PacketOtherHost},
	}
	for _, tt := range tests {
		frame := append(append(append([]byte{}, tt.dst...), 0x52, 0x55, 10, 0, 2, 2, 0x08, 0x00), "an IPv4 packet"...)
		var d dispatcher
		l.deliver(&d, frame)
		if d.n != 1 || d.proto != header.IPv4ProtocolNumber || d.pktType != tt.want || !bytes.Equal(d.link, frame[:14]) || string(d.rest) != "an IPv4 packet" {
			t.Errorf("deliver(dst % x) = %d packets, proto %#x, type %d, link % x, data %q; want 1, 0x800, %d, % x, %q",
				tt.dst, d.n, d.proto, d.pktType, d.link, d.rest, tt.want, frame[:14], "an IPv4 packet")
		}
	}
}
