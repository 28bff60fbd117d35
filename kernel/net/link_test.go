package net

import (
	"reflect"
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

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
