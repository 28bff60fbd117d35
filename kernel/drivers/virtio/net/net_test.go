package net

import (
	"bytes"
	"encoding/binary"
	"testing"

	"unigo.dev/unigo/kernel/drivers/virtio/virtq"
	"unigo.dev/unigo/kernel/internal/arena"
	"unigo.dev/unigo/kernel/mm"
)

// fakeDev is a virtio-net device on fake physical memory. It reads the
// split rings by their layout in the specification (§2.7), not through
// package virtq, so the test checks the driver against the spec.
type fakeDev struct {
	t         *testing.T
	features  uint64
	accepted  uint64
	status    uint32
	qmax      [2]uint16
	queues    [2]*virtq.Queue
	seen      [2]uint16 // next available-ring entry to take
	used      [2]uint16
	notified  [2]int
	acks      int
	mac       [6]byte
	sent      [][]byte
	heldRx    []chain // rx buffers taken from the ring, not yet filled
	interrupt bool    // the device would raise an interrupt
}

type chain struct {
	head uint16
	pa   uintptr
	len  uint32
	w    bool
}

func (f *fakeDev) Reset()               { f.status = 0 }
func (f *fakeDev) AddStatus(b uint32)   { f.status |= b }
func (f *fakeDev) Status() uint32       { return f.status }
func (f *fakeDev) Features() uint64     { return f.features }
func (f *fakeDev) SetFeatures(v uint64) { f.accepted = v }
func (f *fakeDev) QueueMax(i uint32) uint16 {
	if i < 2 {
		return f.qmax[i]
	}
	return 0
}
func (f *fakeDev) SetupQueue(i uint32, q *virtq.Queue) { f.queues[i] = q }
func (f *fakeDev) Notify(i uint32)                     { f.notified[i]++ }
func (f *fakeDev) Ack() uint32                         { f.acks++; return 1 }
func (f *fakeDev) Config8(off uintptr) uint8           { return f.mac[off] }
func (f *fakeDev) Config64(off uintptr) uint64         { return 0 }

func (f *fakeDev) ring(i int) (desc, avail, used uintptr, n uint16) {
	q := f.queues[i]
	d, a, u := q.Addresses()
	return mm.PhysToVirt(d), mm.PhysToVirt(a), mm.PhysToVirt(u), q.Len()
}

func le16(va uintptr) uint16 { return binary.LittleEndian.Uint16(arena.Bytes(mm.VirtToPhys(va), 2)) }

// take pops the available chains of queue i (single descriptors here).
func (f *fakeDev) take(i int) []chain {
	desc, avail, _, n := f.ring(i)
	var out []chain
	for f.seen[i] != le16(avail+2) {
		head := le16(avail + 4 + uintptr(f.seen[i]%n)*2)
		f.seen[i]++
		d := arena.Bytes(mm.VirtToPhys(desc+uintptr(head)*16), 16)
		flags := binary.LittleEndian.Uint16(d[12:])
		if flags&1 != 0 {
			f.t.Fatalf("queue %d: chained descriptors; the driver uses one per frame", i)
		}
		out = append(out, chain{head: head, pa: uintptr(binary.LittleEndian.Uint64(d)),
			len: binary.LittleEndian.Uint32(d[8:]), w: flags&2 != 0})
	}
	return out
}

// complete puts head on queue i's used ring with written bytes.
func (f *fakeDev) complete(i int, head uint16, written uint32) {
	_, avail, used, n := f.ring(i)
	e := arena.Bytes(mm.VirtToPhys(used+4+uintptr(f.used[i]%n)*8), 8)
	binary.LittleEndian.PutUint32(e, uint32(head))
	binary.LittleEndian.PutUint32(e[4:], written)
	f.used[i]++
	binary.LittleEndian.PutUint16(arena.Bytes(mm.VirtToPhys(used+2), 2), f.used[i])
	if le16(avail)&1 == 0 {
		f.interrupt = true
	}
}

// deliver receives frame into the next rx buffer.
func (f *fakeDev) deliver(frame []byte) bool {
	f.heldRx = append(f.heldRx, f.take(0)...)
	if len(f.heldRx) == 0 {
		return false
	}
	c := f.heldRx[0]
	f.heldRx = f.heldRx[1:]
	if !c.w {
		f.t.Fatal("rx buffer not device-writable")
	}
	if uint32(HeaderLen+len(frame)) > c.len {
		f.t.Fatalf("rx buffer of %d bytes for a %d-byte frame", c.len, len(frame))
	}
	b := arena.Bytes(c.pa, uintptr(c.len))
	clear(b[:HeaderLen])
	copy(b[HeaderLen:], frame)
	f.complete(0, c.head, uint32(HeaderLen+len(frame)))
	return true
}

// transmit consumes the tx ring, checking each header.
func (f *fakeDev) transmit() {
	for _, c := range f.take(1) {
		if c.w {
			f.t.Fatal("tx buffer marked device-writable")
		}
		b := arena.Bytes(c.pa, uintptr(c.len))
		if !bytes.Equal(b[:HeaderLen], make([]byte, HeaderLen)) {
			f.t.Errorf("tx header % x; want zeros (no offloads)", b[:HeaderLen])
		}
		f.sent = append(f.sent, bytes.Clone(b[HeaderLen:]))
		f.complete(1, c.head, 0)
	}
}

