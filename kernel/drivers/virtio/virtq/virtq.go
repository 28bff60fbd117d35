// Package virtq implements the driver side of a VIRTIO split virtqueue
// (VIRTIO 1.2 §2.7): the descriptor table, the available ring the driver
// fills, and the used ring the device fills. It is transport independent
// (PCI and MMIO set the queue's addresses their own way) and allocation
// free: the caller provides the queue memory (physically contiguous, from
// the page allocator) and reaches it through the direct map.
//
// # Concurrency
//
// None inside; the kernel serialises access. The device is the other
// party: ring indices are published with atomic 32-bit stores and read with
// atomic loads, which on x86 (TSO) also order the descriptor writes before
// them.
package virtq

import (
	"sync/atomic"

	"unigo.dev/unigo/kernel/mm"
)

// Descriptor flags (§2.7.5).
const (
	descNext  = 1
	descWrite = 2 // the device writes this buffer
)

// Used-ring flags: the device does not want notifications (§2.7.10).
const usedNoNotify = 1

// Available-ring flags: the driver does not want interrupts (§2.7.7).
const availNoInterrupt = 1

// Alignments (§2.7): descriptor table 16, available ring 2, used ring 4.
const (
	descSize  = 16
	availHead = 4 // flags, idx
	usedHead  = 4
	usedElem  = 8
)

// Buf is one buffer of a request: its physical address, length, and whether
// the device writes it (device-writable buffers follow readable ones).
type Buf struct {
	PA    uintptr
	Len   uint32
	Write bool
}

// Queue is one split virtqueue.
type Queue struct {
	size     uint16
	desc     uintptr // virtual addresses of the three areas
	avail    uintptr
	used     uintptr
	descPA   uintptr
	availPA  uintptr
	usedPA   uintptr
	freeHead uint16
	numFree  uint16
	availIdx uint16 // next available-ring slot (driver's copy of avail.idx)
	lastUsed uint16 // next used-ring slot to consume
	flags    uint16 // available-ring flags (availNoInterrupt)
}

// Size returns the bytes of queue memory a queue of n entries needs
// (n a power of two, at most 32768): the three areas, each aligned, the
// used ring on a 4 KiB boundary as legacy devices require.
func Size(n uint16) uintptr {
	_, usedOff := offsets(n)
	return usedOff + usedHead + uintptr(n)*usedElem + 2
}

func offsets(n uint16) (availOff, usedOff uintptr) {
	availOff = uintptr(n) * descSize
	usedOff = mm.PageUp(availOff + availHead + uintptr(n)*2 + 2)
	return availOff, usedOff
}

// Init lays the queue out in zeroed memory at virtual address va
// (physical pa), Size(n) bytes.
func (q *Queue) Init(n uint16, va, pa uintptr) {
	availOff, usedOff := offsets(n)
	*q = Queue{
		size: n, desc: va, avail: va + availOff, used: va + usedOff,
		descPA: pa, availPA: pa + availOff, usedPA: pa + usedOff,
		numFree: n,
	}
	for i := uint16(0); i < n; i++ {
		d := q.descAt(i)
		d.next = i + 1
	}
}

// Addresses returns the physical addresses the transport gives the device.
func (q *Queue) Addresses() (desc, avail, used uintptr) { return q.descPA, q.availPA, q.usedPA }

// Len returns the number of entries.
func (q *Queue) Len() uint16 { return q.size }

// Free returns the number of free descriptors.
func (q *Queue) Free() uint16 { return q.numFree }

type desc struct {
	addr  uint64
	len   uint32
	flags uint16
	next  uint16
}

func (q *Queue) descAt(i uint16) *desc {
	return (*desc)(mm.Ptr(q.desc + uintptr(i)*descSize))
}

// Add chains bufs into descriptors and makes the chain available to the
// device. It returns the chain's head (the request's id) or ok=false when
// there are not enough free descriptors. The caller then notifies the
// device if NeedNotify says so.
func (q *Queue) Add(bufs []Buf) (head uint16, ok bool) {
	if len(bufs) == 0 || len(bufs) > int(q.numFree) {
		return 0, false
	}
	head = q.freeHead
	i := head
	for k, b := range bufs {
		d := q.descAt(i)
		d.addr = uint64(b.PA)
		d.len = b.Len
		d.flags = 0
		if b.Write {
			d.flags |= descWrite
		}
		next := d.next
		if k < len(bufs)-1 {
			d.flags |= descNext
		}
		i = next
	}
	q.freeHead = i
	q.numFree -= uint16(len(bufs))
	// Publish: the ring slot, then the index.
	slot := (*uint16)(mm.Ptr(q.avail + availHead + uintptr(q.availIdx%q.size)*2))
	*slot = head
	q.availIdx++
	q.publish()
	return head, true
}

// publish writes the available ring's flags and index in one store.
func (q *Queue) publish() {
	word := (*uint32)(mm.Ptr(q.avail)) // flags | idx<<16
	atomic.StoreUint32(word, uint32(q.availIdx)<<16|uint32(q.flags))
}

// PeekHead returns the descriptor the next single-buffer Add will use as
// its head, so that a driver keeping one buffer per descriptor can fill
// that buffer first. ok is false when no descriptor is free.
func (q *Queue) PeekHead() (head uint16, ok bool) {
	return q.freeHead, q.numFree > 0
}

// SetInterrupts asks the device to interrupt (on) or not (off) when it
// uses buffers of this queue. Off is a hint the device may ignore
// (§2.7.7); a driver that turns interrupts back on must look at the used
// ring once more afterwards, for buffers used in between.
func (q *Queue) SetInterrupts(on bool) {
	if on {
		q.flags &^= availNoInterrupt
	} else {
		q.flags |= availNoInterrupt
	}
	q.publish()
}

// NeedNotify reports whether the device asked to be notified of new
// buffers (it may suppress notifications while it is already processing).
func (q *Queue) NeedNotify() bool {
	w := atomic.LoadUint32((*uint32)(mm.Ptr(q.used)))
	return w&usedNoNotify == 0
}

// Pending reports whether the device has completed requests that Next has
// not popped yet. It reads only the used ring (guest memory), never the
// device, so it is cheap to poll.
func (q *Queue) Pending() bool {
	w := atomic.LoadUint32((*uint32)(mm.Ptr(q.used)))
	return uint16(w>>16) != q.lastUsed
}

// Next pops one completed request: its head and the number of bytes the
// device wrote. ok is false when the device has completed nothing new. The
// chain's descriptors are freed.
func (q *Queue) Next() (head uint16, written uint32, ok bool) {
	w := atomic.LoadUint32((*uint32)(mm.Ptr(q.used)))
	if uint16(w>>16) == q.lastUsed {
		return 0, 0, false
	}
	e := q.used + usedHead + uintptr(q.lastUsed%q.size)*usedElem
	id := *(*uint32)(mm.Ptr(e))
	written = *(*uint32)(mm.Ptr(e + 4))
	q.lastUsed++
	if id >= uint32(q.size) {
		return 0, 0, false // a broken device; drop the element
	}
	head = uint16(id)
	// Return the chain to the free list.
	i, n := head, uint16(1)
	for q.descAt(i).flags&descNext != 0 {
		i = q.descAt(i).next
		n++
	}
	q.descAt(i).next = q.freeHead
	q.freeHead = head
	q.numFree += n
	return head, written, true
}
