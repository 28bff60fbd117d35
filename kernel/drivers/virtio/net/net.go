// Package net is the virtio network device driver (VIRTIO 1.2 §5.1): one
// receive and one transmit queue, Ethernet frames of up to 1514 bytes
// (no offloads, no mergeable buffers), each queue slot backed by its own
// 2 KiB buffer in kernel memory.
//
// Two ways to move frames: without copying, a received frame is a view of
// its slot's buffer ([Device.RecvFrame], then [Device.RecvDone]) and a
// frame to send is written in place into a free slot's buffer
// ([Device.TxFrame], then [Device.TxCommit]); the kernel's own TCP uses
// these. [Device.Recv] and [Device.Send] copy, for callers with their own
// buffers.
//
// The driver is transport independent (package mmio on microvm, package pci
// on pc and q35) and allocation free: it runs in trap context. Receive is
// interrupt driven with NAPI-style suppression: [Device.Interrupt] turns
// receive interrupts off when frames wait, and the caller drains the
// queue; RecvFrame turns them back on when it finds the queue empty (and
// looks once more, for a frame that raced with that). Transmit interrupts
// stay off (used transmit buffers are reclaimed when the next frame is
// queued) except while a sender waits for a free slot ([Device.TxWaiting]).
//
// # Concurrency
//
// None inside; the kernel serialises calls (interrupts are off in kernel
// code).
package net

import (
	"unsafe"

	"unigo.dev/unigo/kernel/drivers/virtio"
	"unigo.dev/unigo/kernel/drivers/virtio/virtq"
	"unigo.dev/unigo/kernel/mm"
)

// Feature bits (§5.1.3, §6).
const (
	FeatMAC      = 1 << 5
	FeatStatus   = 1 << 16
	FeatVersion1 = 1 << 32
)

// Device status bits (§2.1).
const (
	statusAcknowledge = 1
	statusDriver      = 2
	statusDriverOK    = 4
	statusFeaturesOK  = 8
	statusFailed      = 128
)

const (
	// HeaderLen is struct virtio_net_hdr with VIRTIO_F_VERSION_1 (§5.1.6).
	HeaderLen = 12
	// MaxFrame is the largest Ethernet frame (without FCS) the driver
	// sends or receives: MTU 1500 plus the 14-byte header.
	MaxFrame = 1514
	// BufSize is the buffer behind each queue slot; two fit in a page.
	BufSize = 2048
	// MaxQueue caps each queue's size (Device.Slots lowers it).
	MaxQueue = 128

	rxQueue = 0
	txQueue = 1
)

// Transport is the virtio transport the driver runs on (mmio.Device or
// *pci.Device).
type Transport = virtio.Transport

// Stats counts frames.
type Stats struct {
	RxFrames, TxFrames   uint64
	RxDropped, TxDropped uint64 // malformed received frames; frames sent into a full queue
}

// Device is one virtio network device.
type Device struct {
	t      Transport
	rx, tx virtq.Queue
	rxBuf  uintptr // virtual address of the rx buffers (slot i at rxBuf+i*BufSize)
	rxPA   uintptr
	txBuf  uintptr
	txPA   uintptr
	mac    [6]byte
	// Slots, when set before Init, caps each queue's size below
	// MaxQueue (a power of two): each slot holds a BufSize buffer, so a
	// small guest takes fewer.
	Slots  uint16
	rxHeld uint16 // the slot RecvFrame handed out
	txWait bool   // transmit interrupts are on: every slot was in use
	Stats  Stats
}

// Alloc returns the physical address of n contiguous zeroed pages.
type Alloc func(n uintptr) (pa uintptr, ok bool)