// testPages backs a fresh 4 MiB arena at testBase with a bump allocator
// for Init; *used tells how many bytes it handed out.
const testBase = 0x100000

func testPages() (alloc func(n uintptr) (uintptr, bool), used *uintptr) {
	arena.Setup(testBase, 4<<20)
	used = new(uintptr)
	return func(n uintptr) (uintptr, bool) {
		pa := testBase + *used
		*used += n * mm.PageSize
		return pa, *used <= 4<<20
	}, used
}

func newDevice(t *testing.T, features uint64, qmax uint16) (*Device, *fakeDev) {
	alloc, _ := testPages()
	f := &fakeDev{t: t, features: features, qmax: [2]uint16{qmax, qmax}, mac: [6]byte{2, 0, 0, 0, 0, 7}}
	d := &Device{}
	if why := d.Init(f, alloc); why != "" {
		t.Fatalf("Init: %s", why)
	}
	return d, f
}

func frame(i int) []byte {
	b := make([]byte, 60+i%1400)
	for j := range b {
		b[j] = byte(i + j)
	}
	return b
}

func TestInit(t *testing.T) {
	d, f := newDevice(t, FeatVersion1|FeatMAC|FeatStatus|1<<0, 256)
	if f.accepted != FeatVersion1|FeatMAC {
		t.Errorf("accepted features %#x; want VERSION_1|MAC only", f.accepted)
	}
	if f.status != statusAcknowledge|statusDriver|statusFeaturesOK|statusDriverOK {
		t.Errorf("status %#x; want ACK|DRIVER|FEATURES_OK|DRIVER_OK", f.status)
	}
	if d.MAC() != f.mac {
		t.Errorf("MAC = % x; want % x", d.MAC(), f.mac)
	}
	if got := len(f.take(0)); got != MaxQueue {
		t.Errorf("%d rx buffers posted; want %d (queue capped)", got, MaxQueue)
	}
	if f.notified[0] == 0 {
		t.Error("device not notified of the rx buffers")
	}
}

func TestSlots(t *testing.T) {
	alloc, used := testPages()
	f := &fakeDev{t: t, features: FeatVersion1, qmax: [2]uint16{256, 256}}
	d := &Device{Slots: 32}
	if why := d.Init(f, alloc); why != "" {
		t.Fatalf("Init: %s", why)
	}
	if got := len(f.take(0)); got != 32 || f.queues[1].Len() != 32 {
		t.Errorf("%d rx buffers posted, tx queue of %d; want 32 and 32 (Slots)", got, f.queues[1].Len())
	}
	if *used > 200<<10 {
		t.Errorf("Init took %d KiB for 32-slot queues; want their 128 KiB of buffers and the rings", *used>>10)
	}
}

func TestInitFailures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		features uint64
		qmax     uint16
	}{
		{"legacy", FeatMAC, 64},
		{"no queues", FeatVersion1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arena.Setup(0x100000, 1<<20)
			f := &fakeDev{t: t, features: tc.features, qmax: [2]uint16{tc.qmax, tc.qmax}}
			d := &Device{}
			why := d.Init(f, func(n uintptr) (uintptr, bool) { return 0x100000, true })
			if why == "" || f.status&statusFailed == 0 {
				t.Errorf("Init = %q, status %#x; want a reason and FAILED", why, f.status)
			}
		})
	}
}

func TestRxTxAcrossWrap(t *testing.T) {
	d, f := newDevice(t, FeatVersion1|FeatMAC, 8)
	buf := make([]byte, MaxFrame)
	// Many more frames than slots: the 16-bit ring indices wrap too.
	for i := 0; i < 70000; i++ {
		want := frame(i)
		if !f.deliver(want) {
			t.Fatalf("frame %d: no rx buffer posted", i)
		}
		n, ok := d.Recv(buf)
		if !ok || !bytes.Equal(buf[:n], want) {
			t.Fatalf("frame %d: Recv = %d, %v; want the %d-byte frame", i, n, ok, len(want))
		}
		if i%1000 == 0 {
			if !d.Send(want) {
				t.Fatalf("frame %d: Send failed", i)
			}
			d.Flush()
			f.transmit()
			if got := f.sent[len(f.sent)-1]; !bytes.Equal(got, want) {
				t.Fatalf("frame %d: device sent %d bytes, want %d", i, len(got), len(want))
			}
		}
	}
	if d.Stats.RxFrames != 70000 || d.Stats.TxFrames != 70 {
		t.Errorf("stats %+v", d.Stats)
	}
}

