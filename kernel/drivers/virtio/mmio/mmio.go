// Package mmio is the virtio-over-MMIO transport (VIRTIO 1.2 §4.2), modern
// (version 2) devices only: QEMU's microvm puts up to eight transports at
// 0xFEB00000 + 512·n (unigo runs QEMU with virtio-mmio.force-legacy=false).
package mmio

import (
	"unigo.dev/unigo/kernel/drivers/virtio/virtq"
	"unigo.dev/unigo/kernel/mm"
)

// Register offsets (§4.2.2).
const (
	regMagic         = 0x000
	regVersion       = 0x004
	regDeviceID      = 0x008
	regDevFeatures   = 0x010
	regDevFeatSel    = 0x014
	regDrvFeatures   = 0x020
	regDrvFeatSel    = 0x024
	regQueueSel      = 0x030
	regQueueNumMax   = 0x034
	regQueueNum      = 0x038
	regQueueReady    = 0x044
	regQueueNotify   = 0x050
	regIntStatus     = 0x060
	regIntAck        = 0x064
	regStatus        = 0x070
	regQueueDescLow  = 0x080
	regQueueDescHigh = 0x084
	regQueueDrvLow   = 0x090
	regQueueDrvHigh  = 0x094
	regQueueDevLow   = 0x0a0
	regQueueDevHigh  = 0x0a4
	regConfig        = 0x100

	magic = 0x74726976 // "virt"
)

// Device status bits (§2.1).
const (
	StatusAcknowledge = 1
	StatusDriver      = 2
	StatusDriverOK    = 4
	StatusFeaturesOK  = 8
	StatusFailed      = 128
)

// Device is one virtio-mmio transport, its registers mapped at va.
type Device struct{ va uintptr }

func (d Device) r32(off uintptr) uint32    { return *(*uint32)(mm.Ptr(d.va + off)) }
func (d Device) w32(off uintptr, v uint32) { *(*uint32)(mm.Ptr(d.va + off)) = v }

// Probe returns the device at va and its virtio device ID (0: none or a
// legacy device).
func Probe(va uintptr) (Device, uint32) {
	d := Device{va}
	if d.r32(regMagic) != magic || d.r32(regVersion) != 2 {
		return d, 0
	}
	return d, d.r32(regDeviceID)
}

// Reset resets the device.
func (d Device) Reset() { d.w32(regStatus, 0) }

// AddStatus sets status bits.
func (d Device) AddStatus(bits uint32) { d.w32(regStatus, d.r32(regStatus)|bits) }

// Status returns the status register.
func (d Device) Status() uint32 { return d.r32(regStatus) }

// Features returns the device's 64 feature bits.
func (d Device) Features() uint64 {
	d.w32(regDevFeatSel, 0)
	lo := d.r32(regDevFeatures)
	d.w32(regDevFeatSel, 1)
	hi := d.r32(regDevFeatures)
	return uint64(hi)<<32 | uint64(lo)
}

// SetFeatures writes the driver's accepted features.
func (d Device) SetFeatures(f uint64) {
	d.w32(regDrvFeatSel, 0)
	d.w32(regDrvFeatures, uint32(f))
	d.w32(regDrvFeatSel, 1)
	d.w32(regDrvFeatures, uint32(f>>32))
}

// QueueMax returns the largest size queue idx supports (0: no queue).
func (d Device) QueueMax(idx uint32) uint16 {
	d.w32(regQueueSel, idx)
	return uint16(d.r32(regQueueNumMax))
}

// SetupQueue gives the device queue idx and enables it.
func (d Device) SetupQueue(idx uint32, q *virtq.Queue) {
	desc, avail, used := q.Addresses()
	d.w32(regQueueSel, idx)
	d.w32(regQueueNum, uint32(q.Len()))
	d.w32(regQueueDescLow, uint32(desc))
	d.w32(regQueueDescHigh, uint32(uint64(desc)>>32))
	d.w32(regQueueDrvLow, uint32(avail))
	d.w32(regQueueDrvHigh, uint32(uint64(avail)>>32))
	d.w32(regQueueDevLow, uint32(used))
	d.w32(regQueueDevHigh, uint32(uint64(used)>>32))
	d.w32(regQueueReady, 1)
}

// Notify tells the device queue idx has new buffers.
func (d Device) Notify(idx uint32) { d.w32(regQueueNotify, idx) }

// Ack reads and acknowledges the interrupt status.
func (d Device) Ack() uint32 {
	s := d.r32(regIntStatus)
	d.w32(regIntAck, s)
	return s
}

// Config8 reads a byte of the device-specific configuration space (byte
// fields need byte accesses, §4.2.2.2).
func (d Device) Config8(off uintptr) uint8 { return *(*uint8)(mm.Ptr(d.va + regConfig + off)) }

// Config32 and Config64 read the device-specific configuration space.
func (d Device) Config32(off uintptr) uint32 { return d.r32(regConfig + off) }

// Config64 reads a 64-bit configuration field as two 32-bit reads.
func (d Device) Config64(off uintptr) uint64 {
	return uint64(d.r32(regConfig+off)) | uint64(d.r32(regConfig+off+4))<<32
}
