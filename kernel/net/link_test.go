package net

import (
	"bytes"
	"reflect"
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

// frameRecorder is a NetworkDispatcher that records the payloads (after
// the Ethernet header) of the frames delivered to it.
type frameRecorder struct{ got []string }

func (r *frameRecorder) DeliverNetworkPacket(_ tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	r.got = append(r.got, string(pkt.Data().AsRange().ToSlice()))
}

func (r *frameRecorder) DeliverLinkPacket(tcpip.NetworkProtocolNumber, *stack.PacketBuffer) {}

// framed builds OpRecv/OpPoll framing: each payload behind a 14-byte
// Ethernet header and a 2-byte little-endian length.
func framed(payloads ...string) []byte {
	var b []byte
	for _, p := range payloads {
		n := header.EthernetMinimumSize + len(p)
		b = append(b, byte(n), byte(n>>8))
		b = append(b, make([]byte, header.EthernetMinimumSize)...)
		b = append(b, p...)
	}
	return b
}

// TestDeliverAll: the frames of an OpPoll or OpRecv buffer reach the
// stack in order; a zero length ends them (OpPoll's terminator, with stale
// bytes after it), and a truncated or runt frame is not delivered.
func TestDeliverAll(t *testing.T) {
	runt := []byte{4, 0, 1, 2, 3, 4}
	tests := []struct {
		name string
		buf  []byte
		want []string
	}{
		{"none", []byte{0, 0}, nil},
		{"empty buffer", nil, nil},
		{"two frames", framed("one", "two"), []string{"one", "two"}},
		{"terminator then stale frames", append(append(framed("new"), 0, 0), framed("stale")...), []string{"new"}},
		{"truncated last frame", framed("whole", "cut")[:2*16+len("whole")+2], []string{"whole"}},
		{"runt skipped", append(append(framed("a"), runt...), framed("b")...), []string{"a", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r frameRecorder
			l := newLink([6]byte{2, 0, 0, 0, 0, 1}, 1500)
			l.Attach(&r)
			l.deliverAll(tc.buf)
			if !reflect.DeepEqual(r.got, tc.want) {
				t.Errorf("delivered %q; want %q", r.got, tc.want)
			}
		})
	}
}
