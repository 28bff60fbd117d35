// Command netflood is a host-side test tool (test/e2e, Linux, root): it
// sends hostile traffic to a guest through a network interface with an
// AF_PACKET socket, to show that the guest's network stack survives it.
//
//	netflood IFACE GUESTMAC GUESTIP PORT SECONDS
//
// For SECONDS it alternates a TCP SYN flood to GUESTIP:PORT (random
// spoofed sources) with malformed frames: runts, truncated and lying IPv4
// headers, bad TCP data offsets, overlapping fragments, ARP garbage,
// oversized lengths and random bytes. It prints how many frames it sent.
package main

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: netflood IFACE GUESTMAC GUESTIP PORT SECONDS")
		os.Exit(2)
	}
	ifi, err := net.InterfaceByName(os.Args[1])
	check(err)
	dmac, err := net.ParseMAC(os.Args[2])
	check(err)
	dip := net.ParseIP(os.Args[3]).To4()
	if dip == nil {
		check(fmt.Errorf("bad IPv4 address %q", os.Args[3]))
	}
	port, err := strconv.Atoi(os.Args[4])
	check(err)
	secs, err := strconv.Atoi(os.Args[5])
	check(err)

	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(htons(syscall.ETH_P_ALL)))
	check(err)
	sa := &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ALL), Ifindex: ifi.Index, Halen: 6}
	copy(sa.Addr[:], dmac)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	src := net.HardwareAddr{0x52, 0x54, 0x00, 0xbb, 0xbb, 0xbb}
	var syn, bad int
	end := time.Now().Add(time.Duration(secs) * time.Second)
	for i := 0; time.Now().Before(end); i++ {
		var f []byte
		if i%4 != 3 {
			f = synFrame(rng, dmac, src, dip, uint16(port))
			syn++
		} else {
			f = badFrame(rng, dmac, src, dip, uint16(port))
			bad++
		}
		// ENOBUFS when the tap's queue is full: the guest is slower than us.
		syscall.Sendto(fd, f, 0, sa)
	}
	fmt.Printf("netflood: sent %d SYNs and %d malformed frames in %ds\n", syn, bad, secs)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "netflood:", err)
		os.Exit(1)
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func eth(dst, src net.HardwareAddr, typ uint16) []byte {
	b := make([]byte, 14, 1514)
	copy(b, dst)
	copy(b[6:], src)
	binary.BigEndian.PutUint16(b[12:], typ)
	return b
}

func csum(b []byte, sum uint32) uint16 {
	for len(b) > 1 {
		sum += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func ipv4(src, dst net.IP, proto byte, payload []byte) []byte {
	h := make([]byte, 20)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(h[4:], uint16(rand.Intn(65536)))
	h[8] = 64
	h[9] = proto
	copy(h[12:], src.To4())
	copy(h[16:], dst.To4())
	binary.BigEndian.PutUint16(h[10:], csum(h, 0))
	return append(h, payload...)
}

func tcp(src, dst net.IP, sport, dport uint16, flags byte, seq uint32) []byte {
	t := make([]byte, 20)
	binary.BigEndian.PutUint16(t, sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], seq)
	t[12] = 5 << 4
	t[13] = flags
	binary.BigEndian.PutUint16(t[14:], 65535)
	var ph uint32
	for i := 0; i < 4; i += 2 {
		ph += uint32(binary.BigEndian.Uint16(src.To4()[i:])) + uint32(binary.BigEndian.Uint16(dst.To4()[i:]))
	}
	ph += 6 + uint32(len(t))
	binary.BigEndian.PutUint16(t[16:], csum(t, ph))
	return t
}

func randIP(rng *rand.Rand) net.IP {
	return net.IPv4(byte(1+rng.Intn(223)), byte(rng.Intn(256)), byte(rng.Intn(256)), byte(1+rng.Intn(254)))
}

func synFrame(rng *rand.Rand, dmac, smac net.HardwareAddr, dip net.IP, port uint16) []byte {
	sip := randIP(rng)
	return append(eth(dmac, smac, 0x0800), ipv4(sip, dip, 6, tcp(sip, dip, uint16(1024+rng.Intn(60000)), port, 0x02, rng.Uint32()))...)
}

func badFrame(rng *rand.Rand, dmac, smac net.HardwareAddr, dip net.IP, port uint16) []byte {
	sip := randIP(rng)
	f := eth(dmac, smac, 0x0800)
	good := ipv4(sip, dip, 6, tcp(sip, dip, 4000, port, 0x18, rng.Uint32()))
	switch rng.Intn(10) {
	case 0: // a runt: half an Ethernet header
		return f[:7]
	case 1: // IPv4 header cut short
		return append(f, good[:12]...)
	case 2: // total length larger than the frame
		b := append(f, good...)
		binary.BigEndian.PutUint16(b[16:], 1500)
		return b
	case 3: // header length field below the minimum
		b := append(f, good...)
		b[14] = 0x41
		return b
	case 4: // TCP data offset beyond the segment
		b := append(f, good...)
		b[14+20+12] = 15 << 4
		return b
	case 5: // overlapping, never-completed fragments
		b := append(f, ipv4(sip, dip, 17, make([]byte, 64))...)
		binary.BigEndian.PutUint16(b[14+6:], 0x2000|uint16(rng.Intn(8)))
		return b
	case 6: // ARP with nonsense lengths
		b := eth(net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, smac, 0x0806)
		return append(b, 0, 1, 8, 0, 200, 200, 0, 1)
	case 7: // IPv6 with a payload length lying
		b := eth(dmac, smac, 0x86dd)
		h := make([]byte, 40+8)
		h[0] = 0x60
		binary.BigEndian.PutUint16(h[4:], 60000)
		h[6] = 58
		return append(b, h...)
	case 8: // an unknown EtherType, maximum size
		b := eth(dmac, smac, 0x88b5)
		return append(b, make([]byte, 1500)...)
	}
	// Random bytes after a valid Ethernet header claiming IPv4.
	junk := make([]byte, 20+rng.Intn(1480))
	rng.Read(junk)
	return append(f, junk...)
}