func TestRxInterruptRearm(t *testing.T) {
	d, f := newDevice(t, FeatVersion1, 8)
	buf := make([]byte, MaxFrame)
	f.deliver(frame(1))
	if !f.interrupt {
		t.Fatal("interrupts off before the first frame")
	}
	if !d.Interrupt() {
		t.Error("Interrupt reports no frames with one waiting")
	}
	f.interrupt = false
	f.deliver(frame(2)) // arrives while the stack drains: no interrupt wanted
	if f.interrupt {
		t.Error("device asked to interrupt while receive interrupts are off")
	}
	for i := 1; i <= 2; i++ {
		if n, ok := d.Recv(buf); !ok || !bytes.Equal(buf[:n], frame(i)) {
			t.Fatalf("Recv %d failed", i)
		}
	}
	if _, ok := d.Recv(buf); ok {
		t.Fatal("Recv returned a frame from an empty queue")
	}
	f.deliver(frame(3))
	if !f.interrupt {
		t.Error("interrupts not re-armed after the queue ran empty")
	}
}

func TestBadFrames(t *testing.T) {
	d, f := newDevice(t, FeatVersion1, 8)
	small := make([]byte, 100)
	f.deliver(frame(500)) // longer than the reader's buffer: dropped
	f.deliver(frame(3))
	n, ok := d.Recv(small)
	if !ok || !bytes.Equal(small[:n], frame(3)) {
		t.Errorf("Recv after an oversized frame = %d, %v; want the next frame", n, ok)
	}
	if d.Stats.RxDropped != 1 {
		t.Errorf("RxDropped = %d; want 1", d.Stats.RxDropped)
	}
	// A device claiming more bytes than the buffer holds.
	f.heldRx = append(f.heldRx, f.take(0)...)
	c := f.heldRx[0]
	f.heldRx = f.heldRx[1:]
	f.complete(0, c.head, BufSize+100)
	if _, ok := d.Recv(make([]byte, MaxFrame)); ok {
		t.Error("Recv accepted a frame longer than its buffer")
	}
	if d.Send(make([]byte, MaxFrame+1)) || d.Send(nil) {
		t.Error("Send accepted an oversized or empty frame")
	}
}

func TestTxFull(t *testing.T) {
	d, f := newDevice(t, FeatVersion1, 4)
	for i := 0; i < 4; i++ {
		if !d.Send(frame(i)) {
			t.Fatalf("Send %d failed on a queue with room", i)
		}
	}
	if d.Send(frame(9)) {
		t.Fatal("Send succeeded on a full queue the device has not drained")
	}
	f.transmit()
	if !d.Send(frame(10)) {
		t.Error("Send failed after the device drained the queue")
	}
	if d.Stats.TxDropped != 1 {
		t.Errorf("TxDropped = %d; want 1", d.Stats.TxDropped)
	}
	for i, got := range f.sent {
		if !bytes.Equal(got, frame(i)) {
			t.Errorf("frame %d differs", i)
		}
	}
}

func TestNoGoAllocs(t *testing.T) {
	d, f := newDevice(t, FeatVersion1, 16)
	buf := make([]byte, MaxFrame)
	fr := frame(5)
	n := testing.AllocsPerRun(100, func() {
		d.Send(fr)
		d.Flush()
		d.Recv(buf)
	})
	f.transmit()
	if n != 0 {
		t.Errorf("Send/Recv allocate %v times per run", n)
	}
}

// TestZeroCopy receives frames as views of their slots and sends frames
// written in place, across the ring's wrap, and checks that a full
// transmit queue turns transmit interrupts on until a slot comes back.
func TestZeroCopy(t *testing.T) {
	d, f := newDevice(t, FeatVersion1, 8)
	for i := 0; i < 1000; i++ {
		want := frame(i)
		f.deliver(want)
		got, ok := d.RecvFrame()
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: RecvFrame = %d bytes, %v; want the %d-byte frame", i, len(got), ok, len(want))
		}
		d.RecvDone()
		buf, ok := d.TxFrame()
		if !ok || len(buf) != MaxFrame {
			t.Fatalf("frame %d: TxFrame = %d bytes, %v; want %d", i, len(buf), ok, MaxFrame)
		}
		d.TxCommit(copy(buf, want))
		d.Flush()
		f.transmit()
		if got := f.sent[len(f.sent)-1]; !bytes.Equal(got, want) {
			t.Fatalf("frame %d: device sent %d bytes, want %d", i, len(got), len(want))
		}
	}
	if _, ok := d.RecvFrame(); ok {
		t.Fatal("RecvFrame returned a frame from an empty queue")
	}
	for i := 0; i < 8; i++ {
		buf, ok := d.TxFrame()
		if !ok {
			t.Fatalf("TxFrame %d failed on a queue with room", i)
		}
		d.TxCommit(copy(buf, frame(i)))
	}
	if _, ok := d.TxFrame(); ok || !d.TxWaiting() {
		t.Fatalf("TxFrame on a full queue: ok=%v, TxWaiting=%v; want false, true", ok, d.TxWaiting())
	}
	f.interrupt = false
	f.transmit()
	if !f.interrupt {
		t.Error("no transmit interrupt requested while waiting for a slot")
	}
	d.Interrupt()
	if d.TxWaiting() {
		t.Error("TxWaiting after the device gave slots back")
	}
	if _, ok := d.TxFrame(); !ok {
		t.Error("TxFrame failed after the device drained the queue")
	}
}
