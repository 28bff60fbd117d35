// Package pci is the virtio-over-PCI transport (VIRTIO 1.2 §4.1), modern
// devices, with MSI-X interrupts, plus the little of PCI it needs: legacy
// configuration access through ports 0xCF8/0xCFC and the capability list.
package pci

import (
	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/drivers/virtio/virtq"
	"unigo.dev/unigo/kernel/mm"
)

// Config reads and writes PCI configuration space (PCI Local Bus 3.0 §3.2.2.3.2).
func cfgAddr(bus, dev, fn uint8, off uint8) uint32 {
	return 0x80000000 | uint32(bus)<<16 | uint32(dev)<<11 | uint32(fn)<<8 | uint32(off&0xFC)
}

// Read32 reads a configuration dword.
func Read32(bus, dev, fn, off uint8) uint32 {
	amd64.Outl(0xCF8, cfgAddr(bus, dev, fn, off))
	return amd64.Inl(0xCFC)
}

// Write32 writes a configuration dword.
func Write32(bus, dev, fn, off uint8, v uint32) {
	amd64.Outl(0xCF8, cfgAddr(bus, dev, fn, off))
	amd64.Outl(0xCFC, v)
}

// Read8 reads a configuration byte.
func Read8(bus, dev, fn, off uint8) uint8 {
	return uint8(Read32(bus, dev, fn, off) >> (8 * (off & 3)))
}

// Read16 reads a configuration word.
func Read16(bus, dev, fn, off uint8) uint16 {
	return uint16(Read32(bus, dev, fn, off) >> (8 * (off & 2)))
}

// Virtio PCI capability types (§4.1.4).
const (
	capCommon = 1
	capNotify = 2
	capISR    = 3
	capDevice = 4

	capVendor = 0x09
	capMSIX   = 0x11
)

// Common configuration offsets (§4.1.4.3).
const (
	ccDevFeatSel  = 0
	ccDevFeat     = 4
	ccDrvFeatSel  = 8
	ccDrvFeat     = 12
	ccMSIXConfig  = 16
	ccNumQueues   = 18
	ccStatus      = 20
	ccQueueSel    = 22
	ccQueueSize   = 24
	ccQueueMSIX   = 26
	ccQueueEnable = 28
	ccQueueNotify = 30
	ccQueueDesc   = 32
	ccQueueDriver = 40
	ccQueueDevice = 48
)

// MapMMIO maps device registers [pa, pa+n) for the kernel and returns their
// virtual address; the kernel provides it (uncached pages in the direct map).
var MapMMIO func(pa, n uintptr) uintptr

// Device is a modern virtio-pci function.
type Device struct {
	Bus, Dev, Fn uint8
	common       uintptr
	notify       uintptr
	notifyMul    uint32
	isr          uintptr
	device       uintptr
	msix         uintptr // MSI-X table
	msixCap      uint8
	ok           bool
}

func bar(bus, dev, fn, n uint8) uintptr {
	lo := Read32(bus, dev, fn, 0x10+4*n)
	if lo&1 != 0 {
		return 0 // I/O BAR
	}
	addr := uint64(lo &^ 0xF)
	if lo&0x6 == 0x4 { // 64-bit
		addr |= uint64(Read32(bus, dev, fn, 0x10+4*(n+1))) << 32
	}
	return uintptr(addr)
}

// Find scans bus 0 for a virtio device with the given device ID (modern
// PCI ID 0x1040+id, or the transitional one) and sets up its transport.
func Find(id uint16, transitional uint16) (Device, bool) {
	for dev := uint8(0); dev < 32; dev++ {
		v := Read32(0, dev, 0, 0)
		if v == 0xFFFFFFFF || uint16(v) != 0x1AF4 {
			continue
		}
		did := uint16(v >> 16)
		if did != 0x1040+id && did != transitional {
			continue
		}
		d := Device{Bus: 0, Dev: dev, Fn: 0}
		if d.setup() {
			return d, true
		}
	}
	return Device{}, false
}

func (d *Device) setup() bool {
	b, dv, fn := d.Bus, d.Dev, d.Fn
	if Read16(b, dv, fn, 0x06)&(1<<4) == 0 {
		return false // no capability list
	}
	// Memory space and bus master on, legacy INTx off.
	cmd := Read32(b, dv, fn, 0x04)
	Write32(b, dv, fn, 0x04, cmd&0xFFFF0000|uint32(uint16(cmd))|1<<1|1<<2|1<<10)
	for p := Read8(b, dv, fn, 0x34) &^ 3; p != 0; p = Read8(b, dv, fn, p+1) &^ 3 {
		switch Read8(b, dv, fn, p) {
		case capVendor:
			typ := Read8(b, dv, fn, p+3)
			barN := Read8(b, dv, fn, p+4)
			off := uintptr(Read32(b, dv, fn, p+8))
			length := uintptr(Read32(b, dv, fn, p+12))
			base := bar(b, dv, fn, barN)
			if base == 0 || length == 0 {
				continue
			}
			va := MapMMIO(base+off, length)
			switch typ {
			case capCommon:
				d.common = va
			case capNotify:
				d.notify = va
				d.notifyMul = Read32(b, dv, fn, p+16)
			case capISR:
				d.isr = va
			case capDevice:
				d.device = va
			}
		case capMSIX:
			tbl := Read32(b, dv, fn, p+4)
			base := bar(b, dv, fn, uint8(tbl&7))
			if base != 0 {
				size := uintptr(Read16(b, dv, fn, p+2)&0x7FF) + 1
				d.msix = MapMMIO(base+uintptr(tbl&^7), size*16)
				d.msixCap = p
			}
		}
	}
	d.ok = d.common != 0 && d.notify != 0 && d.msix != 0
	return d.ok
}