// Init brings the device up (§3.1.1): features, queues, receive buffers.
// It returns "" or why the device cannot be used. Boot only: it stores
// the transport (an interface value) in d.
func (d *Device) Init(t Transport, alloc Alloc) string {
	d.t = t
	t.Reset()
	t.AddStatus(statusAcknowledge | statusDriver)
	feat := t.Features()
	if feat&FeatVersion1 == 0 {
		t.AddStatus(statusFailed)
		return "no VIRTIO_F_VERSION_1 (a legacy-only device)"
	}
	t.SetFeatures(FeatVersion1 | feat&FeatMAC)
	t.AddStatus(statusFeaturesOK)
	if t.Status()&statusFeaturesOK == 0 {
		t.AddStatus(statusFailed)
		return "the device refused our features"
	}
	nrx, ntx := t.QueueMax(rxQueue), t.QueueMax(txQueue)
	if nrx == 0 || ntx == 0 {
		t.AddStatus(statusFailed)
		return "missing receive or transmit queue"
	}
	limit := uint16(MaxQueue)
	if d.Slots > 0 && d.Slots < limit {
		limit = d.Slots
	}
	nrx, ntx = min(nrx, limit), min(ntx, limit)
	if !d.setupQueue(&d.rx, rxQueue, nrx, alloc) || !d.setupQueue(&d.tx, txQueue, ntx, alloc) {
		t.AddStatus(statusFailed)
		return "out of memory for the queues"
	}
	var ok1, ok2 bool
	d.rxPA, ok1 = alloc(uintptr(nrx) * BufSize / mm.PageSize)
	d.txPA, ok2 = alloc(uintptr(ntx) * BufSize / mm.PageSize)
	if !ok1 || !ok2 {
		t.AddStatus(statusFailed)
		return "out of memory for the buffers"
	}
	d.rxBuf, d.txBuf = mm.PhysToVirt(d.rxPA), mm.PhysToVirt(d.txPA)
	if feat&FeatMAC != 0 {
		for i := range d.mac {
			d.mac[i] = t.Config8(uintptr(i))
		}
	} else {
		// A locally administered address (§5.1.5: the driver picks one).
		d.mac = [6]byte{0x52, 0x54, 0x00, 0x75, 0x6e, 0x69}
	}
	d.tx.SetInterrupts(false)
	t.AddStatus(statusDriverOK)
	for {
		h, ok := d.rx.PeekHead()
		if !ok {
			break
		}
		d.postRx(h)
	}
	t.Notify(rxQueue)
	return ""
}

func (d *Device) setupQueue(q *virtq.Queue, idx uint32, n uint16, alloc Alloc) bool {
	pa, ok := alloc((virtq.Size(n) + mm.PageSize - 1) / mm.PageSize)
	if !ok {
		return false
	}
	q.Init(n, mm.PhysToVirt(pa), pa)
	d.t.SetupQueue(idx, q)
	return true
}

// postRx makes receive slot h (the queue's next free head) available.
func (d *Device) postRx(h uint16) {
	var b [1]virtq.Buf
	b[0] = virtq.Buf{PA: d.rxPA + uintptr(h)*BufSize, Len: BufSize, Write: true}
	d.rx.Add(b[:])
}

// MAC returns the device's Ethernet address.
func (d *Device) MAC() [6]byte { return d.mac }

// Interrupt acknowledges the device's interrupt and, when frames are
// waiting, turns receive interrupts off until Recv finds the queue empty.
// It reports whether frames are waiting. A transmit slot given back
// while TxWaiting turns transmit interrupts off again (TxWaiting false).
// An interrupt with nothing
// received (a transmit completion, a configuration change) leaves receive
// interrupts on: turning them off then would leave nobody to turn them
// back on, and the device deaf.
func (d *Device) Interrupt() bool {
	d.t.Ack()
	if d.txWait && d.tx.Pending() {
		d.txWait = false
		d.tx.SetInterrupts(false)
	}
	if !d.rx.Pending() {
		return false
	}
	d.rx.SetInterrupts(false)
	return true
}

// RecvFrame returns the next received frame (without the virtio header)
// as a view of its slot's buffer, without copying. The caller gives the
// slot back with [Device.RecvDone] before the next RecvFrame or Recv (one
// frame is out at a time). Malformed frames are dropped and counted. It
// returns ok=false when no frame is waiting, having turned receive
// interrupts back on (and looked once more, for a frame that raced with
// that).
func (d *Device) RecvFrame() (frame []byte, ok bool) {
	for {
		head, written, ok := d.rx.Next()
		if !ok {
			d.rx.SetInterrupts(true)
			if !d.rx.Pending() {
				return nil, false
			}
			d.rx.SetInterrupts(false)
			continue
		}
		n := int(written) - HeaderLen
		if head >= d.rx.Len() || n <= 0 || n > MaxFrame {
			d.postRx(head)
			d.notifyRx()
			d.Stats.RxDropped++
			continue
		}
		d.Stats.RxFrames++
		d.rxHeld = head
		return bytesAt(d.rxBuf+uintptr(head)*BufSize+HeaderLen, uintptr(n)), true
	}
}

