//go:build unigo_net

package core

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unsafe"

	virtionet "unigo.dev/unigo/kernel/drivers/virtio/net"
	"unigo.dev/unigo/kernel/drivers/virtio/virtq"
	"unigo.dev/unigo/kernel/internal/arena"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/buddy"
	"unigo.dev/unigo/kernel/net/ktcp"
)

// ktFakeNIC is a virtio-net device on arena memory for the frame path's
// tests: it fills the driver's receive buffers and collects what the
// driver transmits, reading the split rings by their layout (VIRTIO 1.2
// §2.7).
type ktFakeNIC struct {
	t      *testing.T
	status uint32
	queues [2]*virtq.Queue
	seen   [2]uint16
	used   [2]uint16
	rxFree []ktChain // receive buffers taken from the ring, not filled yet
	sent   [][]byte
}

// ktFakeSlots is the fake NIC's queue size.
var ktFakeSlots uint16 = 16

type ktChain struct {
	head uint16
	pa   uintptr
	len  uint32
}

func (f *ktFakeNIC) Reset()                              { f.status = 0 }
func (f *ktFakeNIC) AddStatus(b uint32)                  { f.status |= b }
func (f *ktFakeNIC) Status() uint32                      { return f.status }
func (f *ktFakeNIC) Features() uint64                    { return virtionet.FeatVersion1 }
func (f *ktFakeNIC) SetFeatures(uint64)                  {}
func (f *ktFakeNIC) QueueMax(i uint32) uint16            { return ktFakeSlots }
func (f *ktFakeNIC) SetupQueue(i uint32, q *virtq.Queue) { f.queues[i] = q }
func (f *ktFakeNIC) Notify(uint32)                       {}
func (f *ktFakeNIC) Ack() uint32                         { return 1 }
func (f *ktFakeNIC) Config8(uintptr) uint8               { return 0 }
func (f *ktFakeNIC) Config64(uintptr) uint64             { return 0 }

func ktLE16(pa uintptr) uint16 { return binary.LittleEndian.Uint16(arena.Bytes(pa, 2)) }

// take pops queue i's newly available (single-descriptor) chains.
func (f *ktFakeNIC) take(i int) []ktChain {
	desc, avail, _ := f.queues[i].Addresses()
	n := f.queues[i].Len()
	var out []ktChain
	for f.seen[i] != ktLE16(avail+2) {
		head := ktLE16(avail + 4 + uintptr(f.seen[i]%n)*2)
		f.seen[i]++
		d := arena.Bytes(desc+uintptr(head)*16, 16)
		out = append(out, ktChain{head, uintptr(binary.LittleEndian.Uint64(d)), binary.LittleEndian.Uint32(d[8:])})
	}
	return out
}

func (f *ktFakeNIC) complete(i int, head uint16, written uint32) {
	_, _, used := f.queues[i].Addresses()
	n := f.queues[i].Len()
	e := arena.Bytes(used+4+uintptr(f.used[i]%n)*8, 8)
	binary.LittleEndian.PutUint32(e, uint32(head))
	binary.LittleEndian.PutUint32(e[4:], written)
	f.used[i]++
	binary.LittleEndian.PutUint16(arena.Bytes(used+2, 2), f.used[i])
}

// deliver receives frame into the next receive buffer; false when the
// driver has posted none.
func (f *ktFakeNIC) deliver(frame []byte) bool {
	f.rxFree = append(f.rxFree, f.take(0)...)
	if len(f.rxFree) == 0 {
		return false
	}
	c := f.rxFree[0]
	f.rxFree = f.rxFree[1:]
	b := arena.Bytes(c.pa, uintptr(c.len))
	clear(b[:virtionet.HeaderLen])
	copy(b[virtionet.HeaderLen:], frame)
	f.complete(0, c.head, uint32(virtionet.HeaderLen+len(frame)))
	return true
}

func (f *ktFakeNIC) transmit() {
	for _, c := range f.take(1) {
		f.sent = append(f.sent, bytes.Clone(arena.Bytes(c.pa, uintptr(c.len))[virtionet.HeaderLen:]))
		f.complete(1, c.head, 0)
	}
}