func r8(a uintptr) uint8      { return *(*uint8)(mm.Ptr(a)) }
func w8(a uintptr, v uint8)   { *(*uint8)(mm.Ptr(a)) = v }
func r16(a uintptr) uint16    { return *(*uint16)(mm.Ptr(a)) }
func w16(a uintptr, v uint16) { *(*uint16)(mm.Ptr(a)) = v }
func r32(a uintptr) uint32    { return *(*uint32)(mm.Ptr(a)) }
func w32(a uintptr, v uint32) { *(*uint32)(mm.Ptr(a)) = v }
func w64(a uintptr, v uint64) { w32(a, uint32(v)); w32(a+4, uint32(v>>32)) }

// Reset resets the device.
func (d *Device) Reset() {
	w8(d.common+ccStatus, 0)
	for r8(d.common+ccStatus) != 0 {
		amd64.Pause()
	}
}

// AddStatus sets status bits.
func (d *Device) AddStatus(bits uint32) {
	w8(d.common+ccStatus, r8(d.common+ccStatus)|uint8(bits))
}

// Status returns the device status.
func (d *Device) Status() uint32 { return uint32(r8(d.common + ccStatus)) }

// Features returns the device's 64 feature bits.
func (d *Device) Features() uint64 {
	w32(d.common+ccDevFeatSel, 0)
	lo := r32(d.common + ccDevFeat)
	w32(d.common+ccDevFeatSel, 1)
	hi := r32(d.common + ccDevFeat)
	return uint64(hi)<<32 | uint64(lo)
}

// SetFeatures writes the driver's features.
func (d *Device) SetFeatures(f uint64) {
	w32(d.common+ccDrvFeatSel, 0)
	w32(d.common+ccDrvFeat, uint32(f))
	w32(d.common+ccDrvFeatSel, 1)
	w32(d.common+ccDrvFeat, uint32(f>>32))
}

// QueueMax returns the size of queue idx (0: none).
func (d *Device) QueueMax(idx uint32) uint16 {
	w16(d.common+ccQueueSel, uint16(idx))
	return r16(d.common + ccQueueSize)
}

// SetupQueue gives the device queue idx, its interrupt on MSI-X entry idx.
func (d *Device) SetupQueue(idx uint32, q *virtq.Queue) {
	desc, avail, used := q.Addresses()
	w16(d.common+ccQueueSel, uint16(idx))
	w16(d.common+ccQueueSize, q.Len())
	w64(d.common+ccQueueDesc, uint64(desc))
	w64(d.common+ccQueueDriver, uint64(avail))
	w64(d.common+ccQueueDevice, uint64(used))
	w16(d.common+ccQueueMSIX, uint16(idx))
	w16(d.common+ccQueueEnable, 1)
}

// EnableMSIX points MSI-X table entry n at the CPU vector (local APIC ID
// apicID) and turns MSI-X on.
func (d *Device) EnableMSIX(n int, vector uint8, apicID uint8) {
	e := d.msix + uintptr(n)*16
	w32(e, 0xFEE00000|uint32(apicID)<<12)
	w32(e+4, 0)
	w32(e+8, uint32(vector))
	w32(e+12, 0) // unmasked
	ctl := Read32(d.Bus, d.Dev, d.Fn, d.msixCap)
	ctl |= 1 << 31  // MSI-X enable (message control bit 15)
	ctl &^= 1 << 30 // function mask off
	Write32(d.Bus, d.Dev, d.Fn, d.msixCap, ctl)
}

// Notify tells the device queue idx has new buffers.
func (d *Device) Notify(idx uint32) {
	w16(d.common+ccQueueSel, uint16(idx))
	off := uintptr(r16(d.common+ccQueueNotify)) * uintptr(d.notifyMul)
	w16(d.notify+off, uint16(idx))
}

// Ack reads the ISR status (with MSI-X, interrupts need no acknowledgment;
// the read keeps the device's view consistent).
func (d *Device) Ack() uint32 {
	if d.isr == 0 {
		return 0
	}
	return uint32(r8(d.isr))
}

// Config8 reads a byte of the device configuration.
func (d *Device) Config8(off uintptr) uint8 { return r8(d.device + off) }

// Config64 reads a 64-bit field of the device configuration.
func (d *Device) Config64(off uintptr) uint64 {
	return uint64(r32(d.device+off)) | uint64(r32(d.device+off+4))<<32
}
