//go:build unigo_net

package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/net/ktcp"
	"unigo.dev/unigo/kernel/net/netcall"
	"unigo.dev/unigo/kernel/random"
)

// The kernel's frame path (docs/adr/0012-kernel-tcp.md, "Wiring"): the
// network device's frames are sorted in the interrupt path. IPv4 TCP for
// one of the guest's own addresses goes to the kernel's TCP (package ktcp)
// when it runs; everything else (ARP, UDP, ICMP, IPv6, DHCP, and TCP while
// ktcp is off) is copied into the frame queue, from which the network
// stack's bridge (gVisor, package kernel/net) takes it with OpPoll/OpRecv.
// ktcp's packets leave from [ktPoll], which gives them an Ethernet header
// from the neighbour table (filled from ARP only) or holds them while an
// ARP request asks for the next hop's address. ICMP destination
// unreachable quoting one of ktcp's segments goes to ktcp (path MTU
// discovery, connect errors).
//
// All of it runs in trap context (interrupts off): no heap, no pointer
// stores after boot.

// ktStack is the kernel's TCP for IPv4; nil while IPv4 TCP stays with
// gVisor (unigo.net.tcp=gvisor, or no network device). Set at boot only.
var ktStack *ktcp.Stack

// ktOut, in hosted tests only, takes each IPv4 packet ktPoll would send,
// instead of the device.
var ktOut func(pkt []byte)

// ktTestTx, in hosted tests only, takes each Ethernet frame the frame path
// would hand to the device.
var ktTestTx func(frame []byte)

// TCP selection (unigo.net.tcp=). The default, ktDefaultMode, is the
// socket layer's to choose (socket_ktcp.go): ktcp once its sockets run on it.
const (
	ktModeGVisor = iota
	ktModeKtcp
)

var ktMode = ktDefaultMode

// Ethernet and ARP (RFC 826) constants.
const (
	ethHdrLen   = 14
	etherIPv4   = 0x0800
	etherARP    = 0x0806
	arpLen      = 28
	ethMinFrame = 60 // without the FCS
	ktMaxPkt    = 1500
)

// ip4 is eth0's IPv4 configuration as the stack reported it (OpAddrs).
var ip4 struct {
	n     int
	addr  [8][4]byte
	mask  [8]uint32 // the prefix as a mask, host order
	gw    [4]byte
	hasGW bool
}

