//go:build !unigo_nofs

package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/arch/amd64"
	blkdev "unigo.dev/unigo/kernel/drivers/block"
	"unigo.dev/unigo/kernel/drivers/ioapic"
	"unigo.dev/unigo/kernel/drivers/virtio"
	"unigo.dev/unigo/kernel/drivers/virtio/mmio"
	"unigo.dev/unigo/kernel/drivers/virtio/pci"
	"unigo.dev/unigo/kernel/drivers/virtio/virtq"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/pagetable"
	"unigo.dev/unigo/kernel/vfs"
)

// virtio-blk disks (VIRTIO 1.2 §5.2), on QEMU microvm's virtio-mmio
// transports or on PCI (pc, q35; MSI-X), up to maxDisks of them.
//
// Each disk is named after its serial number when the host gave it one of
// the form vd[a-z] (`unigo run` does: serial=vdb), otherwise vda, vdb, ...
// in discovery order; it is registered in the block registry
// (kernel/drivers/block) for file-system drivers, and appears as the block
// device /dev/vdX (major 254, 16 minors a disk, as Linux's virtio_blk).
//
// One request at a time per disk; the calling thread sleeps, signals or
// not, until the completion interrupt. File systems transfer straight from
// kernel memory (a scatter list of direct-map buffers, up to the device's
// seg_max); raw reads and writes of /dev/vdX go through a 64 KiB bounce
// buffer (program memory is not in the direct map).

const (
	virtioIDBlock     = 2
	virtioFVersion1   = 1 << 32
	virtioBlkFSizeMax = 1 << 1
	virtioBlkFSegMax  = 1 << 2
	virtioBlkFFlush   = 1 << 9
	virtioBlkFRO      = 1 << 5
	blkTIn            = 0
	blkTOut           = 1
	blkTFlush         = 4
	blkTGetID         = 8
	blkIDLen          = 20
	blkSector         = 512
	blkBounce         = 64 << 10
	blkQueueSize      = 64
	devVdMajor        = 254
	waitKeyBlk        = directMapBase - 4096*5 // + disk index
	blkStatusPending  = 0xFF
)

// virtioTransport is what a virtio device needs of its transport; mmio and
// pci implement it.
type virtioTransport = virtio.Transport

// The transports live in static variables so that the interface values
// pointing at them need no allocation.
var (
	blkMMIO [maxDisks]mmio.Device
	blkPCI  [maxDisks]pci.Device
)

type disk struct {
	present  bool
	name     [8]byte
	dev      virtioTransport
	bdev     *blkdev.Device // its registry entry
	q        virtq.Queue
	gsi      int // -1 with MSI-X
	sectors  uint64
	flush    bool
	readOnly bool
	segMax   uint32  // data segments per request
	sizeMax  uint32  // bytes per segment (0: no limit)
	hdr      uintptr // direct-map address of the request header (16 bytes), status at +16, ID at +32
	hdrPA    uintptr
	buf      uintptr // the bounce buffer
	bufPA    uintptr
	busy     bool
	done     bool
}

var (
	disks  [maxDisks]disk
	ndisks int
)

