package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/drivers/ioapic"
	"unigo.dev/unigo/kernel/drivers/virtio/mmio"
	"unigo.dev/unigo/kernel/drivers/virtio/pci"
	"unigo.dev/unigo/kernel/drivers/virtio/virtq"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/pagetable"
	"unigo.dev/unigo/kernel/vfs"
)

// A virtio-blk disk (VIRTIO 1.2 §5.2), on QEMU microvm's virtio-mmio
// transports or on PCI (pc, q35; MSI-X), exposed as the block device
// /dev/vda. Requests go one at a
// time through a 64 KiB bounce buffer; the calling thread sleeps until the
// device's completion interrupt.

const (
	virtioMMIOBase   = 0xFEB00000
	virtioMMIOSlots  = 8
	virtioMMIOIRQ    = 16 // GSI of slot 0 (microvm with ACPI, one I/O APIC)
	virtioIDBlock    = 2
	virtioFVersion1  = 1 << 32
	virtioBlkFFlush  = 1 << 9
	virtioBlkFRO     = 1 << 5
	blkTIn           = 0
	blkTOut          = 1
	blkTFlush        = 4
	blkSector        = 512
	blkBounce        = 64 << 10
	blkQueueSize     = 64
	devVda           = 254<<8 | 0
	waitKeyBlk       = directMapBase - 4096*5
	blkStatusPending = 0xFF
)

// virtioTransport is what a virtio device needs of its transport; mmio and
// pci implement it.
type virtioTransport interface {
	Reset()
	AddStatus(bits uint32)
	Status() uint32
	Features() uint64
	SetFeatures(f uint64)
	QueueMax(idx uint32) uint16
	SetupQueue(idx uint32, q *virtq.Queue)
	Notify(idx uint32)
	Ack() uint32
	Config64(off uintptr) uint64
}

// The transports live in static variables so that the interface values
// pointing at them need no allocation.
var (
	blkMMIO mmio.Device
	blkPCI  pci.Device
)

const vectorBlkMSI = 80 // the disk's MSI-X vector on PCI

var blk struct {
	present  bool
	dev      virtioTransport
	q        virtq.Queue
	gsi      int
	sectors  uint64
	flush    bool
	readOnly bool
	hdr      uintptr // direct-map address of the request header (16 bytes) and status (at +16)
	hdrPA    uintptr
	buf      uintptr // the bounce buffer
	bufPA    uintptr
	busy     bool
	done     bool
}

// initVirtio probes the virtio-mmio slots for a block device.
func initVirtio(apic ioapic.IOAPIC, apicID uint8) {
	for i := 0; i < virtioMMIOSlots; i++ {
		d, id := mmio.Probe(directMapBase + virtioMMIOBase + uintptr(i)*512)
		if id != virtioIDBlock || blk.present {
			continue
		}
		blkMMIO = d
		if initBlk(&blkMMIO, virtioMMIOIRQ+i) {
			apic.Route(blk.gsi, uint8(vectorIRQBase+blk.gsi), apicID, 0)
		}
	}
	if blk.present {
		return
	}
	pci.MapMMIO = mapMMIO
	if d, ok := pci.Find(virtioIDBlock, 0x1001); ok {
		blkPCI = d
		if initBlk(&blkPCI, -1) {
			blkPCI.EnableMSIX(0, vectorBlkMSI, apicID)
		}
	}
}

// mapMMIO maps device registers uncached in the direct map.
func mapMMIO(pa, n uintptr) uintptr {
	flags := pagetable.Present | pagetable.Writable | pagetable.CacheDisable | pagetable.WriteThrough
	if amd64.Features.NX {
		flags |= pagetable.NoExecute
	}
	for p := mm.PageDown(pa); p < pa+n; p += mm.PageSize {
		if _, _, ok := kpt.Lookup(directMapBase + p); !ok {
			kpt.Map(directMapBase+p, p, flags)
		}
	}
	return directMapBase + pa
}

func initBlk(d virtioTransport, gsi int) bool {
	d.Reset()
	d.AddStatus(mmio.StatusAcknowledge | mmio.StatusDriver)
	feat := d.Features()
	if feat&virtioFVersion1 == 0 {
		klog.Warn("virtio").S("block device without VIRTIO_F_VERSION_1: ignored").End()
		d.AddStatus(mmio.StatusFailed)
		return false
	}
	want := uint64(virtioFVersion1) | feat&(virtioBlkFFlush|virtioBlkFRO)
	d.SetFeatures(want)
	d.AddStatus(mmio.StatusFeaturesOK)
	if d.Status()&mmio.StatusFeaturesOK == 0 {
		d.AddStatus(mmio.StatusFailed)
		return false
	}
	n := d.QueueMax(0)
	if n == 0 {
		d.AddStatus(mmio.StatusFailed)
		return false
	}
	if n > blkQueueSize {
		n = blkQueueSize
	}
	qpa, ok := allocPages((virtq.Size(n) + 4095) / 4096)
	hdrPA, ok2 := allocPages(1)
	bufPA, ok3 := allocPages(blkBounce / 4096)
	if !ok || !ok2 || !ok3 {
		klog.Error("virtio").S("no memory for the block device").End()
		return false
	}
	blk.q.Init(n, directMapBase+qpa, qpa)
	d.SetupQueue(0, &blk.q)
	blk.dev, blk.gsi = d, gsi
	blk.hdr, blk.hdrPA = directMapBase+hdrPA, hdrPA
	blk.buf, blk.bufPA = directMapBase+bufPA, bufPA
	blk.sectors = d.Config64(0)
	blk.flush = feat&virtioBlkFFlush != 0
	blk.readOnly = feat&virtioBlkFRO != 0
	d.AddStatus(mmio.StatusDriverOK)
	blk.present = true
	onShutdown(blkTeardown)
	m := klog.Info("virtio").S("vda: ").U(blk.sectors * blkSector >> 20).S(" MiB, ")
	if gsi < 0 {
		m.S("MSI-X").End()
	} else {
		m.S("GSI ").I(int64(gsi)).End()
	}
	return true
}