// ktnetDevice puts a fake NIC under netdev and a frame queue of qsize
// bytes over the frame path of ktnetSetup (without ktTestTx).
func ktnetDevice(t *testing.T, withStack bool, qsize uint32) *ktFakeNIC {
	ktnetSetup(t, withStack)
	ktTestTx = nil
	const base = 0x100000
	arena.Setup(base, 4<<20)
	next := uintptr(base)
	alloc := func(n uintptr) (uintptr, bool) {
		pa := next
		next += n * mm.PageSize
		return pa, next <= base+4<<20
	}
	f := &ktFakeNIC{t: t}
	saved := netdev
	netdev.d = virtionet.Device{}
	if why := netdev.d.Init(f, alloc); why != "" {
		t.Fatalf("Init: %s", why)
	}
	netdev.present = true
	mem := make([]byte, qsize)
	frameQ = ring{buf: uintptr(unsafe.Pointer(&mem[0])), size: qsize}
	t.Cleanup(func() {
		_ = mem[0]
		netdev = saved
	})
	return f
}

// TestKtnetDrainPause fills a small frame queue from the device: receive
// pauses with frames left in the device, and OpRecv (netRecv) hands over
// every frame in order, taking the rest from the device as it goes.
func TestKtnetDrainPause(t *testing.T) {
	f := ktnetDevice(t, false, 8<<10)
	var want [][]byte
	for i := 0; i < 12; i++ {
		fr := ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 17)
		fr = append(fr, make([]byte, 1000+i)...)
		fr[ethHdrLen+4] = byte(i)
		if !f.deliver(fr) {
			t.Fatalf("frame %d: no receive buffer", i)
		}
		want = append(want, fr)
	}
	netDrain(true)
	if !netdev.rxBlocked || !netdev.rxPending {
		t.Fatalf("after a drain into a small queue: rxBlocked=%v rxPending=%v; want both", netdev.rxBlocked, netdev.rxPending)
	}
	var got [][]byte
	buf := make([]byte, 3000) // about two frames per call
	for k := 0; k < 100 && netdev.rxPending; k++ {
		n := int(netRecv(buf))
		for off := 0; off < n; {
			m := int(buf[off]) | int(buf[off+1])<<8
			got = append(got, bytes.Clone(buf[off+2:off+2+m]))
			off += 2 + m
		}
	}
	if netdev.rxBlocked || netdev.rxPending {
		t.Errorf("after reading everything: rxBlocked=%v rxPending=%v; want neither", netdev.rxBlocked, netdev.rxPending)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d frames; want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("frame %d differs", i)
		}
	}
}

// TestKtnetDevice runs a SYN through the driver's receive queue into
// ktcp and its SYN-ACK out through a transmit slot, written in place.
func TestKtnetDevice(t *testing.T) {
	f := ktnetDevice(t, true, 64<<10)
	if _, e := ktStack.Listen([4]byte{}, 80, 4); e != ktcp.OK {
		t.Fatalf("Listen: %v", e)
	}
	ktDemux(ktARP(2, ktPeerMA, ktPeer, ktOurIP), 0)
	frameQueueGet(make([]byte, 4096))
	netdev.rxPending = false
	f.deliver(ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 6))
	netInterrupt()
	f.transmit()
	if len(f.sent) != 1 || !bytes.Equal(f.sent[0][0:6], ktPeerMA[:]) || f.sent[0][ethHdrLen+9] != 6 {
		t.Fatalf("device sent %d frames (% x); want the SYN-ACK to %x", len(f.sent), f.sent, ktPeerMA)
	}
	if netdev.rxPending {
		t.Error("a TCP frame for ktcp left frames pending for gVisor")
	}
}

// TestKtnetFrameQueueFullStallsTCP: with ktcp on, a frame queue filled by
// frames gVisor has not taken yet (a busy program, a flood of UDP) does
// not stop receive: IPv4 TCP behind them still reaches ktcp, and the
// frames for gVisor that find no room are dropped and counted.
func TestKtnetFrameQueueFullStallsTCP(t *testing.T) {
	f := ktnetDevice(t, true, 8<<10)
	if _, e := ktStack.Listen([4]byte{}, 80, 4); e != ktcp.OK {
		t.Fatalf("Listen: %v", e)
	}
	for i := 0; i < 12; i++ {
		fr := ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 17)
		fr = append(fr, make([]byte, 1000)...)
		if !f.deliver(fr) {
			t.Fatalf("frame %d: no receive buffer", i)
		}
	}
	if !f.deliver(ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 6)) {
		t.Fatal("SYN: no receive buffer")
	}
	tcp, drops := ktStats.toKtcp, ktStats.queueDrops
	netDrain(true) // gVisor does not run (no netRecv)
	if ktStats.toKtcp == tcp {
		t.Fatalf("a SYN behind a full frame queue of UDP frames did not reach ktcp (rxBlocked=%v)", netdev.rxBlocked)
	}
	if netdev.rxBlocked {
		t.Error("receive paused with ktcp on")
	}
	if d := ktStats.queueDrops - drops; d == 0 || d > 12 {
		t.Errorf("%d frames for gVisor counted as dropped; want a few (the queue holds some of the 12)", d)
	}
	if n := int(netRecv(make([]byte, 16<<10))); n == 0 {
		t.Error("the frames that fit in the queue were lost")
	}
}

