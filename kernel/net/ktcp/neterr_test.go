package ktcp

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

// icmpFragNeeded builds an ICMP "fragmentation needed" with next-hop MTU
// mtu quoting pkt's IP header and first 8 payload bytes.
func icmpFragNeeded(pkt []byte, mtu uint16) []byte {
	ihl := int(pkt[0]&0x0f) * 4
	m := make([]byte, 8+ihl+8)
	m[0], m[1] = 3, 4
	binary.BigEndian.PutUint16(m[6:], mtu)
	copy(m[8:], pkt[:ihl+8])
	binary.BigEndian.PutUint16(m[2:], fold(sum(m, 0)))
	return m
}

// TestICMPFragNeeded: a path whose MTU is smaller than ours drops the
// full-sized segments (they carry DF) and its router answers with ICMP
// "fragmentation needed": the connection lowers its MSS and its data
// gets through. Forged or stale ICMPs (bad checksum, a sequence number
// outside the flight, another connection) change nothing.
func TestICMPFragNeeded(t *testing.T) {
	p := newPair(t, Config{MaxConns: 8, RxBuf: 64 << 10, TxBuf: 64 << 10, MTU: 1500})
	_, ca, cb := p.connect(80)
	const pathMTU = 1000
	var icmps, big int
	p.filter = func(from *Stack, pkt []byte) bool {
		if from != p.a || len(pkt) <= pathMTU {
			return true
		}
		big++
		m := icmpFragNeeded(pkt, pathMTU)
		// Forgeries first: none may change anything.
		bad := bytes.Clone(m)
		bad[2]++
		wrongSeq := bytes.Clone(m)
		binary.BigEndian.PutUint32(wrongSeq[8+20+4:], binary.BigEndian.Uint32(m[8+20+4:])+1<<30)
		binary.BigEndian.PutUint16(wrongSeq[2:], 0)
		binary.BigEndian.PutUint16(wrongSeq[2:], fold(sum(wrongSeq, 0)))
		for _, f := range [][]byte{bad, wrongSeq, m[:20]} {
			if p.a.ICMPError(f) {
				t.Errorf("a forged ICMP (% x) was taken", f)
			}
		}
		if !p.a.ICMPError(m) {
			t.Error("ICMP fragmentation needed for a segment in flight not taken")
		}
		icmps++
		return false
	}
	data := make([]byte, 40000)
	for k := range data {
		data[k] = byte(k * 7)
	}
	if n, err := p.a.Write(ca, data); n != len(data) || err != OK {
		t.Fatalf("Write = %d, %v", n, err)
	}
	var got []byte
	buf := make([]byte, 8192)
	for k := 0; k < 50 && len(got) < len(data); k++ {
		p.flush()
		for {
			n, _ := p.b.Read(cb, buf)
			if n == 0 {
				break
			}
			got = append(got, buf[:n]...)
		}
		p.advance(100 * time.Millisecond)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("received %d of %d bytes through a path of MTU %d (%d ICMPs)", len(got), len(data), pathMTU, icmps)
	}
	if icmps == 0 || big > 4 {
		t.Errorf("%d ICMPs for %d segments too big; want at least one, and few segments lost", icmps, big)
	}
	if at := p.now; at > int64(3*time.Second) {
		t.Errorf("the transfer took until %v; want no timeout", time.Duration(at))
	}
}

// TestHopUnreachable: connections in SYN-SENT to peers behind a next hop
// that does not answer ARP fail with EHOSTUNREACH; others stay.
func TestHopUnreachable(t *testing.T) {
	p := newPair(t, Config{MaxConns: 8, RxBuf: 4096, TxBuf: 4096})
	_, est, _ := p.connect(80)
	p.filter = func(*Stack, []byte) bool { return false } // the link is dead now
	dead, err := p.a.Connect(addrA, 0, addrB, 81, p.now)
	if err != OK {
		t.Fatal(err)
	}
	other, err := p.a.Connect(addrA, 0, [4]byte{10, 0, 0, 3}, 81, p.now)
	if err != OK {
		t.Fatal(err)
	}
	p.flush()
	if n := p.a.HopUnreachable(isAddrB); n != 1 {
		t.Fatalf("HopUnreachable failed %d connections; want 1", n)
	}
	if e := p.a.Err(dead); e != EHOSTUNREACH {
		t.Errorf("the connection to the dead hop: error %v; want EHOSTUNREACH", e)
	}
	if st := p.a.State(other); st != "SYN-SENT" {
		t.Errorf("the connection elsewhere is %s; want SYN-SENT", st)
	}
	if st := p.a.State(est); st != "ESTABLISHED" {
		t.Errorf("the established connection to the same peer is %s; want ESTABLISHED", st)
	}
}

func isAddrB(ip [4]byte) bool { return ip == addrB }

// TestICMPUnreachableConnect: an ICMP destination unreachable quoting the
// SYN of a connection in SYN-SENT ends it with the code's error (Linux's
// tcp_v4_err); one quoting a segment outside the flight, or about an
// established connection, changes nothing.
func TestICMPUnreachableConnect(t *testing.T) {
	for _, tc := range []struct {
		code uint8
		want Errno
	}{
		{0, ENETUNREACH},
		{1, EHOSTUNREACH},
		{3, ECONNREFUSED},
		{13, EHOSTUNREACH},
	} {
		p := newPair(t, Config{MaxConns: 8, RxBuf: 4096, TxBuf: 4096})
		_, est, _ := p.connect(80)
		id, err := p.a.Connect(addrA, 0, addrB, 81, p.now)
		if err != OK {
			t.Fatal(err)
		}
		buf := make([]byte, 2048)
		n := p.a.Output(buf, p.now)
		syn := buf[:n]
		msg := icmpFragNeeded(syn, 0)
		msg[1] = tc.code
		binary.BigEndian.PutUint16(msg[2:], 0)
		binary.BigEndian.PutUint16(msg[2:], fold(sum(msg, 0)))
		stale := bytes.Clone(msg)
		binary.BigEndian.PutUint32(stale[8+20+4:], binary.BigEndian.Uint32(msg[8+20+4:])-1000)
		binary.BigEndian.PutUint16(stale[2:], 0)
		binary.BigEndian.PutUint16(stale[2:], fold(sum(stale, 0)))
		if p.a.ICMPError(stale) || p.a.State(id) != "SYN-SENT" {
			t.Errorf("code %d: an ICMP quoting a sequence number outside the flight was taken (%s)", tc.code, p.a.State(id))
		}
		if !p.a.ICMPError(msg) {
			t.Errorf("code %d: not taken", tc.code)
		}
		if e := p.a.Err(id); e != tc.want {
			t.Errorf("code %d: connect's error %v; want %v", tc.code, e, tc.want)
		}
		// About the established connection: a soft error, ignored.
		p.a.Write(est, []byte("x"))
		n = p.a.Output(buf, p.now)
		msg = icmpFragNeeded(buf[:n], 0)
		msg[1] = tc.code
		binary.BigEndian.PutUint16(msg[2:], 0)
		binary.BigEndian.PutUint16(msg[2:], fold(sum(msg, 0)))
		p.a.ICMPError(msg)
		if st := p.a.State(est); st != "ESTABLISHED" {
			t.Errorf("code %d: the established connection is %s after the ICMP", tc.code, st)
		}
	}
}