// ktStats counts what the frame path did with frames.
var ktStats struct {
	toKtcp      uint64 // IPv4 TCP frames handed to ktcp
	notOurs     uint64 // IPv4 TCP frames for an address that is not ours (dropped)
	icmpToKtcp  uint64 // ICMP destination unreachable about ktcp's segments
	queued      uint64 // frames queued for gVisor
	blocked     uint64 // times the frame queue filled and receive paused (ktcp off)
	queueDrops  uint64 // frames for gVisor dropped: the frame queue was full (ktcp on)
	budgetOut   uint64 // netDrain stopped at its budget with frames left
	ringRefused uint64 // ring allocations refused: over the budget or out of memory
	noRoute     uint64 // ktcp packets with no next hop (no address, no gateway, broadcast)
	arpRequests uint64
	arpFailed   uint64 // resolutions that went unanswered (arpFailAfter)
	held        uint64 // ktcp packets held for an ARP reply
	heldDropped uint64 // held packets replaced by newer ones or never sent
	txFull      uint64 // ktPoll found the transmit queue full
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func ip4of(b []byte) (a [4]byte) {
	copy(a[:], b[:4])
	return a
}

// ktLocalIPv4 reports whether ip is one of the guest's own IPv4 addresses.
func ktLocalIPv4(ip [4]byte) bool {
	for k := 0; k < ip4.n; k++ {
		if ip4.addr[k] == ip {
			return true
		}
	}
	return false
}

// onLink returns the index of the interface address whose subnet holds
// ip, or -1.
func onLink(ip [4]byte) int {
	v := be32(ip[:])
	for k := 0; k < ip4.n; k++ {
		if v&ip4.mask[k] == be32(ip4.addr[k][:])&ip4.mask[k] {
			return k
		}
	}
	return -1
}

// ktSourceIPv4 returns the source address for a connection to dst: the
// interface address on dst's subnet, else the one on the gateway's, else
// the first. It is false when no IPv4 address is configured yet.
func ktSourceIPv4(dst [4]byte) ([4]byte, bool) {
	if ip4.n == 0 {
		return [4]byte{}, false
	}
	if k := onLink(dst); k >= 0 {
		return ip4.addr[k], true
	}
	if ip4.hasGW {
		if k := onLink(ip4.gw); k >= 0 {
			return ip4.addr[k], true
		}
	}
	return ip4.addr[0], true
}

// setIPv4 records the interface addresses and the gateway (netAddrs).
func setIPv4(addrs []netcall.Addr, gw *netcall.Sockaddr) {
	ip4.n = 0
	for k := range addrs {
		a := &addrs[k]
		if saFamily(&a.Sockaddr) != linux.AF_INET || ip4.n == len(ip4.addr) || a.Prefix > 32 {
			continue
		}
		ip4.addr[ip4.n] = ip4of(a.Sockaddr[4:8])
		ip4.mask[ip4.n] = 0
		if a.Prefix > 0 {
			ip4.mask[ip4.n] = ^uint32(0) << (32 - a.Prefix)
		}
		ip4.n++
	}
	ip4.hasGW = false
	if gw != nil && saFamily(gw) == linux.AF_INET {
		ip4.gw, ip4.hasGW = ip4of(gw[4:8]), true
	}
}

// Neighbours: a small IPv4 neighbour (ARP) table.

const (
	maxNeigh   = 32
	neighFree  = 0
	neighWait  = 1 // an ARP request is out
	neighKnown = 2
	arpEvery   = 1e9 // at most one request per second per address
)

type neighbour struct {
	ip      [4]byte
	mac     [6]byte
	state   uint8
	stamp   uint32 // when added, last learnt or last used (a counter): the oldest goes first
	reqAt   int64  // last ARP request
	firstAt int64  // first ARP request of this resolution or probe
	seenAt  int64  // last ARP from it (neighKnown)
}

// neighStale is how long a known entry is used without an ARP from its
// address before it is probed: a unicast ARP request, at most one per
// arpEvery, while packets still go to the known address; unanswered for
// arpFailAfter, the entry is resolved anew (Linux's STALE, DELAY and
// PROBE states, with gc_stale_time's 60 s), so that a next hop whose MAC
// changed without a gratuitous ARP is found again.
const neighStale = 60e9

// The entry ktFrame wants probed (an index in neighs: no pointer store
// in trap context), for ktPoll to send the request after the frame it is
// writing.
var (
	ktProbe        uint8
	ktProbePending bool
)

// arpFailAfter is how long a resolution may go unanswered: then the
// connections still opening through that next hop fail with EHOSTUNREACH
// (Linux: 3 requests a second apart, mcast_solicit and retrans_time).
const arpFailAfter = 3e9

// The next hop whose resolution failed, for ktPoll to report to ktcp
// (ktHopDown) once its output loop is done.
var (
	ktHopFailed  [4]byte
	ktHopPending bool
)

var (
	neighs     [maxNeigh]neighbour
	neighClock uint32
	neighLast  uint8 // index of the entry neighFind found last
)

// neighFind returns ip's entry or nil. The entry found last is tried
// first: a server's packets mostly go to one next hop (the gateway).
func neighFind(ip [4]byte) *neighbour {
	if n := &neighs[neighLast]; n.ip == ip && n.state != neighFree {
		return n
	}
	for k := range neighs {
		if neighs[k].state != neighFree && neighs[k].ip == ip {
			neighLast = uint8(k)
			return &neighs[k]
		}
	}
	return nil
}

// neighSlot returns ip's entry, taking a free one or replacing the oldest.
func neighSlot(ip [4]byte) *neighbour {
	if n := neighFind(ip); n != nil {
		return n
	}
	old := &neighs[0]
	for k := range neighs {
		n := &neighs[k]
		if n.state == neighFree {
			old = n
			break
		}
		if n.stamp-old.stamp > 1<<31 { // older (wrapping counter)
			old = n
		}
	}
	if old.state != neighFree {
		holdDrop(old.ip)
	}
	neighClock++
	*old = neighbour{ip: ip, stamp: neighClock}
	return old
}

// neighLearn records ip at mac and sends the packets held for ip. It
// creates an entry only when create is set (an ARP packet addressed to
// us: a request for our address, or a reply to ours), and otherwise
// updates an existing one only, as Linux's arp_process does: the ARP
// requests between other hosts of a busy LAN must not push the gateway
// out of the table. Broadcast and multicast Ethernet addresses and
// addresses that are neither on a subnet of ours nor the gateway (which
// may be off-link with a /32 address) are ignored.
func neighLearn(ip [4]byte, mac []byte, create bool, now int64) {
	n := neighFind(ip)
	if n != nil && n.state == neighKnown && string(n.mac[:]) == string(mac[:6]) {
		n.seenAt, n.reqAt = now, 0 // the common case: nothing new, but confirmed
		return
	}
	if n == nil && !create || mac[0]&1 != 0 || onLink(ip) < 0 && !(ip4.hasGW && ip == ip4.gw) || ktLocalIPv4(ip) || ip == [4]byte{} {
		return
	}
	if n == nil {
		n = neighSlot(ip)
	}
	copy(n.mac[:], mac[:6])
	n.state, n.seenAt, n.reqAt = neighKnown, now, 0
	neighClock++
	n.stamp = neighClock
	holdFlush(n)
}

// Held packets: ktcp's packets waiting for an ARP reply, a few per
// neighbour (the newest replaces the oldest), in static buffers.

const (
	maxHeldPkts  = 16
	heldPerNeigh = 4
)

var held [maxHeldPkts]struct {
	ip  [4]byte
	n   uint16 // 0: free
	seq uint32
}

var (
	heldBuf [maxHeldPkts][ktMaxPkt]byte
	heldSeq uint32
)

// holdPacket keeps a copy of pkt until ip's address is known.
func holdPacket(ip [4]byte, pkt []byte) {
	free, oldest, mine, oldestMine := -1, 0, 0, -1
	for k := range held {
		h := &held[k]
		switch {
		case h.n == 0:
			if free < 0 {
				free = k
			}
			continue
		case h.ip == ip:
			mine++
			if oldestMine < 0 || h.seq-held[oldestMine].seq > 1<<31 {
				oldestMine = k
			}
		}
		if h.seq-held[oldest].seq > 1<<31 || held[oldest].n == 0 {
			oldest = k
		}
	}
	k := free
	switch {
	case mine >= heldPerNeigh:
		k = oldestMine
		ktStats.heldDropped++
	case k < 0:
		k = oldest
		ktStats.heldDropped++
	}
	heldSeq++
	held[k].ip, held[k].seq, held[k].n = ip, heldSeq, uint16(copy(heldBuf[k][:], pkt))
	ktStats.held++
}

// holdDrop forgets the packets held for ip.
func holdDrop(ip [4]byte) {
	for k := range held {
		if held[k].n != 0 && held[k].ip == ip {
			held[k].n = 0
			ktStats.heldDropped++
		}
	}
}

// holdFlush sends the packets held for n (known now), oldest first.
func holdFlush(n *neighbour) {
	sent := false
	for {
		k := -1
		for j := range held {
			if held[j].n != 0 && held[j].ip == n.ip && (k < 0 || held[j].seq-held[k].seq > 1<<31) {
				k = j
			}
		}
		if k < 0 {
			break
		}
		buf, ok := txFrame()
		if !ok {
			holdDrop(n.ip) // ktcp retransmits
			break
		}
		m := copy(buf[ethHdrLen:], heldBuf[k][:held[k].n])
		ethHeader(buf, n.mac[:], etherIPv4)
		txCommit(ethHdrLen + m)
		held[k].n = 0
		sent = true
	}
	if sent {
		txFlush()
	}
}

// The device's transmit side, or ktTestTx in hosted tests.

var ktTestBuf [ethHdrLen + ktMaxPkt]byte

func txFrame() ([]byte, bool) {
	if ktTestTx != nil {
		return ktTestBuf[:], true
	}
	return netdev.d.TxFrame()
}

func txCommit(n int) {
	if ktTestTx != nil {
		ktTestTx(ktTestBuf[:n])
		return
	}
	netdev.d.TxCommit(n)
}

func txFlush() {
	if ktTestTx == nil {
		netdev.d.Flush()
	}
}

// ethHeader writes an Ethernet header to dst from our address.
func ethHeader(f []byte, dst []byte, etherType uint16) {
	copy(f[0:6], dst[:6])
	mac := netdev.d.MAC()
	copy(f[6:12], mac[:])
	f[12], f[13] = byte(etherType>>8), byte(etherType)
}

// arpRequest writes an ARP request for ip from src into f (a transmit
// buffer) and returns the frame's length.
func arpRequest(f []byte, src, ip [4]byte) int {
	ethHeader(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, etherARP)
	a := f[ethHdrLen:ethMinFrame]
	clear(a)
	a[1] = 1    // hardware type Ethernet
	a[2] = 0x08 // protocol IPv4
	a[4], a[5] = 6, 4
	a[7] = 1 // request
	mac := netdev.d.MAC()
	copy(a[8:14], mac[:])
	copy(a[14:18], src[:])
	copy(a[24:28], ip[:])
	return ethMinFrame
}

// Frame verdicts of ktDemux.
const (
	frameQueued  = iota // copied into the frame queue for gVisor
	frameKtcp           // handed to ktcp
	frameDropped        // IPv4 TCP for an address that is not ours
	frameFull           // the frame queue has no room: not taken
)

// ktDemux sorts one received Ethernet frame (see the file comment).
func ktDemux(f []byte, now int64) int {
	if len(f) >= ethHdrLen+20 && ktStack != nil && f[12] == etherIPv4>>8 && f[13] == etherIPv4&0xff &&
		f[ethHdrLen]>>4 == 4 && f[ethHdrLen+9] == 6 {
		dst := ip4of(f[ethHdrLen+16:])
		if !ktLocalIPv4(dst) {
			ktStats.notOurs++
			return frameDropped
		}
		// No neighbour is learnt from an IP frame (as Linux): its
		// Ethernet source need not be the next hop back (a second
		// router, asymmetric routing, a spoofer on a bridge), and it is
		// not validated yet. Neighbours come from ARP only.
		ktStats.toKtcp++
		ktStack.Input(f[ethHdrLen:], now)
		return frameKtcp
	}
	if len(f) >= ethHdrLen+20+8 && ktStack != nil && f[12] == etherIPv4>>8 && f[13] == etherIPv4&0xff &&
		f[ethHdrLen] == 0x45 && f[ethHdrLen+9] == 1 && f[ethHdrLen+20] == 3 {
		// ICMP destination unreachable (without IP options, as routers
		// send it): ktcp's when it quotes one of its segments
		// (ktcp.Stack.ICMPError checks), else gVisor's.
		if end := ethHdrLen + (int(f[ethHdrLen+2])<<8 | int(f[ethHdrLen+3])); end >= ethHdrLen+20+8 && end <= len(f) &&
			ktLocalIPv4(ip4of(f[ethHdrLen+16:])) && ktStack.ICMPError(f[ethHdrLen+20:end]) {
			ktStats.icmpToKtcp++
			return frameKtcp
		}
	}
	if len(f) >= ethHdrLen+arpLen && f[12] == etherARP>>8 && f[13] == etherARP&0xff {
		a := f[ethHdrLen:]
		// Ethernet/IPv4, a request or a reply: learn the sender (a new
		// entry only when the packet is addressed to us).
		if a[0] == 0 && a[1] == 1 && a[2] == 0x08 && a[3] == 0 && a[4] == 6 && a[5] == 4 && a[6] == 0 && (a[7] == 1 || a[7] == 2) {
			neighLearn(ip4of(a[14:18]), a[8:14], ktLocalIPv4(ip4of(a[24:28])), now)
		}
	}
	if !frameQueuePut(f) {
		return frameFull
	}
	return frameQueued
}

// The frame queue: received frames for gVisor, each as a 2-byte
// little-endian length and the frame (OpRecv's framing), in a byte ring
// of kernel pages allocated at boot.

const frameQueueMax = 256 << 10 // a power of two

var frameQ ring

// frameQueuePut queues f; false when there is no room for it.
func frameQueuePut(f []byte) bool {
	q := &frameQ
	if q.size-q.used() < uint32(2+len(f)) {
		return false
	}
	*frameQByte(q.w) = byte(len(f))
	*frameQByte(q.w + 1) = byte(len(f) >> 8)
	q.w += 2
	q.put(f)
	ktStats.queued++
	netdev.rxPending = true
	return true
}

// frameQByte is the queue's byte at (free-running) position pos.
func frameQByte(pos uint32) *byte { return (*byte)(kptr(frameQ.buf + uintptr(pos&(frameQ.size-1)))) }

// frameQueueGet copies whole queued frames (with their lengths) into b
// while the next one fits and returns the bytes used.
func frameQueueGet(b []byte) int {
	q := &frameQ
	n, used := uint32(0), q.used()
	for n+2 <= used {
		m := 2 + (uint32(*frameQByte(q.r + n)) | uint32(*frameQByte(q.r + n + 1))<<8)
		if int(n+m) > len(b) {
			break
		}
		n += m
	}
	return q.get(b[:n])
}

// netDrain takes the device's received frames through ktDemux until the
// device has none (receive interrupts back on), then lets ktcp send. It
// signals the stack when it queued frames and signal is set (the
// interrupt path; netRecv reports them itself).
//
// When the frame queue is full, gVisor is behind. With ktcp off, receive
// pauses (frames wait in the device; netRecv resumes once gVisor has
// taken frames) so that no TCP frame is lost. With ktcp on, IPv4 TCP
// must not wait behind gVisor's traffic (a flood of UDP or ICMP would
// stall every connection): receive goes on, TCP to ktcp, and frames for
// gVisor are dropped and counted, as a NIC drops when its host is slow.
//
// It takes netBudget frames at the most (as NAPI's budget): under a flood
// the program still runs. Frames left in the device then raise no
// interrupt (receive interrupts stay off until the device is empty), so
// netdev.rxMore asks for a re-poll: by the idle loop at once (netIdle),
// else by the timer netRepoll later (ktDeadline, ktTimer).
func netDrain(signal bool) {
	now := nanotime()
	queued := false
	netdev.rxMore = false
	for budget := netBudget; ; budget-- {
		if budget == 0 {
			netdev.rxMore, netdev.rxMoreAt = true, now+netRepoll
			ktStats.budgetOut++
			armTimer()
			break
		}
		if ktStack == nil && frameQ.size-frameQ.used() < 2+ethHdrLen+ktMaxPkt {
			if !netdev.rxBlocked {
				netdev.rxBlocked = true
				ktStats.blocked++
			}
			break
		}
		f, ok := netdev.d.RecvFrame()
		if !ok {
			netdev.rxBlocked = false
			break
		}
		switch ktDemux(f, now) {
		case frameQueued:
			queued = true
		case frameFull:
			ktStats.queueDrops++
		}
		netdev.d.RecvDone()
	}
	if queued && signal {
		netSignal()
	}
	ktPoll()
}

// ktPoll sends what ktcp has to send and re-arms the kernel's timer for
// ktcp's next deadline. It is called after every call into ktStack that
// may queue output.
func ktPoll() {
	s := ktStack
	if s == nil {
		return
	}
	if !s.HasOutput() {
		if ktHopPending {
			ktHopFail(s)
		}
		ktRearm(s)
		return
	}
	now := nanotime()
	if ktOut != nil {
		for {
			n := s.Output(ktTestBuf[ethHdrLen:], now)
			if n == 0 {
				break
			}
			ktOut(ktTestBuf[ethHdrLen : ethHdrLen+n])
		}
		ktRearm(s)
		return
	}
	sent := false
	for s.HasOutput() {
		buf, ok := txFrame()
		if !ok {
			ktStats.txFull++ // the device's transmit interrupt calls us again
			break
		}
		n := s.Output(buf[ethHdrLen:ethHdrLen+ktMaxPkt], now)
		if n == 0 {
			break
		}
		if m := ktFrame(buf, n, now); m > 0 {
			txCommit(m)
			sent = true
		}
		if ktProbePending {
			ktSendProbe()
		}
	}
	if sent {
		txFlush()
	}
	if ktHopPending {
		ktHopFail(s)
	}
	ktRearm(s)
}

// ktHopFail fails the connections opening through the next hop ktFrame
// found not to answer ARP (in SYN-SENT: they have no more output).
func ktHopFail(s *ktcp.Stack) {
	ktHopPending = false
	s.HopUnreachable(ktHopDown)
}

// ktArmedFor is ktcp's deadline when ktPoll last re-armed the timer.
var ktArmedFor int64

// ktRearm re-arms the kernel's timer when ktcp's deadline moved. An
// unchanged deadline needs nothing: the timer is armed for it or for
// something earlier, whose interrupt re-arms (timerInterrupt).
func ktRearm(s *ktcp.Stack) {
	if d := s.NextDeadline(); d != ktArmedFor {
		ktArmedFor = d
		armTimer()
	}
}

// ktFrame turns the IPv4 packet of n bytes at f[ethHdrLen:] into a frame
// for its next hop and returns the frame's length; or it holds the packet
// (returning the length of an ARP request written into f instead, or 0
// when one went out for that address less than a second ago), or drops
// it (0).
func ktFrame(f []byte, n int, now int64) int {
	hop, ok := nextHop(ip4of(f[ethHdrLen+16:]))
	if !ok {
		ktStats.noRoute++
		return 0
	}
	nb := neighFind(hop)
	if nb != nil && nb.state == neighKnown {
		if nb.stamp != neighClock { // in use: the newest (the oldest is replaced first)
			neighClock++
			nb.stamp = neighClock
		}
		if now-nb.seenAt >= neighStale && !neighProbe(nb, now) {
			nb.state = neighWait // unanswered: resolve anew (below)
		} else {
			ethHeader(f, nb.mac[:], etherIPv4)
			return ethHdrLen + n
		}
	}
	if nb == nil {
		nb = neighSlot(hop)
		nb.state = neighWait
	}
	if nb.reqAt != 0 && now-nb.firstAt >= arpFailAfter {
		// No answer: the resolution failed. The entry goes (the next
		// packet starts a new one) with its held packets, and ktPoll
		// fails the connections opening through this hop.
		ktStats.arpFailed++
		holdDrop(hop)
		nb.state = neighFree
		ktHopFailed, ktHopPending = hop, true
		return 0
	}
	holdPacket(hop, f[ethHdrLen:ethHdrLen+n])
	if nb.reqAt != 0 && now-nb.reqAt < arpEvery {
		return 0
	}
	if nb.reqAt == 0 {
		nb.firstAt = now
	}
	nb.reqAt = now
	src, ok := ktSourceIPv4(hop)
	if !ok {
		return 0
	}
	ktStats.arpRequests++
	return arpRequest(f, src, hop)
}

// The receive budget: frames taken from the device per netDrain, and how
// long frames left in the device wait for a re-poll when the program is
// busy (about what the frames of one budget take to handle under TCG).
const (
	netBudget = 64
	netRepoll = 1e6
)

// neighProbe handles a stale known entry in use: it asks ktPoll for a
// probe (at most one per arpEvery) and reports false when the probes went
// unanswered for arpFailAfter.
func neighProbe(nb *neighbour, now int64) bool {
	if nb.reqAt == 0 {
		nb.firstAt = now
	} else if now-nb.firstAt >= arpFailAfter {
		nb.reqAt, nb.firstAt = 0, 0
		return false
	}
	if nb.reqAt == 0 || now-nb.reqAt >= arpEvery {
		nb.reqAt = now
		ktProbe, ktProbePending = neighLast, true // nb, as neighFind found it
	}
	return true
}

// ktSendProbe sends the probe neighProbe asked for: an ARP request for
// its address to its known MAC.
func ktSendProbe() {
	ktProbePending = false
	nb := &neighs[ktProbe]
	src, ok := ktSourceIPv4(nb.ip)
	if !ok || nb.state != neighKnown {
		return
	}
	buf, ok := txFrame()
	if !ok {
		return
	}
	m := arpRequest(buf, src, nb.ip)
	copy(buf[0:6], nb.mac[:])
	ktStats.arpRequests++
	txCommit(m)
}

// nextHop returns the next hop to dst: dst itself on a subnet of ours,
// else the gateway; false for broadcast and multicast addresses, or with
// no route.
func nextHop(dst [4]byte) ([4]byte, bool) {
	k := onLink(dst)
	switch {
	case dst[0] >= 224 || dst == [4]byte{}: // multicast, limited broadcast, reserved
		return dst, false
	case k >= 0:
		if m := ip4.mask[k]; m < 0xfffffffe && be32(dst[:])|m == ^uint32(0) {
			return dst, false // the subnet's broadcast address (/31 and /32 have none)
		}
		return dst, true
	case ip4.hasGW:
		return ip4.gw, true
	}
	return dst, false
}

// ktHopDown reports whether peer is reached through ktHopFailed
// (ktcp.Stack.HopUnreachable's question).
func ktHopDown(peer [4]byte) bool {
	hop, ok := nextHop(peer)
	return ok && hop == ktHopFailed
}

// ktDeadline is the frame path's next timer deadline (0: none), for
// armTimer: ktcp's, or a re-poll of the device's receive queue.
func ktDeadline() int64 {
	var d int64
	if ktStack != nil {
		d = ktStack.NextDeadline()
	}
	if netdev.rxMore && (d == 0 || netdev.rxMoreAt < d) {
		d = netdev.rxMoreAt
	}
	return d
}

// ktTimer runs ktcp's timers and the receive re-poll when due
// (timerInterrupt).
func ktTimer(now int64) {
	if netdev.rxMore && now >= netdev.rxMoreAt {
		netDrain(true)
	}
	if ktStack == nil {
		return
	}
	if d := ktStack.NextDeadline(); d != 0 && now >= d {
		ktStack.Tick(now)
		ktPoll()
	}
}

// netIdle re-polls the device's receive queue when netDrain left frames
// in it and the program has nothing to run (the idle loop, interrupts
// off).
func netIdle() {
	if netdev.rxMore {
		netDrain(true)
	}
}

// netLogStats logs what the frame path did (at debug level, at
// shutdown: unigo.log=debug).
func netLogStats() {
	d := &netdev.d.Stats
	klog.Debug("net").S("eth0: rx ").U(d.RxFrames).S(" frames (").U(ktStats.toKtcp).S(" to ktcp, ").U(ktStats.queued).
		S(" queued for gVisor, ").U(ktStats.notOurs).S(" TCP not for us, ").U(d.RxDropped).S(" malformed; queue full ").
		U(ktStats.blocked).S(" times, ").U(ktStats.queueDrops).S(" dropped; budget out ").
		U(ktStats.budgetOut).S(" times), tx ").U(d.TxFrames).S(" (").U(d.TxDropped).S(" dropped, ring full ").U(ktStats.txFull).
		S(" times); ARP requests ").U(ktStats.arpRequests).S(" (").U(ktStats.arpFailed).S(" failed), held ").U(ktStats.held).S(" (").U(ktStats.heldDropped).
		S(" dropped), no route ").U(ktStats.noRoute).S("; rings ").U(uint64(ktRingUsed >> 10)).S(" KiB of ").
		U(uint64(ktRingBudget >> 10)).S(", refused ").U(ktStats.ringRefused).End()
	if ktStack != nil {
		k := &ktStack.Stats
		klog.Debug("net").S("ktcp: ").U(k.SegsIn).S(" segments in (").U(k.Bad).S(" bad), ").U(k.SegsOut).S(" out (").
			U(k.Retransmits).S(" retransmitted, ").U(k.RstsOut).S(" RSTs), ").U(k.SynDrops).S(" SYNs dropped, ").
			U(k.Timeouts).S(" timeouts").End()
	}
}

// ktParam records unigo.net.tcp=ktcp|gvisor. Boot only.
func ktParam(v []byte) bool {
	switch string(v) {
	case "ktcp":
		ktMode = ktModeKtcp
	case "gvisor":
		ktMode = ktModeGVisor
	default:
		return false
	}
	return true
}

// initFrameQueue allocates the frame queue: 256 KiB, or 1/64 of RAM in
// small guests (32 KiB at the least; a 16 MiB guest has ~4.5 MiB of RAM
// beside the program's image, and with ktcp gVisor sees few frames).
// Boot only.
func initFrameQueue() bool {
	size := uint32(frameQueueMax)
	for size > 32<<10 && uint64(size) > uint64(frames.TotalPages())*4096/64 {
		size /= 2
	}
	pa, ok := allocPages(uintptr(size / 4096))
	if !ok {
		return false
	}
	frameQ = ring{buf: directMapBase + pa, size: size}
	return true
}

// netSlots is the virtio-net queue size for the guest's RAM: 128 slots
// (2 KiB buffers, 512 KiB for both queues), 64 under 32 MiB of RAM, 32
// under 8 MiB.
func netSlots() uint16 {
	switch ram := frames.TotalPages() * 4096; {
	case ram < 8<<20:
		return 32
	case ram < 32<<20:
		return 64
	}
	return 128
}

// ktStart sets the kernel's TCP up unless unigo.net.tcp=gvisor: its
// tables in kernel pages, its rings from the frame allocator when a
// connection needs them (ktcp.Init: no heap), its ISN secret from the
// kernel's random source, its MTU from the device. Boot only.
func ktStart() {
	if ktMode != ktModeKtcp {
		klog.Info("net").S("IPv4 TCP: gVisor's").End()
		return
	}
	// Small guests get smaller rings and tables: a connection's rings
	// take 1/128 of RAM at the most (64 KiB each from 16 MiB of frames
	// up, 16 KiB in a 16 MiB guest), the table a slot per 4 pages (the
	// socket layer's sizing, TestHTTPSmallMemory).
	ram := int(frames.TotalPages()) * 4096
	rbuf := 64 << 10
	for rbuf > 4<<10 && 2*rbuf > ram/128 {
		rbuf /= 2
	}
	conns := min(ktMaxConns, max(64, int(frames.TotalPages())/4))
	ktRingBudget = frames.TotalPages() * 4096 / 4
	cfg := ktcp.Config{MaxConns: conns, RxBuf: rbuf, TxBuf: rbuf, MTU: netdev.mtu, Wake: ktSockWake,
		AllocRing: ktAllocRing, FreeRing: ktFreeRing}
	random.Read(cfg.Secret[:])
	n := uintptr(ktcp.TableBytes(cfg)+4095) / 4096
	pa, ok := allocPages(n)
	if !ok {
		klog.Warn("net").S("out of memory for the kernel's TCP tables; IPv4 TCP: gVisor's").End()
		return
	}
	ktcp.Init(&ktStackMem, cfg, unsafe.Slice((*byte)(kptr(directMapBase+pa)), n*4096))
	ktStack = &ktStackMem
	klog.Info("net").S("IPv4 TCP: the kernel's (ktcp), ").I(int64(conns)).S(" connections, ").
		I(int64(rbuf >> 10)).S(" KiB rings").End()
}

// ktMaxConns bounds the kernel TCP's table size (connections, listeners
// and TIME-WAITs; about 360 bytes each).
const ktMaxConns = 1024

var ktStackMem ktcp.Stack

// Ring memory: ktcp's connection rings come from the frame allocator
// within a global budget (as Linux's tcp_mem): a quarter of the pages the
// allocator manages, so that idle connections cannot take the memory the
// program's page faults need. Past it ktcp refuses new connections (a
// RST, Stats.RingDrops) and rings stop growing. The pages are not zeroed:
// ktcp never reads a ring byte it did not write.
var (
	ktRingBudget uintptr // bytes; set at boot (ktStart)
	ktRingUsed   uintptr
)

func ktRingOrder(n int) int {
	order := 0
	for 4096<<order < n {
		order++
	}
	return order
}

func ktAllocRing(n int) (uintptr, bool) {
	if ktRingUsed+uintptr(n) > ktRingBudget {
		ktStats.ringRefused++
		return 0, false
	}
	pa, ok := frames.Alloc(ktRingOrder(n))
	if !ok {
		ktStats.ringRefused++
		return 0, false
	}
	ktRingUsed += uintptr(n)
	return mm.PhysToVirt(pa), true
}

func ktFreeRing(va uintptr, n int) {
	frames.Free(mm.VirtToPhys(va), ktRingOrder(n))
	ktRingUsed -= uintptr(n)
}