// TestKtnetInterruptBudget: one interrupt takes netBudget frames at the
// most, so that a flood leaves the program time to run; the frames left
// in the device (which raises no interrupt for them) are re-polled by the
// timer (ktDeadline, ktTimer) or at once by the idle loop (netIdle).
func TestKtnetInterruptBudget(t *testing.T) {
	ktFakeSlots = 128
	t.Cleanup(func() { ktFakeSlots = 16 })
	f := ktnetDevice(t, true, 256<<10)
	const n = netBudget + 40
	for i := 0; i < n; i++ {
		if !f.deliver(ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 17)) {
			t.Fatalf("frame %d: no receive buffer", i)
		}
	}
	q := ktStats.queued
	netInterrupt()
	if got := ktStats.queued - q; got != netBudget {
		t.Fatalf("one interrupt took %d frames; want the budget, %d", got, netBudget)
	}
	if !netdev.rxMore {
		t.Fatal("frames left in the device and no re-poll asked for")
	}
	d := ktDeadline()
	if d == 0 || d != netdev.rxMoreAt {
		t.Fatalf("ktDeadline = %d; want the re-poll at %d", d, netdev.rxMoreAt)
	}
	ktTimer(d - 1)
	if got := ktStats.queued - q; got != netBudget {
		t.Fatalf("the timer re-polled before its time (%d frames)", got)
	}
	ktTimer(d)
	if got := ktStats.queued - q; got != n || netdev.rxMore {
		t.Fatalf("after the re-poll: %d frames taken, rxMore=%v; want %d, false", got, netdev.rxMore, n)
	}
	// The idle loop re-polls at once.
	for i := 0; i < n; i++ {
		f.deliver(ktFrameOf(ktPeerMA, ktPeer, ktOurIP, 17))
	}
	netInterrupt()
	netIdle()
	if got := ktStats.queued - q; got != 2*n || netdev.rxMore {
		t.Fatalf("after the idle re-poll: %d frames taken, rxMore=%v; want %d, false", got, netdev.rxMore, 2*n)
	}
}

// TestKtnetRingBudget: ktcp's rings come from the frame allocator within
// a global budget: past it allocations are refused (ktcp then refuses
// the connection, or keeps a ring from growing), and freed rings make
// room again.
func TestKtnetRingBudget(t *testing.T) {
	const base, size = 0x100000, 4 << 20
	arena.Setup(base, size)
	saved, savedBudget := frames, ktRingBudget
	frames.Init(base, base+size, mm.PhysToVirt(base))
	frames.AddRange(base+mm.PageUp(buddy.MetaSize(base, base+size)), base+size)
	ktRingBudget, ktRingUsed = 64<<10, 0
	t.Cleanup(func() { frames, ktRingBudget, ktRingUsed = saved, savedBudget, 0 })
	var rings []uintptr
	for k := 0; k < 20; k++ {
		va, ok := ktAllocRing(8 << 10)
		if !ok {
			break
		}
		b := arena.Bytes(mm.VirtToPhys(va), 8<<10)
		b[0], b[len(b)-1] = 1, 1 // the memory is there
		rings = append(rings, va)
	}
	if len(rings) != 8 {
		t.Fatalf("%d rings of 8 KiB within a budget of 64 KiB; want 8", len(rings))
	}
	free := frames.FreePages()
	if _, ok := ktAllocRing(4 << 10); ok {
		t.Fatal("a ring over the budget was allocated")
	}
	ktFreeRing(rings[0], 8<<10)
	if frames.FreePages() != free+2 {
		t.Errorf("freeing a ring gave %d pages back; want 2", frames.FreePages()-free)
	}
	if _, ok := ktAllocRing(16 << 10); ok {
		t.Fatal("a ring over the budget was allocated after one was freed")
	}
	if _, ok := ktAllocRing(8 << 10); !ok {
		t.Fatal("no ring within the budget after one was freed")
	}
}