// initVirtio finds the block devices, virtio-mmio slots (microvm) then
// PCI bus 0 (pc, q35), and offers other devices to the optional drivers
// (virtio.go). Boot only.
func initVirtio(apic ioapic.IOAPIC, apicID uint8) {
	for i := 0; i < virtioMMIOSlots; i++ {
		d, id := mmio.Probe(directMapBase + virtioMMIOBase + uintptr(i)*512)
		if id == 0 {
			continue
		}
		if id != virtioIDBlock || ndisks == maxDisks {
			offerVirtioMMIO(apic, apicID, i, d, id)
			continue
		}
		k := ndisks
		blkMMIO[k] = d
		if initBlk(k, &blkMMIO[k], virtioMMIOIRQ+i) {
			apic.Route(disks[k].gsi, uint8(vectorIRQBase+disks[k].gsi), apicID, 0)
		}
	}
	pci.MapMMIO = mapMMIO
	for first := uint8(0); ndisks < maxDisks; {
		d, ok := pci.FindFrom(first, virtioIDBlock, 0x1001)
		if !ok {
			break
		}
		first = d.Dev + 1
		k := ndisks
		blkPCI[k] = d
		if initBlk(k, &blkPCI[k], -1) {
			blkPCI[k].EnableMSIX(0, uint8(vectorBlkMSI+k), apicID)
		}
	}
	offerVirtioPCI(apicID)
	nameDisks()
	for k := 0; k < ndisks; k++ {
		registerDisk(k)
	}
	if ndisks > 0 {
		onShutdown(blkTeardown)
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

// initBlk sets up disk k on transport d. Boot only.
func initBlk(k int, d virtioTransport, gsi int) bool {
	d.Reset()
	d.AddStatus(mmio.StatusAcknowledge | mmio.StatusDriver)
	feat := d.Features()
	if feat&virtioFVersion1 == 0 {
		klog.Warn("virtio").S("block device without VIRTIO_F_VERSION_1: ignored").End()
		d.AddStatus(mmio.StatusFailed)
		return false
	}
	want := uint64(virtioFVersion1) | feat&(virtioBlkFFlush|virtioBlkFRO|virtioBlkFSegMax|virtioBlkFSizeMax)
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
		klog.Error("virtio").S("no memory for a block device").End()
		return false
	}
	x := &disks[k]
	x.q.Init(n, directMapBase+qpa, qpa)
	d.SetupQueue(0, &x.q)
	x.dev, x.gsi = d, gsi
	x.hdr, x.hdrPA = directMapBase+hdrPA, hdrPA
	x.buf, x.bufPA = directMapBase+bufPA, bufPA
	x.sectors = d.Config64(0)
	x.flush = feat&virtioBlkFFlush != 0
	x.readOnly = feat&virtioBlkFRO != 0
	x.segMax = uint32(n) - 2 // header and status take a descriptor each
	limits := d.Config64(8)  // size_max (offset 8), seg_max (12)
	if feat&virtioBlkFSegMax != 0 {
		if s := uint32(limits >> 32); s > 0 && s < x.segMax {
			x.segMax = s
		}
	}
	if feat&virtioBlkFSizeMax != 0 {
		x.sizeMax = uint32(limits) &^ (blkSector - 1)
	}
	d.AddStatus(mmio.StatusDriverOK)
	x.present = true
	ndisks++
	return true
}

// nameDisks names each disk after its serial (GET_ID) when that is a
// free vd[a-z], then gives the others the first free names. Boot only.
func nameDisks() {
	var used [26]bool
	for k := 0; k < ndisks; k++ {
		x := &disks[k]
		if blkRequest(k, blkTGetID, 0, 1, x.hdrPA+32, blkIDLen, true) != 0 {
			continue
		}
		id := unsafe.Slice((*byte)(kptr(x.hdr+32)), blkIDLen)
		if id[0] == 'v' && id[1] == 'd' && id[2] >= 'a' && id[2] <= 'z' && id[3] == 0 && !used[id[2]-'a'] {
			copy(x.name[:], id[:3])
			used[id[2]-'a'] = true
		}
	}
	next := 0
	for k := 0; k < ndisks; k++ {
		x := &disks[k]
		if x.name[0] != 0 {
			continue
		}
		for next < len(used) && used[next] {
			next++
		}
		if next == len(used) {
			break
		}
		used[next] = true
		x.name = [8]byte{'v', 'd', byte('a' + next)}
	}
}

// registerDisk logs disk k and enters it in the block registry. Boot only.
func registerDisk(k int) {
	x := &disks[k]
	segs := int(x.segMax)
	if segs > 64 {
		segs = 64
	}
	d := blkdev.Device{Name: x.name, Sectors: x.sectors, ReadOnly: x.readOnly,
		MaxSegs: segs, MaxBytes: 0, Transfer: blkTransfer, Priv: uintptr(k)}
	if x.flush {
		d.Flush = blkFlush
	}
	x.bdev = blkdev.Register(&d)
	m := klog.Info("virtio").B(x.name[:3]).S(": ").U(x.sectors * blkSector >> 20).S(" MiB")
	if x.readOnly {
		m.S(", read-only")
	}
	if x.gsi < 0 {
		m.S(", MSI-X").End()
	} else {
		m.S(", GSI ").I(int64(x.gsi)).End()
	}
}

// diskOfRdev returns the disk a block device number names, or -1.
func diskOfRdev(rdev uint32) int {
	if rdev>>8 != devVdMajor || rdev&15 != 0 {
		return -1
	}
	k := int(rdev&0xFF) / 16
	for j := 0; j < ndisks; j++ {
		if int(disks[j].name[2]-'a') == k {
			return j
		}
	}
	return -1
}

// diskRdev returns disk k's device number.
func diskRdev(k int) uint32 { return devVdMajor<<8 | uint32(disks[k].name[2]-'a')*16 }

// pollDevices runs the completion handlers of the devices that requests
// wait on, for waits before the scheduler runs (boot). It watches the used
// rings in memory and touches a device's registers only once it completed
// something: a vCPU that kept reading device registers would keep QEMU's
// big lock and starve the thread that completes the request (TCG).
func pollDevices() {
	for k := 0; k < ndisks; k++ {
		if disks[k].present && disks[k].q.Pending() {
			blkInterrupt(k)
		}
	}
	for n := 0; n < nVirtioDevs; n++ {
		virtioIntr(n)
	}
	amd64.Pause()
}

// blkInterruptGSI completes requests of the disk on I/O APIC line gsi;
// false if none uses it.
func blkInterruptGSI(gsi int) bool {
	for k := 0; k < ndisks; k++ {
		if disks[k].gsi == gsi {
			blkInterrupt(k)
			return true
		}
	}
	return false
}

// blkInterrupt completes disk k's request in flight.
func blkInterrupt(k int) {
	x := &disks[k]
	if !x.present {
		return
	}
	x.dev.Ack()
	for {
		if _, _, ok := x.q.Next(); !ok {
			break
		}
		x.done = true
	}
	wakeAll(waitKeyBlk + uintptr(k))
}

// blkRequest runs one request on disk k: typ at sector with nseg data
// segments of segLen bytes starting at physical address pa (consecutive),
// or the scatter list segs when pa is 0. Waits until the device answers.
func blkRequest(k int, typ uint32, sector uint64, nseg int, pa uintptr, segLen uint32, write bool) linux.Errno {
	var bufs [blkQueueSize]virtq.Buf
	n := 0
	for i := 0; i < nseg; i++ {
		bufs[1+n] = virtq.Buf{PA: pa + uintptr(i)*uintptr(segLen), Len: segLen, Write: write}
		n++
	}
	return blkSubmit(k, typ, sector, bufs[:], n)
}

// blkSubmit sends the request whose data buffers are bufs[1:1+n] (bufs[0]
// and bufs[1+n] are filled here with the header and the status).
func blkSubmit(k int, typ uint32, sector uint64, bufs []virtq.Buf, n int) linux.Errno {
	x := &disks[k]
	key := waitKeyBlk + uintptr(k)
	for x.busy {
		waitIO(key)
	}
	x.busy = true
	put32(x.hdr, typ)
	put32(x.hdr+4, 0)
	put64(x.hdr+8, sector)
	*(*uint8)(kptr(x.hdr + 16)) = blkStatusPending
	bufs[0] = virtq.Buf{PA: x.hdrPA, Len: 16}
	bufs[1+n] = virtq.Buf{PA: x.hdrPA + 16, Len: 1, Write: true}
	x.done = false
	if _, ok := x.q.Add(bufs[:n+2]); !ok {
		x.busy = false
		wakeAll(key)
		return linux.EIO
	}
	if x.q.NeedNotify() {
		x.dev.Notify(0)
	}
	for !x.done {
		waitIO(key)
	}
	x.busy = false
	wakeAll(key)
	switch *(*uint8)(kptr(x.hdr + 16)) {
	case 0:
		return 0
	case 2:
		return linux.EOPNOTSUPP
	}
	return linux.EIO
}

// blkTransfer is the registry's Transfer: one request with a descriptor
// per segment (split when a segment exceeds the device's size_max).
func blkTransfer(d *blkdev.Device, write bool, sector uint64, segs []blkdev.Seg) linux.Errno {
	k := int(d.Priv)
	x := &disks[k]
	if write && x.readOnly {
		return linux.EROFS
	}
	var bufs [blkQueueSize]virtq.Buf
	n := 0
	total := uint64(0)
	for _, s := range segs {
		if s.Len == 0 || s.Len%blkSector != 0 {
			return linux.EINVAL
		}
		total += uint64(s.Len)
		pa := mm.VirtToPhys(s.VA)
		for left := s.Len; left > 0; {
			l := left
			if x.sizeMax != 0 && l > x.sizeMax {
				l = x.sizeMax
			}
			if n == int(x.segMax) || n+2 > len(bufs) {
				return linux.EINVAL // more segments than MaxSegs allows
			}
			bufs[1+n] = virtq.Buf{PA: pa, Len: l, Write: !write}
			n++
			pa += uintptr(l)
			left -= l
		}
	}
	if sector+total/blkSector > x.sectors {
		return linux.EINVAL
	}
	typ := uint32(blkTIn)
	if write {
		typ = blkTOut
	}
	return blkSubmit(k, typ, sector, bufs[:], n)
}

// blkFlush is the registry's Flush: the device's write cache.
func blkFlush(d *blkdev.Device) linux.Errno { return blkSync(int(d.Priv)) }

// blkRW reads (write=false) or writes b at byte offset off of disk k,
// through the bounce buffer, reading first where a write covers part of a
// sector (raw /dev/vdX access).
func blkRW(k int, b []byte, off int64, write bool) (int, linux.Errno) {
	x := &disks[k]
	size := int64(x.sectors * blkSector)
	if off < 0 {
		return 0, linux.EINVAL
	}
	if write && x.readOnly {
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
	seg := uint32(blkBounce)
	if x.sizeMax != 0 && x.sizeMax < seg {
		seg = x.sizeMax
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
		nseg := int((span + seg - 1) / seg)
		bounce := unsafe.Slice((*byte)(kptr(x.buf)), blkBounce)
		if !write || head != 0 || chunk%blkSector != 0 {
			if e := blkRequestSpan(k, blkTIn, sector, span, seg, nseg); e != 0 {
				return done, e
			}
		}
		if write {
			copy(bounce[head:head+chunk], b[done:done+chunk])
			if e := blkRequestSpan(k, blkTOut, sector, span, seg, nseg); e != 0 {
				return done, e
			}
		} else {
			copy(b[done:done+chunk], bounce[head:head+chunk])
		}
		done += chunk
	}
	return done, 0
}

// blkRequestSpan moves span bytes of the bounce buffer in segments of at
// most seg bytes.
func blkRequestSpan(k int, typ uint32, sector uint64, span, seg uint32, nseg int) linux.Errno {
	x := &disks[k]
	var bufs [blkQueueSize]virtq.Buf
	for i := 0; i < nseg; i++ {
		l := seg
		if rest := span - uint32(i)*seg; rest < l {
			l = rest
		}
		bufs[1+i] = virtq.Buf{PA: x.bufPA + uintptr(i)*uintptr(seg), Len: l, Write: typ == blkTIn}
	}
	return blkSubmit(k, typ, sector, bufs[:], nseg)
}

// blkSync flushes disk k's write cache.
func blkSync(k int) linux.Errno {
	x := &disks[k]
	if !x.present || !x.flush {
		return 0
	}
	var bufs [2]virtq.Buf
	return blkSubmit(k, blkTFlush, 0, bufs[:], 0)
}

// blkSyncAll flushes every disk (sync(2)); it returns the first error.
func blkSyncAll() linux.Errno {
	var first linux.Errno
	for k := 0; k < ndisks; k++ {
		if e := blkSync(k); e != 0 && first == 0 {
			first = e
		}
	}
	return first
}

// blkTeardown flushes the disks' write caches before power-off (after the
// file systems on them were unmounted).
func blkTeardown() {
	for k := 0; k < ndisks; k++ {
		klog.Debug("virtio").B(disks[k].name[:3]).S(": flushing at shutdown").End()
		if e := blkSync(k); e != 0 {
			klog.Warn("virtio").B(disks[k].name[:3]).S(": flush at shutdown failed: ").S(e.Error()).End()
		}
	}
}

// blkNodes creates /dev/vdX for each disk.
func blkNodes(dev vfs.Ino) {
	for k := 0; k < ndisks; k++ {
		if i, e := vfs.Create(dev, disks[k].name[:3], linux.S_IFBLK|0o660, diskRdev(k), 0, 0); e == 0 {
			vfs.Unref(i)
		}
	}
}
