// Package net is the virtio network device driver (VIRTIO 1.2 §5.1): one
// receive and one transmit queue, Ethernet frames of up to 1514 bytes
// (no offloads, no mergeable buffers), each queue slot backed by its own
// 2 KiB buffer in kernel memory so that a frame is copied exactly once in
// each direction (between the program's network stack and that buffer).
//
// The driver is transport independent (package mmio on microvm, package pci
// on pc and q35) and allocation free: it runs in trap context. Receive is
// interrupt driven with NAPI-style suppression: the interrupt handler turns
// receive interrupts off and wakes the network stack, which drains the
// queue with [Device.Recv]; Recv turns them back on when it finds the queue
// empty (and looks once more, for a frame that raced with that). Transmit
// interrupts stay off: used transmit buffers are reclaimed on the next
// [Device.Send].
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
	// MaxQueue caps each queue's size.
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
	nrx, ntx = min(nrx, MaxQueue), min(ntx, MaxQueue)
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
// It reports whether frames are waiting. An interrupt with nothing
// received (a transmit completion, a configuration change) leaves receive
// interrupts on: turning them off then would leave nobody to turn them
// back on, and the device deaf.
func (d *Device) Interrupt() bool {
	d.t.Ack()
	if !d.rx.Pending() {
		return false
	}
	d.rx.SetInterrupts(false)
	return true
}

// Recv copies the next received frame (without the virtio header) into
// dst and returns its length; a frame longer than dst is dropped. It
// returns ok=false when no frame is waiting, having turned receive
// interrupts back on.
func (d *Device) Recv(dst []byte) (n int, ok bool) {
	for {
		head, written, ok := d.rx.Next()
		if !ok {
			d.rx.SetInterrupts(true)
			if !d.rx.Pending() {
				return 0, false
			}
			d.rx.SetInterrupts(false)
			continue
		}
		buf := d.rxBuf + uintptr(head)*BufSize
		n := int(written) - HeaderLen
		good := head < d.rx.Len() && n > 0 && n <= BufSize-HeaderLen && n <= len(dst)
		if good {
			copy(dst[:n], bytesAt(buf+HeaderLen, uintptr(n)))
		}
		d.postRx(head)
		if d.rx.NeedNotify() {
			d.t.Notify(rxQueue)
		}
		if !good {
			d.Stats.RxDropped++
			continue
		}
		d.Stats.RxFrames++
		return n, true
	}
}

// Send queues one frame for transmission; the device is notified by Flush.
// It returns false (and counts a drop) when the frame is too large or the
// queue is full.
func (d *Device) Send(frame []byte) bool {
	for {
		if _, _, ok := d.tx.Next(); !ok {
			break
		}
	}
	h, ok := d.tx.PeekHead()
	if !ok || len(frame) > MaxFrame || len(frame) == 0 {
		d.Stats.TxDropped++
		return false
	}
	buf := d.txBuf + uintptr(h)*BufSize
	hdr := bytesAt(buf, HeaderLen)
	clear(hdr) // no checksum offload, no GSO
	copy(bytesAt(buf+HeaderLen, uintptr(len(frame))), frame)
	var b [1]virtq.Buf
	b[0] = virtq.Buf{PA: d.txPA + uintptr(h)*BufSize, Len: uint32(HeaderLen + len(frame))}
	d.tx.Add(b[:])
	d.Stats.TxFrames++
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