// pollDevices runs the completion handlers of the devices that requests
// wait on, for waits before the scheduler runs (boot).
func pollDevices() {
	if blk.present {
		blkInterrupt()
	}
}

// blkInterrupt completes the request in flight.
func blkInterrupt() {
	blk.dev.Ack()
	for {
		if _, _, ok := blk.q.Next(); !ok {
			break
		}
		blk.done = true
	}
	wakeAll(waitKeyBlk)
}

// blkRequest runs one request on the bounce buffer: n bytes at sector.
func blkRequest(typ uint32, sector uint64, n uint32) linux.Errno {
	for blk.busy {
		waitOn(waitKeyBlk, 0)
	}
	blk.busy = true
	put32(blk.hdr, typ)
	put32(blk.hdr+4, 0)
	put64(blk.hdr+8, sector)
	*(*uint8)(kptr(blk.hdr + 16)) = blkStatusPending
	var bufs [3]virtq.Buf
	bufs[0] = virtq.Buf{PA: blk.hdrPA, Len: 16}
	k := 1
	if typ != blkTFlush {
		bufs[1] = virtq.Buf{PA: blk.bufPA, Len: n, Write: typ == blkTIn}
		k = 2
	}
	bufs[k] = virtq.Buf{PA: blk.hdrPA + 16, Len: 1, Write: true}
	blk.done = false
	if _, ok := blk.q.Add(bufs[:k+1]); !ok {
		blk.busy = false
		return linux.EIO
	}
	if blk.q.NeedNotify() {
		blk.dev.Notify(0)
	}
	for !blk.done {
		waitOn(waitKeyBlk, 0)
	}
	blk.busy = false
	wakeAll(waitKeyBlk)
	switch *(*uint8)(kptr(blk.hdr + 16)) {
	case 0:
		return 0
	case 2:
		return linux.EOPNOTSUPP
	}
	return linux.EIO
}

// blkRW reads (write=false) or writes b at byte offset off of the disk,
// through the bounce buffer, reading first where a write covers part of a
// sector.
func blkRW(b []byte, off int64, write bool) (int, linux.Errno) {
	size := int64(blk.sectors * blkSector)
	if off < 0 {
		return 0, linux.EINVAL
	}
	if write && blk.readOnly {
		return 0, linux.EROFS
	}
	if off >= size {
		if write {
			return 0, linux.ENOSPC
		}
		return 0, 0
	}
	if int64(len(b)) > size-off {
		b = b[:size-off]
	}
	done := 0
	for done < len(b) {
		pos := off + int64(done)
		sector := uint64(pos / blkSector)
		head := int(pos % blkSector)
		chunk := len(b) - done
		if chunk > blkBounce-head {
			chunk = blkBounce - head
		}
		span := uint32((head + chunk + blkSector - 1) / blkSector * blkSector)
		bounce := unsafe.Slice((*byte)(kptr(blk.buf)), blkBounce)
		if !write || head != 0 || chunk%blkSector != 0 {
			if e := blkRequest(blkTIn, sector, span); e != 0 {
				return done, e
			}
		}
		if write {
			copy(bounce[head:head+chunk], b[done:done+chunk])
			if e := blkRequest(blkTOut, sector, span); e != 0 {
				return done, e
			}
		} else {
			copy(b[done:done+chunk], bounce[head:head+chunk])
		}
		done += chunk
	}
	return done, 0
}

// blkSync flushes the device's write cache.
func blkSync() linux.Errno {
	if !blk.present || !blk.flush {
		return 0
	}
	return blkRequest(blkTFlush, 0, 0)
}

// blkTeardown flushes the disk's write cache before power-off.
func blkTeardown() {
	klog.Debug("virtio").S("vda: flushing at shutdown").End()
	if e := blkSync(); e != 0 {
		klog.Warn("virtio").S("vda: flush at shutdown failed: ").S(e.Error()).End()
	}
}

// blkNode creates /dev/vda when a disk is present.
func blkNode(dev vfs.Ino) {
	if blk.present {
		vfs.Create(dev, bytesOf("vda"), linux.S_IFBLK|0o660, devVda, 0, 0)
	}
}