// RecvDone gives the slot of the frame RecvFrame returned back to the
// device; the frame's view is invalid afterwards.
func (d *Device) RecvDone() {
	d.postRx(d.rxHeld)
	d.notifyRx()
}

func (d *Device) notifyRx() {
	if d.rx.NeedNotify() {
		d.t.Notify(rxQueue)
	}
}

// Recv copies the next received frame (without the virtio header) into
// dst and returns its length; a frame longer than dst is dropped. It
// returns ok=false when no frame is waiting, having turned receive
// interrupts back on.
func (d *Device) Recv(dst []byte) (n int, ok bool) {
	for {
		f, ok := d.RecvFrame()
		if !ok {
			return 0, false
		}
		n := copy(dst, f)
		d.RecvDone()
		if n < len(f) {
			d.Stats.RxFrames--
			d.Stats.RxDropped++
			continue
		}
		return n, true
	}
}

// TxFrame returns the buffer of the next free transmit slot (MaxFrame
// bytes) for the caller to write a frame into in place; [Device.TxCommit]
// queues it. It reclaims the slots the device is done with once half of
// them are in use. When
// every slot is in use it returns ok=false and turns transmit interrupts
// on, so that [Device.Interrupt] reports the first slot the device gives
// back.
func (d *Device) TxFrame() (buf []byte, ok bool) {
	if d.tx.Free() <= d.tx.Len()/2 {
		d.reclaimTx() // lazily: the used ring is read once per many frames
	}
	h, ok := d.tx.PeekHead()
	if !ok {
		if !d.txWait {
			d.txWait = true
			d.tx.SetInterrupts(true)
			// Look once more, for a slot given back in between.
			d.reclaimTx()
			h, ok = d.tx.PeekHead()
		}
		if !ok {
			return nil, false
		}
	}
	return bytesAt(d.txBuf+uintptr(h)*BufSize+HeaderLen, MaxFrame), true
}

// TxCommit queues the first n bytes of the buffer TxFrame returned as a
// frame; the device is notified by Flush.
func (d *Device) TxCommit(n int) {
	h, ok := d.tx.PeekHead()
	if !ok || n <= 0 || n > MaxFrame {
		d.Stats.TxDropped++
		return
	}
	buf := d.txBuf + uintptr(h)*BufSize
	clear(bytesAt(buf, HeaderLen)) // no checksum offload, no GSO
	var b [1]virtq.Buf
	b[0] = virtq.Buf{PA: d.txPA + uintptr(h)*BufSize, Len: uint32(HeaderLen + n)}
	d.tx.Add(b[:])
	d.Stats.TxFrames++
}

func (d *Device) reclaimTx() {
	for {
		if _, _, ok := d.tx.Next(); !ok {
			break
		}
	}
}

// TxWaiting reports whether a TxFrame found every slot in use and no slot
// has been given back since.
func (d *Device) TxWaiting() bool { return d.txWait }

// Send queues one frame for transmission (a copy into the slot's buffer);
// the device is notified by Flush. It returns false (and counts a drop)
// when the frame is too large or the queue is full.
func (d *Device) Send(frame []byte) bool {
	if len(frame) > MaxFrame || len(frame) == 0 {
		d.Stats.TxDropped++
		return false
	}
	buf, ok := d.TxFrame()
	if !ok {
		d.Stats.TxDropped++
		return false
	}
	d.TxCommit(copy(buf, frame))
	return true
}

// Flush notifies the device of queued frames (when it wants notifications).
func (d *Device) Flush() {
	if d.tx.NeedNotify() {
		d.t.Notify(txQueue)
	}
}

// bytesAt is kernel memory [va, va+n) as a slice (no allocation).
func bytesAt(va, n uintptr) []byte { return unsafe.Slice((*byte)(mm.Ptr(va)), n) }
